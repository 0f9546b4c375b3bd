"""200 people at once through the fake Bot API, with a fake model that takes 1 s to answer.

Every answer must arrive (none lost). Telegram's flood limits, which the bot respects through
AIORateLimiter, spread the replies out: about 30 messages a second across all chats.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from bench.common import indexed_container, ms, p50, p95
from bot.adapters.telegram.runner import start_telegram, stop_telegram
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_server import FakeTelegram

USERS = 200


SAME = "What is prompt engineering and how do I learn it?"
JOBS = ["paralegal", "nurse", "warehouse worker", "bookkeeper", "teacher", "cashier", "truck driver",
        "graphic designer", "accountant", "call centre agent"]  # fmt: skip
ASKS = ["What is prompt engineering and how do I learn it?", "should I worry about AI taking my job?",
        "make me a plan with {h} hours a week", "what skills should I learn next?",
        "how do I become an AI trainer?"]  # fmt: skip


def different_questions() -> list[str]:
    """200 different messages, so that no answer is helped by another's identical text."""
    return [f"I'm a {JOBS[n % 10]} with {n % 7 + 2} years in. {ASKS[n // 10 % 5].format(h=n % 4 + 3)} "
            f"({n})" for n in range(USERS)]  # fmt: skip


class Answers:
    """Who has their final answer (it carries the feedback buttons), read incrementally: the
    benchmark shares the bot's event loop and must not eat its time."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.read = 0
        self.done: set[int] = set()

    def update(self) -> set[int]:
        for sent in self.fake.sent[self.read :]:
            if sent.reply_markup and "fb:" in str(sent.reply_markup):
                self.done.add(sent.chat_id)
        self.read = len(self.fake.sent)
        return self.done


async def measure() -> list[tuple[str, str]]:
    rows = await measure_crowd([SAME] * USERS, "")
    rows += (await measure_crowd(different_questions(), ", different questions"))[1:3]
    return rows


async def measure_crowd(questions: list[str], label: str) -> list[tuple[str, str]]:
    model = FakeOpenAI(default_delay=1.0)
    model.start()
    telegram = FakeTelegram()
    await telegram.start()
    container = indexed_container(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        OPENAI_API_KEY="bench-key",
        OPENAI_BASE_URL=model.base_url,
        COACH_LLM_TIMEOUT=120,
        COACH_RATE_LIMIT_PER_MINUTE=100,
    )
    service = container.service()
    await service.start()
    app = await start_telegram(service, container.settings)
    try:
        started: dict[int, float] = {}
        finished: dict[int, float] = {}
        answers = Answers(telegram)
        begin = time.perf_counter()
        for user, question in enumerate(questions, start=1):
            started[user] = time.perf_counter()
            telegram.say(user, question)
        deadline = begin + 300
        while len(finished) < USERS and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
            for user in answers.update() - finished.keys():
                finished[user] = time.perf_counter()
        last = max(finished.values(), default=begin) - begin
        calls = Counter(method for method, _ in telegram.calls)
        per_user = [finished[u] - started[u] for u in finished]
    finally:
        await stop_telegram(app)
        await service.close()
        await telegram.stop()
        model.stop()
    return [
        ("Telegram, 200 users, fake model 1 s: answered / sent", f"{len(finished)} / {USERS}"),
        (f"Telegram, 200 users{label}: time to the last answer", f"{last:.1f} s"),
        (f"Telegram, 200 users{label}: per user p50 / p95", f"{ms(p50(per_user))} / {ms(p95(per_user))}"),
        ("Telegram, 200 users: model fallbacks to offline", str(service.fallbacks)),
        (
            "Telegram, 200 users: Bot API calls",
            ", ".join(f"{m} {n}" for m, n in calls.most_common() if m != "getUpdates"),
        ),
    ]


def run() -> list[tuple[str, str]]:
    # The fake Bot API logs a reset long poll at shutdown; it is not a figure.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    return asyncio.run(measure())
