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


def answered(fake: FakeTelegram, chat_id: int) -> bool:
    """The final form of an answer carries the feedback buttons."""
    return any(s.chat_id == chat_id and s.reply_markup and "fb:" in str(s.reply_markup) for s in fake.sent)


async def measure() -> list[tuple[str, str]]:
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
        begin = time.perf_counter()
        for user in range(1, USERS + 1):
            started[user] = time.perf_counter()
            telegram.say(user, "What is prompt engineering and how do I learn it?")
        deadline = begin + 300
        while len(finished) < USERS and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
            for user in range(1, USERS + 1):
                if user not in finished and answered(telegram, user):
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
        ("Telegram, 200 users: time to the last answer", f"{last:.1f} s"),
        ("Telegram, 200 users: per user p50 / p95", f"{ms(p50(per_user))} / {ms(p95(per_user))}"),
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
