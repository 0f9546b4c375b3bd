"""How often one person may ask: in memory for one process, and through the database for
replicas, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.limits import LocalLimits, SharedLimits
from bot.core.profiles import ProfileStore


class Clock:
    def __init__(self, now: float = 1_000_020.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_local_limits_refuse_over_the_limit_and_tell_once_per_window() -> None:
    clock = Clock()
    limits = LocalLimits(2, 60.0, clock=clock)
    assert [(await limits.admit("a")).allowed for _ in range(2)] == [True, True]
    first, second = await limits.admit("a"), await limits.admit("a")
    assert not first.allowed and first.tell and first.retry_in == pytest.approx(60.0)
    assert not second.allowed and not second.tell  # then silence
    assert (await limits.admit("b")).allowed  # others unaffected
    clock.now += 30
    assert not (await limits.admit("a")).allowed  # a sliding window: still two in the last minute
    clock.now += 31
    assert (await limits.admit("a")).allowed


async def test_replicas_sharing_a_database_share_one_count_and_one_refusal(database_url: str) -> None:
    """Two replicas (two stores on one database) take a flood of one person's questions at once:
    exactly `limit` get through in all, and exactly one replica tells the refusal."""
    stores = [ProfileStore(database_url), ProfileStore(database_url)]
    for store in stores:
        await store.start()
    try:
        clock = Clock()
        replicas = [SharedLimits(store, 5, 60.0, clock=clock) for store in stores]
        flood = [replicas[i % 2].admit("telegram:7") for i in range(20)]
        admissions = await asyncio.gather(*flood)
        assert sum(a.allowed for a in admissions) == 5
        assert sum(a.tell for a in admissions) == 1
        refused = next(a for a in admissions if not a.allowed)
        assert 0 < refused.retry_in <= 60
        assert (await replicas[1].admit("telegram:8")).allowed  # another person

        clock.now += 60  # the next window starts afresh, for every replica
        assert (await replicas[1].admit("telegram:7")).allowed
    finally:
        for store in stores:
            await store.close()


class DownCounter:
    calls = 0

    async def count_request(self, key: str, window: int) -> int:
        self.calls += 1
        raise ConnectionRefusedError("database down")

    async def mark_refusal_told(self, key: str, window: int) -> bool:
        raise AssertionError("never reached")


async def test_a_database_that_is_down_lets_questions_through_without_waiting_on_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, counter = Clock(), DownCounter()
    limits = SharedLimits(counter, 1, 60.0, clock=clock, retry_seconds=5.0)
    assert all([(await limits.admit("a")).allowed for _ in range(4)])
    assert counter.calls == 1  # tried again only after retry_seconds, not on every question
    clock.now += 6
    assert (await limits.admit("a")).allowed and counter.calls == 2
    warnings = [r for r in caplog.records if "rate limits unavailable" in r.getMessage()]
    assert len(warnings) == 1
