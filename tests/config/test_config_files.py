"""Finding and merging real files in OpenCode's order."""

import json

import pytest

from bridge.config_files import candidate_files, load_config, read_auth, read_layers
from oswitcher.config_check import ConfigError


def retry_from(oc, **extra_env):
    return load_config(oc.subdir, {**oc.env, **extra_env}).switcher.retry


def test_candidates_follow_opencode_order(oc):
    files = candidate_files(oc.subdir, oc.env)
    names = [str(f.relative_to(oc.root)) for f in files]
    assert names[:3] == [f"xdg-config/opencode/{n}" for n in ("config.json", "opencode.json", "opencode.jsonc")]
    assert names[3:6] == ["work/repo/opencode.jsonc", "work/repo/pkg/opencode.jsonc", "work/repo/pkg/sub/opencode.jsonc"]
    assert names[6:9] == ["work/repo/opencode.json", "work/repo/pkg/opencode.json", "work/repo/pkg/sub/opencode.json"]
    assert names[9] == "work/repo/pkg/sub/.opencode/opencode.jsonc"
    assert names[-2:] == ["home/.opencode/opencode.jsonc", "home/.opencode/opencode.json"]
    # The walk stops at the git root.
    assert not any(n.startswith("work/opencode") for n in names)


def test_each_layer_overrides_the_previous(oc):
    oc.write(oc.global_dir / "config.json", '{"switcher": {"retry": 1}}')
    assert retry_from(oc) == 1
    oc.write(oc.global_dir / "opencode.jsonc", '{"switcher": {"retry": 2}, // c\n}')
    assert retry_from(oc) == 2
    custom = oc.write(oc.root / "custom.json", '{"switcher": {"retry": 3}}')
    assert retry_from(oc, OPENCODE_CONFIG=str(custom)) == 3
    oc.write(oc.project / "opencode.json", '{"switcher": {"retry": 4}}')
    assert retry_from(oc, OPENCODE_CONFIG=str(custom)) == 4
    oc.write(oc.subdir / "opencode.json", '{"switcher": {"retry": 5}}')
    assert retry_from(oc) == 5
    oc.write(oc.subdir / ".opencode" / "opencode.json", '{"switcher": {"retry": 6}}')
    assert retry_from(oc) == 6
    assert retry_from(oc, OPENCODE_CONFIG_CONTENT='{"switcher": {"retry": 7}}') == 7
    assert retry_from(oc, OPENCODE_DISABLE_PROJECT_CONFIG="1") == 2


def test_project_json_beats_project_jsonc_at_any_depth(oc):
    oc.write(oc.subdir / "opencode.jsonc", '{"switcher": {"retry": 1}}')
    oc.write(oc.project / "opencode.json", '{"switcher": {"retry": 2}}')
    assert retry_from(oc) == 2


def test_env_and_file_substitution_in_files(oc):
    oc.write(oc.project / "secrets" / "t.txt", "45000\n")
    oc.write(
        oc.project / "opencode.json",
        '{"provider": {"p": {"options": {"apiKey": "{env:MY_KEY}"}}}, "switcher": {"timeout": {file:secrets/t.txt}}}',
    )
    snapshot = load_config(oc.subdir, {**oc.env, "MY_KEY": "sk-test-e"})
    assert snapshot.switcher.timeout == 45000
    assert snapshot.providers["p"]["options"]["apiKey"] == "sk-test-e"


def test_syntax_error_names_file_line_and_column(oc):
    path = oc.write(oc.project / "opencode.json", '{\n  "switcher": {\n    "retry": 3\n    "timeout": 1\n  }\n}')
    with pytest.raises(ConfigError) as info:
        load_config(oc.subdir, oc.env)
    assert (info.value.file, info.value.line, info.value.column) == (str(path), 4, 5)
    assert str(info.value).startswith("$: invalid JSONC")


def test_missing_file_reference_is_a_config_error(oc):
    oc.write(oc.project / "opencode.json", '{"x": "{file:gone.txt}"}')
    with pytest.raises(ConfigError) as info:
        read_layers(oc.subdir, oc.env)
    assert "gone.txt" in info.value.message


def test_top_level_must_be_an_object(oc):
    oc.write(oc.project / "opencode.json", "[1]")
    with pytest.raises(ConfigError):
        load_config(oc.subdir, oc.env)


def test_empty_file_is_an_empty_layer(oc):
    oc.write(oc.project / "opencode.json", "")
    assert load_config(oc.subdir, oc.env).switcher.retry == 3


def test_auth_json_read_and_corrupt_reported(oc):
    assert read_auth(oc.env).data is None
    oc.write(oc.auth_file, json.dumps({"openai": {"type": "api", "key": "sk-test-a"}}))
    assert read_auth(oc.env).data == {"openai": {"type": "api", "key": "sk-test-a"}}
    oc.write(oc.auth_file, '{"openai": {"type": "api", "key": "sk-test-a')
    auth = read_auth(oc.env)
    assert auth.data is None and "invalid JSON" in auth.problem and "sk-test" not in auth.problem
    assert read_auth({**oc.env, "OPENCODE_AUTH_CONTENT": '{"x": {}}'}).data == {"x": {}}


def test_auth_providers_make_targets_valid(oc):
    oc.write(oc.project / "opencode.json", '{"switcher": {"targets": [{"target_id": "a", "provider_id": "anthropic"}]}}')
    with pytest.raises(ConfigError):
        load_config(oc.subdir, oc.env)
    oc.write(oc.auth_file, '{"anthropic": {"type": "api", "key": "sk-test-x"}}')
    assert load_config(oc.subdir, oc.env).discovery.targets[0].target_id == "a"
