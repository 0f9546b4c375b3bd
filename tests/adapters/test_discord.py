"""The real discord.py client against the fake Discord REST API and gateway on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.adapters.discord.bot import CoachBot
from bot.container import Container
from bot.core.models import UserRef
from bot.core.service import CoachService
from tests.conftest import make_settings
from tests.fakes.discord_server import ADMIN_ROLE, CHANNEL_ID, GUILD_ID, MANAGER_ROLE, FakeDiscord, Posted
from tests.fakes.embedder import HashEmbedder
from tests.stored import rows_of
from tests.waiting import eventually, no_checkins_left

ALICE, BOB, ADMIN_USER = 501, 502, 503


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.yarl.URL(fake.gateway)
    )
    yield fake
    await fake.stop()


async def start_bot(
    tmp_path: Path, kb_dir: Path, **extra: Any
) -> tuple[CoachBot, CoachService, asyncio.Task[None]]:
    settings = make_settings(
        tmp_path,
        kb_dir,
        DISCORD_BOT_TOKEN="discord-test-token",
        DISCORD_ADMIN_ROLE_IDS=str(ADMIN_ROLE),
        DISCORD_ADMIN_USER_IDS=str(ADMIN_USER),
        **extra,
    )
    service = Container.build(settings, embedder=HashEmbedder()).service()
    await service.start()
    bot = CoachBot(service, settings)
    task = asyncio.create_task(bot.start("discord-test-token"))
    await asyncio.wait_for(bot.wait_until_ready(), 20)
    return bot, service, task


@pytest.fixture
async def coach(tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord) -> AsyncIterator[CoachService]:
    bot, service, task = await start_bot(tmp_path, kb_dir)
    yield service
    await bot.close()
    await asyncio.wait_for(task, 10)
    await service.close()


def done(interaction_id: str, kinds: set[str] | None = None) -> Any:
    """A followup arrived (or, by default, an immediate reply: a callback that is a message)."""

    def check(posted: list[Posted]) -> bool:
        for p in posted:
            if p.interaction != interaction_id:
                continue
            if kinds is None and (p.kind == "followup" or (p.kind == "callback" and p.body["type"] == 4)):
                return True
            if kinds is not None and p.kind in kinds:
                return True
        return False

    return check


async def run(
    fake: FakeDiscord, user_id: int, name: str, options: list[dict[str, Any]] | None = None, **kwargs: Any
) -> list[Posted]:
    interaction_id = await fake.command(user_id, name, options, **kwargs)
    await fake.wait_for(done(interaction_id))
    await asyncio.sleep(0.2)
    return fake.for_interaction(interaction_id)


async def test_commands_sync_and_identify_without_privileged_intents(
    coach: CoachService, discord_fake: FakeDiscord
) -> None:
    names = {c["name"] for c in discord_fake.commands}
    assert names == {"ask", "plan", "progress", "checkin", "profile", "forget", "help", "reload", "kb-stats"}
    assert discord_fake.synced_to == ["global"]
    assert not discord_fake.identify["intents"] & (1 << 15)  # no Message Content intent needed


async def test_ask_defers_then_answers_by_followup(coach: CoachService, discord_fake: FakeDiscord) -> None:
    posted = await run(
        discord_fake, ALICE, "ask", [{"name": "question", "type": 3, "value": "What is prompt engineering?"}]
    )
    callback, followup = posted[0], posted[1]
    assert callback.kind == "callback" and callback.body["type"] == 5  # deferred, "thinking"
    assert not (callback.body.get("data") or {}).get("flags", 0) & 64  # general questions are public
    assert followup.body["content"].startswith("Prompt engineering")
    assert followup.body["allowed_mentions"] == {"parse": []}
    buttons = followup.body["components"][0]["components"]
    assert [b["custom_id"].split(":")[-1] for b in buttons] == ["up", "down"]
    assert all(len(p.body.get("content") or "") <= 2000 for p in posted)


def user_ref(user_id: int) -> UserRef:
    return UserRef(platform="discord", user_id=str(user_id))


async def test_plan_is_ephemeral_in_servers_with_an_embed_field_per_week(
    coach: CoachService, discord_fake: FakeDiscord
) -> None:
    await coach.update_profile(
        user_ref(ALICE),
        current_role="data-entry-clerk",
        target_role="ai-governance-specialist",
        hours_per_week=2,
    )
    posted = await run(discord_fake, ALICE, "plan")
    callback = posted[0]
    assert callback.body["type"] == 5 and callback.body["data"]["flags"] & 64  # ephemeral, thinking
    followups = [p for p in posted if p.kind == "followup"]
    embeds = [e for p in followups for e in p.body.get("embeds", [])]
    fields = [f for e in embeds for f in e["fields"]]
    plan = (await coach.full_plan(user_ref(ALICE))).plan
    assert plan is not None
    assert [f["name"] for f in fields if f["name"].startswith("Week")] == [
        f"Week {w.week} ({w.hours:g} h)" for w in plan.weeks
    ]
    assert fields[-1]["name"] == "Sources"
    assert all(p.body["flags"] & 64 for p in followups)
    assert all(len(p.body.get("content") or "") <= 2000 for p in followups)


async def test_plan_in_a_dm_is_not_ephemeral(coach: CoachService, discord_fake: FakeDiscord) -> None:
    await coach.update_profile(user_ref(BOB), current_role="paralegal", hours_per_week=3)
    posted = await run(discord_fake, BOB, "plan", dm=True)
    assert not (posted[0].body.get("data") or {}).get("flags", 0) & 64


async def test_profile_set_view_and_autocomplete(coach: CoachService, discord_fake: FakeDiscord) -> None:
    options = [{"name": "role", "type": 3, "value": "paralegal"}, {"name": "hours", "type": 10, "value": 4}]
    posted = await run(discord_fake, ALICE, "profile", options)
    text = posted[-1].body["content"]
    assert "**Current role:** Paralegal" in text and "**Hours a week:** 4" in text
    assert posted[-1].body["flags"] & 64
    # Autocomplete over role ids: interaction type 4 with the focused option.
    interaction_id = await discord_fake.command(
        ALICE, "profile", [{"name": "target", "type": 3, "value": "gov", "focused": True}], kind=4
    )
    await discord_fake.wait_for(done(interaction_id, {"callback"}))
    choices = discord_fake.for_interaction(interaction_id)[0].body["data"]["choices"]
    assert choices == [{"name": "AI governance specialist", "value": "ai-governance-specialist"}]


async def test_a_role_phrase_is_resolved_privately_never_refused_word_by_word(
    coach: CoachService, discord_fake: FakeDiscord
) -> None:
    posted = await run(discord_fake, ALICE, "profile", [{"name": "role", "type": 3, "value": "astronaut"}])
    content = posted[-1].body["content"]
    # With the tests' hash embeddings the phrase resolves to some occupation or to a question
    # with the closest ones (tests/test_understanding.py checks real phrases on the real model).
    assert "not sure which job 'astronaut'" in content or "(O*NET" in content
    assert "I don't know the role" not in content
    assert posted[-1].body["flags"] & 64


async def test_forget_with_a_confirmation_button(coach: CoachService, discord_fake: FakeDiscord) -> None:
    await coach.ask(user_ref(ALICE), "I'm a paralegal")
    interaction_id = await discord_fake.command(ALICE, "forget")
    await discord_fake.wait_for(done(interaction_id, {"callback"}))
    callback = discord_fake.for_interaction(interaction_id)[0]
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & 64
    click = await discord_fake.click(ALICE, "coach:forget:yes", discord_fake.originals[interaction_id])
    await discord_fake.wait_for(done(click, {"callback"}))
    update = discord_fake.for_interaction(click)[0]
    assert update.body["type"] == 7 and update.body["data"]["content"].startswith("Done")
    assert await rows_of(coach.store, user_ref(ALICE)) == 0


async def test_forget_buttons_go_away_when_they_time_out(
    coach: CoachService, discord_fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.adapters.discord.views import ForgetView

    monkeypatch.setattr(ForgetView, "TIMEOUT", 0.5)
    interaction_id = await discord_fake.command(ALICE, "forget")
    await discord_fake.wait_for(done(interaction_id, {"edit"}), timeout=10)
    edit = [p for p in discord_fake.for_interaction(interaction_id) if p.kind == "edit"][-1]
    assert edit.body["components"] == [] and "timed out" in edit.body["content"]


async def test_help(coach: CoachService, discord_fake: FakeDiscord) -> None:
    interaction_id = await discord_fake.command(ALICE, "help")
    await discord_fake.wait_for(done(interaction_id, {"callback"}))
    assert "/plan" in discord_fake.for_interaction(interaction_id)[0].body["data"]["content"]


async def test_admin_commands_are_gated(coach: CoachService, discord_fake: FakeDiscord) -> None:
    refused = (await run(discord_fake, ALICE, "reload"))[-1].body["data"]
    assert "only server managers" in refused["content"] and refused["flags"] & 64
    posted = await run(discord_fake, BOB, "reload", roles=[ADMIN_ROLE])
    assert posted[-1].body["content"].startswith("Reloaded: 0 added, 0 updated, 0 removed, 7 unchanged")
    # Managing this server is no admin right unless the operator listed the server.
    refused = (await run(discord_fake, BOB, "reload", roles=[MANAGER_ROLE]))[-1].body["data"]
    assert "only server managers" in refused["content"]
    posted = await run(discord_fake, ADMIN_USER, "kb-stats")
    assert "Documents: 7" in posted[-1].body["content"]


async def test_server_managers_are_admins_only_in_listed_servers(
    tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord
) -> None:
    bot, service, task = await start_bot(tmp_path, kb_dir, DISCORD_ADMIN_GUILD_IDS=str(GUILD_ID))
    try:
        posted = await run(discord_fake, BOB, "reload", roles=[MANAGER_ROLE])
        assert posted[-1].body["content"].startswith("Reloaded:")
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await service.close()


async def test_reload_reports_validation_errors(
    coach: CoachService, discord_fake: FakeDiscord, kb_dir: Path
) -> None:
    (kb_dir / "roles/paralegal.md").write_text("---\nid: paralegal\n---\n")
    posted = await run(discord_fake, ADMIN_USER, "reload")
    assert (
        "Reload refused" in posted[-1].body["content"]
        and "knowledge/roles/paralegal.md: type" in posted[-1].body["content"]
    )


async def test_mentions_and_dms_get_answers_without_pings(
    coach: CoachService, discord_fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    await discord_fake.say(ALICE, "<@9000> what is prompt engineering? @everyone", mention=True)
    posted = await discord_fake.wait_for(lambda ps: any(p.kind == "channel" for p in ps))
    reply = [p for p in posted if p.kind == "channel"][-1]
    assert reply.body["content"].startswith("Prompt engineering")
    assert reply.body["allowed_mentions"]["parse"] == []
    assert reply.body["message_reference"]["message_id"]
    # Not mentioned: silence.
    before = len(discord_fake.posted)
    await discord_fake.say(BOB, "what is prompt engineering?")
    await asyncio.sleep(1)
    assert len(discord_fake.posted) == before
    # A reply to the bot continues the conversation; a DM is answered too.
    await discord_fake.say(BOB, "and AI fluency?", reply_to=reply.message_id)
    await discord_fake.wait_for(lambda ps: len([p for p in ps if p.kind == "channel"]) >= 2)
    await discord_fake.say(BOB, "what is AI fluency?", dm=True)
    posted = await discord_fake.wait_for(
        lambda ps: any(p.kind == "channel" and p.channel_id == str(BOB + 1) for p in ps)
    )
    # Mentions are not prefix commands: nothing is logged as an error for them.
    assert not [r for r in caplog.records if r.levelname == "ERROR" and r.name.startswith("discord")]


async def test_personal_answers_to_mentions_go_to_a_dm(
    coach: CoachService, discord_fake: FakeDiscord
) -> None:
    await coach.update_profile(
        user_ref(ALICE),
        current_role="data-entry-clerk",
        target_role="ai-governance-specialist",
        hours_per_week=1,
    )
    await discord_fake.say(ALICE, "<@9000> show me the full plan", mention=True)
    posted = await discord_fake.wait_for(
        lambda ps: any(p.kind == "channel" and "DM" in (p.body.get("content") or "") for p in ps), timeout=20
    )
    in_channel = [p for p in posted if p.kind == "channel" and p.channel_id == str(CHANNEL_ID)]
    in_dm = [p for p in posted if p.kind == "channel" and p.channel_id == str(ALICE + 1)]
    assert in_dm and any("Week 1" in p.body["content"] for p in in_dm)
    assert all("Week" not in p.body["content"] for p in in_channel)
    assert all(len(p.body.get("content") or "") <= 2000 for p in posted)


async def test_personal_answers_to_ask_in_a_server_are_ephemeral(
    coach: CoachService, discord_fake: FakeDiscord
) -> None:
    await coach.update_profile(user_ref(ALICE), current_role="paralegal", hours_per_week=3)
    posted = await run(
        discord_fake, ALICE, "ask", [{"name": "question", "type": 3, "value": "make me a plan"}]
    )
    public = [p for p in posted if p.kind in {"followup", "edit"} and not (p.body.get("flags", 0) & 64)]
    private = [p for p in posted if p.kind == "followup" and p.body.get("flags", 0) & 64]
    assert private and any("Week 1" in json.dumps(p.body) for p in private)  # the plan card, privately
    assert public and all(
        "Week" not in json.dumps(p.body) and "paralegal" not in json.dumps(p.body).lower() for p in public
    )


async def test_feedback_buttons_work_after_a_restart(
    tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord
) -> None:
    bot, service, task = await start_bot(tmp_path, kb_dir)
    posted = await run(
        discord_fake, ALICE, "ask", [{"name": "question", "type": 3, "value": "What is prompt engineering?"}]
    )
    custom_id = posted[-1].body["components"][0]["components"][0]["custom_id"]
    message_id = posted[-1].message_id
    await bot.close()
    await asyncio.wait_for(task, 10)
    await service.close()
    bot, service, task = await start_bot(tmp_path, kb_dir)  # a new process would do the same
    try:
        click = await discord_fake.click(ALICE, custom_id, message_id)
        await discord_fake.wait_for(done(click, {"callback"}))
        assert "Thanks for the feedback" in discord_fake.for_interaction(click)[0].body["data"]["content"]
        answer_id = int(custom_id.split(":")[2])
        other = await discord_fake.click(BOB, custom_id, message_id)
        await discord_fake.wait_for(done(other, {"callback"}))
        assert "Only the person who asked" in discord_fake.for_interaction(other)[0].body["data"]["content"]
        assert answer_id > 0
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await service.close()


async def test_rate_limit_is_a_friendly_ephemeral_message(
    tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord
) -> None:
    bot, service, task = await start_bot(tmp_path, kb_dir, COACH_RATE_LIMIT_PER_MINUTE=1)
    try:
        question = [{"name": "question", "type": 3, "value": "What is prompt engineering?"}]
        await run(discord_fake, ALICE, "ask", question)
        posted = await run(discord_fake, ALICE, "ask", question)
        assert "faster than I can think" in posted[-1].body["content"] and posted[-1].body["flags"] & 64
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await service.close()


async def test_unexpected_errors_are_logged_and_the_bot_keeps_running(
    coach: CoachService, discord_fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    original = coach.ask
    monkeypatch.setattr(coach, "ask", broken)
    question = [{"name": "question", "type": 3, "value": "What is prompt engineering?"}]
    posted = await run(discord_fake, ALICE, "ask", question)
    assert (
        posted[-1].body["content"] == "Sorry, something went wrong on my side. Please try again in a moment."
    )
    monkeypatch.setattr(coach, "ask", original)  # undo() would also undo the fake's URLs
    posted = await run(discord_fake, ALICE, "ask", question)
    assert posted[-1].body["content"].startswith("Prompt engineering")


async def test_every_interaction_is_acknowledged_once_within_3_seconds(
    coach: CoachService, discord_fake: FakeDiscord
) -> None:
    question = [{"name": "question", "type": 3, "value": "I'm a paralegal with 3 hours a week"}]
    ids = [await discord_fake.command(ALICE + i, "ask", question) for i in range(5)]
    for interaction_id in ids:
        await discord_fake.wait_for(done(interaction_id))
    callbacks = [p for p in discord_fake.posted if p.kind == "callback"]
    assert sorted(p.interaction for p in callbacks) == sorted(ids)  # one each; a second would be refused


async def test_streaming_with_a_model_edits_at_most_once_a_second(
    tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord, fake_openai: Any
) -> None:
    fake_openai.reset()
    text = "Prompt engineering is writing clear instructions for models. " * 12
    fake_openai.script.append({"content": text, "token_delay": 0.05})
    bot, service, task = await start_bot(
        tmp_path,
        kb_dir,
        OPENAI_API_KEY="sk-discord-test",
        OPENAI_BASE_URL=fake_openai.base_url,
        COACH_LLM_TIMEOUT=60,
    )
    try:
        interaction_id = await discord_fake.command(
            ALICE, "ask", [{"name": "question", "type": 3, "value": "What is prompt engineering?"}]
        )
        await discord_fake.wait_for(
            lambda ps: any(
                p.interaction == interaction_id and p.kind == "edit" and p.body.get("components") for p in ps
            ),
            timeout=30,
        )
        posted = discord_fake.for_interaction(interaction_id)
        edits = [p for p in posted if p.kind == "edit"]
        assert [p.kind for p in posted][:2] == ["callback", "followup"]
        assert len(edits) >= 2
        assert edits[-1].body["content"].strip() == text.strip()
        assert edits[-1].body["components"][0]["components"][0]["custom_id"].startswith("coach:fb:")
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await service.close()


async def test_stop_lets_an_answer_in_flight_finish_before_disconnecting(
    tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord, fake_openai: Any
) -> None:
    from bot.adapters.discord.bot import run_discord

    fake_openai.reset()
    fake_openai.script.append({"delay": 2.0, "content": "Slow but complete."})
    settings = make_settings(
        tmp_path,
        kb_dir,
        DISCORD_BOT_TOKEN="discord-test-token",
        OPENAI_API_KEY="sk-discord-test",
        OPENAI_BASE_URL=fake_openai.base_url,
    )
    service = Container.build(settings, embedder=HashEmbedder()).service()
    await service.start()
    stop = asyncio.Event()
    running = asyncio.create_task(run_discord(service, settings, stop))
    try:
        for _ in range(200):  # connected and commands synced
            if discord_fake.identify and discord_fake.commands:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        interaction_id = await discord_fake.command(
            ALICE, "ask", [{"name": "question", "type": 3, "value": "What is prompt engineering?"}]
        )
        while not fake_openai.chat_requests:  # the model is writing the answer
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(running, 30)
        contents = [p.body.get("content") or "" for p in discord_fake.for_interaction(interaction_id)]
        assert any("Slow but complete." in c for c in contents)
        assert service.in_flight == 0
    finally:
        stop.set()
        fake_openai.reset()
        await service.close()


async def test_guild_ids_sync_commands_to_those_servers_only(
    tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord
) -> None:
    bot, service, task = await start_bot(tmp_path, kb_dir, DISCORD_GUILD_IDS="777,888")
    try:
        assert sorted(discord_fake.synced_to) == ["777", "888"]
        assert {c["name"] for c in discord_fake.commands} >= {"ask", "plan", "reload"}
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await service.close()
    assert discord_fake.synced_to.count("global") == 0


async def test_check_ins_come_by_dm_and_stop_when_dms_are_closed(
    tmp_path: Path, kb_dir: Path, discord_fake: FakeDiscord
) -> None:
    from datetime import UTC, datetime

    bot, service, task = await start_bot(tmp_path, kb_dir, COACH_CHECKIN_SCAN_SECONDS="0.1")
    try:
        service.clock = lambda: datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
        await service.update_profile(
            user_ref(ALICE),
            current_role="paralegal",
            target_role="ai-governance-specialist",
            hours_per_week=5,
        )
        posted = await run(
            discord_fake, ALICE, "checkin", [{"name": "when", "type": 3, "value": "monday 6pm UTC"}]
        )
        said = [p for p in posted if p.kind == "followup"]
        assert said and said[-1].body["flags"] & 64  # ephemeral: only they see their schedule
        assert "every Monday at 18:00 (UTC)" in said[-1].body["content"]
        service.clock = lambda: datetime(2026, 12, 7, 18, 0, 30, tzinfo=UTC)
        dms = await discord_fake.wait_for(
            lambda ps: any(p.kind == "channel" and p.channel_id == str(ALICE + 1) for p in ps), timeout=20
        )
        [checkin] = [p for p in dms if p.kind == "channel" and p.channel_id == str(ALICE + 1)]
        assert checkin.body["content"].startswith("Your weekly check-in. Planned for this week:")
        labels = [c["label"] for row in checkin.body["components"] for c in row["components"]]
        assert labels[:3] == ["✅ Done", "🌓 Partly", "⏳ Not yet"]

        async def sent_recorded() -> None:  # recorded before the clock moves on
            stored = await service.store.checkin_of(user_ref(ALICE))
            assert stored is not None and stored.last_sent is not None

        await eventually(sent_recorded, timeout=5, every=0.05)
        # A week on, their DMs are closed (50007): check-ins turn off, with no retries.
        discord_fake.closed_dms.add(ALICE)
        service.clock = lambda: datetime(2026, 12, 14, 18, 1, tzinfo=UTC)
        await eventually(lambda: no_checkins_left(service), timeout=10, every=0.1)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await service.close()
