"""`coach run` as a real process against the fake Bot API and Discord: it answers, and SIGTERM stops it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import cli_env
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_server import FakeTelegram
from tests.processes import CoachProcess


async def test_coach_run_telegram_answers_and_stops_on_sigterm(
    tmp_path: Path, kb_dir: Path, fake_openai: FakeOpenAI
) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    env = cli_env(
        tmp_path,
        kb_dir,
        fake_openai,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
    )
    coach = CoachProcess(env, "run", "telegram")
    await coach.start()
    try:
        telegram.say(7, "what is prompt engineering?")
        await telegram.wait_sent(1, 7, timeout=90, method="sendMessage")
        assert telegram.texts(7)[0].startswith("Prompt engineering")
        code, stderr = await coach.stop(30)
        assert code == 0, stderr
        assert "Traceback" not in stderr and telegram.token not in stderr
    finally:
        coach.kill()
        await telegram.stop()


async def test_coach_run_serves_telegram_and_discord_from_one_process(
    tmp_path: Path, kb_dir: Path, fake_openai: FakeOpenAI
) -> None:
    """Both tokens set: one process answers on both platforms, then stops cleanly on SIGTERM."""
    telegram, discord_api = FakeTelegram(), FakeDiscord()
    await telegram.start()
    await discord_api.start()
    env = cli_env(
        tmp_path,
        kb_dir,
        fake_openai,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        DISCORD_BOT_TOKEN="discord-test-token",
        DISCORD_API_BASE_URL=discord_api.api,
    )
    coach = CoachProcess(env, "run")
    await coach.start()
    try:
        telegram.say(7, "what is prompt engineering?")
        await telegram.wait_sent(1, 7, timeout=90, method="sendMessage")
        assert telegram.texts(7)[0].startswith("Prompt engineering")

        await asyncio.wait_for(discord_api.ready.wait(), 60)
        interaction = await discord_api.command(
            501, "ask", [{"name": "question", "type": 3, "value": "What is prompt engineering?"}]
        )
        posted = await discord_api.wait_for(
            lambda ps: any(p.interaction == interaction and p.kind == "followup" for p in ps), timeout=30
        )
        followup = next(p for p in posted if p.interaction == interaction and p.kind == "followup")
        assert followup.body["content"].startswith("Prompt engineering")

        code, stderr = await coach.stop()
        assert code == 0, stderr
        assert "running telegram and discord" in stderr
        assert "Traceback" not in stderr and "discord-test-token" not in stderr
    finally:
        coach.kill()
        await telegram.stop()
        await discord_api.stop()


async def test_secrets_never_reach_the_log_at_debug_and_user_text_not_at_info(
    tmp_path: Path, kb_dir: Path, fake_openai: FakeOpenAI
) -> None:
    for level in ("DEBUG", "INFO"):
        telegram = FakeTelegram()
        await telegram.start()
        env = cli_env(
            tmp_path / level,
            kb_dir,
            fake_openai,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            COACH_LOG_LEVEL=level,
            COACH_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / level / 'coach.db'}",
        )
        coach = CoachProcess(env, "run", "telegram")
        await coach.start()
        try:
            telegram.say(7, "my secret phrase is periwinkle")
            await telegram.wait_sent(1, 7, timeout=90, method="sendMessage")
            code, stderr = await coach.stop(30)
            assert code == 0, stderr[-2000:]
            assert telegram.token not in stderr
            secret_part = telegram.token.split(":", 1)[1]
            assert secret_part not in stderr
            if level == "DEBUG":
                assert "***" in stderr  # the library did log the token-bearing URL, redacted
            else:
                assert "periwinkle" not in stderr
        finally:
            coach.kill()
            await telegram.stop()
