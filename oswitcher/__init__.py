"""O-Switcher's pure domain logic: no I/O, no clock, no randomness.

Everything here takes ``now`` (milliseconds) and random draws as arguments, so every state
machine can be driven by a fake clock in tests. The bridge (``bridge/``) owns the real clock,
the files and the wire, and never the other way round: ``oswitcher`` never imports ``bridge``.

The public surface is this module's ``__all__``; the engine (:class:`Engine`) is what the bridge
talks to, the rest is there for tests, tools and the ``classify`` command.
"""

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

__version__ = "0.1.0"

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
