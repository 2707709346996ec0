"""O-Switcher's pure domain logic: no I/O, no clock, no randomness.

Everything here takes ``now`` (milliseconds) and random draws as arguments, so every state
machine can be driven by a fake clock in tests. The bridge (``bridge/``) owns the real clock,
the files and the wire, and never the other way round: ``oswitcher`` never imports ``bridge``.

The public surface is this module's ``__all__``; the engine (:class:`Engine`) is what the bridge
talks to, the rest is there for tests, tools and the ``classify`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Names are loaded on first use (PEP 562): the bridge imports this package at start-up, and the
# classifier's tables alone cost more than the rest of the bridge's start.
_EXPORTS = {
    "Admission": "oswitcher.admission",
    "AdmissionDecision": "oswitcher.events",
    "Attempt": "oswitcher.budgets",
    "Budgets": "oswitcher.budgets",
    "Candidate": "oswitcher.policy",
    "CircuitBreaker": "oswitcher.breaker",
    "CircuitState": "oswitcher.breaker",
    "CircuitStateChange": "oswitcher.events",
    "Classification": "oswitcher.classifier",
    "Closed": "oswitcher.breaker",
    "Cooldown": "oswitcher.cooldown",
    "CooldownExpired": "oswitcher.events",
    "CooldownPlan": "oswitcher.cooldown",
    "CooldownSet": "oswitcher.events",
    "DeadKey": "oswitcher.engine",
    "Decision": "oswitcher.budgets",
    "Engine": "oswitcher.engine",
    "EngineSnapshot": "oswitcher.engine",
    "ErrorClass": "oswitcher.taxonomy",
    "ErrorInput": "oswitcher.error_input",
    "Event": "oswitcher.events",
    "Exclusion": "oswitcher.policy",
    "Failover": "oswitcher.budgets",
    "GiveUp": "oswitcher.budgets",
    "HalfOpen": "oswitcher.breaker",
    "Health": "oswitcher.health",
    "HealthUpdated": "oswitcher.events",
    "IllegalTransition": "oswitcher.breaker",
    "InFlight": "oswitcher.admission",
    "KeyMarkedDead": "oswitcher.events",
    "Load": "oswitcher.admission",
    "Open": "oswitcher.breaker",
    "Outcome": "oswitcher.engine",
    "Request": "oswitcher.targets",
    "Retry": "oswitcher.budgets",
    "Scope": "oswitcher.cooldown",
    "SelectionRecord": "oswitcher.policy",
    "Target": "oswitcher.targets",
    "TargetExcluded": "oswitcher.events",
    "admit": "oswitcher.admission",
    "classify": "oswitcher.classifier",
    "decide": "oswitcher.budgets",
    "from_opencode_error": "oswitcher.error_input",
    "from_session_status": "oswitcher.error_input",
    "plan_cooldown": "oswitcher.cooldown",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'oswitcher' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from oswitcher.admission import Admission, InFlight, Load, admit
    from oswitcher.breaker import CircuitBreaker, CircuitState, Closed, HalfOpen, IllegalTransition, Open
    from oswitcher.budgets import Attempt, Budgets, Decision, Failover, GiveUp, Retry, decide
    from oswitcher.classifier import Classification, classify
    from oswitcher.cooldown import Cooldown, CooldownPlan, Scope, plan_cooldown
    from oswitcher.engine import DeadKey, Engine, EngineSnapshot, Outcome
    from oswitcher.error_input import ErrorInput, from_opencode_error, from_session_status
    from oswitcher.events import (
        AdmissionDecision,
        CircuitStateChange,
        CooldownExpired,
        CooldownSet,
        Event,
        HealthUpdated,
        KeyMarkedDead,
        TargetExcluded,
    )
    from oswitcher.health import Health
    from oswitcher.policy import Candidate, Exclusion, SelectionRecord
    from oswitcher.targets import Request, Target
    from oswitcher.taxonomy import ErrorClass

__all__ = [
    "Admission",
    "AdmissionDecision",
    "Attempt",
    "Budgets",
    "Candidate",
    "CircuitBreaker",
    "CircuitState",
    "CircuitStateChange",
    "Classification",
    "Closed",
    "Cooldown",
    "CooldownExpired",
    "CooldownPlan",
    "CooldownSet",
    "DeadKey",
    "Decision",
    "Engine",
    "EngineSnapshot",
    "ErrorClass",
    "ErrorInput",
    "Event",
    "Exclusion",
    "Failover",
    "GiveUp",
    "HalfOpen",
    "Health",
    "HealthUpdated",
    "IllegalTransition",
    "InFlight",
    "KeyMarkedDead",
    "Load",
    "Open",
    "Outcome",
    "Request",
    "Retry",
    "Scope",
    "SelectionRecord",
    "Target",
    "TargetExcluded",
    "__version__",
    "admit",
    "classify",
    "decide",
    "from_opencode_error",
    "from_session_status",
    "plan_cooldown",
]
