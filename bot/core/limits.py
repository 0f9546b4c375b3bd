"""How often one person may ask: in this process, or shared by every replica through the database.

A flood gets one refusal per window, then silence, so that 100 messages do not become 100
replies (in a group most of all). Webhook replicas behind a load balancer must agree on both
the count and the refusal, so with a shared database the counting happens there.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    allowed: bool
    tell: bool = False  # refused, and this is the first refusal of the window: say so once
    retry_in: float = 0.0  # seconds until the person may ask again


ALLOWED = Admission(True)


class Limits(Protocol):
    async def admit(self, key: str) -> Admission: ...


class LocalLimits:
    """At most `limit` questions per `window` seconds per key, a sliding window kept in memory:
    right for one process (SQLite, long polling, Discord)."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._told: dict[str, float] = {}

    async def admit(self, key: str) -> Admission:
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) < self.limit:
            events.append(now)
            if len(self._events) > 50_000:  # forget idle people
                for idle in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window]:
                    del self._events[idle]
            return ALLOWED
        retry_in = max(0.0, self.window - (now - events[0]))
        told = self._told.get(key)
        tell = told is None or now - told >= self.window
        if tell:
            self._told[key] = now
            if len(self._told) > 50_000:
                self._told = {k: t for k, t in self._told.items() if now - t < self.window}
        return Admission(False, tell, retry_in)


class RequestCounter(Protocol):
    """The database side of SharedLimits (ProfileStore implements it)."""

    async def count_request(self, key: str, window: int) -> int: ...
    async def mark_refusal_told(self, key: str, window: int) -> bool: ...


class SharedLimits:
    """The same rule counted in the database, in fixed windows of wall-clock time, so that every
    replica sees one count per person and exactly one of them tells a refusal. A fixed window
    lets a burst of up to twice the limit straddle its boundary; that is the price of one
    atomic statement per question.

    When the database is down, questions are let through (logged once), and the database is
    tried again only every `retry_seconds`: refusing everyone, or making every question wait
    for a connection timeout, would turn an outage of the counter into an outage of the coach."""

    def __init__(
        self,
        counter: RequestCounter,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
        retry_seconds: float = 5.0,
    ) -> None:
        self.counter = counter
        self.limit = limit
        self.window = window
        self.clock = clock
        self.retry_seconds = retry_seconds
        self._down_since: float | None = None

    async def admit(self, key: str) -> Admission:
        now = self.clock()
        if self._down_since is not None and now - self._down_since < self.retry_seconds:
            return ALLOWED
        window = int(now // self.window)
        try:
            count = await self.counter.count_request(key, window)
            if count <= self.limit:
                self._recovered()
                return ALLOWED
            tell = await self.counter.mark_refusal_told(key, window)
        except Exception as error:  # any failure of the database: let the question through
            if self._down_since is None:
                log.warning("rate limits unavailable, letting questions through: %s", type(error).__name__)
            self._down_since = now
            return ALLOWED
        self._recovered()
        return Admission(False, tell, (window + 1) * self.window - now)

    def _recovered(self) -> None:
        if self._down_since is not None:
            log.info("rate limits shared through the database again")
            self._down_since = None
