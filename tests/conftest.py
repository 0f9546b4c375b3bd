from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.container import Container
from bot.settings import Settings
from tests.chroma import ChromaServer
from tests.fakes.embedder import HashEmbedder
from tests.fakes.openai_server import FakeOpenAI
from tests.postgres import PostgresServer, running_postgres

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
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    server.start()
    yield server.host, server.port
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 for the whole session (required in CI)."""
    with running_postgres(required=bool(os.environ.get("CI"))) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'coach.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return await server.create_database()


@pytest.fixture
async def db_service(tmp_path: Path, kb_dir: Path, database_url: str):  # type: ignore[no-untyped-def]
    """CoachService as `service`, on each database in turn."""
    settings = make_settings(tmp_path, kb_dir, COACH_DATABASE_URL=database_url)
    coach = Container.build(settings, embedder=HashEmbedder()).service()
    await coach.start()
    yield coach
    await coach.close()


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
