"""Platform-neutral helpers for the chat doors: splitting at a length limit, rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraphs, then lines, then words."""
    pieces: list[str] = []
    current = ""
    for block in text.strip().split("\n\n"):
        for part in _split_long(block.strip(), limit):
            candidate = f"{current}\n\n{part}" if current else part
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                pieces.append(current)
            current = part
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def _split_long(block: str, limit: int) -> list[str]:
    """A paragraph longer than the limit: by lines, then by words, then hard."""
    if len(block) <= limit:
        return [block]
    parts: list[str] = []
    current = ""
    for line in block.split("\n"):
        words = line.split(" ") if len(line) > limit else [line]
        for word in words:
            while len(word) > limit:
                if current:
                    parts.append(current)
                    current = ""
                parts.append(word[:limit])
                word = word[limit:]
            joiner = "\n" if word is words[0] and current else " "
            candidate = f"{current}{joiner}{word}" if current else word
            if len(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = word
    if current:
        parts.append(current)
    return parts


def stats_line(stats: dict[str, Any]) -> str:
    """Index and usage figures in one line, for admins on any platform."""
    docs = stats.get("documents", {})
    kinds = ", ".join(f"{n} {k}s" for k, n in docs.items())
    return (
        f"Documents: {sum(docs.values())} ({kinds}); chunks: {stats.get('chunks', 0)}; "
        f"users: {stats.get('users', 0)}; answers today: {stats.get('answers_today', 0)}."
    )


class ThrottledStream:
    """Text arriving piece by piece, shown at most once per `interval` seconds.

    Subclasses say how to show it (`_show`) on their platform. The first showing waits one
    interval, so an answer that arrives quickly goes out once, whole.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.buffer = ""
        self.last_edit = 0.0
        self.task: asyncio.Task[None] | None = None
        self.wakeup = asyncio.Event()

    def feed(self, piece: str) -> None:
        self.buffer += piece
        self.wakeup.set()
        if self.task is None:
            self.last_edit = time.monotonic()
            self.task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            wait = self.interval - (time.monotonic() - self.last_edit)
            if wait > 0:
                await asyncio.sleep(wait)
            await self._show(self.buffer)

    async def _show(self, text: str) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
