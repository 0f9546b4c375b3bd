"""Peak memory of one coach process, offline (local model) and with API embeddings.

Each figure comes from a child process of its own (`python -m bench.memory offline|api`) that
builds a fresh deployment, does a full reload of the real knowledge folder and answers a few
questions, then reports its peak resident set. The "api" child takes its embeddings and its
answers from the OpenAI-compatible fake on 127.0.0.1 (deterministic hash vectors, instant
replies); it must never load torch, and says whether it did.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.common import FOREIGN_ENV, questions, scratch_container
from bot.core.models import UserRef
from bot.settings import PROJECT_ROOT

MODES = ("offline", "api")
ASKS = 20
HEAVY = ("torch", "sentence_transformers", "transformers", "onnxruntime")


async def exercise() -> dict[str, object]:
    container, _ = scratch_container()
    report = await container.knowledge.reload()
    service = container.service()
    await service.start()
    asked = questions()
    modes: dict[str, int] = {}
    try:
        for index in range(ASKS):
            user = UserRef(platform="bench", user_id=f"m{index}")
            answer = await service.ask(user, asked[index % len(asked)])
            modes[answer.mode] = modes.get(answer.mode, 0) + 1
    finally:
        await service.close()
    return {"chunks": report.chunks, "reload_seconds": round(report.seconds, 1), "answers": modes}


def peak_mib() -> float:
    """This process's peak resident set. On Linux ru_maxrss carries over from the parent across
    fork and exec (a child of a big parent reports the parent's peak), so the high-water mark
    of this process's own memory, VmHWM, is read instead where /proc has it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def child(mode: str) -> None:
    started = time.perf_counter()
    result = asyncio.run(exercise())
    result.update(
        mode=mode,
        embeddings=os.environ.get("COACH_EMBEDDINGS", "local"),
        peak_mib=round(peak_mib(), 1),
        seconds=round(time.perf_counter() - started, 1),
        loaded=[name for name in HEAVY if name in sys.modules],
    )
    print(json.dumps(result), flush=True)


def child_environment(mode: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(FOREIGN_ENV)}
    env["HF_HUB_OFFLINE"] = "1"
    if mode == "api":
        env.update(
            COACH_EMBEDDINGS="openai",
            COACH_EMBEDDING_MODEL="fake",
            OPENAI_BASE_URL=base_url,
            OPENAI_API_KEY="bench-key",
        )
    return env


def measure(mode: str, base_url: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", mode],
        cwd=PROJECT_ROOT,
        env=child_environment(mode, base_url),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.memory {mode} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> list[tuple[str, str]]:
    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI()
    fake.start()
    try:
        results = [measure(mode, fake.base_url) for mode in MODES]
    finally:
        fake.stop()
    rows = []
    labels = {
        "offline": "peak memory, offline (local model)",
        "api": "peak memory, API embeddings and model (fake on 127.0.0.1)",
    }
    for result in results:
        answers = ", ".join(f"{n} {mode}" for mode, n in sorted(result["answers"].items()))  # type: ignore[union-attr]
        heavy = ", ".join(result["loaded"]) or "none"  # type: ignore[arg-type]
        rows.append(
            (
                labels[str(result["mode"])],
                f"{result['peak_mib']:.0f} MiB (full reload of {result['chunks']} chunks, "
                f"{ASKS} asks: {answers}; torch-family modules loaded: {heavy})",
            )
        )
    return rows


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.exit(f"usage: python -m bench.memory {{{','.join(MODES)}}}")
    child(sys.argv[1])
