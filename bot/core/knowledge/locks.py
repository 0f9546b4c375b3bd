"""One knowledge reload at a time across every process of a deployment.

Processes that share a PostgreSQL database take a PostgreSQL advisory lock; processes on one
machine take a file lock in the data folder. Both are released by the operating system or the
server if the holder dies, so a crashed reload never blocks the next one. The index also
refuses to publish over a version it did not start from, so even without a shared lock two
reloads cannot overwrite each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from bot.core.errors import ReloadInProgress

log = logging.getLogger(__name__)

BUSY = "a knowledge reload is already running (here or in another process); try again when it finishes"
ADVISORY_KEY = 0x636F616368  # "coach": the same key in every process of a deployment
POLL_SECONDS = 0.5


class ReloadLock(Protocol):
    def hold(self, wait: float = 0.0) -> contextlib.AbstractContextManager[None]:
        """Hold the lock for the block; ReloadInProgress when another holder keeps it `wait` s."""
        ...


class FileReloadLock:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def hold(self, wait: float = 0.0) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ReloadInProgress(BUSY) from None
                    time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)


class PostgresReloadLock:
    """A session advisory lock, held on its own connection for the length of the reload.

    Reloads run in a worker thread, so the lock drives asyncpg on a private event loop there.
    """

    def __init__(self, sqlalchemy_url: str, fallback: ReloadLock | None = None) -> None:
        self.dsn = "postgresql://" + sqlalchemy_url.split("://", 1)[1]
        self.fallback = fallback or NoReloadLock()

    @contextlib.contextmanager
    def hold(self, wait: float = 0.0) -> Iterator[None]:
        import asyncpg

        loop = asyncio.new_event_loop()
        try:
            try:
                connection: Any = loop.run_until_complete(asyncpg.connect(self.dsn, timeout=10))
            except Exception as error:
                # The index's own publish check still stops two reloads overwriting each other.
                log.warning(
                    "reload lock: database unreachable (%s); using a local lock", type(error).__name__
                )
                with self.fallback.hold(wait):
                    yield
                return
            try:
                deadline = time.monotonic() + wait
                while not loop.run_until_complete(
                    connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_KEY)
                ):
                    if time.monotonic() >= deadline:
                        raise ReloadInProgress(BUSY)
                    time.sleep(POLL_SECONDS)
                try:
                    yield
                finally:
                    loop.run_until_complete(connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_KEY))
            finally:
                loop.run_until_complete(connection.close())
        finally:
            loop.close()


class NoReloadLock:
    @contextlib.contextmanager
    def hold(self, wait: float = 0.0) -> Iterator[None]:
        yield
