"""Progress on the plan: marked by buttons or words, kept per person, and the rest re-packed."""

from __future__ import annotations

from bot.core.models import UserRef
from bot.core.service import CoachService

ALICE = UserRef(platform="test", user_id="alice")


async def planned(service: CoachService) -> None:
    await service.update_profile(ALICE, current_role="paralegal", target_role="ai-governance-specialist",
                                 hours_per_week=5)  # fmt: skip


async def test_done_takes_the_next_item_out_and_repacks_the_rest(service: CoachService) -> None:
    await planned(service)
    before = await service.progress(ALICE)
    assert before.progress is not None and before.progress.done_hours == 0
    first = before.progress.next
    assert first is not None and [c.text for c in before.choices] == ["/done", "/skip", "/later"]
    answer = await service.ask(ALICE, "/done")
    assert answer.intent == "progress_done" and answer.progress is not None
    assert answer.progress.done_hours == first.hours
    assert answer.progress.next is not None and answer.progress.next.key != first.key
    assert answer.plan is not None
    assert first.key not in {i.key for w in answer.plan.weeks for i in w.items}
    assert answer.answer.startswith("Marked done: ")
    # Kept: a restart, a /plan request and a new weekly budget lose nothing.
    again = await service.progress(ALICE)
    assert again.progress is not None and again.progress.done_hours == first.hours
    full = await service.full_plan(ALICE)
    assert full.plan is not None and first.key not in {i.key for w in full.plan.weeks for i in w.items}
    await service.update_profile(ALICE, hours_per_week=2)
    fewer = await service.progress(ALICE)
    assert fewer.progress is not None and fewer.progress.done_hours == first.hours


async def test_skip_and_more_time_are_told_apart(service: CoachService) -> None:
    await planned(service)
    first = (await service.progress(ALICE)).progress
    assert first is not None and first.next is not None
    later = await service.ask(ALICE, "/later")
    assert later.progress is not None and later.progress.next is not None
    assert later.progress.next.key == first.next.key  # more time: still the next thing to do
    skipped = await service.ask(ALICE, "/skip")
    assert skipped.progress is not None and skipped.progress.done_hours == 0
    assert [i.status for i in skipped.progress.items if i.key == first.next.key] == ["skipped"]


async def test_a_new_goal_keeps_what_was_done_that_it_also_needs(service: CoachService) -> None:
    await planned(service)
    await service.ask(ALICE, "/done")
    done = {k for k, v in (await service.get_profile(ALICE)).progress.items() if v == "done"}
    await service.update_profile(ALICE, target_role="data-entry-clerk")
    other = await service.progress(ALICE)
    assert other.progress is not None
    shared = {i.key for i in other.progress.items} & done
    assert all(i.status == "done" for i in other.progress.items if i.key in shared)


async def test_progress_is_personal_and_forgotten(service: CoachService) -> None:
    await planned(service)
    answer = await service.ask(ALICE, "/done")
    assert answer.personal
    assert (await service.progress(ALICE)).personal
    await service.forget_user(ALICE)
    assert (await service.get_profile(ALICE)).progress == {}
    assert (await service.progress(ALICE)).progress is None


async def test_no_plan_yet_gets_a_clear_answer(service: CoachService) -> None:
    answer = await service.ask(ALICE, "/done")
    assert answer.progress is None and "plan" in answer.answer.lower()
