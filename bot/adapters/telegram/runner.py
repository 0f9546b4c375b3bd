"""Running the Telegram bot inside our own asyncio program: long polling or a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlparse

from telegram.error import TelegramError
from telegram.ext import Application

from bot.adapters.telegram.bot import TelegramCoach
from bot.core.errors import CoachError
from bot.core.service import CoachService
from bot.settings import Settings

log = logging.getLogger(__name__)


def webhook_secret(settings: Settings) -> str:
    secret = settings.webhook_secret
    assert secret is not None
    return secret


CHECKIN_TASK = "check-in loop"


async def start_telegram(service: CoachService, settings: Settings) -> Application:
    coach = TelegramCoach(service, settings)
    app = coach.build()
    try:
        await app.initialize()  # getMe: without it the bot cannot run
    except TelegramError as error:
        raise CoachError(f"telegram: getMe failed at start ({error}); check TELEGRAM_BOT_TOKEN") from error
    await coach.announce(app)
    await app.start()
    if settings.checkins:
        # Not app.create_task: PTB waits for those at stop, and this loop never ends by itself.
        loop = asyncio.create_task(coach.checkin_loop(app, settings.checkin_scan_seconds), name="check-ins")
        app.bot_data[CHECKIN_TASK] = loop
    assert app.updater is not None
    if settings.telegram_webhook_url:
        path = urlparse(settings.telegram_webhook_url).path.lstrip("/")
        await app.updater.start_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=path,
            webhook_url=settings.telegram_webhook_url,
            secret_token=webhook_secret(settings),
        )
        log.info(
            "telegram: webhook on %s:%s", settings.telegram_webhook_listen, settings.telegram_webhook_port
        )
    else:
        await app.updater.start_polling()
        log.info("telegram: long polling")
    return app


async def stop_telegram(app: Application, service: CoachService | None = None, grace: float = 30.0) -> None:
    """Graceful: stop taking updates, let the answers in flight finish and be sent, then close."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    checkins = app.bot_data.pop(CHECKIN_TASK, None)
    if checkins is not None:
        checkins.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checkins
    if service is not None:
        await service.drain(grace)
    if app.running:
        await app.stop()
    await app.shutdown()


async def run_telegram(service: CoachService, settings: Settings, stop: asyncio.Event) -> None:
    app = await start_telegram(service, settings)
    try:
        await stop.wait()
    finally:
        await stop_telegram(app, service, settings.shutdown_grace_seconds)
