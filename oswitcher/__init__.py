"""O-Switcher's pure domain logic: no I/O, no clock, no randomness.

Everything here takes ``now`` (milliseconds) and random draws as arguments, so every state
machine can be driven by a fake clock in tests. The bridge (``bridge/``) owns the real clock,
the files and the wire, and never the other way round: ``oswitcher`` never imports ``bridge``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
