from __future__ import annotations

from oswitcher.breaker import CircuitBreaker
from oswitcher.config import CircuitBreakerSettings
from oswitcher.cooldown import CooldownBook, CooldownPlan, Scope
from oswitcher.health import Health
from oswitcher.policy import TargetView
from oswitcher.targets import Target
from oswitcher.taxonomy import ErrorClass
from oswitcher.views import FOREVER, HEALTH_REFRESH_MS, ViewCache, observe

TARGETS = [Target(target_id=f"t{i}", provider_id="p", keys=(f"k{i}", "shared")) for i in range(4)]


def test_observe_reports_cooling_keys_and_validity():
    book = CooldownBook()
    book.set(
        Scope(None, "k0"),
        now_ms=0,
        plan=CooldownPlan(duration_ms=500, source="class"),
        error_class=ErrorClass.QuotaExhausted,
    )
    breaker = CircuitBreaker(settings=CircuitBreakerSettings())
    view, until = observe(
        TARGETS[0], now_ms=100, breaker=breaker, cooldowns=book, dead_keys={"shared"}, health=Health(), paused=False
    )
    assert view.usable_keys == () and not view.all_keys_dead and view.available_at_ms == 500
    assert until == 500
    view, until = observe(
        TARGETS[1],
        now_ms=100,
        breaker=breaker,
        cooldowns=book,
        dead_keys=set(),
        health=Health().on_failure(0),
        paused=True,
    )
    assert view.usable_keys == ("k1", "shared") and view.paused
    assert until == 100 + HEALTH_REFRESH_MS
    _, until = observe(
        TARGETS[2], now_ms=0, breaker=breaker, cooldowns=book, dead_keys=set(), health=Health(), paused=False
    )
    assert until == FOREVER


def test_cache_rebuilds_only_what_changed_or_expired():
    built: list[tuple[str, int]] = []
    expiry = {"t2": 50}

    def build(target: Target, now: int) -> tuple[TargetView, int]:
        built.append((target.target_id, now))
        return TargetView(target=target), expiry.get(target.target_id, FOREVER)

    cache = ViewCache(build=build)
    cache.reset(TARGETS)
    assert [v.target.target_id for v in cache.current(0)] == ["t0", "t1", "t2", "t3"]
    assert len(built) == 4
    built.clear()
    cache.current(10)
    assert built == []
    cache.touch("t1")
    cache.current(20)
    assert built == [("t1", 20)]
    built.clear()
    cache.touch_key("shared")
    cache.current(30)
    assert sorted(built) == [("t0", 30), ("t1", 30), ("t2", 30), ("t3", 30)]
    built.clear()
    expiry["t2"] = FOREVER
    cache.current(60)  # t2's view ran out at 50
    assert built == [("t2", 60)]
