"""Coaching figures, offline: `ask` latency warm, and 50 users at once (throughput, latency,
and how late the event loop runs meanwhile)."""

from __future__ import annotations

import asyncio
import time

from bench.common import LagProbe, indexed_container, ms, p50, p95, questions
from bot.core.models import UserRef

CROWD = 50


async def measure() -> list[tuple[str, str]]:
    container = indexed_container()
    service = container.service()
    await service.start()
    asked = questions()
    try:
        for index, question in enumerate(asked[:5]):  # warm: model, vectors, database
            await service.ask(UserRef(platform="bench", user_id=f"warm{index}"), question)
        latencies = []
        for round_ in range(3):
            for index, question in enumerate(asked):
                user = UserRef(platform="bench", user_id=f"seq{round_}-{index}")
                started = time.perf_counter()
                await service.ask(user, question)
                latencies.append(time.perf_counter() - started)

        users = [UserRef(platform="bench", user_id=f"crowd{i}") for i in range(CROWD)]

        async def one(i: int, user: UserRef) -> float:
            started = time.perf_counter()
            await service.ask(user, asked[i % len(asked)])
            return time.perf_counter() - started

        async with LagProbe() as probe:
            started = time.perf_counter()
            per_user = await asyncio.gather(*(one(i, u) for i, u in enumerate(users)))
            wall = time.perf_counter() - started
    finally:
        await service.close()
    return [
        ("ask, warm, offline, p50 / p95", f"{ms(p50(latencies))} / {ms(p95(latencies))}"),
        (
            f"{CROWD} concurrent users, offline: answers/s",
            f"{len(users) / wall:.1f} (all answered in {wall:.2f} s)",
        ),
        (
            f"{CROWD} concurrent users, offline: latency p50 / p95",
            f"{ms(p50(per_user))} / {ms(p95(per_user))}",
        ),
        (f"event-loop lag during {CROWD} concurrent offline asks", probe.summary()),
    ]


def run() -> list[tuple[str, str]]:
    return asyncio.run(measure())
