"""The bot's send budget: Telegram allows about 30 messages a second across all chats, and a
"typing…" action costs as much of it as an answer. Under load, typing sent for every question
delayed every answer (200 people: 198 of 400 calls were chat actions). So typing is sent only
from what is spare: nothing waiting to be sent, and less than half the budget used in the last
second."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import constants
from telegram.ext import AIORateLimiter

PER_SECOND = constants.FloodLimit.MESSAGES_PER_SECOND
SPARE_SHARE = 0.5  # typing may use the budget while less than this share of it is in use


class BudgetedRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter, counting the chat requests it is holding or has just sent."""

    def __init__(self, max_retries: int = 3, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(max_retries=max_retries)
        self.clock = clock
        self.waiting = 0  # chat requests queued in the limiter or on the wire
        self._sent: deque[float] = deque()  # when chat requests were sent, the last second's

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if data.get("chat_id") is None:  # getUpdates, getMe...: not part of the send budget
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        self.waiting += 1
        try:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        finally:
            self.waiting -= 1
            self._sent.append(self.clock())

    def spare(self) -> bool:
        """Whether a request that is only nice to have (a chat action) may be sent now: never
        ahead of a waiting answer, and only from the unused part of the budget."""
        now = self.clock()
        while self._sent and now - self._sent[0] >= 1.0:
            self._sent.popleft()
        return self.waiting == 0 and len(self._sent) < PER_SECOND * SPARE_SHARE
