"""`coach ...` as a real process, stopped the way an orchestrator stops it: SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

from tests.conftest import ROOT


class CoachProcess:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.env, self.args = env, args
        self.process: asyncio.subprocess.Process | None = None
        self._written: list[bytes] = []
        self._drain: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *self.args,
            env=self.env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        # Read stderr as it comes: a full pipe would block the process mid-log (a DEBUG log
        # of the embedding requests is megabytes) and look like a hang.
        self._drain = asyncio.create_task(self._read_stderr())

    async def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while chunk := await self.process.stderr.read(65536):
            self._written.append(chunk)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def stop(self, timeout: float = 60) -> tuple[int, str]:
        """SIGTERM, then the exit code and everything the process wrote to stderr."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        return code, await self.stderr()

    async def stderr(self) -> str:
        assert self.process is not None and self.process.stderr is not None
        if self.process.returncode is None:
            return "(still running)"
        if self._drain is not None:
            await self._drain
        return b"".join(self._written).decode(errors="replace")

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
