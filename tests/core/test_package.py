"""The package's shape: exported names, and the purity rules of ``oswitcher``."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import oswitcher

PACKAGE = Path(oswitcher.__file__).parent
FORBIDDEN_IMPORTS = {
    "bridge",
    "time",
    "datetime",
    "random",
    "os",
    "socket",
    "subprocess",
    "asyncio",
    "sqlite3",
    "pathlib",
    "io",
}


def test_exported_names_are_pinned():
    assert sorted(oswitcher.__all__) == sorted(set(oswitcher.__all__))
    for name in oswitcher.__all__:
        assert hasattr(oswitcher, name), name
    assert {"Engine", "classify", "ErrorClass", "Exclusion", "SelectionRecord", "decide"} <= set(oswitcher.__all__)


def test_every_module_declares_all_and_documents_public_objects():
    for path in sorted(PACKAGE.glob("*.py")):
        module = importlib.import_module(f"oswitcher.{path.stem}" if path.stem != "__init__" else "oswitcher")
        assert module.__doc__, path
        assert hasattr(module, "__all__"), path
        for name in module.__all__:
            obj = getattr(module, name)
            # Functions and classes need docstrings; type aliases and constants cannot carry one.
            if isinstance(obj, type) or inspect.isfunction(obj):
                assert getattr(obj, "__doc__", None), f"{path.stem}.{name}"


def test_oswitcher_is_pure():
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & FORBIDDEN_IMPORTS, f"{path.name} imports {roots & FORBIDDEN_IMPORTS}"


def test_modules_stay_small():
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name


def test_error_classes_are_the_ten_names():
    assert [c.value for c in oswitcher.ErrorClass] == [
        "RateLimited",
        "QuotaExhausted",
        "Overloaded",
        "TransientServerFailure",
        "InterruptedExecution",
        "AuthFailure",
        "PermissionFailure",
        "ModelUnavailable",
        "ContextOverflow",
        "InvalidRequest",
    ]
