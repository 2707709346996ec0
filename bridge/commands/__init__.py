"""Subcommands of ``o-switcher``; each module exposes ``register(subparsers)``."""
