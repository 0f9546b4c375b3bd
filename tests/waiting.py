"""Waiting in tests for something that happens in the background."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from bot.core.service import CoachService

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 20.0, every: float = 0.5) -> T:
    """Retry `check` until it returns without raising; its last error if time runs out."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await check()
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(every)


async def no_checkins_left(service: CoachService) -> None:
    """Nobody has a check-in due, whenever: they were all sent or turned off."""
    assert await service.checkins_due(datetime(2100, 1, 1, tzinfo=UTC)) == []
