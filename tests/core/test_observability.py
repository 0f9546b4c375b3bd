"""The HTTP endpoint (/healthz, /metrics) and the cross-process reload locks."""

from __future__ import annotations

import aiohttp
import pytest

from bot.core.errors import ReloadInProgress
from bot.core.knowledge.locks import FileReloadLock, PostgresReloadLock
from bot.core.models import UserRef
from bot.core.service import CoachService
from bot.http import start_http
from tests.fakes.openai_server import free_port
from tests.postgres import PostgresServer


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


async def scrape(port: int) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as got:
        assert got.status == 200 and got.headers["Content-Type"].startswith("text/plain")
        return await got.text()


async def test_healthz_and_metrics_count_what_happens(service: CoachService) -> None:
    port = free_port()
    runner = await start_http(service, "127.0.0.1", port)
    try:
        before = await scrape(port)
        user = UserRef(platform="metrics", user_id="1")
        await service.ask(user, "I'm a paralegal with 5 hours a week")
        await service.ask(user, "What is prompt engineering?")
        await service.reload_knowledge()
        after = await scrape(port)
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as got:
            assert got.status == 200
            health = await got.json()
    finally:
        await runner.cleanup()

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("coach_answers_total", platform="metrics", mode="offline", intent="plan") == 1
    assert delta("coach_answers_total", platform="metrics", mode="offline", intent="question") == 1
    assert delta("coach_answer_seconds_count", mode="offline") == 2
    assert delta("coach_reloads_total", result="no_change") == 1
    assert "coach_model_fallbacks_total" in after and "coach_errors_total" in after
    assert health["ok"] is True and set(health["checks"]) == {"index", "database", "model"}


async def test_errors_are_counted_by_kind(service: CoachService) -> None:
    from prometheus_client import REGISTRY

    def busy() -> float:
        return REGISTRY.get_sample_value("coach_reloads_total", {"result": "reload_busy"}) or 0.0

    before = busy()
    import asyncio

    await asyncio.gather(service.reload_knowledge(), service.reload_knowledge(), return_exceptions=True)
    assert busy() - before == 1


def test_file_lock_admits_one_holder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = FileReloadLock(tmp_path / "reload.lock"), FileReloadLock(tmp_path / "reload.lock")
    with first.hold(), pytest.raises(ReloadInProgress), second.hold(wait=0.6):
        pass
    with second.hold():  # released when the holder leaves
        pass


def test_postgres_advisory_lock_admits_one_holder(postgres_server: PostgresServer) -> None:
    first, second = PostgresReloadLock(postgres_server.url()), PostgresReloadLock(postgres_server.url())
    with first.hold(), pytest.raises(ReloadInProgress), second.hold(wait=0.6):
        pass
    with second.hold():
        pass
