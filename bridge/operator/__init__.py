"""The operator surface (issue 6): status, pause/drain/resume, reset, pins, reload, doctor.

Actions are writes to the state store (:mod:`~bridge.operator.actions`), shared by the tools
inside OpenCode (:mod:`~bridge.operator.tools`) and the command line (``bridge/commands``);
running bridges pick them up through :mod:`~bridge.operator.sync`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.operator.sync import OperatorSync
from bridge.operator.tools import operator_tools

if TYPE_CHECKING:
    from bridge.runtime import BridgeRuntime

__all__ = ["OperatorSync", "attach", "operator_tools"]


def attach(runtime: BridgeRuntime) -> OperatorSync:
    """Hook the operator's store requests into the runtime's failover service; returns the poller."""
    sync = OperatorSync(runtime=runtime)
    if runtime.failover is not None:
        runtime.failover.shared.before_sync = sync.before_sync
    return sync
