"""Overhead of the agent path excluding model time: a fake OpenAI-compatible model on
127.0.0.1 that answers at once, one tool round (build_plan) then the reply, against the
offline path on the same questions."""

from __future__ import annotations

import asyncio
import time

import yaml

from bench.common import QUESTIONS, ms, p50, p95, scratch_container
from bot.core.models import UserRef
from tests.fakes.openai_server import FakeOpenAI


async def timed(service, questions: list[str], prefix: str, fake: FakeOpenAI | None) -> list[float]:  # type: ignore[no-untyped-def]
    latencies = []
    for index, question in enumerate(questions):
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
    questions = [q["question"] for q in yaml.safe_load(QUESTIONS.read_text())]
    try:
        offline_container, data = scratch_container()
        await asyncio.to_thread(offline_container.knowledge.reload_sync)
        offline = offline_container.service()
        await offline.start()
        llm_container, _ = scratch_container(
            COACH_DATA_DIR=data, OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=fake.base_url
        )
        llm = llm_container.service()
        await llm.start()
        await timed(offline, questions[:5], "warm-off", None)
        await timed(llm, questions[:5], "warm-llm", fake)
        off, on = [], []
        for round_ in range(3):
            off += await timed(offline, questions, f"off{round_}-", None)
            on += await timed(llm, questions, f"llm{round_}-", fake)
        await offline.close()
        await llm.close()
    finally:
        fake.stop()
    return [
        ("offline ask p50 / p95", f"{ms(p50(off))} / {ms(p95(off))}"),
        ("agent ask, instant fake model, p50 / p95", f"{ms(p50(on))} / {ms(p95(on))}"),
        ("agent overhead at p95 (ratio)", f"{ms(p95(on) - p95(off))} ({p95(on) / p95(off):.2f}x)"),
    ]


def run() -> list[tuple[str, str]]:
    return asyncio.run(measure())
