"""Hypothesis: random operation sequences against the engine, with invariants checked throughout."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oswitcher.breaker import Open
from oswitcher.classifier import Classification
from oswitcher.config import SwitcherConfig
from oswitcher.engine import Engine, Outcome
from oswitcher.targets import Request, Target
from oswitcher.taxonomy import ErrorClass

TARGETS = [
    Target(target_id="a", provider_id="p", pool="p", keys=("k1", "k2"), operator_priority=2),
    Target(target_id="b", provider_id="p", pool="p", keys=("k2", "k3")),
    Target(target_id="c", provider_id="q", pool="q", keys=("k4",), operator_priority=1),
    Target(target_id="local", provider_id="ollama"),
]

operation = st.one_of(
    st.tuples(st.just("select"), st.booleans()),
    st.tuples(st.just("fail"), st.sampled_from(list(ErrorClass)), st.one_of(st.none(), st.integers(0, 120_000))),
    st.tuples(st.just("ok"), st.integers(1, 5_000)),
    st.tuples(st.just("advance"), st.integers(0, 90_000)),
    st.tuples(st.just("pause"), st.sampled_from(["a", "b", "c", "local"])),
    st.tuples(st.just("resume"), st.sampled_from(["a", "b", "c", "local"])),
    st.tuples(
        st.just("cancel"),
    ),
)


def _run(ops, check):
    now = [0]
    draws = iter([0.37, 0.81, 0.05, 0.5] * 100)
    engine = Engine(config=SwitcherConfig(), clock=lambda: now[0], random=lambda: next(draws))
    engine.set_targets(TARGETS)
    records = []
    last = None
    for op in ops:
        kind = op[0]
        if kind == "select":
            tried = frozenset({(last.target_id, last.key_id)}) if op[1] and last else frozenset()
            record = engine.select(Request(request_id="r", tried=tried))
            records.append(record)
            if check:
                _check_selection(engine, record, tried, now[0])
            if record.selected is not None:
                last = record.selected
        elif kind == "fail" and last is not None:
            verdict = Classification(error_class=op[1], retryable=False, retry_after_ms=op[2], rule="prop")
            engine.report(Outcome(target_id=last.target_id, key_id=last.key_id or "", classification=verdict))
            last = None
        elif kind == "ok" and last is not None:
            engine.report(Outcome(target_id=last.target_id, key_id=last.key_id or "", latency_ms=op[1]))
            last = None
        elif kind == "cancel" and last is not None:
            engine.cancel(last.target_id)
            last = None
        elif kind == "advance":
            now[0] += op[1]
        elif kind == "pause":
            engine.pause(op[1])
        elif kind == "resume":
            engine.resume(op[1])
        if check:
            for target in TARGETS:
                assert engine.in_flight(target.target_id) >= 0
    return records


def _check_selection(engine, record, tried, now):
    assert len(record.candidates) == len(TARGETS)
    if record.selected is None:
        return
    target_id, key = record.selected.target_id, record.selected.key_id
    snapshot = engine.snapshot()
    assert target_id not in snapshot.paused
    assert (target_id, key) not in tried
    assert not isinstance(engine.circuit(target_id), Open)
    assert engine.cooldown(target_id=target_id) is None
    if key:
        assert key not in engine.dead_keys()
        assert engine.cooldown(key_id=key) is None
        assert engine.cooldown(target_id=target_id, key_id=key) is None
    best = max(c.score for c in record.candidates if c.score is not None)
    assert record.selected.score == best


@settings(max_examples=200, deadline=None)
@given(st.lists(operation, max_size=60))
def test_engine_never_selects_an_excluded_target(ops):
    _run(ops, check=True)


@settings(max_examples=50, deadline=None)
@given(st.lists(operation, max_size=40))
def test_engine_is_deterministic(ops):
    assert _run(ops, check=False) == _run(ops, check=False)
