"""Scanning for due check-ins with 100,000 opted-in people (SQLite, as embedded).

A scan is one indexed query for the rows due now (at most a batch), made through the async
driver while a probe measures how late the event loop wakes. Sends are paced by PTB's
AIORateLimiter (Telegram: 30 messages a second overall) and discord.py's own rate limiting;
the scan does not add to them.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bench.common import LagProbe, ms, scratch_dir
from bot.core.profiles import CheckinRow, ProfileStore, UserRow, naive_utc

PEOPLE = 100_000
SCANS = 20
BATCH = 1000


async def _measure() -> list[tuple[str, str]]:
    store = ProfileStore(f"sqlite+aiosqlite:///{scratch_dir('coach-bench-checkins-') / 'c.db'}")
    await store.start()
    start = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    began = time.perf_counter()
    async with store.engine.begin() as connection:
        for first in range(0, PEOPLE, 10_000):
            ids = range(first, min(first + 10_000, PEOPLE))
            stamp = naive_utc(start)
            await connection.execute(insert(UserRow), [
                {"key": f"telegram:{i}", "platform": "telegram", "user_id": str(i), "created_at": stamp,
                 "updated_at": stamp} for i in ids
            ])  # fmt: skip
            # Spread over the week, one minute apart per 10 people: a realistic trickle.
            await connection.execute(insert(CheckinRow), [
                {"user_key": f"telegram:{i}", "platform": "telegram", "address": str(i), "weekday": 0,
                 "at": "18:00", "zone": "Europe/Berlin",
                 "next_due": naive_utc(start + timedelta(minutes=i // 10))}
                for i in ids
            ])  # fmt: skip
    filled = time.perf_counter() - began

    async def scans(at: datetime) -> tuple[list[float], int]:
        times: list[float] = []
        found = 0
        for _ in range(SCANS):
            t0 = time.perf_counter()
            found = len(await store.due_checkins(at, "telegram", limit=BATCH))
            times.append(time.perf_counter() - t0)
        return times, found

    async with LagProbe() as quiet_probe:
        quiet, none_due = await scans(start - timedelta(minutes=1))
    async with LagProbe() as busy_probe:
        busy, batch_due = await scans(start + timedelta(days=1))
    await store.close()
    return [
        (f"check-ins: {PEOPLE:,} opted-in people written (SQLite)", f"{filled:.1f} s"),
        ("check-ins: scan with none due, median / max",
         f"{ms(statistics.median(quiet))} / {ms(max(quiet))} ({none_due} due)"),
        (f"check-ins: scan returning a batch of {BATCH:,} due, median / max",
         f"{ms(statistics.median(busy))} / {ms(max(busy))} ({batch_due} due)"),
        ("check-ins: event-loop lag during the scans", f"{quiet_probe.summary()}; {busy_probe.summary()}"),
    ]  # fmt: skip


SENDERS = 300


async def _send_rate() -> list[tuple[str, str]]:
    """300 check-ins due at once, sent by the Telegram door through the fake Bot API: how fast
    they go out, and the most sent in any one second (Telegram allows about 30 overall)."""
    from bench.common import scratch_container
    from bot.adapters.telegram.runner import start_telegram, stop_telegram
    from bot.core.models import UserRef
    from tests.fakes.embedder import HashEmbedder
    from tests.fakes.telegram_server import FakeTelegram

    telegram = FakeTelegram()
    await telegram.start()
    container, _ = scratch_container(
        TELEGRAM_BOT_TOKEN=telegram.token, TELEGRAM_API_BASE_URL=telegram.base_url,
        COACH_CHECKIN_SCAN_SECONDS=0.2, embedder=HashEmbedder(),
    )  # fmt: skip
    service = container.service()
    await service.start()
    due = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    for n in range(1, SENDERS + 1):
        await service.store.set_checkin(
            UserRef(platform="telegram", user_id=str(n)), str(n), 0, "18:00", "UTC", due
        )
    service.clock = lambda: due + timedelta(hours=1)  # 18:00 UTC on a Monday: all due, none quiet
    app = await start_telegram(service, container.settings)
    try:
        began = time.perf_counter()
        while sum(1 for s in telegram.sent if s.method == "sendMessage") < SENDERS:
            if time.perf_counter() - began > 120:
                break
            await asyncio.sleep(0.05)
        sends = sorted(s.at for s in telegram.sent if s.method == "sendMessage")
    finally:
        await stop_telegram(app)
        await service.close()
        await telegram.stop()
    span = sends[-1] - sends[0] if len(sends) > 1 else 0.0
    busiest = max((sum(1 for t in sends if start <= t < start + 1) for start in sends), default=0)
    return [
        (
            f"check-ins: {SENDERS} due at once, sent through the Telegram door",
            f"{len(sends)} in {span:.1f} s",
        ),
        ("check-ins: most sent in any one second (Telegram's limit about 30)", str(busiest)),
    ]


def run_all() -> list[tuple[str, str]]:
    return asyncio.run(_measure()) + asyncio.run(_send_rate())


def run() -> list[tuple[str, str]]:
    return run_all()


if __name__ == "__main__":
    for label, value in run():
        print(f"| {label} | {value} |")
