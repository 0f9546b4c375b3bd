"""Overhead of the agent path excluding model time: a fake OpenAI-compatible model on
127.0.0.1 that answers at once, one tool round (build_plan) then the reply, against the
offline path on the same questions."""

from __future__ import annotations

import asyncio
import time

from bench.common import indexed_container, ms, p50, p95, questions
from bot.core.models import UserRef
from tests.fakes.openai_server import FakeOpenAI


async def timed(service, asked: list[str], prefix: str, fake: FakeOpenAI | None) -> list[float]:  # type: ignore[no-untyped-def]
    latencies = []
    for index, question in enumerate(asked):
        if fake is not None:
            fake.script.extend(
                [
                    {"tool_calls": [{"name": "build_plan", "arguments": {}}]},
                    {"content": "Your plan is ready."},
                ]
            )
        started = time.perf_counter()
        await service.ask(UserRef(platform="bench", user_id=f"{prefix}{index}"), question)
        latencies.append(time.perf_counter() - started)
    return latencies


async def measure() -> list[tuple[str, str]]:
    fake = FakeOpenAI()
    fake.start()
    asked = questions()
    try:
        offline = indexed_container().service()
        await offline.start()
        llm = indexed_container(OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=fake.base_url).service()
        await llm.start()
        await timed(offline, asked[:5], "warm-off", None)
        await timed(llm, asked[:5], "warm-llm", fake)
        off, on = [], []
        for round_ in range(3):
            off += await timed(offline, asked, f"off{round_}-", None)
            on += await timed(llm, asked, f"llm{round_}-", fake)
        await offline.close()
        await llm.close()
    finally:
        fake.stop()
    return [
        ("agent comparison: offline ask p50 / p95", f"{ms(p50(off))} / {ms(p95(off))}"),
        ("agent ask, instant fake model, one tool round, p50 / p95", f"{ms(p50(on))} / {ms(p95(on))}"),
        ("agent overhead at p95 (ratio)", f"{ms(p95(on) - p95(off))} ({p95(on) / p95(off):.2f}x)"),
    ]


def run() -> list[tuple[str, str]]:
    return asyncio.run(measure())
