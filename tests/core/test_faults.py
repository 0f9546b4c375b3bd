"""Faults while the coach runs: Chroma server stopped, PostgreSQL stopped, model down.

Each uses a real server of its own that the test stops and starts again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.container import Container
from bot.core.errors import IndexUnavailable, MemoryUnavailable
from bot.core.memory import ANSWERED_WITHOUT_MEMORY
from bot.core.models import UserRef
from bot.core.service import CoachService
from bot.http import start_http
from tests.chroma import ChromaServer
from tests.conftest import make_settings
from tests.fakes.embedder import HashEmbedder
from tests.fakes.openai_server import free_port
from tests.postgres import PostgresServer, running_postgres
from tests.stored import recent_turns
from tests.waiting import eventually

USER = UserRef(platform="test", user_id="faults")


# -- Chroma server stopped ---------------------------------------------------------------


@pytest.fixture
def own_chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    folder = tmp_path / "chroma"
    folder.mkdir()
    server = ChromaServer(folder)
    server.start()
    yield server
    server.stop()


async def test_chroma_down_is_said_plainly_and_answers_resume_by_themselves(
    tmp_path: Path, kb_dir: Path, own_chroma: ChromaServer
) -> None:
    settings = make_settings(
        tmp_path,
        kb_dir,
        CHROMA_HOST=own_chroma.host,
        CHROMA_PORT=own_chroma.port,
        COACH_INDEX_WATCH_SECONDS=0.3,
    )
    service = Container.build(settings, embedder=HashEmbedder()).service()
    await service.start()
    port = free_port()
    http = await start_http(service, "127.0.0.1", port)
    try:
        assert (await service.ask(USER, "What is prompt engineering?")).sources[0].id == "prompt-engineering"

        own_chroma.stop()
        with pytest.raises(IndexUnavailable, match="the knowledge base is unavailable right now"):
            await service.ask(USER, "What is prompt engineering?")
        # Planning reads the knowledge files, not the index: it keeps working.
        plan = await service.ask(USER, "I'm a paralegal with 4 hours a week")
        assert plan.plan is not None and plan.profile.current_role == "paralegal"
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as got:
            assert got.status == 503
            body = await got.json()
        assert body["checks"]["index"]["ok"] is False and body["checks"]["database"]["ok"] is True

        own_chroma.start()  # same port, same data: nothing restarts on the coach's side
        answer = await eventually(lambda: service.ask(USER, "What is prompt engineering?"))
        assert answer.sources[0].id == "prompt-engineering"
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as got:
            assert got.status == 200
    finally:
        await http.cleanup()
        await service.close()


# -- PostgreSQL stopped ------------------------------------------------------------------


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    with running_postgres(required=bool(os.environ.get("CI"))) as server:
        yield server


async def test_postgres_down_answers_without_memory_and_keeps_every_write(
    tmp_path: Path, kb_dir: Path, own_postgres: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = await own_postgres.create_database()
    settings = make_settings(tmp_path, kb_dir, COACH_DATABASE_URL=url)
    service = Container.build(settings, embedder=HashEmbedder()).service()
    service.memory.retry_seconds = 0.2
    await service.start()
    try:
        await service.ask(USER, "I'm a paralegal with 5 hours a week")

        own_postgres.stop()
        with caplog.at_level(logging.WARNING):
            answer = await service.ask(USER, "I want to become an AI governance specialist")
        assert answer.plan is not None and answer.profile.target_role == "ai-governance-specialist"
        assert ANSWERED_WITHOUT_MEMORY in answer.answer
        assert any("database unreachable" in r.getMessage() for r in caplog.records)
        assert service.memory.pending_writes == 1  # the exchange with its profile change, queued
        with pytest.raises(MemoryUnavailable, match="can't reach my memory"):
            await service.forget_user(USER)
        health = await service.health()
        assert health["database"]["ok"] is False and health["index"]["ok"] is True

        own_postgres.start()
        await eventually(lambda: _no_pending(service), timeout=20)
        profile = await service.get_profile(USER)
        # The queued write added the goal and kept what it could not read at the time.
        assert profile.current_role == "paralegal" and profile.target_role == "ai-governance-specialist"
        assert profile.hours_per_week == 5
        turns = await recent_turns(service.store, USER)
        assert [t.text for t in turns if t.role == "user"] == [
            "I'm a paralegal with 5 hours a week",
            "I want to become an AI governance specialist",
        ]
    finally:
        await service.close()


async def _no_pending(service: CoachService) -> None:
    assert service.memory.pending_writes == 0


async def test_database_down_at_start_does_not_stop_the_coach(
    tmp_path: Path, kb_dir: Path, own_postgres: PostgresServer
) -> None:
    url = await own_postgres.create_database()
    own_postgres.stop()
    service = Container.build(
        make_settings(tmp_path, kb_dir, COACH_DATABASE_URL=url), HashEmbedder()
    ).service()
    service.memory.retry_seconds = 0.2
    await service.start()
    try:
        answer = await service.ask(USER, "I'm a paralegal with 5 hours a week")
        assert answer.plan is not None and ANSWERED_WITHOUT_MEMORY in answer.answer
        assert service.memory.pending_writes == 1

        # The tables are created once the database is reachable, then the queued write lands.
        own_postgres.start()
        await eventually(lambda: _no_pending(service), timeout=20)
        assert (await service.get_profile(USER)).current_role == "paralegal"
    finally:
        await service.close()


# -- model down --------------------------------------------------------------------------


async def test_model_down_gives_offline_answers(tmp_path: Path, kb_dir: Path) -> None:
    settings = make_settings(
        tmp_path,
        kb_dir,
        OPENAI_API_KEY="sk-x",
        OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        COACH_LLM_TIMEOUT=5,
    )
    service = Container.build(settings, embedder=HashEmbedder()).service()
    await service.start()
    try:
        plan = await service.ask(USER, "I'm a paralegal with 5 hours a week")
        question = await service.ask(USER, "What is prompt engineering?")
        health = await service.health()
    finally:
        await service.close()
    assert plan.mode == question.mode == "offline"
    assert plan.plan is not None and question.sources[0].id == "prompt-engineering"
    assert service.fallbacks == 2
    assert health["model"]["ok"] is False
