"""Typed events the engine emits. Names and fields match the original's audit log, so its ``jq``
recipes keep working. Each is a frozen msgspec Struct whose ``event`` field (the tag) is its name;
``msgspec.json.encode(event)`` gives the log line.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from oswitcher.taxonomy import ErrorClass

__all__ = [
    "Event",
    "CircuitStateChange",
    "CooldownSet",
    "CooldownExpired",
    "TargetExcluded",
    "HealthUpdated",
    "AdmissionDecision",
    "KeyMarkedDead",
]


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="event"):
    """Base of every event; ``at_ms`` is the engine clock when it happened."""

    at_ms: int


class CircuitStateChange(Event, tag="circuit_state_change"):
    """A target's circuit changed state (``closed``, ``open``, ``half_open``)."""

    target_id: str
    from_state: str = msgspec.field(name="from")
    to_state: str = msgspec.field(name="to")


class CooldownSet(Event, tag="cooldown_set"):
    """A key, a target, or a key on one target, rests until ``until_ms``."""

    target_id: str | None
    key_id: str | None
    until_ms: int
    error_class: ErrorClass
    source: Literal["hint", "class"]


class CooldownExpired(Event, tag="cooldown_expired"):
    """A cooldown ended; the key or target is usable again."""

    target_id: str | None
    key_id: str | None
    error_class: ErrorClass


class TargetExcluded(Event, tag="target_excluded"):
    """A selection left a target out, and why (an :class:`~oswitcher.policy.Exclusion` value)."""

    request_id: str
    target_id: str
    reason: str


class HealthUpdated(Event, tag="health_updated"):
    """A target's health after an outcome."""

    target_id: str
    score: float
    failure_rate: float
    latency_ms: float | None


class AdmissionDecision(Event, tag="admission_decision"):
    """Whether a new request was admitted."""

    request_id: str
    verdict: Literal["admitted", "degraded", "rejected"]
    reason: str


class KeyMarkedDead(Event, tag="key_marked_dead"):
    """A key was rejected for good (AuthFailure). ``last_in_pool``: the user must be told now."""

    key_id: str
    target_id: str
    reason: str
    last_in_pool: bool
