"""Coaching figures: `ask` latency warm and offline, and throughput with 50 users at once."""

from __future__ import annotations

import asyncio
import time

import yaml

from bench.common import QUESTIONS, ms, p50, p95, scratch_container
from bot.core.models import UserRef


async def measure() -> list[tuple[str, str]]:
    container, _ = scratch_container()
    await asyncio.to_thread(container.knowledge.reload_sync)
    service = container.service()
    await service.start()
    questions = [q["question"] for q in yaml.safe_load(QUESTIONS.read_text())]
    try:
        for index, question in enumerate(questions[:5]):  # warm: model, vectors, database
            await service.ask(UserRef(platform="bench", user_id=f"warm{index}"), question)
        latencies = []
        for round_ in range(3):
            for index, question in enumerate(questions):
                user = UserRef(platform="bench", user_id=f"seq{round_}-{index}")
                started = time.perf_counter()
                await service.ask(user, question)
                latencies.append(time.perf_counter() - started)

        users = [UserRef(platform="bench", user_id=f"crowd{i}") for i in range(50)]

        async def one(i: int, user: UserRef) -> float:
            started = time.perf_counter()
            await service.ask(user, questions[i % len(questions)])
            return time.perf_counter() - started

        started = time.perf_counter()
        per_user = await asyncio.gather(*(one(i, u) for i, u in enumerate(users)))
        wall = time.perf_counter() - started
    finally:
        await service.close()
    return [
        ("ask warm, offline, p50 / p95", f"{ms(p50(latencies))} / {ms(p95(latencies))}"),
        ("50 concurrent users: answers/s", f"{len(users) / wall:.1f} (all answered in {wall:.2f} s)"),
        ("50 concurrent users: latency p50 / p95", f"{ms(p50(per_user))} / {ms(p95(per_user))}"),
    ]


def run() -> list[tuple[str, str]]:
    return asyncio.run(measure())
