"""200 people ask at once through CoachService, with a fake model that takes 1 s per call.

The fake (OpenAI-compatible, on 127.0.0.1, in a process of its own so that it never shares the
measured process's GIL) answers every chat completion with plain text after 1 s, so one answer
costs one model call (a first message has no history to condense, and the reply calls no
tool): with nothing queued anywhere, every answer would arrive after 1 s. The figures say how
far from that the service is, and how many answers the model wrote.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from bench.common import LagProbe, indexed_container, ms, p50, p95, questions
from bench.fake_model import FakeModelProcess
from bot.container import freeze_startup_objects
from bot.core.models import UserRef

USERS = 200
MODEL_SECONDS = 1.0


async def measure() -> list[tuple[str, str]]:
    asked = questions()
    with FakeModelProcess(MODEL_SECONDS) as fake:
        container = indexed_container(OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=fake.base_url)
        service = container.service()
        await service.start()
        try:
            # Warm the model client and the agent graph once, outside the figures.
            warm = await service.ask(UserRef(platform="bench", user_id="warm"), asked[0])
            freeze_startup_objects()  # as `coach run` does once started
            fallbacks_before = service.fallbacks

            async def one(i: int) -> tuple[float, str]:
                user = UserRef(platform="bench", user_id=f"crowd{i}")
                started = time.perf_counter()
                answer = await service.ask(user, asked[i % len(asked)])
                return time.perf_counter() - started, answer.mode

            async with LagProbe() as probe:
                started = time.perf_counter()
                results = await asyncio.gather(*(one(i) for i in range(USERS)))
                last = time.perf_counter() - started
            fallbacks = service.fallbacks - fallbacks_before
        finally:
            await service.close()
    calls = fake.chat_requests - (warm.mode == "llm")  # less the warm-up's
    per_user = [seconds for seconds, _ in results]
    modes = Counter(mode for _, mode in results)
    ideal = MODEL_SECONDS * calls / USERS
    return [
        (
            f"{USERS} concurrent users, fake model {MODEL_SECONDS:g} s: time to the last answer",
            f"{last:.2f} s (ideal {ideal:g} s: {calls / USERS:g} model call per answer)",
        ),
        (
            f"{USERS} concurrent users, fake model: latency p50 / p95",
            f"{ms(p50(per_user))} / {ms(p95(per_user))}",
        ),
        (
            f"{USERS} concurrent users, fake model: answers by the model / offline",
            f"{modes.get('llm', 0)} / {USERS - modes.get('llm', 0)} ({fallbacks} model failures fell back)",
        ),
        (f"event-loop lag during {USERS} concurrent model asks", probe.summary()),
    ]


def run() -> list[tuple[str, str]]:
    return asyncio.run(measure())
