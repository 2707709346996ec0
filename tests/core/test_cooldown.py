from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from oswitcher.config import CooldownSettings
from oswitcher.cooldown import CooldownBook, CooldownPlan, Scope, plan_cooldown
from oswitcher.taxonomy import ErrorClass

SETTINGS = CooldownSettings()


def test_hint_first_with_jitter_on_top():
    plan = plan_cooldown(ErrorClass.RateLimited, hint_ms=5_000, settings=SETTINGS, draw=0.0)
    assert plan == CooldownPlan(duration_ms=5_500, source="hint")  # the original's 5 s → 5500 ms
    assert plan_cooldown(ErrorClass.RateLimited, hint_ms=5_000, settings=SETTINGS, draw=0.999999).duration_ms == 6_250


def test_class_durations():
    durations = {cls: plan_cooldown(cls, hint_ms=None, settings=SETTINGS, draw=0.0) for cls in ErrorClass}
    assert durations[ErrorClass.RateLimited].duration_ms == 33_000
    assert durations[ErrorClass.Overloaded].duration_ms == 16_500
    assert durations[ErrorClass.TransientServerFailure].duration_ms == 5_500
    assert durations[ErrorClass.QuotaExhausted].duration_ms == 3_960_000
    for cls in (
        ErrorClass.ContextOverflow,
        ErrorClass.InvalidRequest,
        ErrorClass.AuthFailure,
        ErrorClass.InterruptedExecution,
    ):
        assert durations[cls] is None


def test_quota_escalates_and_is_capped():
    first, second, third = (
        plan_cooldown(ErrorClass.QuotaExhausted, hint_ms=None, settings=SETTINGS, quota_streak=n, draw=0.0).duration_ms
        for n in (1, 2, 3)
    )
    assert first < second < third and second == 2 * first
    huge = plan_cooldown(ErrorClass.QuotaExhausted, hint_ms=None, settings=SETTINGS, quota_streak=40, draw=0.0)
    assert huge.duration_ms == SETTINGS.max_ms


def test_book_keeps_the_longer_cooldown_and_expires():
    book = CooldownBook()
    scope = Scope("t", "k")
    book.set(scope, now_ms=0, plan=CooldownPlan(duration_ms=10_000, source="hint"), error_class=ErrorClass.RateLimited)
    kept = book.set(
        scope, now_ms=1_000, plan=CooldownPlan(duration_ms=1_000, source="class"), error_class=ErrorClass.RateLimited
    )
    assert kept.until_ms == 10_000
    assert book.active(scope, 9_999) is not None
    assert book.active(scope, 10_000) is None
    assert book.expire(9_000) == []
    ended = book.expire(10_000)
    assert [s for s, _ in ended] == [scope] and len(book) == 0


@given(
    cls=st.sampled_from(list(ErrorClass)),
    hint=st.one_of(st.none(), st.integers(0, 10**10)),
    streak=st.integers(1, 60),
    draw=st.floats(0, 1, exclude_max=True),
    max_ms=st.integers(1, 10**9),
)
def test_cooldown_properties(cls, hint, streak, draw, max_ms):
    settings = CooldownSettings(max_ms=max_ms)
    plan = plan_cooldown(cls, hint_ms=hint, settings=settings, quota_streak=streak, draw=draw)
    if plan is None:
        return
    assert 0 <= plan.duration_ms <= max_ms
    if hint is not None:
        # A server hint is honoured, up to the cap.
        assert plan.source == "hint"
        assert plan.duration_ms >= min(hint, max_ms)
