"""`coach run` as a real process against the fake Bot API: it answers, and SIGTERM stops it."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from tests.conftest import ROOT, cli_env
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_server import FakeTelegram


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
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "telegram",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        telegram.say(7, "what is prompt engineering?")
        await telegram.wait_sent(1, 7, timeout=90, method="sendMessage")
        assert telegram.texts(7)[0].startswith("Prompt engineering")
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        stderr = (await process.stderr.read()).decode() if process.stderr else ""
        assert code == 0, stderr
        assert "Traceback" not in stderr and telegram.token not in stderr
    finally:
        if process.returncode is None:
            process.kill()
        await telegram.stop()
