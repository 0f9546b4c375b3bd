"""Several processes, one truth: two `coach run telegram` replicas (webhook mode, as behind a load
balancer) sharing one real Chroma server and one real PostgreSQL database."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.telegram.runner import webhook_secret
from bot.settings import Settings
from tests.conftest import cli_env
from tests.core.test_observability import sample
from tests.fakes.openai_server import FakeOpenAI, free_port
from tests.fakes.telegram_server import FakeTelegram
from tests.postgres import PostgresServer
from tests.processes import CoachProcess

ADMIN = 1

NEW_GUIDE = """---
id: zanzibar-method
type: guide
title: The Zanzibar method for weekly reviews
summary: A weekly review ritual called the Zanzibar method, for people learning AI skills at work.
tags: [habits]
sources:
  - title: Example source
    url: https://example.org/zanzibar
    year: 2024
---

# The Zanzibar method

Every Friday, write down one task where AI helped you and one where it misled you.
"""


class Replica:
    """One `coach run telegram` process with its own webhook and HTTP ports and data folder."""

    def __init__(self, name: str, env: dict[str, str], telegram: FakeTelegram) -> None:
        self.name = name
        self.hook_port, self.http_port = free_port(), free_port()
        self.telegram = telegram
        self.env = {
            **env,
            "COACH_DATA_DIR": env["COACH_DATA_DIR"] + "-" + name,  # no shared local files
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{self.hook_port}/hook",
            "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "TELEGRAM_WEBHOOK_PORT": str(self.hook_port),
            "COACH_HTTP_PORT": str(self.http_port),
        }
        self.secret = webhook_secret(Settings(_env_file=None, TELEGRAM_BOT_TOKEN=telegram.token))
        self.coach = CoachProcess(self.env, "run", "telegram")

    async def start(self) -> None:
        await self.coach.start()

    async def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.http_port}{path}"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status, await response.text()

    async def wait_healthy(self, timeout: float = 120) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            assert self.coach.running, await self.coach.stderr()
            try:
                if (await self.get("/healthz"))[0] == 200:
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
        raise AssertionError(f"replica {self.name} never became healthy")

    async def post(self, user_id: int, text: str) -> None:
        update = {
            "update_id": int(uuid.uuid4().int % 1_000_000),
            "message": FakeTelegram.message(user_id, text),
        }
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{self.hook_port}/hook"
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200

    async def ask(self, user_id: int, text: str, timeout: float = 60) -> str:
        before = len(self.telegram.texts(user_id))
        await self.post(user_id, text)
        await self.telegram.wait_sent(before + 1, user_id, timeout=timeout, method="sendMessage")
        return self.telegram.texts(user_id)[before]

    async def reload(self) -> str:
        """An admin's /reload; the final report, after the "Reloading…" notice."""
        reply = await self.ask(ADMIN, "/reload", timeout=90)
        while reply.startswith("Reloading"):
            count = len(self.telegram.texts(ADMIN)) + 1
            await self.telegram.wait_sent(count, ADMIN, timeout=90, method="sendMessage")
            reply = self.telegram.texts(ADMIN)[-1]
        return reply

    async def stop(self) -> tuple[int, str]:
        return await self.coach.stop()


async def test_two_replicas_share_the_index_and_the_profiles(
    tmp_path: Path,
    kb_dir: Path,
    fake_openai: FakeOpenAI,
    chroma_server: tuple[str, int],
    postgres_server: PostgresServer,
) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    env = cli_env(
        tmp_path,
        kb_dir,
        fake_openai,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_ADMIN_IDS=str(ADMIN),
        CHROMA_HOST=chroma_server[0],
        CHROMA_PORT=str(chroma_server[1]),
        COACH_COLLECTION_PREFIX="scale" + uuid.uuid4().hex[:8],
        COACH_DATABASE_URL=await postgres_server.create_database(),
        COACH_INDEX_WATCH_SECONDS="0.5",
        COACH_LOG_LEVEL="INFO",
        COACH_RATE_LIMIT_PER_MINUTE="4",
    )
    a, b = Replica("a", env, telegram), Replica("b", env, telegram)
    try:
        # Both start on an empty index at once: one builds it, the other waits and reuses it.
        await asyncio.gather(a.start(), b.start())
        await asyncio.gather(a.wait_healthy(), b.wait_healthy())

        # A profile written through one replica is read through the other.
        plan = await a.ask(42, "I'm a paralegal with 5 hours a week")
        assert "Week 1" in plan
        profile = await b.ask(42, "/profile")
        assert "Paralegal" in profile and "5" in profile

        # A reload through A is served by B without a restart, and B has nothing left to do.
        (kb_dir / "guides" / "zanzibar-method.md").write_text(NEW_GUIDE, encoding="utf-8")
        reloaded = await a.reload()
        assert reloaded.startswith("Reloaded: 1 added")
        await asyncio.sleep(1.5)  # B follows the shared manifest within its watch interval
        answer = await b.ask(43, "What is the Zanzibar method for weekly reviews?")
        assert "Zanzibar" in answer
        versions = [sample((await r.get("/metrics"))[1], "coach_index_version") for r in (a, b)]
        assert versions[0] == versions[1] > 1
        again = await b.reload()
        assert "0 added, 0 updated, 0 removed" in again and "0 embedded" in again

        # A flood split across the replicas is limited as one: 4 answers and one refusal in all.
        while time.time() % 60 > 40:  # the shared count runs in wall-clock minutes
            await asyncio.sleep(1)
        await asyncio.gather(*[(a, b)[i % 2].post(77, f"what is prompt engineering? {i}") for i in range(8)])
        await telegram.wait_sent(5, 77, timeout=60, method="sendMessage")
        await asyncio.sleep(2)
        replies = telegram.texts(77)
        assert len(replies) == 5, replies
        assert sum("faster than I can think" in reply for reply in replies) == 1

        codes, logs = zip(*[await r.stop() for r in (a, b)], strict=True)
        assert codes == (0, 0), logs
        # The first build embedded every chunk once, in one replica only.
        builds = [line for log in logs for line in log.splitlines() if "knowledge reloaded" in line]
        first = [line for line in builds if "1 added" not in line and " 0 embedded" not in line]
        assert len(first) == 1, builds
        assert all(telegram.token not in log for log in logs)
    finally:
        for replica in (a, b):
            replica.coach.kill()
        await telegram.stop()


@pytest.mark.skipif(sys.platform != "linux", reason="signals as on the deployment target")
async def test_sigterm_lets_answers_in_flight_finish(
    tmp_path: Path, kb_dir: Path, fake_openai: FakeOpenAI
) -> None:
    """A slow model answer is under way when SIGTERM arrives: it is still delivered, then the
    process exits 0."""
    telegram = FakeTelegram()
    await telegram.start()
    fake_openai.reset()
    fake_openai.script.append({"delay": 3.0, "content": "A considered answer, written slowly."})
    env = cli_env(
        tmp_path,
        kb_dir,
        fake_openai,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        OPENAI_API_KEY="sk-test",
        COACH_LLM_MODEL="fake-model",
    )
    replica = Replica("only", env, telegram)
    try:
        await replica.start()
        await replica.wait_healthy()
        await replica.post(9, "What is prompt engineering?")
        while not fake_openai.chat_requests:  # the model is now writing
            await asyncio.sleep(0.05)
        code, log = await replica.stop()
        assert code == 0, log
        assert "A considered answer, written slowly." in "".join(
            telegram.texts(9) + telegram.texts(9, "editMessageText")
        )
        assert "coach: stopped." in log
    finally:
        replica.coach.kill()
        fake_openai.reset()
        await telegram.stop()
