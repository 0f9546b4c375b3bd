"""The OpenAI-compatible fake model in a process of its own.

In the measured process the fake's request handling would share the GIL with the service it
serves; in a child process it only takes a core. `python -m bench.fake_model SECONDS` serves
until its standard input closes, then prints how many chat requests it answered.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType

from bot.settings import PROJECT_ROOT


class FakeModelProcess:
    """`with FakeModelProcess(1.0) as fake:` ... `fake.base_url`; `fake.chat_requests` after exit."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.base_url = ""
        self.chat_requests = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeModelProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.fake_model", str(self.delay)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self._process.kill()
            raise RuntimeError(f"the fake model did not start: {line!r}")
        self.base_url = line
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._process is not None
        out, _ = self._process.communicate(timeout=30)  # closes stdin: the child stops
        last = out.strip().splitlines()[-1] if out.strip() else "{}"
        self.chat_requests = int(json.loads(last).get("chat_requests", 0))


def serve(delay: float) -> None:
    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI(default_delay=delay)
    fake.start()
    print(fake.base_url, flush=True)
    sys.stdin.read()  # until the parent closes it
    fake.stop()
    print(json.dumps({"chat_requests": len(fake.chat_requests)}), flush=True)


if __name__ == "__main__":
    serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
