"""The policy engine: filter, then score. A pure function of a snapshot of target state.

Filter: every target either gets an :class:`Exclusion` reason (checked in the order of the enum)
or a usable key. Score the rest:
``w1·health − w2·min(latency / max_expected_latency_ms, 1) − w3·failure_rate + w4·priority``,
with priority normalised to [0, 1] across the enabled targets (so a target's score does not
depend on the request, and the engine can compute it once per change of state: :func:`score_view`).
Ties go to the higher ``operator_priority``, then the smaller ``target_id``, so the same state
always picks the same target. The :class:`SelectionRecord` lists every candidate with its score or its reason.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from operator import itemgetter

import msgspec

from oswitcher.config import RoutingWeights
from oswitcher.targets import Request, Target

__all__ = [
    "Exclusion",
    "TargetView",
    "Candidate",
    "SelectionRecord",
    "select_target",
    "prepare_view",
    "score_view",
    "priority_range",
]


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
    ``score``: the precomputed :func:`score_view`, or None to have :func:`select_target` compute it.
    ``ready``: this target's line for a plain first attempt (see :func:`prepare_view`).
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
    score: float | None = None
    ready: Candidate | None = None
    rank: tuple[float, int, str] = (0.0, 0, "")


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


def priority_range(targets: Iterable[Target]) -> tuple[int, int]:
    """``(lowest, span)`` of ``operator_priority`` over the enabled targets, for normalising."""
    priorities = [target.operator_priority for target in targets if target.enabled]
    if not priorities:
        return 0, 0
    return min(priorities), max(priorities) - min(priorities)


def score_view(
    view: TargetView, *, weights: RoutingWeights, max_expected_latency_ms: int, priorities: tuple[int, int]
) -> float:
    """``w1·health − w2·latency − w3·failure + w4·priority`` for one target, all terms in [0, 1]."""
    low, span = priorities
    latency = 0.0 if view.latency_ms is None else min(view.latency_ms / max_expected_latency_ms, 1.0)
    priority = (view.target.operator_priority - low) / span if span else 0.0
    # Rounding keeps float noise from breaking ties differently on equal states.
    return round(
        weights.health * view.health
        - weights.latency * latency
        - weights.failure * view.failure_rate
        + weights.priority * priority,
        9,
    )


def prepare_view(
    view: TargetView, *, weights: RoutingWeights, max_expected_latency_ms: int, priorities: tuple[int, int]
) -> TargetView:
    """``view`` with its score and its ready-made line for a plain request (chat, any model,
    nothing tried yet): such a selection then costs a lookup per target, not a filter and a score.
    """
    score = score_view(view, weights=weights, max_expected_latency_ms=max_expected_latency_ms, priorities=priorities)
    reason, key = _filter(view, _PLAIN, False, False)
    target_id = view.target.target_id
    ready = (
        Candidate(target_id=target_id, key_id=key, score=score)
        if reason is None
        else Candidate(target_id=target_id, excluded=reason)
    )
    rank = (-score, -view.target.operator_priority, target_id)
    return msgspec.structs.replace(view, score=score, ready=ready, rank=rank)


def select_target(
    views: Sequence[TargetView], request: Request, *, weights: RoutingWeights, max_expected_latency_ms: int
) -> SelectionRecord:
    """Filter then score ``views`` for ``request``; deterministic for the same inputs."""
    excluded: list[Candidate] = []
    scored: list[tuple[tuple[float, int, str], Candidate]] = []
    waits: list[int] = []
    priorities: tuple[int, int] | None = None
    has_tried = bool(request.tried) or bool(request.exclude_targets)
    plain = request.model is None and request.capabilities == _CHAT
    fast = plain and not has_tried
    for view in views:
        ready = view.ready
        if fast and ready is not None:
            if ready.excluded is None:
                scored.append((view.rank, ready))
            else:
                excluded.append(ready)
                if ready.excluded in _WAITABLE and view.available_at_ms is not None:
                    waits.append(view.available_at_ms)
            continue
        reason, key = _filter(view, request, has_tried, plain)
        target = view.target
        if reason is not None:
            excluded.append(Candidate(target_id=target.target_id, excluded=reason))
            if reason in _WAITABLE and view.available_at_ms is not None:
                waits.append(view.available_at_ms)
            continue
        score = view.score
        if score is None:
            if priorities is None:
                priorities = priority_range(v.target for v in views)
            score = score_view(
                view, weights=weights, max_expected_latency_ms=max_expected_latency_ms, priorities=priorities
            )
        rank = (-score, -target.operator_priority, target.target_id)
        scored.append((rank, Candidate(target_id=target.target_id, key_id=key, score=score)))
    # The rank (score, priority, id) is unique per target, so candidates are never compared.
    scored.sort(key=_first)
    ranked = tuple(row[1] for row in scored)
    return SelectionRecord(
        request_id=request.request_id,
        candidates=ranked + tuple(excluded),
        selected=ranked[0] if ranked else None,
        retry_at_ms=min(waits) if not ranked and waits else None,
    )


_CHAT = frozenset({"chat"})
_PLAIN = Request()


_first = itemgetter(0)
_WAITABLE = frozenset({Exclusion.circuit_open, Exclusion.cooling_down})


def _filter(view: TargetView, request: Request, has_tried: bool, plain: bool) -> tuple[Exclusion | None, str]:
    target = view.target
    if not target.enabled:
        return Exclusion.disabled, ""
    if view.paused:
        return Exclusion.paused, ""
    if not plain and (
        not request.capabilities <= target.capabilities
        or (request.model is not None and target.models and request.model not in target.models)
    ):
        return Exclusion.lacks_capability, ""
    if not target.keys:
        if has_tried and (target.target_id in request.exclude_targets or (target.target_id, "") in request.tried):
            return Exclusion.already_tried, ""
        key = ""
    elif not has_tried:
        # The common first attempt: nothing tried yet, so the first usable key is the one.
        if not view.usable_keys:
            return _no_key_reason(view), ""
        key = view.usable_keys[0]
    else:
        if target.target_id in request.exclude_targets:
            return Exclusion.already_tried, ""
        tried = request.tried
        target_id = target.target_id
        if all((target_id, key) in tried for key in target.keys):
            return Exclusion.already_tried, ""
        usable = [key for key in view.usable_keys if (target_id, key) not in tried]
        if not usable:
            return _no_key_reason(view), ""
        key = usable[0]
    if not view.circuit_allows:
        return Exclusion.circuit_open, ""
    if view.target_cooling:
        return Exclusion.cooling_down, ""
    return None, key


def _no_key_reason(view: TargetView) -> Exclusion:
    if not view.circuit_allows:
        return Exclusion.circuit_open
    return Exclusion.key_dead if view.all_keys_dead else Exclusion.cooling_down
