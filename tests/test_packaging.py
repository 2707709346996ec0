"""The wheel must carry every Python package and the shim (a missing one breaks installs only)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_python_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("bridge", "oswitcher")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_shim_ships_in_the_wheel():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"]["bridge.js_shim"] == "js-shim"
    assert "*.js" in config["package-data"]["bridge.js_shim"]
    assert (REPO / "js-shim" / "o-switcher.js").is_file()


def test_the_shim_registers_exactly_the_tools_the_protocol_names():
    import re

    from bridge.protocol import TOOLS

    source = (REPO / "js-shim" / "o-switcher.js").read_text()
    registered = set(re.findall(r'"([a-z-]+)": tool\(client, "\1"', source))
    assert registered == set(TOOLS)
