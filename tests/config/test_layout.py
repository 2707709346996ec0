"""The core stays pure and every module states its public names."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ["config_check", "config_merge", "discovery", "json_locate", "jsonc", "profile_table", "profiles", "secrets",
        "substitution"]
BRIDGE = ["config_files", "profile_sync", "store", "watcher"]
# Modules whose import would mean I/O, a clock or randomness in the core.
FORBIDDEN = {"bridge", "os", "pathlib", "time", "datetime", "random", "secrets", "sqlite3", "watchfiles", "structlog",
             "asyncio", "io", "shutil", "subprocess"}


@pytest.mark.parametrize("name", CORE)
def test_core_modules_do_no_io(name):
    tree = ast.parse((ROOT / "oswitcher" / f"{name}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "open", f"oswitcher.{name} opens a file"
    assert not imported & FORBIDDEN, f"oswitcher.{name} imports {imported & FORBIDDEN}"


@pytest.mark.parametrize("module", [f"oswitcher.{n}" for n in CORE] + [f"bridge.{n}" for n in BRIDGE])
def test_every_public_name_exists_and_is_documented(module):
    mod = importlib.import_module(module)
    assert mod.__doc__
    for name in mod.__all__:
        obj = getattr(mod, name)
        if callable(obj) and not isinstance(obj, type(str | None)):
            assert obj.__doc__, f"{module}.{name} has no docstring"
