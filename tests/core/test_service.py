from __future__ import annotations

import asyncio

import pytest

from bot.core.errors import InvalidInput
from bot.core.models import UserRef
from bot.core.service import CoachService
from tests.stored import recent_turns, rows_of

ALICE = UserRef(platform="test", user_id="alice")
BOB = UserRef(platform="test", user_id="bob")


async def test_a_plan_from_one_message(service: CoachService) -> None:
    answer = await service.ask(ALICE, "I'm a paralegal with 6 years of experience and 4 hours a week.")
    assert answer.intent == "plan" and answer.mode == "offline"
    assert answer.profile.current_role == "paralegal"
    assert answer.profile.hours_per_week == 4 and answer.profile.experience_years == 6
    assert answer.target_roles[0] == "ai-governance-specialist"
    assert answer.plan is not None and all(w.hours <= 4 for w in answer.plan.weeks)
    assert "0.45" in answer.answer and "Eloundou" in answer.answer  # exposure, with its source
    assert "Sources:" in answer.answer
    assert {"paralegal", "ai-governance-specialist"} <= {c.id for c in answer.sources}
    assert len(answer.answer) <= 1800


async def test_profile_persists_and_follow_ups_change_it(db_service: CoachService) -> None:
    service = db_service  # on SQLite and on PostgreSQL
    await service.ask(ALICE, "I'm a paralegal, what should I learn?")
    answer = await service.ask(ALICE, "make it 3 hours a week")
    assert answer.intent == "change_hours"  # the dialogue act; it re-plans
    assert answer.profile.current_role == "paralegal" and answer.profile.hours_per_week == 3
    assert answer.plan is not None and all(w.hours <= 3 for w in answer.plan.weeks)
    assert (await service.get_profile(ALICE)).hours_per_week == 3
    assert (await service.get_profile(BOB)).current_role is None  # nothing leaks between users


async def test_unknown_hours_default_to_five_and_say_so(service: CoachService) -> None:
    answer = await service.ask(ALICE, "I'm a paralegal. What next?")
    assert answer.plan is not None and answer.plan.hours_per_week == 5
    assert "assumed 5" in answer.answer
    assert answer.profile.hours_per_week is None  # an assumption is not stored as a fact


async def test_absurd_hours_are_clamped_and_explained(service: CoachService) -> None:
    answer = await service.ask(ALICE, "I'm a paralegal and I have 200 hours a week")
    assert answer.profile.hours_per_week == 40
    assert "200 hours a week" in answer.answer and "40" in answer.answer


async def test_contradictions_replace_old_facts_and_say_so(service: CoachService) -> None:
    await service.ask(ALICE, "I'm a paralegal with 5 hours a week")
    answer = await service.ask(ALICE, "Actually I'm a data entry clerk")
    assert answer.profile.current_role == "data-entry-clerk"
    assert answer.profile.hours_per_week == 5  # nothing else lost
    assert "it was Paralegal" in answer.answer


async def test_wanting_the_job_you_have_is_a_plan_to_stay_and_upgrade(service: CoachService) -> None:
    answer = await service.ask(ALICE, "I'm a paralegal and I want to stay a paralegal")
    assert answer.profile.current_role == "paralegal" and answer.profile.target_role == "paralegal"
    assert answer.plan is not None and answer.plan.scope == "stay_and_upgrade"
    assert "staying in your work" in answer.answer
    assert all(i.kind in {"skill", "practice"} for w in answer.plan.weeks for i in w.items)


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b\u200b"])
async def test_empty_messages_get_a_clear_answer_and_change_nothing(service: CoachService, text: str) -> None:
    await service.ask(ALICE, "I'm a paralegal with 5 hours a week")
    answer = await service.ask(ALICE, text)
    assert answer.intent == "invalid" and "empty" in answer.answer
    assert answer.profile.current_role == "paralegal"
    assert len(await recent_turns(service.store, ALICE)) == 2


async def test_huge_messages_are_refused_before_any_work(service: CoachService) -> None:
    answer = await service.ask(ALICE, "I'm a paralegal. " * 6000)
    assert answer.intent == "invalid" and "4,000" in answer.answer and "101,999" in answer.answer
    assert await recent_turns(service.store, ALICE) == []
    assert (await service.get_profile(ALICE)).current_role is None


async def test_mixed_scripts_and_emoji(service: CoachService) -> None:
    answer = await service.ask(ALICE, "Привет 👋 I'm a paralegal 🧑‍⚖️ 你好, 3 hours a week")
    assert answer.profile.current_role == "paralegal" and answer.profile.hours_per_week == 3
    assert answer.plan is not None


