"""``o-switcher config check`` and ``o-switcher profiles``, run through the real entry point."""

import json
from pathlib import Path

import pytest
import structlog

from bridge.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env(oc, monkeypatch):
    for key in ("OPENCODE_CONFIG", "OPENCODE_CONFIG_CONTENT", "OPENCODE_CONFIG_DIR", "OPENCODE_AUTH_CONTENT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in oc.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OSWITCHER_DATA_DIR", str(oc.root / "osw"))
    yield oc
    # Commands configure structlog for their process; undo it for the tests that follow.
    structlog.reset_defaults()


def test_the_example_config_is_accepted(cli_env, capsys):
    assert main(["config", "check", str(REPO / "opencode.json.example"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["switcher"]["rpc"]["timeout_ms"] == 250
    assert report["pools"] == [
        {"pool_id": "npm:@ai-sdk/openai-compatible@http://127.0.0.1:8080/v1", "members": ["local-personal", "local-work"]}
    ]


def test_config_check_reports_file_and_line(cli_env, capsys):
    path = cli_env.write(cli_env.project / "opencode.json", '{\n  "switcher": {\n    "retyr": 3\n  }\n}')
    assert main(["config", "check", "--directory", str(cli_env.subdir)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3:14: $.switcher.retyr: unknown key" in err
    assert main(["config", "check", "--directory", str(cli_env.subdir), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["error"] == {"path": "$.switcher.retyr", "message": "unknown key", "file": str(path), "line": 3,
                            "column": 14}


def test_config_check_lists_targets_without_keys(cli_env, capsys):
    cli_env.write(cli_env.project / "opencode.json",
                  '{"provider": {"a": {"api": "openai", "apiKey": "sk-test-aaaa"}, "b": {"api": "openai"}}}')
    assert main(["config", "check", "--directory", str(cli_env.subdir)]) == 0
    out = capsys.readouterr().out
    assert "api:openai: a, b" in out and "sk-test" not in out


def test_profiles_import_list_label_remove(cli_env, capsys):
    cli_env.write(cli_env.auth_file, json.dumps({"openai": {"type": "api", "key": "sk-test-0123456789wxyz"}}))
    assert main(["profiles", "import", "--directory", str(cli_env.subdir)]) == 0
    assert "1 new profile(s), 1 in all" in capsys.readouterr().out
    assert main(["profiles", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["key"] == "sk-…wxyz" and row["label"] == "openai-1"
    assert main(["profiles", "label", row["id"], "work"]) == 0
    assert main(["profiles", "list"]) == 0
    out = capsys.readouterr().out
    assert "work" in out and "sk-test-0123456789wxyz" not in out
    assert main(["profiles", "remove", row["id"]]) == 0
    assert main(["profiles", "remove", row["id"]]) == 1
    assert f"no profile with id '{row['id']}'" in capsys.readouterr().err
    assert main(["profiles", "label", "nope", "x"]) == 1


def test_config_check_json_hides_url_credentials(cli_env, capsys):
    cli_env.write(cli_env.project / "opencode.json",
                  '{"provider": {"a": {"npm": "x", "options": {"baseURL": "https://u:sk-test-p@h.example/v1?key=k"}}}}')
    assert main(["config", "check", "--directory", str(cli_env.subdir), "--json"]) == 0
    out = capsys.readouterr().out
    assert "sk-test" not in out and '"base_url":"https://h.example/v1"' in out.replace(" ", "")
