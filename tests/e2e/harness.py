"""The OpenCode sandbox for tests (it lives in ``bridge.demo``: ``o-switcher demo`` uses it too)."""

from bridge.demo.sandbox import *  # noqa: F403
from bridge.demo.sandbox import __all__  # noqa: F401
