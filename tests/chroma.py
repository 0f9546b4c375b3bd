"""A real Chroma server for tests: `chroma run` on a free loopback port, stoppable and restartable."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.openai_server import free_port


class ChromaServer:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(self.folder / "db"),
                "--host",
                self.host,
                "--port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        "chroma run exited: " + (self.folder / "server.log").read_text()
                    ) from None
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError(f"chroma run did not start in {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
