"""Shared helpers for the benchmarks: throwaway deployments, an event-loop lag probe, figures."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import platform
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import yaml

from bot.container import Container
from bot.core.embeddings import Embedder
from bot.settings import PROJECT_ROOT, Settings

QUESTIONS = PROJECT_ROOT / "tests" / "eval" / "questions.yaml"
HELDOUT = PROJECT_ROOT / "tests" / "eval" / "heldout_questions.yaml"
KNOWLEDGE = PROJECT_ROOT / "knowledge"

# Settings a caller's shell may hold: the bench never lets them reach a figure.
FOREIGN_ENV = ("COACH_", "OPENAI_", "CHROMA_", "TELEGRAM_", "DISCORD_")


def hermetic_environment() -> None:
    """Drop deployment settings from this process's environment (tokens, keys, servers)."""
    for name in list(os.environ):
        if name.upper().startswith(FOREIGN_ENV):
            del os.environ[name]


_scratch: list[Path] = []


def scratch_dir(prefix: str) -> Path:
    """A temporary folder, deleted when the benchmark process exits."""
    if not _scratch:
        atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in _scratch])
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    _scratch.append(folder)
    return folder


def questions(path: Path = QUESTIONS) -> list[str]:
    return [q["question"] for q in yaml.safe_load(path.read_text())]


def scratch_container(**settings: object) -> tuple[Container, Path]:
    """A container on a fresh data folder, so figures never reuse a warm index."""
    data = Path(settings.pop("COACH_DATA_DIR", None) or scratch_dir("coach-bench-"))  # type: ignore[arg-type]
    embedder = settings.pop("embedder", None)
    built = Settings(_env_file=None, COACH_DATA_DIR=data, **settings)
    return Container.build(built, embedder=embedder), data  # type: ignore[arg-type]


# One built index of the real knowledge folder (local model) per process, for the sections
# that need an index but do not measure building it.
_indexed: tuple[Path, Embedder] | None = None


def remember_index(container: Container, data: Path) -> None:
    """Offer a container's freshly built index (and its loaded model) to later sections."""
    global _indexed
    if container.settings.embeddings == "local" and container.settings.knowledge_dir == KNOWLEDGE:
        _indexed = (data, container.embedder)


def indexed_container(**settings: object) -> Container:
    """A container on a built index of the real knowledge folder, with a database of its own.

    The index is shared with the other sections of this run (built once if no section has
    built one yet); the profiles database is always fresh, so no section sees another's users.
    """
    if _indexed is None:
        container, data = scratch_container()
        container.knowledge.reload_sync()
        remember_index(container, data)
    assert _indexed is not None
    data, embedder = _indexed
    database = scratch_dir("coach-bench-db-") / "coach.db"
    url = f"sqlite+aiosqlite:///{database}"
    container, _ = scratch_container(
        COACH_DATA_DIR=data, COACH_DATABASE_URL=url, embedder=embedder, **settings
    )
    return container


class LagProbe:
    """How late the event loop wakes a task that sleeps `interval` seconds, again and again.

    A wake-up is late when something holds the loop (or the GIL) when the timer is due:
    the lag of each wake-up is its delay beyond the requested sleep.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._running = False

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while self._running:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, loop.time() - due))

    async def __aenter__(self) -> LagProbe:
        self._running = True
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)  # the first tick is scheduled before the measured work starts
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._running = False
        assert self._task is not None
        await self._task

    def summary(self, limit: float = 0.05) -> str:
        if not self.samples:
            return "no samples"
        over = sum(1 for s in self.samples if s > limit)
        return (
            f"p99 {ms(percentile(self.samples, 0.99))}, max {ms(max(self.samples))}; "
            f"{over} of {len(self.samples)} wake-ups (every {self.interval * 1000:g} ms) "
            f"later than {limit * 1000:g} ms"
        )


async def idle_lag(seconds: float = 0.5) -> LagProbe:
    """The probe on an idle loop: the floor that timer and scheduler resolution give."""
    async with LagProbe() as probe:
        await asyncio.sleep(seconds)
    return probe


def machine() -> str:
    """One line naming the machine the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    with contextlib.suppress(ValueError, OSError, AttributeError):
        ram = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM"
    parts = [
        f"{platform.system()} {platform.machine()}",
        f"{os.cpu_count()} cores" + (f" ({cpu})" if cpu else ""),
        ram,
        f"Python {platform.python_version()}",
        datetime.now(UTC).strftime("%Y-%m-%d"),
    ]
    return ", ".join(p for p in parts if p)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    return percentile(values, 0.95)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
