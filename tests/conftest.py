from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.container import Container
from bot.settings import Settings
from tests.fakes.embedder import HashEmbedder
from tests.fakes.openai_server import FakeOpenAI, free_port

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_KB = Path(__file__).resolve().parent / "fixtures" / "knowledge"

# Tests never reach beyond 127.0.0.1, and never ask a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KB, target)
    return target


def make_settings(tmp_path: Path, knowledge: Path, **extra: object) -> Settings:
    return Settings(
        _env_file=None,
        COACH_KNOWLEDGE_DIR=knowledge,
        COACH_DATA_DIR=tmp_path / "data",
        **extra,
    )


@pytest.fixture
def container(tmp_path: Path, kb_dir: Path) -> Container:
    return Container.build(make_settings(tmp_path, kb_dir), embedder=HashEmbedder())


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    server.start()
    yield server
    server.stop()


def cli_env(tmp_path: Path, knowledge: Path, fake: FakeOpenAI | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_", "CHROMA_"))}
    env.update(COACH_KNOWLEDGE_DIR=str(knowledge), COACH_DATA_DIR=str(tmp_path / "data"))
    if fake is not None:
        # Embeddings from the fake; no OPENAI_API_KEY, so answers stay offline unless a test sets it.
        env.update(COACH_EMBEDDINGS="openai", OPENAI_BASE_URL=fake.base_url, COACH_EMBEDDING_MODEL="fake")
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=env.get("COACH_DATA_DIR", str(ROOT)).rsplit("/data", 1)[0],
        timeout=300,
    )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Chroma server: `chroma run --path DIR --port P` on a free loopback port."""
    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("chroma run exited: " + (path / "server.log").read_text()) from None
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("chroma run did not start in 60 s")
    yield "127.0.0.1", port
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def real_container(tmp_path_factory: pytest.TempPathFactory) -> Container:
    """The repository's knowledge base indexed with the real offline model, built once."""
    data = tmp_path_factory.mktemp("real-index")
    settings = Settings(_env_file=None, COACH_DATA_DIR=data)
    built = Container.build(settings)
    built.knowledge.reload_sync()
    return built


@pytest.fixture
async def service(container: Container):  # type: ignore[no-untyped-def]
    """CoachService over the fixture knowledge base, a fresh SQLite file, the hash embedder."""
    coach = container.service()
    await coach.start()
    yield coach
    await coach.close()
