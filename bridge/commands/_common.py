"""Helpers shared by the command-line subcommands."""

from __future__ import annotations

import logging
import sys

import structlog

from bridge.runtime import wall_clock_ms as now_ms

__all__ = ["audit_to_bridge_log", "now_ms", "quiet_logs"]


def quiet_logs() -> None:
    """Send warnings and errors to stderr only: a command's stdout is its output."""
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.KeyValueRenderer(key_order=["event"])],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )


def audit_to_bridge_log() -> None:
    """Log to the bridges' own log file, so an operator action from a shell is in the same audit trail."""
    import os

    from bridge.logs import configure_logging, default_log_path, open_log

    configure_logging(open_log(default_log_path(os.environ)))
