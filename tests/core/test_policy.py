from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from oswitcher.config import RoutingWeights
from oswitcher.policy import Exclusion, TargetView, select_target
from oswitcher.targets import Request, Target

WEIGHTS = RoutingWeights()


def _view(target_id: str, **fields) -> TargetView:
    target_fields = {
        k: fields.pop(k) for k in ("enabled", "operator_priority", "keys", "models", "capabilities") if k in fields
    }
    target_fields.setdefault("keys", ("k-" + target_id,))
    target = Target(target_id=target_id, provider_id="p", **target_fields)
    fields.setdefault("usable_keys", target.keys)
    return TargetView(target=target, **fields)


PLAIN = Request(request_id="r")


def _select(views, request=PLAIN):
    return select_target(views, request, weights=WEIGHTS, max_expected_latency_ms=30_000)


def test_every_exclusion_reason():
    views = [
        _view("a-disabled", enabled=False),
        _view("b-paused", paused=True),
        _view("c-model", models=frozenset({"gpt-4o"})),
        _view("d-tried"),
        _view("e-open", circuit_allows=False),
        _view("f-cooling", usable_keys=(), available_at_ms=5_000),
        _view("g-dead", usable_keys=(), all_keys_dead=True),
        _view("h-ok"),
    ]
    record = _select(views, Request(request_id="r", model="claude", tried=frozenset({("d-tried", "k-d-tried")})))
    reasons = {c.target_id: c.excluded for c in record.candidates}
    assert reasons == {
        "a-disabled": Exclusion.disabled,
        "b-paused": Exclusion.paused,
        "c-model": Exclusion.lacks_capability,
        "d-tried": Exclusion.already_tried,
        "e-open": Exclusion.circuit_open,
        "f-cooling": Exclusion.cooling_down,
        "g-dead": Exclusion.key_dead,
        "h-ok": None,
    }
    assert len(Exclusion) == 7
    assert record.selected.target_id == "h-ok" and record.selected.key_id == "k-h-ok"


def test_score_formula():
    record = _select(
        [
            _view("a", health=0.9, latency_ms=15_000, failure_rate=0.25, operator_priority=5),
            _view("b", operator_priority=1),
        ]
    )
    scores = {c.target_id: c.score for c in record.candidates}
    assert scores["a"] == round(1.0 * 0.9 - 0.5 * 0.5 - 0.8 * 0.25 + 0.3 * 1.0, 9)
    assert scores["b"] == 1.0


def test_ties_go_to_priority_then_id():
    assert _select([_view("b"), _view("a")]).selected.target_id == "a"
    same = RoutingWeights(priority=0.0)
    record = select_target(
        [_view("a"), _view("b", operator_priority=2)], Request(), weights=same, max_expected_latency_ms=1
    )
    assert record.selected.target_id == "b"


def test_next_untried_key_and_retry_at_when_everything_waits():
    view = _view("a", keys=("k1", "k2"))
    record = _select([view], Request(tried=frozenset({("a", "k1")})))
    assert record.selected.key_id == "k2"
    waiting = _select(
        [_view("a", usable_keys=(), available_at_ms=9_000), _view("b", circuit_allows=False, available_at_ms=7_000)]
    )
    assert waiting.selected is None and waiting.retry_at_ms == 7_000


def test_keyless_target_is_usable_once():
    view = _view("local", keys=())
    assert _select([view]).selected.key_id == ""
    assert _select([view], Request(tried=frozenset({("local", "")}))).selected is None


view_strategy = st.builds(
    lambda i, enabled, paused, circuit, cooling, health, latency, failure, priority: TargetView(
        target=Target(target_id=f"t{i}", provider_id="p", enabled=enabled, operator_priority=priority, keys=("k",)),
        paused=paused,
        circuit_allows=circuit,
        target_cooling=cooling,
        usable_keys=("k",),
        health=health,
        latency_ms=latency,
        failure_rate=failure,
    ),
    st.integers(0, 30),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.floats(0, 1),
    st.one_of(st.none(), st.floats(0, 100_000)),
    st.floats(0, 1),
    st.integers(-5, 5),
)


@given(st.lists(view_strategy, max_size=20, unique_by=lambda v: v.target.target_id), st.randoms())
def test_selection_properties(views, shuffler):
    first = _select(views)
    shuffled = list(views)
    shuffler.shuffle(shuffled)
    again = _select(shuffled)
    # Deterministic for the same state, whatever the order the targets come in.
    assert first.selected == again.selected
    assert len(first.candidates) == len(views)
    if first.selected is not None:
        chosen = next(v for v in views if v.target.target_id == first.selected.target_id)
        # Never an excluded target.
        assert chosen.target.enabled and not chosen.paused and chosen.circuit_allows and not chosen.target_cooling
        best = max(c.score for c in first.candidates if c.score is not None)
        assert first.selected.score == best
    else:
        assert all(c.excluded is not None for c in first.candidates)
