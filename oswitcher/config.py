"""The ``switcher`` section of OpenCode's config: O-Switcher's settings, with their defaults.

Every key and default of the original O-Switcher (``reference/o-switcher-defaults.md``) is here,
plus what this product needs (``max_wait_ms``, ``cooldown``, ``allow_model_change``, ``rpc``).
Structs are frozen and reject unknown keys, so a typo is an error that names its path
(``$.switcher.circuit_breaker.failure_treshold``) instead of a setting silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "Backoff",
    "CircuitBreakerSettings",
    "CooldownSettings",
    "RoutingWeights",
    "RpcSettings",
    "SwitcherConfig",
    "TargetSpec",
]

NonNegInt = Annotated[int, Meta(ge=0)]
PosInt = Annotated[int, Meta(ge=1)]
NonNegFloat = Annotated[float, Meta(ge=0)]
Fraction = Annotated[float, Meta(gt=0, le=1)]
Identifier = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$")]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Base of every config section: immutable, keyword-only, unknown keys rejected."""


class Backoff(_Section):
    """Exponential backoff between retries of one target."""

    base_ms: NonNegInt = 1000
    multiplier: Annotated[float, Meta(ge=1)] = 2.0
    max_ms: NonNegInt = 30000
    jitter: Literal["full", "equal", "none"] = "full"


class RoutingWeights(_Section):
    """Weights of the policy engine's score: w1·health − w2·latency − w3·failure + w4·priority."""

    health: NonNegFloat = 1.0
    latency: NonNegFloat = 0.5
    failure: NonNegFloat = 0.8
    priority: NonNegFloat = 0.3


class CircuitBreakerSettings(_Section):
    """Dual-trigger breaker: consecutive failures, or failure rate over a sliding window."""

    failure_threshold: PosInt = 5
    failure_rate_threshold: Fraction = 0.5
    sliding_window_size: PosInt = 10
    half_open_after_ms: NonNegInt = 30000
    half_open_max_probes: PosInt = 1
    success_threshold: PosInt = 2


class CooldownSettings(_Section):
    """How long a key or target rests after a failure, when the server gave no hint."""

    rate_limited_ms: NonNegInt = 30_000
    quota_exhausted_ms: NonNegInt = 3_600_000
    overloaded_ms: NonNegInt = 15_000
    transient_ms: NonNegInt = 5_000
    #: Each further quota exhaustion in a row multiplies the quota cooldown by this factor.
    quota_escalation: Annotated[float, Meta(ge=1)] = 2.0
    #: No cooldown, hinted or computed, lasts longer than this.
    max_ms: PosInt = 86_400_000
    jitter_min: Annotated[float, Meta(ge=0, le=1)] = 0.10
    jitter_max: Annotated[float, Meta(ge=0, le=1)] = 0.25


class RpcSettings(_Section):
    """How the shim talks to the bridge."""

    #: After this long a hook proceeds unchanged (OpenCode is never blocked on the bridge).
    timeout_ms: PosInt = 250
    #: Restart backoff for a bridge that exited: first delay and cap.
    restart_base_ms: PosInt = 200
    restart_max_ms: PosInt = 30_000


class TargetSpec(_Section):
    """An explicit routing target; when any are given, discovery from ``provider`` is off."""

    target_id: Identifier
    provider_id: Identifier
    capabilities: tuple[str, ...] = ("chat",)
    enabled: bool = True
    operator_priority: int = 0
    policy_tags: tuple[str, ...] = ()


class SwitcherConfig(_Section):
    """The whole ``switcher`` section. An empty section means every default."""

    retry: NonNegInt = 3
    timeout: PosInt = 30000
    retry_budget: NonNegInt = 3
    failover_budget: NonNegInt = 2
    backoff: Backoff = Backoff()
    routing_weights: RoutingWeights = RoutingWeights()
    queue_limit: PosInt = 100
    concurrency_limit: PosInt = 10
    backpressure_threshold: NonNegInt = 50
    circuit_breaker: CircuitBreakerSettings = CircuitBreakerSettings()
    max_expected_latency_ms: PosInt = 30000
    targets: tuple[TargetSpec, ...] = ()
    #: The longest a run may wait for a cooling-down target before it fails with a clear message.
    max_wait_ms: NonNegInt = 30_000
    cooldown: CooldownSettings = CooldownSettings()
    #: Whether a request may move to a *different model* when every target of the chosen one is out.
    allow_model_change: bool = False
    #: Whether OAuth subscription accounts take part in rotation (off: rotation trips abuse checks).
    rotate_oauth: bool = False
    rpc: RpcSettings = RpcSettings()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
