"""The shared rate limiter, driven by a fake clock: nothing here sleeps for real."""

from __future__ import annotations

import random
from bisect import bisect_right

import pytest

from cases import ratelimit
from cases.models import RateWindow
from cases.portal.access import WINDOW_SECONDS as LOOKUP_WINDOW
from cases.tasks import prune_rate_windows

pytestmark = pytest.mark.django_db


class FakeTime:
    """A clock that only moves when told to, and a sleep that moves it."""

    def __init__(self, start: float):
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.slept.append(seconds)
        self.now += seconds

    def acquire(self, key: str, **kw) -> float:
        ratelimit.acquire(key, clock=self.clock, sleep=self.sleep, **kw)
        return self.now


def windows(key: str) -> dict[int, int]:
    rows = RateWindow.objects.filter(key=key).order_by("window")
    return {row.window: row.count for row in rows}


def test_claims_up_to_the_limit_go_at_once_and_the_next_waits_for_the_next_second():
    time = FakeTime(1000.25)

    claimed_at = [time.acquire("key-a", limit=3) for _ in range(3)]
    assert claimed_at == [1000.25, 1000.25, 1000.25]
    assert time.slept == []

    assert time.acquire("key-a", limit=3) == 1001.0
    assert time.slept == [0.75]
    assert windows("key-a") == {1000: 4, 1001: 1}


def test_keys_do_not_share_a_window():
    time = FakeTime(2000.0)
    for _ in range(3):
        time.acquire("council-a", limit=3)

    assert [time.acquire("council-b", limit=3) for _ in range(3)] == [2000.0] * 3
    assert time.slept == []
    assert windows("council-a") == {2000: 3}
    assert windows("council-b") == {2000: 3}


def test_a_pause_fills_the_coming_seconds_and_acquire_waits_past_them():
    time = FakeTime(3000.5)

    ratelimit.pause("key-p", 5, limit=3, clock=time.clock)
    assert windows("key-p") == {second: 3 for second in range(3000, 3005)}

    assert time.acquire("key-p", limit=3) == 3005.0
    assert time.slept == [0.5, 1.0, 1.0, 1.0, 1.0]
    assert windows("key-p")[3005] == 1


def test_a_bounded_wait_gives_up_rather_than_wait_past_it():
    time = FakeTime(5000.5)
    ratelimit.pause("bounded", 3, limit=2, clock=time.clock)
    assert not ratelimit.acquire("bounded", limit=2, within=2, clock=time.clock, sleep=time.sleep)
    assert time.now <= 5002.5  # it never slept past its two seconds
    assert ratelimit.acquire("bounded", limit=2, within=2, clock=time.clock, sleep=time.sleep)
    assert time.now == 5003.0  # the first second after the pause


def test_a_pause_holds_back_only_its_own_key():
    time = FakeTime(4000.0)
    ratelimit.pause("paused", 5, limit=3, clock=time.clock)

    assert time.acquire("other", limit=3) == 4000.0
    assert time.slept == []


def simulate(limit: int, *, seconds: int, seed: int) -> list[float]:
    """One worker sending as fast as it can, with small random gaps between sends."""
    rng = random.Random(seed)
    time = FakeTime(10_000.0 + rng.random())
    end = time.now + seconds
    claims = []
    while time.now < end:
        claims.append(time.acquire("busy", limit=limit))
        time.now += rng.choice([0.0, 0.0, 0.001, 0.002])
    return claims


def most_in_any_minute(claims: list[float]) -> int:
    """The largest number of claims inside any closed 60-second span."""
    claims = sorted(claims)
    return max(bisect_right(claims, start + 60) - i for i, start in enumerate(claims))


def test_no_minute_ever_holds_more_than_notifys_3000_sends():
    claims = simulate(49, seconds=64, seed=7)

    busiest = most_in_any_minute(claims)
    assert busiest <= 3000
    # The simulation does saturate the limiter: 61 full windows fit in a closed minute.
    assert busiest == 61 * 49


def test_the_minute_check_would_catch_a_limit_of_50_a_second():
    assert most_in_any_minute(simulate(50, seconds=64, seed=7)) == 61 * 50 > 3000


# --- Windows of other sizes, and pruning -------------------------------------------------


def test_a_quarter_hour_window_counts_until_it_ends_and_then_starts_again():
    start = 15 * 60 * 1000  # the first second of a quarter of an hour
    counts = [ratelimit.claim("lookups", LOOKUP_WINDOW, now=start + i * 60) for i in range(15)]
    assert counts == list(range(1, 16))
    assert ratelimit.claim("lookups", LOOKUP_WINDOW, now=start + LOOKUP_WINDOW) == 1


def test_windows_of_different_sizes_under_one_key_do_not_share_a_count():
    now = 90_000.0
    ratelimit.claim("k", 1, now=now)
    ratelimit.claim("k", 1, now=now)
    assert ratelimit.claim("k", LOOKUP_WINDOW, now=now) == 1
    assert ratelimit.count("k", 1, now=now) == 2


def test_pruning_keeps_every_window_still_running_whatever_its_size(monkeypatch):
    """The hourly prune used to treat every window number as a second, so the lookup and
    sign-in counters (numbered in quarter hours) were always "old" and wiped."""
    now = 1_800_000_000.0
    for _ in range(4):
        ratelimit.claim("track:ref", LOOKUP_WINDOW, now=now)
    ratelimit.claim("sends", 1, now=now - 3 * 3600)  # a send window long over
    ratelimit.claim("sends", 1, now=now)  # this second's
    monkeypatch.setattr(ratelimit.time, "time", lambda: now + 0.5)

    assert prune_rate_windows() == 1

    assert ratelimit.count("track:ref", LOOKUP_WINDOW, now=now) == 4
    assert ratelimit.count("sends", 1, now=now) == 1


def test_pruning_removes_a_window_once_it_is_over():
    now = 1_800_000_000.0
    ratelimit.claim("track:ip", LOOKUP_WINDOW, now=now)
    ends = RateWindow.objects.get().ends_at

    assert ratelimit.prune(now=ends - 1) == 0
    assert ratelimit.prune(now=ends) == 1


def test_claim_some_writes_a_batch_at_a_time_far_from_the_limit_and_each_event_near_it():
    now = 1_000_000.0
    shared = lambda: RateWindow.objects.get().count  # noqa: E731
    seen = [ratelimit.claim_some("api", 60, limit=1000, now=now) for _ in range(25)]
    assert seen == list(range(1, 26))  # what this process counts is exact
    assert shared() == 20  # written every tenth (1000 // 100)
    # Another process's events come in with the next write.
    ratelimit.claim("api", 60, now=now, events=960)
    seen = [ratelimit.claim_some("api", 60, limit=1000, now=now) for _ in range(5)]
    assert seen == [26, 27, 28, 29, 990]
    # Near the limit every event is written, so it holds to the event.
    assert [ratelimit.claim_some("api", 60, limit=1000, now=now) for _ in range(3)] == [
        991,
        992,
        993,
    ]
    assert shared() == 993


def test_claim_some_is_exact_for_a_small_limit_and_starts_afresh_each_window():
    now = 1_000_000.0 - 1_000_000.0 % 60
    assert [ratelimit.claim_some("k", 60, limit=3, now=now) for _ in range(4)] == [1, 2, 3, 4]
    assert RateWindow.objects.get().count == 4
    assert ratelimit.claim_some("k", 60, limit=3, now=now + 60) == 1
