"""The send budget: typing is sent only from what answers leave spare."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.adapters.telegram.budget import PER_SECOND, SPARE_SHARE, BudgetedRateLimiter


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


async def send(limiter: BudgetedRateLimiter, release: asyncio.Event | None = None) -> Any:
    async def call(*_: Any, **__: Any) -> dict[str, Any]:
        if release is not None:
            await release.wait()
        return {"ok": True}

    return await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 5}, None)


async def test_typing_waits_while_an_answer_is_waiting_to_be_sent() -> None:
    limiter = BudgetedRateLimiter(clock=Clock())
    await limiter.initialize()
    assert limiter.spare()
    release = asyncio.Event()
    answer = asyncio.create_task(send(limiter, release))
    await asyncio.sleep(0)
    assert limiter.waiting == 1 and not limiter.spare()  # never ahead of a waiting answer
    release.set()
    assert await answer == {"ok": True}
    assert limiter.waiting == 0 and limiter.spare()


async def test_typing_uses_only_the_unused_part_of_the_budget() -> None:
    clock = Clock()
    limiter = BudgetedRateLimiter(clock=clock)
    await limiter.initialize()
    for _ in range(int(PER_SECOND * SPARE_SHARE)):
        await send(limiter)
    assert not limiter.spare()  # half the budget used in the last second
    clock.now += 1.0
    assert limiter.spare()
    # Requests without a chat (getUpdates, getMe) are not part of the budget.
    await limiter.process_request(lambda *a, **k: asyncio.sleep(0, {"ok": True}), (), {}, "getMe", {}, None)
    assert limiter.spare()
