"""The bridge: O-Switcher's long-lived asyncio process and its command line.

Everything that touches the outside world lives here: the JSON-RPC wire to the shim, files,
the state store, the log, the clock. Decisions are delegated to the pure ``oswitcher`` package.
"""

from oswitcher import __version__

__all__ = ["__version__"]
