"""Profiles and memory: every test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.core.models import Profile, UserRef
from bot.core.profiles import MAX_TURNS_KEPT, ProfileStore
from tests.stored import recent_turns, rows_of

ALICE = UserRef(platform="telegram", user_id="1")
BOB = UserRef(platform="discord", user_id="1")  # same id, another platform: another person


@pytest.fixture
async def store(database_url: str):  # type: ignore[no-untyped-def]
    profiles = ProfileStore(database_url)
    await profiles.start()
    yield profiles
    await profiles.close()


async def test_profile_and_conversation_state_round_trip(store: ProfileStore) -> None:
    assert await store.get_profile(ALICE) == Profile()
    profile = Profile(
        current_role="paralegal", target_role="ai-trainer", hours_per_week=5, experience_years=6,
        onet_code="23-2011.00", known_skills=["sql"],
    )  # fmt: skip
    state = {"pending": {"kind": "current", "choices": [{"title": "Paralegal", "role_id": "paralegal"}]}}
    await store.record(ALICE, "hi", "hello", "smalltalk", "offline", None, profile.model_dump(), state)
    got, stored, turns = await store.recall(ALICE)
    assert got == profile and len(turns) == 2
    assert stored == state
    await store.save_profile(ALICE, profile.model_copy(update={"hours_per_week": 3}))
    assert (await store.recall(ALICE))[1] == state  # a /profile edit keeps the conversation
    assert await store.get_profile(BOB) == Profile()


async def test_start_twice_keeps_the_data(store: ProfileStore) -> None:
    await store.save_profile(ALICE, Profile(current_role="paralegal"))
    await store.start()  # a second process starting against the same database
    assert (await store.get_profile(ALICE)).current_role == "paralegal"


async def test_turns_keep_order_odd_text_and_are_pruned(store: ProfileStore) -> None:
    odd = "Ünïcödé 👩🏽‍💻 <b>html</b> **md** \u202e" + "x" * 20_000
    answer_id = await store.record(ALICE, odd, "an answer", "question", "offline", "query")
    turns = await recent_turns(store, ALICE)
    assert [t.text for t in turns] == [odd, "an answer"]
    assert turns[1].id == answer_id and turns[0].query == "query"
    for i in range(MAX_TURNS_KEPT):
        await store.record(ALICE, f"q{i}", f"a{i}", "question", "offline", None)
    kept = await recent_turns(store, ALICE, limit=1000)
    assert len(kept) == MAX_TURNS_KEPT
    assert kept[-1].text == f"a{MAX_TURNS_KEPT - 1}"


async def test_exchanges_written_at_once_each_get_their_own_answer_id(store: ProfileStore) -> None:
    """A crowd's exchanges share transactions (group commit); each answer id is that person's
    answer, profiles get their own changes, and pruning keeps each person's newest turns."""
    people = [UserRef(platform="telegram", user_id=str(100 + n)) for n in range(25)]
    await asyncio.gather(*[store.record(p, "old q", "old a", "question", "offline", None)
                           for p in people for _ in range(MAX_TURNS_KEPT // 2)])  # fmt: skip
    ids = await asyncio.gather(*[
        store.record(p, f"q of {p.user_id}", f"a for {p.user_id}", "plan", "offline", None,
                     {"hours_per_week": float(n + 1)}, {"turn": n})
        for n, p in enumerate(people)
    ])  # fmt: skip
    assert len(set(ids)) == len(people)
    for n, (person, answer_id) in enumerate(zip(people, ids, strict=True)):
        profile, state, turns = await store.recall(person, turns=MAX_TURNS_KEPT + 5)
        assert profile.hours_per_week == n + 1 and state == {"turn": n}
        assert turns[-1].id == answer_id and turns[-1].text == f"a for {person.user_id}"
        assert len(turns) == MAX_TURNS_KEPT  # 42 written, the newest 40 kept
        assert turns[-2].text == f"q of {person.user_id}"


async def test_record_writes_the_exchange_and_only_the_changed_fields(store: ProfileStore) -> None:
    await store.save_profile(ALICE, Profile(current_role="paralegal", hours_per_week=5))
    answer_id = await store.record(
        ALICE, "I want to become a prompt engineer", "a plan", "plan", "offline", None,
        {"target_role": "prompt-engineer"}, None,
    )  # fmt: skip
    profile, pending, turns = await store.recall(ALICE)
    assert profile == Profile(current_role="paralegal", target_role="prompt-engineer", hours_per_week=5)
    assert pending is None and [t.text for t in turns] == ["I want to become a prompt engineer", "a plan"]
    assert turns[-1].id == answer_id


async def test_feedback_only_on_your_own_answers(store: ProfileStore) -> None:
    answer_id = await store.record(ALICE, "q", "a", "plan", "offline", None)
    assert await store.set_feedback(ALICE, answer_id, 5)
    assert not await store.set_feedback(BOB, answer_id, 1)
    assert not await store.set_feedback(ALICE, answer_id - 1, 1)  # the question, not an answer
    assert (await recent_turns(store, ALICE))[-1].feedback == 1


async def test_forget_deletes_every_row_of_one_person(store: ProfileStore) -> None:
    await store.save_profile(ALICE, Profile(current_role="paralegal"))
    await store.record(ALICE, "q", "a", "plan", "offline", None)
    await store.record(BOB, "q", "a", "plan", "offline", None)
    assert await rows_of(store, ALICE) == 3
    assert await store.forget(ALICE)
    assert await rows_of(store, ALICE) == 0
    assert not await store.forget(ALICE)
    assert await rows_of(store, BOB) == 3


async def test_concurrent_writers_lose_nothing(store: ProfileStore) -> None:
    users = [UserRef(platform="test", user_id=f"w{i}") for i in range(200)]
    ids = await asyncio.gather(
        *(store.record(u, "q", "a", "question", "offline", None) for u in users),
        *(store.save_profile(u, Profile(hours_per_week=3)) for u in users),
    )
    assert len({i for i in ids if isinstance(i, int)}) == 200
    assert await store.counts() == {"users": 200, "answers_today": 200}
    assert [(await store.get_profile(u)).hours_per_week for u in users[:5]] == [3] * 5


async def test_forget_leaves_no_text_in_the_sqlite_log_and_ids_are_not_reused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
    store = ProfileStore(url)
    await store.start()
    try:
        first = await store.record(ALICE, "my secret salary is 51234", "noted", "plan", "offline", None)
        assert await store.forget(ALICE)
        for path in tmp_path.glob("coach.db*"):
            assert b"51234" not in path.read_bytes(), path.name
        second = await store.record(ALICE, "hello again", "hi", "smalltalk", "offline", None)
        assert second > first
    finally:
        await store.close()
