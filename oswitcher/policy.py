"""The policy engine: filter, then score. A pure function of a snapshot of target state.

Filter: every target either gets an :class:`Exclusion` reason (checked in the order of the enum)
or a usable key. Score the rest:
``w1·health − w2·min(latency / max_expected_latency_ms, 1) − w3·failure_rate + w4·priority``,
with priority normalised to [0, 1] across the eligible targets. Ties go to the higher
``operator_priority``, then the smaller ``target_id``, so the same state always picks the same
target. The :class:`SelectionRecord` lists every candidate with its score or its reason.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import msgspec

from oswitcher.config import RoutingWeights
from oswitcher.targets import Request, Target

__all__ = ["Exclusion", "TargetView", "Candidate", "SelectionRecord", "select_target"]


class Exclusion(enum.StrEnum):
    """Why a target was not eligible (checked in this order)."""

    disabled = "disabled"
    paused = "paused"  # paused or draining by the operator
    lacks_capability = "lacks_capability"  # model or capability not served
    already_tried = "already_tried"
    circuit_open = "circuit_open"
    cooling_down = "cooling_down"
    key_dead = "key_dead"


class TargetView(msgspec.Struct, frozen=True, kw_only=True):
    """One target as the policy sees it at selection time (built by the engine).

    ``usable_keys``: keys neither dead nor cooling (for this target), in preference order.
    ``all_keys_dead``: every key is dead (as opposed to some cooling down).
    ``available_at_ms``: when this target will next be usable, if it is waiting on time.
    """

    target: Target
    paused: bool = False
    circuit_allows: bool = True
    target_cooling: bool = False
    usable_keys: tuple[str, ...] = ()
    all_keys_dead: bool = False
    health: float = 1.0
    failure_rate: float = 0.0
    latency_ms: float | None = None
    available_at_ms: int | None = None


class Candidate(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A target's line in the record: a score and chosen key, or an exclusion reason."""

    target_id: str
    key_id: str | None = None
    score: float | None = None
    excluded: Exclusion | None = None


class SelectionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The whole decision: every candidate, and the selected one (or None).

    ``retry_at_ms`` is set when nothing was eligible but something will be, later (cooldowns or an
    open circuit): the earliest such time, so the caller can wait or give up with a clear message.
    """

    request_id: str
    candidates: tuple[Candidate, ...]
    selected: Candidate | None
    retry_at_ms: int | None = None


def select_target(
    views: Sequence[TargetView], request: Request, *, weights: RoutingWeights, max_expected_latency_ms: int
) -> SelectionRecord:
    """Filter then score ``views`` for ``request``; deterministic for the same inputs."""
    excluded: list[Candidate] = []
    eligible: list[tuple[TargetView, str]] = []
    waits: list[int] = []
    for view in views:
        reason, key = _filter(view, request)
        if reason is None:
            eligible.append((view, key))
        else:
            excluded.append(Candidate(target_id=view.target.target_id, excluded=reason))
            if reason in _WAITABLE and view.available_at_ms is not None:
                waits.append(view.available_at_ms)
    scored: list[tuple[float, int, str, Candidate]] = []
    if eligible:
        priorities = [view.target.operator_priority for view, _ in eligible]
        low, span = min(priorities), max(priorities) - min(priorities)
        for view, key in eligible:
            latency = 0.0 if view.latency_ms is None else min(view.latency_ms / max_expected_latency_ms, 1.0)
            priority = (view.target.operator_priority - low) / span if span else 0.0
            score = round(
                weights.health * view.health
                - weights.latency * latency
                - weights.failure * view.failure_rate
                + weights.priority * priority,
                9,  # rounding keeps float noise from breaking ties differently on equal states
            )
            target_id = view.target.target_id
            scored.append((-score, -view.target.operator_priority, target_id, Candidate(target_id=target_id, key_id=key, score=score)))
        scored.sort(key=lambda row: row[:3])
    ranked = tuple(row[3] for row in scored)
    return SelectionRecord(
        request_id=request.request_id,
        candidates=ranked + tuple(excluded),
        selected=ranked[0] if ranked else None,
        retry_at_ms=min(waits) if not ranked and waits else None,
    )


_WAITABLE = frozenset({Exclusion.circuit_open, Exclusion.cooling_down})


def _filter(view: TargetView, request: Request) -> tuple[Exclusion | None, str]:
    target = view.target
    if not target.enabled:
        return Exclusion.disabled, ""
    if view.paused:
        return Exclusion.paused, ""
    if not request.capabilities <= target.capabilities or (
        request.model is not None and target.models and request.model not in target.models
    ):
        return Exclusion.lacks_capability, ""
    if target.target_id in request.exclude_targets:
        return Exclusion.already_tried, ""
    if not target.keys:
        if (target.target_id, "") in request.tried:
            return Exclusion.already_tried, ""
        key = ""
    else:
        untried = [key for key in target.keys if (target.target_id, key) not in request.tried]
        if not untried:
            return Exclusion.already_tried, ""
        usable = [key for key in view.usable_keys if (target.target_id, key) not in request.tried]
        if not usable:
            if not view.circuit_allows:
                return Exclusion.circuit_open, ""
            return (Exclusion.key_dead if view.all_keys_dead else Exclusion.cooling_down), ""
        key = usable[0]
    if not view.circuit_allows:
        return Exclusion.circuit_open, ""
    if view.target_cooling:
        return Exclusion.cooling_down, ""
    return None, key
