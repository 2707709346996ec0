"""An isolated OpenCode environment in a temp dir: home, XDG dirs, and a git project."""

from pathlib import Path

import pytest


class Env:
    """Paths of a fake user's machine; ``env`` is what the code under test sees as os.environ."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.config_home = root / "xdg-config"
        self.data_home = root / "xdg-data"
        self.global_dir = self.config_home / "opencode"
        self.project = root / "work" / "repo"
        self.subdir = self.project / "pkg" / "sub"
        for d in (self.home, self.global_dir, self.data_home / "opencode", self.subdir, self.project / ".git"):
            d.mkdir(parents=True)
        self.env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_DATA_HOME": str(self.data_home),
        }

    @property
    def auth_file(self) -> Path:
        return self.data_home / "opencode" / "auth.json"

    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


@pytest.fixture
def oc(tmp_path) -> Env:
    return Env(tmp_path)
