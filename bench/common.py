"""Shared helpers for the benchmarks: a throwaway deployment and percentile figures."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.container import Container
from bot.settings import PROJECT_ROOT, Settings

QUESTIONS = PROJECT_ROOT / "tests" / "eval" / "questions.yaml"
HELDOUT = PROJECT_ROOT / "tests" / "eval" / "heldout_questions.yaml"


def scratch_container(**settings: object) -> tuple[Container, Path]:
    """A container on a fresh data folder, so figures never reuse a warm index."""
    data = Path(settings.pop("COACH_DATA_DIR", None) or tempfile.mkdtemp(prefix="coach-bench-"))  # type: ignore[arg-type]
    built = Settings(_env_file=None, COACH_DATA_DIR=data, **settings)
    return Container.build(built), data


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
