"""The pure parts: status tables, name resolution, pins, doctor verdicts."""

from __future__ import annotations

import pytest

from oswitcher.doctor import Check, overall, pool_checks, render_doctor, version_check
from oswitcher.operator_names import UnknownName, resolve_pinnable, resolve_profile, resolve_target
from oswitcher.pins import EVERY_SESSION, Pin, pin_for, pinned_choice
from oswitcher.profiles import Profile
from oswitcher.status_view import CooldownInfo, PoolStatus, build_status, clock_time, render_status
from oswitcher.targets import Target

NOW = 1_800_000_000_000  # 2027-01-15 08:00:00 UTC
TARGETS = (
    Target(target_id="a", provider_id="a", pool="p", keys=("k1", "k2")),
    Target(target_id="b", provider_id="b", pool="q", keys=("k3",)),
)
LABELS = {"k1": "a-1", "k2": "a-2", "k3": "b-1"}
MASKED = {"k1": "sk-…1111 (aaaa)", "k2": "sk-…2222 (bbbb)", "k3": "sk-…3333 (cccc)"}


def profile(pid: str, label: str) -> Profile:
    return Profile(id=pid, provider="a", kind="api", secret="sk-test-secret-value-1234", source="config", label=label,
                   first_seen_ms=0, last_seen_ms=0)


def view(**overrides):
    fields = dict(now_ms=NOW, source="bridge", targets=TARGETS, labels=LABELS, masked=MASKED, cooldowns={},
                  circuits={}, in_flight={"a": 2}, health={"a": 0.5, "b": 1.0})
    fields.update(overrides)
    return build_status(**fields)


def test_clock_time_is_utc_from_epoch_ms():
    assert clock_time(NOW) == "08:00:00 UTC"
    assert clock_time(NOW + 3_723_000) == "09:02:03 UTC"


def test_a_cooling_key_is_skipped_for_profile_in_use_and_listed_with_until_and_why():
    cd = CooldownInfo(until_ms=NOW + 90_000, error_class="RateLimited", reason="hint")
    text = render_status(view(cooldowns={("a", "k1"): cd}))
    row_a = next(line for line in text.splitlines() if line.startswith("a "))
    assert "a-2 sk-…2222 (bbbb)" in row_a and "0.50" in row_a and " 2 " in row_a
    assert "until 08:01:30 UTC (in 90s) RateLimited, hint" in text
    assert "sk-test" not in text


def test_target_cooldown_open_circuit_paused_and_dead_keys_show():
    v = view(
        cooldowns={("b", None): CooldownInfo(until_ms=NOW + 600_000, error_class="Overloaded")},
        circuits={"a": ("open", NOW + 30_000)},
        paused=frozenset({"a"}),
        dead={"k3": "invalid_api_key"},
    )
    text = render_status(v)
    assert "paused" in text and "open until 08:00:30 UTC" in text
    assert "until 08:10:00 UTC (in 10m) Overloaded" in text
    assert "dead (invalid_api_key)" in text
    [pool_q] = [p for p in v.pools if p.pool_id == "q"]
    assert (pool_q.keys, pool_q.usable_keys) == (1, 0)
    assert next(t for t in v.targets if t.target_id == "b").profile_in_use is None


def test_pins_and_failovers_are_shown():
    failover = {"at_ms": NOW - 5000, "from_target": "a", "from_profile": "a-1", "to_target": "b",
                "to_profile": "b-1", "error_class": "RateLimited"}
    v = view(pins={"s1": Pin(target_id="b", label="b"), EVERY_SESSION: Pin(profile_id="k2", label="a-2")},
             recent_failovers=[failover])
    text = render_status(v, session_id="s1")
    assert "this session → b" in text and "every session → a-2" in text
    assert "07:59:55 UTC" in text and "a (a-1)" in text and "b (b-1)" in text


def test_no_targets_says_so():
    assert "No targets" in render_status(view(targets=()))


def test_wrong_names_list_the_choices():
    with pytest.raises(UnknownName, match=r"no target named 'x'; targets: a, b"):
        resolve_target("x", ["b", "a"])
    with pytest.raises(UnknownName, match=r"targets: a, b; profiles: a-1"):
        resolve_pinnable("zz", ["a", "b"], [profile("0123456789abcdef", "a-1")])


def test_profiles_resolve_by_label_id_and_long_prefix_only():
    p = profile("0123456789abcdef", "a-1")
    assert resolve_profile("a-1", [p]) is p
    assert resolve_profile("0123456789abcdef", [p]) is p
    assert resolve_profile("01234567", [p]) is p
    with pytest.raises(UnknownName):
        resolve_profile("0123", [p])
    assert resolve_pinnable("a", ["a"], [p]).target_id == "a"
    assert resolve_pinnable("a-1", ["a"], [p]).profile_id == p.id


def test_pin_lookup_and_choice():
    pins = {"s1": Pin(target_id="b"), EVERY_SESSION: Pin(profile_id="k2")}
    assert pin_for(pins, "s1") == Pin(target_id="b")
    assert pin_for(pins, "s2") == Pin(profile_id="k2")
    assert pin_for({}, "s1") is None
    assert pinned_choice(Pin(target_id="b"), TARGETS, {"a"}) == (frozenset(), frozenset())
    assert pinned_choice(Pin(profile_id="k2"), TARGETS, {"a", "b"}) == (frozenset({"a"}), frozenset({("a", "k1")}))


def test_doctor_warns_on_single_key_pools_and_sums_up_by_the_worst():
    checks = pool_checks([PoolStatus(pool_id="p", members=("a",), keys=1, usable_keys=1),
                          PoolStatus(pool_id="q", members=("b", "c"), keys=2, usable_keys=1)])
    assert [c.verdict for c in checks] == ["warn", "ok"]
    assert "single key" in checks[0].detail
    assert overall(checks) == "warn"
    assert overall([*checks, Check(name="x", verdict="fail", detail="")]) == "fail"
    assert overall([]) == "ok"
    assert version_check("opencode", "1.2.3", expected="1.18.33").verdict == "warn"
    assert version_check("opencode", "1.18.33", expected="1.18.33").verdict == "ok"
    assert "Something needs fixing." in render_doctor([Check(name="config", verdict="fail", detail="bad")])


def test_a_draining_target_shows_drained_once_nothing_is_in_flight():
    states = {t.target_id: t.state for t in view(draining=frozenset({"a", "b"})).targets}
    assert states == {"a": "draining", "b": "drained"}  # a has 2 in flight
    assert {t.state for t in view(draining=frozenset({"a"}), in_flight=None).targets} == {"draining", "ok"}
