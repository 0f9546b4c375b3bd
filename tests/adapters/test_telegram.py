"""The real python-telegram-bot Application against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.adapters.telegram.runner import start_telegram, stop_telegram, webhook_secret
from bot.container import Container
from bot.core.models import UserRef
from bot.core.service import CoachService
from tests.conftest import make_settings
from tests.fakes.embedder import HashEmbedder
from tests.fakes.openai_server import FakeOpenAI, free_port
from tests.fakes.telegram_server import BOT_USERNAME, FakeTelegram
from tests.stored import recent_turns, rows_of
from tests.waiting import eventually, no_checkins_left

ADMIN = 42
ALICE = 1001
BOB = 1002
GROUP = -5005


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


async def start_bot(
    tmp_path: Path, kb_dir: Path, fake: FakeTelegram, **extra: Any
) -> tuple[Any, CoachService, Container]:
    settings = make_settings(
        tmp_path,
        kb_dir,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_ADMIN_IDS=str(ADMIN),
        **extra,
    )
    container = Container.build(settings, embedder=HashEmbedder())
    service = container.service()
    await service.start()
    app = await start_telegram(service, settings)
    return app, service, container


@pytest.fixture
async def bot(tmp_path: Path, kb_dir: Path, telegram: FakeTelegram) -> AsyncIterator[CoachService]:
    app, service, _ = await start_bot(tmp_path, kb_dir, telegram)
    yield service
    await stop_telegram(app)
    await service.close()


async def reply_to(fake: FakeTelegram, user: int, text: str, count: int = 1, **kwargs: Any) -> list[str]:
    chat = kwargs.get("chat_id", user)
    before = len(fake.texts(chat))
    fake.say(user, text, **kwargs)
    await fake.wait_sent(before + count, chat, method="sendMessage")
    return fake.texts(chat)[before:]


async def test_commands_are_registered(bot: CoachService, telegram: FakeTelegram) -> None:
    names = [c["command"] for method, p in telegram.calls if method == "setMyCommands" for c in p["commands"]]
    assert names == ["start", "plan", "progress", "checkin", "profile", "forget", "help", "reload", "stats"]


async def test_free_text_gets_an_html_answer_with_sources_and_feedback(
    bot: CoachService, telegram: FakeTelegram
) -> None:
    [answer] = await reply_to(telegram, ALICE, "I'm a paralegal with 3 hours a week <b>not bold</b> & co")
    sent = telegram.sent[-1]
    assert sent.parse_mode == "HTML"
    assert "<b>Week 1 (3 hours)</b>" in answer
    assert (
        '<b>Sources:</b> <a href="https://www.science.org/doi/10.1126/science.adj0998">Paralegal</a>'
        in answer
    )
    buttons = sent.reply_markup["inline_keyboard"][-1]
    assert [b["text"] for b in buttons] == ["👍", "👎"]
    # Feedback is stored with the answer.
    answer_id = int(buttons[0]["callback_data"].split(":")[1])
    telegram.click(ALICE, ALICE, sent.message_id, buttons[0]["callback_data"])
    for _ in range(50):
        turns = {t.id: t for t in await recent_turns(bot.store, bot_user(ALICE))}
        if turns[answer_id].feedback is not None:
            break
        await asyncio.sleep(0.1)
    assert turns[answer_id].feedback == 1


async def test_progress_buttons_mark_the_plan_and_stay_private(
    bot: CoachService, telegram: FakeTelegram
) -> None:
    await bot.update_profile(
        bot_user(ALICE), current_role="paralegal", target_role="ai-governance-specialist", hours_per_week=5
    )
    [shown] = await reply_to(telegram, ALICE, "/progress")
    assert "Your progress: ░░░░░░░░░░ 0%" in shown
    sent = telegram.sent[-1]
    rows = sent.reply_markup["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == ["✅ Done"] and rows[0][0]["callback_data"] == "say:/done"
    before = len(telegram.texts(ALICE))
    telegram.click(ALICE, ALICE, sent.message_id, "say:/done")
    await telegram.wait_sent(before + 1, ALICE, method="sendMessage")
    marked = telegram.texts(ALICE)[-1]
    assert marked.startswith("Marked done: ") and "Your progress: " in marked
    assert (await bot.progress(bot_user(ALICE))).progress.done_hours > 0  # type: ignore[union-attr]
    # In a group, progress is personal: a link to the private chat, nothing about the plan.
    [group] = await reply_to(
        telegram, ALICE, f"/progress@{BOT_USERNAME}", chat_id=GROUP, chat_type="supergroup"
    )
    assert "Your progress" not in group and "private" in group


async def test_check_ins_arrive_in_the_private_chat_and_stop_when_blocked(
    tmp_path: Path, kb_dir: Path, telegram: FakeTelegram
) -> None:
    from datetime import UTC, datetime

    app, service, _ = await start_bot(tmp_path, kb_dir, telegram, COACH_CHECKIN_SCAN_SECONDS="0.1")
    try:
        sunday = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
        service.clock = lambda: sunday
        await service.update_profile(
            bot_user(ALICE),
            current_role="paralegal",
            target_role="ai-governance-specialist",
            hours_per_week=5,
        )
        [said] = await reply_to(telegram, ALICE, "/checkin monday 18:00 Europe/Berlin")
        assert said.startswith("Check-ins on: every Monday at 18:00 (Europe/Berlin)")
        # In a group the schedule is personal too: only a link to the private chat.
        [group] = await reply_to(
            telegram, ALICE, f"/checkin@{BOT_USERNAME} off", chat_id=GROUP, chat_type="supergroup"
        )
        assert "private" in group
        before = len(telegram.texts(ALICE))
        service.clock = lambda: datetime(2026, 12, 7, 17, 0, 30, tzinfo=UTC)  # Monday 18:00:30 in Berlin
        await telegram.wait_sent(before + 1, ALICE, method="sendMessage")
        checkin = telegram.texts(ALICE)[-1]
        assert checkin.startswith("Your weekly check-in. Planned for this week:") and "<b>Week 1" in checkin
        buttons = [b["text"] for row in telegram.sent[-1].reply_markup["inline_keyboard"] for b in row]
        assert buttons[:3] == ["✅ Done", "🌓 Partly", "⏳ Not yet"]
        await asyncio.sleep(0.5)
        assert len(telegram.texts(ALICE)) == before + 1  # once, not every scan
        stored = await service.store.checkin_of(bot_user(ALICE))
        assert stored is not None and stored.last_sent is not None
        # A week on, the person has blocked the bot: check-ins turn off and are not retried.
        telegram.blocked.add(ALICE)
        service.clock = lambda: datetime(2026, 12, 14, 17, 1, tzinfo=UTC)
        await eventually(lambda: no_checkins_left(service), timeout=5, every=0.1)
        await asyncio.sleep(0.5)
        to_alice = [p for m, p in telegram.calls if m == "sendMessage" and int(p["chat_id"]) == ALICE]
        assert len(to_alice) == before + 2  # the check-in, then one refused send and no retry
    finally:
        await stop_telegram(app)
        await service.close()


def bot_user(user_id: int):  # type: ignore[no-untyped-def]
    from bot.core.models import UserRef

    return UserRef(platform="telegram", user_id=str(user_id))


async def test_user_markup_is_escaped(bot: CoachService, telegram: FakeTelegram) -> None:
    [answer] = await reply_to(telegram, ALICE, "What is <i>prompt</i> engineering & <script>?")
    assert telegram.sent[-1].parse_mode == "HTML"  # it parsed: nothing broke Telegram's HTML
    assert "<script>" not in answer


async def test_onboarding_with_the_hours_keyboard(bot: CoachService, telegram: FakeTelegram) -> None:
    [welcome] = await reply_to(telegram, ALICE, "/start")
    assert "1/3" in welcome
    [goal] = await reply_to(telegram, ALICE, "paralegal")
    assert "Got it: Paralegal" in goal and "2/3" in goal
    [hours] = await reply_to(telegram, ALICE, "AI governance specialist")
    assert "3/3" in hours
    keyboard = telegram.sent[-1].reply_markup["inline_keyboard"][0]
    assert [b["callback_data"] for b in keyboard] == ["hours:2", "hours:3", "hours:5", "hours:8", "hours:10"]
    before = len(telegram.texts(ALICE))
    telegram.click(ALICE, ALICE, telegram.sent[-1].message_id, "hours:3")
    texts = [t for t in (await telegram.wait_sent(before + 2, ALICE, method="sendMessage"))[before:]]
    assert texts[0].text == "Noted: 3 hours a week."
    assert "Week 1 (3 hours)" in texts[1].text
    profile = await bot.get_profile(bot_user(ALICE))
    assert (profile.current_role, profile.target_role, profile.hours_per_week) == (
        "paralegal",
        "ai-governance-specialist",
        3,
    )


async def test_onboarding_never_swallows_a_question(bot: CoachService, telegram: FakeTelegram) -> None:
    await reply_to(telegram, ALICE, "/start")
    assert await bot.onboarding_step(bot_user(ALICE)) == "role"  # kept in the core, for every replica
    [answer] = await reply_to(telegram, ALICE, "I'm a paralegal... what should I learn with 5 hours a week?")
    assert "Week 1" in answer and "2/3" not in answer  # answered, not taken as the job answer
    assert await bot.onboarding_step(bot_user(ALICE)) is None
    profile = await bot.get_profile(bot_user(ALICE))
    assert (profile.current_role, profile.hours_per_week) == ("paralegal", 5)


async def test_a_command_ends_onboarding(bot: CoachService, telegram: FakeTelegram) -> None:
    await reply_to(telegram, ALICE, "/start")
    await reply_to(telegram, ALICE, "paralegal")
    assert await bot.onboarding_step(bot_user(ALICE)) == "goal"
    await reply_to(telegram, ALICE, "/plan")
    assert await bot.onboarding_step(bot_user(ALICE)) is None
    [reply] = await reply_to(telegram, ALICE, "make it 3 hours a week")
    assert (await bot.get_profile(bot_user(ALICE))).target_role is None  # not "become make it 3 hours"
    assert "3 hours" in reply


async def test_onboarding_can_be_skipped(bot: CoachService, telegram: FakeTelegram) -> None:
    await reply_to(telegram, ALICE, "/start")
    before = len(telegram.texts(ALICE))
    telegram.click(ALICE, ALICE, telegram.sent[-1].message_id, "ob:skip")
    [skipped] = [s.text for s in (await telegram.wait_sent(before + 1, ALICE, method="sendMessage"))[before:]]
    assert "No problem" in skipped
    [answer] = await reply_to(telegram, ALICE, "what is prompt engineering?")
    assert answer.startswith("Prompt engineering")


async def test_plan_is_split_into_several_messages_when_long(
    bot: CoachService, telegram: FakeTelegram
) -> None:
    await bot.update_profile(
        bot_user(ALICE),
        current_role="data-entry-clerk",
        target_role="ai-governance-specialist",
        hours_per_week=1,
    )
    full = await bot.full_plan(bot_user(ALICE))
    assert len(full.answer) > 4096
    before = len(telegram.texts(ALICE))
    telegram.say(ALICE, "/plan")
    await asyncio.sleep(2)
    parts = telegram.texts(ALICE)[before:]
    assert len(parts) >= 2 and all(len(p) <= 4096 for p in parts)
    assert "Week 1 (" in "".join(parts[:2]) and parts[0].startswith("Your full plan")


async def test_profile_show_and_change(bot: CoachService, telegram: FakeTelegram) -> None:
    [shown] = await reply_to(telegram, ALICE, "/profile role paralegal")
    assert "<b>Current role:</b> Paralegal" in shown
    [changed] = await reply_to(telegram, ALICE, "/profile hours 4")
    assert "<b>Hours a week:</b> 4" in changed
    [bad] = await reply_to(telegram, ALICE, "/profile role astronaut")
    assert ("not sure which job 'astronaut'" in bad or "(O*NET" in bad) and "I don't know the role" not in bad


async def test_forget_after_confirmation(bot: CoachService, telegram: FakeTelegram) -> None:
    await reply_to(telegram, ALICE, "I'm a paralegal")
    [question] = await reply_to(telegram, ALICE, "/forget")
    assert "Delete your profile" in question
    message_id = telegram.sent[-1].message_id
    before = len([s for s in telegram.sent if s.method == "editMessageText"])
    telegram.click(ALICE, ALICE, message_id, "forget:yes")
    edits = await telegram.wait_sent(before + 1, ALICE, method="editMessageText")
    assert edits[-1].text.startswith("Done")
    assert await rows_of(bot.store, bot_user(ALICE)) == 0


async def test_admin_commands_are_gated(bot: CoachService, telegram: FakeTelegram, kb_dir: Path) -> None:
    [refused] = await reply_to(telegram, ALICE, "/reload")
    assert "only the bot's admins" in refused
    [refused_stats] = await reply_to(telegram, ALICE, "/stats")
    assert "only the bot's admins" in refused_stats
    texts = await reply_to(telegram, ADMIN, "/reload", count=2)
    assert texts[1].startswith("Reloaded: 0 added, 0 updated, 0 removed, 7 unchanged")
    [stats] = await reply_to(telegram, ADMIN, "/stats")
    assert "Documents: 7" in stats and "users:" in stats and "answers today:" in stats
    (kb_dir / "roles/paralegal.md").write_text("---\nid: paralegal\n---\n")
    texts = await reply_to(telegram, ADMIN, "/reload", count=2)
    assert "Reload refused" in texts[1] and "knowledge/roles/paralegal.md: type" in texts[1]
    [still] = await reply_to(telegram, ALICE, "what is prompt engineering?")
    assert still.startswith("Prompt engineering")


async def test_groups_answer_only_when_addressed(bot: CoachService, telegram: FakeTelegram) -> None:
    telegram.say(ALICE, "what is prompt engineering?", chat_id=GROUP, chat_type="supergroup")
    await asyncio.sleep(1.0)
    assert telegram.texts(GROUP) == []
    [mentioned] = await reply_to(
        telegram, ALICE, f"@{BOT_USERNAME} what is prompt engineering?", chat_id=GROUP, chat_type="supergroup"
    )
    assert mentioned.startswith("Prompt engineering")
    [replied] = await reply_to(
        telegram,
        BOB,
        "and AI fluency?",
        chat_id=GROUP,
        chat_type="supergroup",
        reply_to=telegram.sent[-1].message_id,
    )
    assert replied
    [private] = await reply_to(
        telegram, ALICE, f"/plan@{BOT_USERNAME}", chat_id=GROUP, chat_type="supergroup"
    )
    assert "private" in private and "Week" not in private
    link = telegram.sent[-1].reply_markup["inline_keyboard"][0][0]["url"]
    assert link == f"https://t.me/{BOT_USERNAME}?start=plan"
    # Free text that asks for something personal is routed the same way, whatever the words.
    for text in ("show me my full plan", "I'm a paralegal, make me a plan with 4 hours a week"):
        [routed] = await reply_to(
            telegram, ALICE, f"@{BOT_USERNAME} {text}", chat_id=GROUP, chat_type="supergroup"
        )
        assert "private" in routed and "Week" not in routed and "paralegal" not in routed.lower()
        assert telegram.sent[-1].reply_markup["inline_keyboard"][0][0]["url"].endswith("?start=plan")


async def test_bad_inputs(bot: CoachService, telegram: FakeTelegram) -> None:
    [sticker] = await reply_to(
        telegram,
        ALICE,
        None,
        sticker={
            "file_id": "x",
            "file_unique_id": "y",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        },
    )  # type: ignore[arg-type]
    assert "text" in sticker
    [long] = await reply_to(telegram, ALICE, "a" * 4001)
    assert "4,001 characters" in long
    [unknown] = await reply_to(telegram, ALICE, "/dance")
    assert "I don't know /dance" in unknown
    before = len(telegram.texts(ALICE))
    telegram.push({"edited_message": telegram.message(ALICE, "edited text", edit_date=1)})
    await telegram.wait_sent(before + 1, ALICE, method="sendMessage")
    assert "edit" in telegram.texts(ALICE)[-1]
    assert await recent_turns(bot.store, bot_user(ALICE)) == []  # nothing was processed


async def test_rate_limit_per_user(tmp_path: Path, kb_dir: Path, telegram: FakeTelegram) -> None:
    app, service, _ = await start_bot(tmp_path, kb_dir, telegram, COACH_RATE_LIMIT_PER_MINUTE=2)
    try:
        for _ in range(2):
            await reply_to(telegram, ALICE, "what is prompt engineering?")
        [limited] = await reply_to(telegram, ALICE, "what is prompt engineering?")
        assert "faster than I can think" in limited
        # A flood gets one refusal per window, then silence: not one reply per message.
        before = len(telegram.texts(ALICE))
        for _ in range(10):
            telegram.say(ALICE, "what is prompt engineering?")
        await asyncio.sleep(1.5)
        assert len(telegram.texts(ALICE)) == before
        [other] = await reply_to(telegram, BOB, "what is prompt engineering?")  # others unaffected
        assert other.startswith("Prompt engineering")
    finally:
        await stop_telegram(app)
        await service.close()


async def test_flood_429_is_retried(bot: CoachService, telegram: FakeTelegram) -> None:
    telegram.flood["sendMessage"] = 1
    [answer] = await reply_to(telegram, ALICE, "what is prompt engineering?")
    assert answer.startswith("Prompt engineering")
    assert [m for m, _ in telegram.calls].count("sendMessage") >= 2


async def test_errors_are_one_line_and_the_bot_keeps_running(
    bot: CoachService, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    original = bot.ask
    monkeypatch.setattr(bot, "ask", broken)
    [sorry] = await reply_to(telegram, ALICE, "what is prompt engineering?")
    assert sorry == "Sorry, something went wrong on my side. Please try again in a moment."
    monkeypatch.setattr(bot, "ask", original)
    [fine] = await reply_to(telegram, ALICE, "what is prompt engineering?")
    assert fine.startswith("Prompt engineering")


async def test_streaming_edits_with_a_model(
    tmp_path: Path, kb_dir: Path, telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reset()
    text = "\n\n".join(f"Paragraph {i}: " + "learning step " * 30 for i in range(12))
    fake_openai.script.append({"content": text, "token_delay": 0.02})
    app, service, _ = await start_bot(
        tmp_path,
        kb_dir,
        telegram,
        OPENAI_API_KEY="sk-stream-test",
        OPENAI_BASE_URL=fake_openai.base_url,
        COACH_LLM_TIMEOUT=60,
    )
    try:
        telegram.say(ALICE, "tell me about learning")
        await telegram.wait_sent(1, ALICE, method="sendMessage")
        for _ in range(200):
            await asyncio.sleep(0.1)
            edits = [s for s in telegram.sent if s.chat_id == ALICE and s.method == "editMessageText"]
            if edits and edits[-1].reply_markup:
                break
        sent = [s for s in telegram.sent if s.chat_id == ALICE]
        messages = {s.message_id for s in sent}
        assert len(messages) >= 2  # rolled over before the 4,096 limit
        edits = [s for s in sent if s.method == "editMessageText"]
        assert len(edits) >= 2
        for a, b in itertools.pairwise(edits):
            if a.message_id == b.message_id:
                assert b.at - a.at >= 0.9 or b.reply_markup  # about once a second, per chat
        final = "".join(telegram.messages[(ALICE, m)]["text"] for m in sorted(messages))
        assert "Paragraph 11" in final
        assert not any("not modified" in str(p) for m, p in telegram.calls)
        assert any(m == "sendChatAction" and p.get("action") == "typing" for m, p in telegram.calls)
    finally:
        await stop_telegram(app)
        await service.close()


async def test_webhook_mode_with_secret(tmp_path: Path, kb_dir: Path, telegram: FakeTelegram) -> None:
    port = free_port()
    app, service, container = await start_bot(
        tmp_path,
        kb_dir,
        telegram,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        TELEGRAM_WEBHOOK_PORT=port,
    )
    try:
        secret = webhook_secret(container.settings)
        assert telegram.webhook["url"] == f"http://127.0.0.1:{port}/hook"
        assert telegram.webhook["secret_token"] == secret
        update = {"update_id": 1, "message": telegram.message(ALICE, "what is prompt engineering?")}
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"http://127.0.0.1:{port}/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ) as response:
                assert response.status == 403
            async with session.post(
                f"http://127.0.0.1:{port}/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            ) as response:
                assert response.status == 200
        await telegram.wait_sent(1, ALICE, method="sendMessage")
        assert telegram.texts(ALICE)[-1].startswith("Prompt engineering")
    finally:
        await stop_telegram(app)
        await service.close()


async def test_help(bot: CoachService, telegram: FakeTelegram) -> None:
    [text] = await reply_to(telegram, ALICE, "/help")
    assert "/plan" in text and "/forget" in text


async def test_refused_html_is_sent_again_as_plain_text(
    bot: CoachService, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.adapters.telegram.render as render

    monkeypatch.setattr(
        render,
        "to_html",
        lambda reply, links=None: "<b>" + (reply if isinstance(reply, str) else reply.plain()),
    )  # unbalanced: Telegram refuses it
    [answer] = await reply_to(telegram, ALICE, "what is prompt engineering?")
    assert answer.startswith("Prompt engineering") and telegram.sent[-1].parse_mode is None
    refused = [p for m, p in telegram.calls if m == "sendMessage" and p.get("parse_mode") == "HTML"]
    assert refused  # the HTML attempt came first


@pytest.mark.parametrize("data", ["fb:99999999999999999999999:1", "fb:abc:1", "fb:1:7", "fb:1"])
async def test_forged_feedback_buttons_get_a_clear_reply(
    bot: CoachService, telegram: FakeTelegram, data: str
) -> None:
    before = len(telegram.calls)
    telegram.click(ALICE, ALICE, 1, data)
    for _ in range(50):
        answers = [p for m, p in telegram.calls[before:] if m == "answerCallbackQuery"]
        if answers:
            break
        await asyncio.sleep(0.1)
    assert answers and answers[-1].get("text") == "That button is no longer valid."


async def test_forged_hours_buttons_are_refused(bot: CoachService, telegram: FakeTelegram) -> None:
    before = len(telegram.texts(ALICE))
    telegram.click(ALICE, ALICE, 1, "hours:nan")
    [reply] = [t.text for t in (await telegram.wait_sent(before + 1, ALICE, method="sendMessage"))[before:]]
    assert "no longer valid" in reply and "nan" not in reply
    assert (await bot.get_profile(bot_user(ALICE))).hours_per_week is None


async def test_a_failing_command_menu_does_not_stop_the_bot(
    tmp_path: Path, kb_dir: Path, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.failing["setMyCommands"] = 2  # HTTP 500 twice, then fine
    app, service, _ = await start_bot(tmp_path, kb_dir, telegram)
    try:
        [answer] = await reply_to(telegram, ALICE, "what is prompt engineering?")
        assert answer.startswith("Prompt engineering")
        for _ in range(50):
            if len([m for m, _ in telegram.calls if m == "setMyCommands"]) >= 3:
                break
            await asyncio.sleep(0.1)
        assert len([m for m, _ in telegram.calls if m == "setMyCommands"]) == 3  # retried until it took
        assert "setMyCommands failed" in caplog.text
    finally:
        await stop_telegram(app)
        await service.close()


async def test_anonymous_admins_of_two_groups_do_not_share_a_profile(
    bot: CoachService, telegram: FakeTelegram
) -> None:
    anonymous = 1087968824  # GroupAnonymousBot: every anonymous admin everywhere
    for group, text in ((-7001, "I'm a paralegal"), (-7002, "I'm a data entry clerk")):
        message = telegram.message(anonymous, f"@{BOT_USERNAME} {text}", chat_id=group, chat_type="supergroup",
                                   sender_chat={"id": group, "type": "supergroup", "title": "G"})  # fmt: skip
        before = len(telegram.texts(group))
        telegram.push({"message": message})
        await telegram.wait_sent(before + 1, group, method="sendMessage")
    first = await bot.get_profile(UserRef(platform="telegram", user_id="chat-7001"))
    second = await bot.get_profile(UserRef(platform="telegram", user_id="chat-7002"))
    assert (first.current_role, second.current_role) == ("paralegal", "data-entry-clerk")
    assert (await bot.get_profile(bot_user(anonymous))).current_role is None


async def test_channel_posts_that_mention_the_bot_are_let_pass(
    bot: CoachService, telegram: FakeTelegram
) -> None:
    channel = -1009
    post = {"message_id": 5, "date": 1, "chat": {"id": channel, "type": "channel", "title": "News"},
            "sender_chat": {"id": channel, "type": "channel", "title": "News"}, "text": f"@{BOT_USERNAME} hi"}  # fmt: skip
    telegram.push({"channel_post": post})
    await asyncio.sleep(1.0)
    assert telegram.texts(channel) == []  # no "something went wrong" posted into the channel
