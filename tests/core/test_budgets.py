from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oswitcher.budgets import Attempt, Budgets, Failover, GiveUp, Retry, backoff_ms, decide
from oswitcher.config import Backoff
from oswitcher.taxonomy import ErrorClass

BUDGETS = Budgets()


def _fail(target: str, cls: ErrorClass, *, key: str = "k", hint: int | None = None, waited: int = 0) -> Attempt:
    return Attempt(target_id=target, key_id=key, error_class=cls, retry_after_ms=hint, waited_ms=waited)


def test_caller_faults_give_up_at_once():
    for cls in (ErrorClass.ContextOverflow, ErrorClass.InvalidRequest):
        assert decide([_fail("a", cls)], budgets=BUDGETS, draw=0.5) == GiveUp("caller_fault")


@pytest.mark.parametrize(
    "cls", [ErrorClass.AuthFailure, ErrorClass.PermissionFailure, ErrorClass.RateLimited, ErrorClass.QuotaExhausted]
)
def test_key_problems_never_retry_the_same_key(cls):
    assert decide([_fail("a", cls)], budgets=BUDGETS, draw=0.5) == Failover(scope="key")


@pytest.mark.parametrize("cls", [ErrorClass.Overloaded, ErrorClass.ModelUnavailable, ErrorClass.InterruptedExecution])
def test_target_problems_fail_over(cls):
    assert decide([_fail("a", cls)], budgets=BUDGETS, draw=0.5) == Failover(scope="target")


def test_transient_retries_with_backoff_then_fails_over():
    history = [_fail("a", ErrorClass.TransientServerFailure)]
    assert decide(history, budgets=BUDGETS, draw=0.5) == Retry(500)  # full jitter of 1000
    history.append(_fail("a", ErrorClass.TransientServerFailure, waited=500))
    assert decide(history, budgets=BUDGETS, draw=0.5) == Retry(1000)
    history.append(_fail("a", ErrorClass.TransientServerFailure, waited=1000))
    assert decide(history, budgets=BUDGETS, draw=0.5) == Retry(2000)
    history.append(_fail("a", ErrorClass.TransientServerFailure, waited=2000))
    assert decide(history, budgets=BUDGETS, draw=0.5) == Failover(scope="target")


def test_server_hint_beats_backoff_but_never_past_max_wait():
    assert decide([_fail("a", ErrorClass.TransientServerFailure, hint=7_000)], budgets=BUDGETS, draw=0.5) == Retry(
        7_000
    )
    too_long = [_fail("a", ErrorClass.TransientServerFailure, hint=3_600_000)]
    assert decide(too_long, budgets=BUDGETS, draw=0.5) == Failover(scope="target")
    almost_spent = [_fail("a", ErrorClass.TransientServerFailure, waited=29_900)]
    assert decide(almost_spent, budgets=BUDGETS, draw=0.9) == Failover(scope="target")


def test_failover_budget():
    history = [_fail("a", ErrorClass.Overloaded), _fail("b", ErrorClass.Overloaded), _fail("c", ErrorClass.Overloaded)]
    # Two target switches used: only retries remain, then give up.
    assert isinstance(decide(history, budgets=BUDGETS, draw=0.0), Retry)
    history += [_fail("c", ErrorClass.Overloaded)] * 3
    assert decide(history, budgets=BUDGETS, draw=0.0) == GiveUp("failover_budget_exhausted")
    assert decide(history[:3] + [_fail("c", ErrorClass.RateLimited)], budgets=BUDGETS, draw=0.0) == Failover(
        scope="key", same_target_only=True
    )


def test_decide_needs_a_failure():
    with pytest.raises(ValueError):
        decide([], budgets=BUDGETS, draw=0.0)
    with pytest.raises(ValueError):
        decide([Attempt(target_id="a")], budgets=BUDGETS, draw=0.0)


def test_backoff_shapes():
    backoff = Backoff(base_ms=1000, multiplier=2, max_ms=5000, jitter="none")
    assert [backoff_ms(n, backoff=backoff, draw=0.3) for n in (1, 2, 3, 4)] == [1000, 2000, 4000, 5000]
    equal = Backoff(base_ms=1000, jitter="equal")
    assert backoff_ms(1, backoff=equal, draw=0.0) == 500


@given(
    classes=st.lists(st.sampled_from(list(ErrorClass)), min_size=1, max_size=12),
    targets=st.lists(st.sampled_from("abc"), min_size=12, max_size=12),
    waits=st.lists(st.integers(0, 20_000), min_size=12, max_size=12),
    hint=st.one_of(st.none(), st.integers(0, 100_000)),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_never_schedules_a_wait_past_max_wait(classes, targets, waits, hint, draw):
    history = [
        _fail(targets[i], cls, waited=waits[i], hint=hint if i == len(classes) - 1 else None)
        for i, cls in enumerate(classes)
    ]
    decision = decide(history, budgets=BUDGETS, draw=draw)
    if isinstance(decision, Retry):
        assert decision.delay_ms >= 0
        assert sum(a.waited_ms for a in history) + decision.delay_ms <= BUDGETS.max_wait_ms
        assert classes[-1] in (
            ErrorClass.TransientServerFailure,
            ErrorClass.Overloaded,
            ErrorClass.ModelUnavailable,
            ErrorClass.InterruptedExecution,
        )
