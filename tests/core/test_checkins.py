"""Weekly check-ins: the local time chosen, quiet hours, one send across replicas and restarts,
a missed one sent once, a blocked person turned off. A week passes by moving the clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.container import Container
from bot.core.checkins import Schedule, next_due, parse_schedule, sendable
from bot.core.models import UserRef
from bot.core.service import CoachService
from tests.conftest import make_settings
from tests.fakes.embedder import HashEmbedder

ALICE = UserRef(platform="telegram", user_id="101")
SUNDAY_NOON = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # Berlin is UTC+1 in December
MONDAY_SIX_PM_BERLIN = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def at(service: CoachService, moment: datetime) -> None:
    service.clock = lambda: moment


async def opted_in(service: CoachService) -> None:
    await service.update_profile(ALICE, current_role="paralegal", target_role="ai-governance-specialist",
                                 hours_per_week=5)  # fmt: skip
    at(service, SUNDAY_NOON)
    said = await service.checkin_command(ALICE, ["monday", "18:00", "Europe/Berlin"], address="101")
    assert said.startswith("Check-ins on: every Monday at 18:00 (Europe/Berlin)")
    assert "Monday 07 December, 18:00" in said


def test_schedules_keep_local_time_and_quiet_hours() -> None:
    monday = Schedule(0, datetime(2026, 1, 1, 18).time(), "Europe/Berlin")
    assert next_due(monday, SUNDAY_NOON) == MONDAY_SIX_PM_BERLIN
    assert next_due(monday, MONDAY_SIX_PM_BERLIN) == MONDAY_SIX_PM_BERLIN + timedelta(days=7)
    # Daylight saving: in summer Berlin is UTC+2, and the check-in stays at 18:00 local.
    assert next_due(monday, datetime(2027, 6, 6, 12, tzinfo=UTC)) == datetime(2027, 6, 7, 16, tzinfo=UTC)
    assert not sendable(monday, datetime(2026, 12, 7, 23, 30, tzinfo=UTC))  # 00:30 in Berlin
    assert sendable(monday, datetime(2026, 12, 8, 7, 30, tzinfo=UTC))  # 08:30 in Berlin
    late = Schedule(0, datetime(2026, 1, 1, 22).time(), "Europe/Berlin")
    assert sendable(late, datetime(2026, 12, 7, 21, 0, tzinfo=UTC))  # they chose 22:00
    assert isinstance(parse_schedule(["monday", "18:00"]), str)  # no time zone yet: asked
    assert isinstance(parse_schedule(["monday", "25:00", "UTC"]), str)
    assert isinstance(parse_schedule(["monday", "6pm", "Mars/Olympus"]), str)
    assert parse_schedule(["Mon", "6pm"], known_zone="UTC") == Schedule(
        0, datetime(2026, 1, 1, 18).time(), "UTC"
    )


async def test_sent_at_the_chosen_time_once_then_a_week_later(db_service: CoachService) -> None:
    await opted_in(db_service)
    at(db_service, MONDAY_SIX_PM_BERLIN - timedelta(minutes=1))
    assert await db_service.claim_checkins("telegram", "a") == []
    at(db_service, MONDAY_SIX_PM_BERLIN + timedelta(seconds=30))
    [(checkin, answer)] = await db_service.claim_checkins("telegram", "a")
    assert checkin.address == "101" and answer.answer.startswith(
        "Your weekly check-in. Planned for this week:"
    )
    assert [c.label for c in answer.choices] == ["✅ Done", "🌓 Partly", "⏳ Not yet"]
    assert await db_service.claim_checkins("telegram", "b") == []  # already claimed
    await db_service.checkin_done(checkin, "sent")
    assert await db_service.checkins_due() == []
    [later] = await db_service.checkins_due(MONDAY_SIX_PM_BERLIN + timedelta(days=7))
    assert later.next_due == MONDAY_SIX_PM_BERLIN + timedelta(days=7)


async def test_a_missed_check_in_is_sent_once_and_waits_for_the_morning(db_service: CoachService) -> None:
    await opted_in(db_service)
    # The bot was down for three weeks; it comes back at 23:30 Berlin time.
    at(db_service, MONDAY_SIX_PM_BERLIN + timedelta(days=21, hours=5, minutes=30))
    assert await db_service.claim_checkins("telegram", "a") == []  # quiet hours
    at(db_service, MONDAY_SIX_PM_BERLIN + timedelta(days=21, hours=14))  # 08:00 the next day
    claimed = await db_service.claim_checkins("telegram", "a")
    assert len(claimed) == 1
    await db_service.checkin_done(claimed[0][0], "sent")
    assert await db_service.claim_checkins("telegram", "a") == []
    [following] = await db_service.checkins_due(MONDAY_SIX_PM_BERLIN + timedelta(days=35))
    assert following.next_due == MONDAY_SIX_PM_BERLIN + timedelta(days=28)


async def test_two_replicas_never_send_the_same_check_in(
    tmp_path: Path, kb_dir: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, kb_dir, COACH_DATABASE_URL=database_url)
    first = Container.build(settings, embedder=HashEmbedder()).service()
    second = Container.build(settings, embedder=HashEmbedder()).service()
    await first.start()
    await second.start()
    try:
        await opted_in(first)
        for replica in (first, second):
            at(replica, MONDAY_SIX_PM_BERLIN + timedelta(minutes=1))
        claims = await asyncio.gather(
            *(r.claim_checkins("telegram", f"r{n}") for n, r in enumerate([first, second] * 3))
        )
        assert sum(len(c) for c in claims) == 1
        # A restart: the schedule is in the database, and nothing is sent twice.
        [(checkin, _)] = [c for claim in claims for c in claim]
        await first.checkin_done(checkin, "sent")
        third = Container.build(settings, embedder=HashEmbedder()).service()
        await third.start()
        at(third, MONDAY_SIX_PM_BERLIN + timedelta(minutes=2))
        assert await third.claim_checkins("telegram", "r3") == []
        await third.close()
    finally:
        await first.close()
        await second.close()


async def test_blocked_off_and_forget_end_check_ins(db_service: CoachService) -> None:
    await opted_in(db_service)
    at(db_service, MONDAY_SIX_PM_BERLIN)
    [(checkin, _)] = await db_service.claim_checkins("telegram", "a")
    await db_service.checkin_done(checkin, "blocked")
    assert await db_service.checkins_due(MONDAY_SIX_PM_BERLIN + timedelta(days=30)) == []
    await opted_in(db_service)
    assert await db_service.checkin_command(ALICE, ["off"], address="101") == "Check-ins are off."
    await opted_in(db_service)
    await db_service.forget_user(ALICE)
    assert await db_service.checkins_due(MONDAY_SIX_PM_BERLIN + timedelta(days=30)) == []