async def test_questions_get_grounded_explanations_not_plans(service: CoachService) -> None:
    answer = await service.ask(ALICE, "What is prompt engineering?")
    assert answer.intent == "question" and answer.plan is None
    assert answer.sources[0].id == "prompt-engineering"
    assert "Prompt engineering" in answer.answer and "Sources:" in answer.answer


async def test_small_talk_and_off_topic(service: CoachService) -> None:
    assert (await service.ask(ALICE, "hello!")).intent == "smalltalk"
    assert (await service.ask(ALICE, "thanks")).intent == "smalltalk"
    off = await service.ask(ALICE, "Who won the football last night?")
    assert off.intent == "off_topic" and "careers" in off.answer


async def test_full_plan_on_request(service: CoachService) -> None:
    short = await service.ask(
        ALICE, "I'm a data entry clerk and I want to become a paralegal. 1 hour a week."
    )
    full = await service.ask(ALICE, "show me the full plan")
    assert full.intent == "full_plan" and full.plan is not None and short.plan is not None
    assert full.plan.weeks == short.plan.weeks
    for week in full.plan.weeks:
        assert f"Week {week.week} (" in full.answer
    assert "https://" in full.answer
    assert (await service.full_plan(ALICE)).plan == full.plan


async def test_follow_up_what_about_switches_the_goal(service: CoachService) -> None:
    await service.ask(ALICE, "I'm a data entry clerk with 3 hours a week")
    answer = await service.ask(ALICE, "and what about AI governance specialist?")
    assert answer.intent == "plan" and answer.profile.target_role == "ai-governance-specialist"
    assert answer.target_roles[0] == "ai-governance-specialist"


async def test_memory_is_kept_and_used_for_follow_up_queries(db_service: CoachService) -> None:
    service = db_service  # on SQLite and on PostgreSQL
    await service.ask(ALICE, "What is prompt engineering?")
    answer = await service.ask(ALICE, "how long does that take?")
    turns = await recent_turns(service.store, ALICE)
    assert [t.role for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[2].query is not None and "prompt engineering" in turns[2].query.lower()
    assert answer.sources[0].id == "prompt-engineering"


async def test_forget_deletes_every_row(db_service: CoachService) -> None:
    service = db_service  # on SQLite and on PostgreSQL
    await service.ask(ALICE, "I'm a paralegal with 5 hours a week")
    await service.ask(BOB, "I'm a data entry clerk")
    assert await rows_of(service.store, ALICE) == 3
    assert await service.forget_user(ALICE)
    assert await rows_of(service.store, ALICE) == 0
    assert (await service.get_profile(ALICE)).current_role is None
    assert (await service.get_profile(BOB)).current_role == "data-entry-clerk"


async def test_profile_updates_and_feedback(db_service: CoachService) -> None:
    service = db_service  # on SQLite and on PostgreSQL
    profile = await service.update_profile(ALICE, current_role="paralegal", hours_per_week=500)
    assert profile.hours_per_week == 40
    with pytest.raises(InvalidInput, match="astronaut"):
        await service.update_profile(ALICE, target_role="astronaut")
    answer = await service.ask(ALICE, "what should I learn next?")
    assert answer.answer_id is not None
    assert await service.record_feedback(ALICE, answer.answer_id, 1)
    assert not await service.record_feedback(BOB, answer.answer_id, 1)  # not Bob's answer


async def test_stats_and_concurrent_users(db_service: CoachService) -> None:
    service = db_service  # on SQLite and on PostgreSQL
    users = [UserRef(platform="test", user_id=f"u{i}") for i in range(20)]
    answers = await asyncio.gather(*(service.ask(u, "I'm a paralegal with 2 hours a week") for u in users))
    assert all(a.profile.current_role == "paralegal" for a in answers)
    stats = await service.stats()
    assert stats["users"] == 20 and stats["answers_today"] == 20
    assert stats["documents"] == {"role": 3, "skill": 3, "guide": 1}


async def test_stream_yields_the_answer(service: CoachService) -> None:
    pieces = [piece async for piece in service.stream(ALICE, "What is prompt engineering?")]
    assert "".join(pieces).startswith("Prompt engineering")


async def test_many_concurrent_writers_lose_nothing(service: CoachService) -> None:
    users = [UserRef(platform="test", user_id=f"w{i}") for i in range(300)]
    ids = await asyncio.gather(
        *(service.store.record(u, "q", "a", "question", "offline", None) for u in users)
    )
    assert len(set(ids)) == 300
    assert (await service.store.counts())["users"] == 300


async def test_a_second_reload_while_one_runs_is_refused(service: CoachService) -> None:
    from bot.core.errors import ReloadInProgress
    from bot.core.knowledge.index import ReloadReport

    results = await asyncio.gather(
        service.reload_knowledge(), service.reload_knowledge(), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == sorted(
        [ReloadReport.__name__, ReloadInProgress.__name__]
    )
