"""Profiles and memory that survive a database outage.

Reads that fail answer "nothing remembered" so the coach keeps answering; writes that fail
wait in order in a bounded queue and are retried until the database takes them. Commands
that only make sense with the database (forget, feedback, /profile) report the outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.core import metrics
from bot.core.errors import MemoryUnavailable
from bot.core.models import Profile, UserRef
from bot.core.profiles import ProfileStore, Turn

log = logging.getLogger(__name__)

T = TypeVar("T")
Write = Callable[[], Awaitable[Any]]

UNREACHABLE = "I can't reach my memory right now; please try again in a minute."
ANSWERED_WITHOUT_MEMORY = (
    "(My memory is unreachable right now, so this answer doesn't use what you told me before. "
    "I'll remember this conversation once it's back.)"
)


@dataclass
class Recall:
    """What the coach remembers of one person before answering."""

    profile: Profile = field(default_factory=Profile)
    state: dict[str, Any] | None = None  # the stored conversation state
    history: list[Turn] = field(default_factory=list)
    ok: bool = True


def profile_changes(before: Profile, after: Profile) -> dict[str, Any]:
    return {
        name: getattr(after, name)
        for name in Profile.model_fields
        if getattr(after, name) != getattr(before, name)
    }


class Memory:
    def __init__(self, store: ProfileStore, queue_limit: int = 10_000, retry_seconds: float = 2.0) -> None:
        self.store = store
        self.queue_limit = queue_limit
        self.retry_seconds = retry_seconds
        self._queue: deque[tuple[str, Write]] = deque()
        self._flush_lock = asyncio.Lock()
        self._retry: asyncio.Task[None] | None = None
        self._down = False

    @property
    def pending_writes(self) -> int:
        return len(self._queue)

    def _failed(self, error: BaseException, doing: str) -> None:
        if not self._down:
            log.warning(
                "database unreachable while %s (%s: %s); answering without memory, writes queued",
                doing,
                type(error).__name__,
                str(error)[:200],
            )
        self._down = True

    def _recovered(self) -> None:
        if self._down:
            log.warning("database reachable again")
        self._down = False

    async def direct(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run against the database as it is now: no queue, no outage bookkeeping."""
        if not self.store.started:  # the database was down when the coach started
            await self.store.start()
        return await operation()

    async def recall(self, user: UserRef, turns: int = 6) -> Recall:
        try:
            profile, state, history = await self.direct(lambda: self.store.recall(user, turns))
        except Exception as error:  # every driver error means the same here: no memory now
            self._failed(error, "reading a profile")
            return Recall(ok=False)
        return Recall(profile, state, history)

    async def profile_or_blank(self, user: UserRef) -> Profile:
        return (await self.recall(user, 0)).profile

    async def remember(
        self,
        user: UserRef,
        question: str,
        answer: str,
        intent: str,
        mode: str,
        query: str | None,
        before: Profile,
        after: Profile,
        state: dict[str, Any] | None,
    ) -> int | None:
        """Store one exchange and what it changed in the profile. Returns the answer's id, or
        None when the database is down and the writes wait in the queue."""
        changes = profile_changes(before, after)

        async def record() -> int:
            return await self.store.record(user, question, answer, intent, mode, query, changes, state)

        return await self._write("saving an answer", record)

    async def _write(self, doing: str, write: Write) -> Any:
        if not self._queue:
            try:
                result = await self.direct(write)
            except Exception as error:
                self._failed(error, doing)
            else:
                self._recovered()
                return result
        self._enqueue(doing, write)
        return None

    def _enqueue(self, doing: str, write: Write) -> None:
        # Everything after a failed write queues behind it, so the order of writes holds.
        if len(self._queue) >= self.queue_limit:
            dropped, _ = self._queue.popleft()
            metrics.ERRORS.labels("memory_write_lost").inc()
            log.error(
                "memory write queue full (%d): dropped the oldest write (%s)", self.queue_limit, dropped
            )
        self._queue.append((doing, write))
        metrics.PENDING_WRITES.set(len(self._queue))
        if self._retry is None or self._retry.done():
            self._retry = asyncio.create_task(self._retry_until_empty())

    async def _retry_until_empty(self) -> None:
        while self._queue:
            await asyncio.sleep(self.retry_seconds)
            await self.flush()

    async def flush(self) -> int:
        """Write what waits, in order; stop at the first refusal. Returns how many were written."""
        written = 0
        async with self._flush_lock:
            while self._queue:
                doing, write = self._queue[0]
                try:
                    await self.direct(write)
                except Exception as error:
                    self._failed(error, doing)
                    break
                self._queue.popleft()
                written += 1
            metrics.PENDING_WRITES.set(len(self._queue))
        if written:
            self._recovered()
            log.warning("database back: %d queued writes saved, %d waiting", written, len(self._queue))
        return written

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """A direct operation (forget, feedback, profile edits): refused while memory is down."""
        if self._queue:
            await self.flush()
        if self._queue:
            raise MemoryUnavailable(UNREACHABLE)
        try:
            result = await self.direct(operation)
        except Exception as error:
            self._failed(error, "a profile command")
            raise MemoryUnavailable(UNREACHABLE) from error
        self._recovered()
        return result

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        if self._queue:
            await self.flush()
        if self._queue:
            log.error("shutting down with %d memory writes the database never took", len(self._queue))
