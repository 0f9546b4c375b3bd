"""Handlers, onboarding, admin commands and the error handler of the Telegram bot."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.door import (
    FORGET_QUESTION,
    FORGOTTEN,
    PERSONAL_IN_GROUP,
    Route,
    over_limit,
    profile_command,
    route,
    send_checkins_forever,
)
from bot.adapters.telegram.budget import BudgetedRateLimiter
from bot.adapters.telegram.render import TELEGRAM_LIMIT, html_pieces, to_html
from bot.adapters.text import ThrottledStream, stats_line
from bot.core.errors import CoachError, KnowledgeValidationError
from bot.core.models import Answer, UserRef
from bot.core.profiles import Checkin
from bot.core.reply import Reply
from bot.core.service import CoachService
from bot.settings import Settings

log = logging.getLogger(__name__)
CHECKIN_SEND_INTERVAL = 1 / 20  # seconds between check-ins: 20 a second at most

MAX_INPUT = 4000
EDIT_INTERVAL = 1.0  # seconds between edits of a streamed message, per chat
STREAM_ROLLOVER = 3800
HOURS_CHOICES = (2, 3, 5, 8, 10)
# During setup, a message this long (or any question) is answered, not taken as a setup answer.
ONBOARDING_ANSWER_WORDS = 7


def could_answer_setup(text: str) -> bool:
    """A question, or more than a short answer, is answered, never swallowed by the setup
    questions (the core takes from it whatever it says about the person)."""
    return len(text.split()) < ONBOARDING_ANSWER_WORDS and "?" not in text


COMMANDS = [
    BotCommand("start", "Start, and tell me about yourself"),
    BotCommand("plan", "Your full learning plan"),
    BotCommand("progress", "What you have done and what comes next"),
    BotCommand("checkin", "A weekly check-in: /checkin monday 18:00 Europe/Berlin, or off"),
    BotCommand("profile", "What I know about you (and change it)"),
    BotCommand("forget", "Delete everything I keep about you"),
    BotCommand("help", "What I can do"),
    BotCommand("reload", "Admins: reload the knowledge base"),
    BotCommand("stats", "Admins: knowledge base and usage figures"),
]
HELP = (
    "I'm an AI career coach. Tell me your job and what you'd like to do, and I'll show how AI "
    "changes that work, which roles suit you next and a week-by-week plan for your hours.\n\n"
    "/start: a short setup\n/plan: your full plan\n/profile: what I know about you\n"
    "/forget: delete your data\n/help: this message\n\n"
    "In groups, mention me or reply to me. Personal things (your profile and plan) stay in our private chat."
)
TEXT_ONLY = "I can only read text messages, please type your question."
SOMETHING_WRONG = "Sorry, something went wrong on my side. Please try again in a moment."


def user_ref(update: Update) -> UserRef:
    """Who a profile belongs to. Anonymous group admins and messages sent as a channel all come
    from one shared Telegram account (GroupAnonymousBot, Channel_Bot): they are keyed by the chat
    they speak for, so one group's facts never answer in another."""
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return UserRef(platform="telegram", user_id=f"chat{message.sender_chat.id}")
    assert update.effective_user is not None  # channel posts are handled before any handler asks
    return UserRef(platform="telegram", user_id=str(update.effective_user.id))


MAX_ANSWER_ID = 2**63 - 1  # the database's integer range


def parse_feedback(data: str) -> tuple[int, int] | None:
    """'fb:<answer id>:<+1|-1>' from a button, or None if it is not one the bot made."""
    parts = data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in {"1", "-1"}:
        return None
    answer_id = int(parts[1])
    return (answer_id, int(parts[2])) if 0 < answer_id <= MAX_ANSWER_ID else None


def parse_hours(data: str) -> float | None:
    """'hours:<n>' from the hours keyboard: one of the offered numbers, nothing else."""
    value = data.split(":", 1)[1]
    return float(value) if value in {str(h) for h in HOURS_CHOICES} else None


class TelegramCoach:
    """A thin door: Telegram updates in, CoachService calls, Telegram messages out."""

    def __init__(self, service: CoachService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self.admins = set(settings.telegram_admin_ids)
        self._announcing: asyncio.Task[None] | None = None
        self.send_budget = BudgetedRateLimiter(max_retries=3)

    # -- building -----------------------------------------------------------------------

    def build(self) -> Application:
        assert self.settings.telegram_bot_token is not None
        builder = (
            ApplicationBuilder()
            .token(self.settings.telegram_bot_token.get_secret_value())
            .rate_limiter(self.send_budget)
            .concurrent_updates(256)
            .post_init(self.announce)
        )
        if self.settings.telegram_api_base_url:
            base = self.settings.telegram_api_base_url.rstrip("/")
            builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot"))
        app = builder.build()
        # Any command ends the setup questions (group -1 runs first and lets the command through).
        app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, self.end_setup), group=-1)
        # Channel posts have no sender; the coach talks with people, so it lets them pass.
        app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POSTS, self.channel_post))
        app.add_handler(CommandHandler("start", self.start))
        app.add_handler(CommandHandler("help", self.help))
        app.add_handler(CommandHandler("plan", self.plan))
        app.add_handler(CommandHandler("progress", self.progress))
        app.add_handler(CommandHandler("checkin", self.checkin))
        app.add_handler(CommandHandler("profile", self.profile))
        app.add_handler(CommandHandler("forget", self.forget))
        app.add_handler(CommandHandler("reload", self.reload))
        app.add_handler(CommandHandler("stats", self.stats))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self.edited))
        app.add_handler(MessageHandler(filters.COMMAND, self.unknown_command))
        app.add_handler(MessageHandler(filters.TEXT, self.text))
        app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, self.not_text))
        app.add_error_handler(self.on_error)
        return app

    async def announce(self, app: Application) -> None:
        """The command menu: not needed to answer anyone, so a failure is retried with backoff
        in the background and is never fatal (a failing setMyCommands must not stop the bot)."""
        try:
            await app.bot.set_my_commands(COMMANDS)
        except TelegramError as error:
            log.warning("telegram: setMyCommands failed (%s); retrying in the background", error)
            self._announcing = asyncio.create_task(self._set_commands(app))

    async def _set_commands(self, app: Application, tries: int = 5, delay: float = 0.5) -> None:
        for attempt in range(1, tries + 1):
            await asyncio.sleep(delay * 2 ** (attempt - 1))
            try:
                await app.bot.set_my_commands(COMMANDS)
                return
            except TelegramError as error:
                log.warning("telegram: setMyCommands failed (%s), retry %d of %d", error, attempt, tries)
        log.error("telegram: setMyCommands kept failing; the command menu is not set")

    async def end_setup(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and not (message.text or "").startswith("/start"):
            await self.service.set_onboarding_step(user_ref(update), None)

    async def channel_post(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.debug("telegram: ignored a channel post")

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def is_private(update: Update) -> bool:
        return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE

    def addressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """In groups the bot answers only when mentioned or replied to."""
        if self.is_private(update):
            return True
        message = update.effective_message
        if message is None:
            return False
        me = context.bot.username
        if (
            message.reply_to_message
            and message.reply_to_message.from_user
            and (message.reply_to_message.from_user.id == context.bot.id)
        ):
            return True
        text = message.text or ""
        return bool(me) and f"@{me}".lower() in text.lower()

    def strip_mention(self, text: str, context: ContextTypes.DEFAULT_TYPE) -> str:
        me = context.bot.username
        return text.replace(f"@{me}", "").strip() if me else text

    async def send(self, message: Message, reply: Reply | str,
                   markup: InlineKeyboardMarkup | None = None) -> Message | None:  # fmt: skip
        return await self.post(message.reply_text, reply, markup)

    @staticmethod
    async def post(
        send_text: Callable[..., Awaitable[Message]], reply: Reply | str, markup: InlineKeyboardMarkup | None
    ) -> Message | None:
        """Send HTML pieces through `send_text` (a reply, or a message to a chat); any piece
        Telegram cannot parse goes again as plain text. The keyboard goes with the last piece."""
        last: Message | None = None
        pieces = html_pieces(reply)
        for index, (rich, plain) in enumerate(pieces):
            keyboard = markup if index == len(pieces) - 1 else None
            try:
                last = await send_text(rich, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                       disable_web_page_preview=True)  # fmt: skip
            except BadRequest as error:
                if "parse" not in str(error).lower():
                    raise
                log.warning("telegram could not parse our HTML; sending plain text")
                last = await send_text(plain, reply_markup=keyboard, disable_web_page_preview=True)
        return last

    @staticmethod
    def feedback_markup(answer: Answer) -> InlineKeyboardMarkup | None:
        """Choice buttons (answers to a question the coach asked, progress on a plan), then
        the feedback buttons."""
        rows = [
            [InlineKeyboardButton(c.label[:60], callback_data=f"say:{c.text[:40]}")] for c in answer.choices
        ]
        # A question's choices stand alone; an answer (a plan with its progress buttons) is rated.
        answered = not answer.choices or answer.plan is not None
        if answer.answer_id is not None and answered:
            rows.append([
                InlineKeyboardButton("👍", callback_data=f"fb:{answer.answer_id}:1"),
                InlineKeyboardButton("👎", callback_data=f"fb:{answer.answer_id}:-1"),
            ])  # fmt: skip
        return InlineKeyboardMarkup(rows) if rows else None

    async def private_only(self, update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str) -> bool:
        """Personal matters go to a private chat: in a group, reply with a deep link instead."""
        if self.is_private(update):
            return False
        assert update.effective_message is not None
        await self.private_link(update.effective_message, payload)
        return True

    async def private_link(self, message: Message, payload: str) -> None:
        link = f"https://t.me/{message.get_bot().username}?start={payload}"
        await message.reply_text(
            PERSONAL_IN_GROUP,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Open a private chat", url=link)]]),
        )

    # -- commands -----------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if await self.private_only(update, context, "start"):
            return
        if context.args and context.args[0] in {"plan", "progress"}:
            await (self.plan if context.args[0] == "plan" else self.progress)(update, context)
            return
        await self.service.set_onboarding_step(user_ref(update), "role")
        await message.reply_text(
            "Welcome! I'm an AI career coach. Three quick questions and I'll make you a plan.\n\n"
            "1/3: What is your current job? (for example: paralegal, call centre agent, truck driver)",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Skip setup", callback_data="ob:skip")]]
            ),
        )

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(HELP)

    async def plan(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.personal_answer(update, context, "plan", self.service.full_plan)

    async def personal_answer(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        payload: str,
        answer_for: Callable[[UserRef], Awaitable[Answer]],
    ) -> None:
        """A command whose answer is the person's own (their plan, their progress): private only."""
        message = update.effective_message
        assert message is not None
        if await self.private_only(update, context, payload):
            return
        answer = await answer_for(user_ref(update))
        await self.send(message, answer.reply, markup=self.feedback_markup(answer))

    async def checkin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if await self.private_only(update, context, "start"):
            return
        text = await self.service.checkin_command(
            user_ref(update), list(context.args or []), str(message.chat_id)
        )
        await message.reply_text(text)

    async def checkin_loop(self, app: Application, every: float) -> None:
        async def send(checkin: Checkin, answer: Answer) -> str:
            try:
                to_chat = functools.partial(app.bot.send_message, int(checkin.address))
                await self.post(to_chat, answer.reply, self.feedback_markup(answer))
            except Forbidden:  # they blocked the bot: stop, never retry
                return "blocked"
            except TelegramError as error:
                log.warning("telegram: a check-in could not be sent (%s)", error)
                return "failed"
            return "sent"

        # PTB's limiter alone lets a burst of 30 through on top of its rate: pace below it.
        await send_checkins_forever(self.service, "telegram", send, every, CHECKIN_SEND_INTERVAL)

    async def progress(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.personal_answer(update, context, "progress", self.service.progress)

    async def profile(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if await self.private_only(update, context, "profile"):
            return
        text = await profile_command(self.service, user_ref(update), list(context.args or []))
        await self.send(message, Reply.of(text), markup=self.hours_keyboard())

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if await self.private_only(update, context, "forget"):
            return
        await message.reply_text(
            FORGET_QUESTION,
            reply_markup=InlineKeyboardMarkup(
                [[
                    InlineKeyboardButton("Yes, delete my data", callback_data="forget:yes"),
                    InlineKeyboardButton("Cancel", callback_data="forget:no"),
                ]]
            ),
        )  # fmt: skip

    def is_admin(self, update: Update) -> bool:
        return update.effective_user is not None and update.effective_user.id in self.admins

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if not self.is_admin(update):
            await message.reply_text("Sorry, only the bot's admins can reload the knowledge base.")
            return
        await message.reply_text("Reloading the knowledge base…")
        try:
            report = await self.service.reload_knowledge()
        except KnowledgeValidationError as error:
            lines = [f"• {p}" for p in error.problems[:30]]
            more = f"\n…and {len(error.problems) - 30} more" if len(error.problems) > 30 else ""
            await self.send(message, f"Reload refused: {error.message}. The old index keeps serving.\n\n"
                            + "\n".join(lines) + more)  # fmt: skip
            return
        except CoachError as error:  # another reload running, or the index unreachable
            await message.reply_text(f"Reload not done: {error.message}")
            return
        await message.reply_text(f"Reloaded: {report.summary()}.")

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if not self.is_admin(update):
            await message.reply_text("Sorry, only the bot's admins can see the statistics.")
            return
        await message.reply_text(stats_line(await self.service.stats()))

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not self.addressed(update, context):
            return
        command = (message.text or "").split()[0].split("@")[0]
        await message.reply_text(f"I don't know {command}. /help lists what I can do.")

    # -- messages -----------------------------------------------------------------------

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and self.addressed(update, context):
            await message.reply_text(TEXT_ONLY)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.edited_message
        if message is not None and self.is_private(update):
            await message.reply_text(
                "I saw your edit. I answer new messages, so please send it again as a new one."
            )

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not self.addressed(update, context):
            return
        text = self.strip_mention(message.text or "", context)
        if len(text) > MAX_INPUT:
            await message.reply_text(
                f"That message is {len(text):,} characters; I can read up to {MAX_INPUT:,}. "
                "Please send the part that matters most."
            )
            return
        if not text.strip():
            await message.reply_text("Yes? Ask me about your job, a role or a skill.")
            return
        user = user_ref(update)
        told = await over_limit(self.service, user.key)
        if told is not None:
            if told:
                await message.reply_text(told)
            return
        # Only a short answer can be a setup answer: a question is answered whatever the step,
        # and answering it ends the setup in the core; so most messages need no lookup here.
        setup = self.is_private(update) and could_answer_setup(text)
        step = await self.service.onboarding_step(user) if setup else None
        if step is not None:
            await self.onboarding_text(message, user, step, text)
            return
        await self.answer(message, user, text)

    async def answer(self, message: Message, user: UserRef, text: str) -> None:
        typing = asyncio.create_task(self.keep_typing(message))
        try:
            if message.chat.type != "private":
                # In a group nothing is streamed: whether an answer is personal is known only
                # once it is written, and a personal one goes to the private chat instead.
                answer = await self.service.ask(user, text)
                if route(answer, shared_space=True) is Route.private:
                    await self.private_link(message, "plan")
                else:
                    await self.send(message, answer.reply, markup=self.feedback_markup(answer))
            elif self.service.answerer is not None:
                answer = await self.streamed(message, user, text)
            else:
                answer = await self.service.ask(user, text)
                await self.send(message, answer.reply, markup=self.feedback_markup(answer))
        finally:
            typing.cancel()

    async def keep_typing(self, message: Message) -> None:
        """ "Typing…" when an answer takes a moment. Once, and only from spare send budget:
        chat actions count against the same flood limit as answers (budget.py)."""
        with contextlib.suppress(Exception):
            await asyncio.sleep(0.3)
            if self.send_budget.spare():
                await message.chat.send_action(ChatAction.TYPING)

    async def streamed(self, message: Message, user: UserRef, text: str) -> Answer:
        """Send a first message, then edit it as the model writes, at most once a second."""
        stream = StreamedReply(message)
        answer = await self.service.ask(user, text, on_token=stream.feed)
        if not await stream.finish(answer, self.feedback_markup(answer)):
            # Nothing was streamed (the offline answer after a model failure): send it whole.
            await self.send(message, answer.reply, markup=self.feedback_markup(answer))
        return answer

    # -- onboarding ---------------------------------------------------------------------

    @staticmethod
    def hours_keyboard() -> InlineKeyboardMarkup:
        row = [InlineKeyboardButton(f"{h} h", callback_data=f"hours:{h}") for h in HOURS_CHOICES]
        return InlineKeyboardMarkup([row, [InlineKeyboardButton("Skip", callback_data="ob:skip")]])

    async def onboarding_text(self, message: Message, user: UserRef, step: str, text: str) -> None:
        skip = InlineKeyboardMarkup([[InlineKeyboardButton("Skip", callback_data="ob:next")]])
        if step == "role":
            answer = await self.service.ask(user, text if " " in text.strip() else f"I'm a {text}")
            if answer.intent == "clarify":
                await message.reply_text(answer.answer, reply_markup=self.feedback_markup(answer))
                return
            titles = await self.service.role_titles()
            role = titles.get(answer.profile.current_role or "")
            noted = (
                f"Got it: {role}." if role else "I couldn't match that to a role I know; we can go on anyway."
            )
            await self.service.set_onboarding_step(user, "goal")
            await message.reply_text(
                f"{noted}\n\n2/3: Which role would you like to move into? "
                "(for example: AI trainer, data analyst) "
                'Or say "not sure" and I\'ll suggest some.',
                reply_markup=skip,
            )
        elif step == "goal":
            if text.strip().lower() not in {"not sure", "no idea", "dunno", "skip", "don't know"}:
                await self.service.ask(user, f"I want to become {text}")
            await self.service.set_onboarding_step(user, "hours")
            await message.reply_text(
                "3/3: How many hours a week can you spend learning?", reply_markup=self.hours_keyboard()
            )
        elif step == "hours":
            await self.answer(message, user, text)  # answering it ends the setup in the core

    async def finish_onboarding(self, message: Message, user: UserRef) -> None:
        answer = await self.service.ask(user, "Make me a plan", act="plan")
        await self.send(message, answer.reply, markup=self.feedback_markup(answer))

    # -- buttons ------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        user = user_ref(update)
        message = query.message if isinstance(query.message, Message) else None
        data = query.data
        if data.startswith("fb:"):
            feedback = parse_feedback(data)
            if feedback is None:  # forged or garbled: say so, and log what it was, not who sent it
                log.warning("telegram: ignored malformed feedback data %r", data[:40])
                await query.answer("That button is no longer valid.")
                return
            saved = await self.service.record_feedback(user, *feedback)
            await query.answer("Thanks for the feedback!" if saved else "That answer isn't yours to rate.")
            return
        await query.answer()
        if message is None:
            return
        if data.startswith("say:"):  # a choice button: as if the person had typed it
            async with self.service.working():
                answer = await self.service.ask(user, data[4:])
            await self.send(message, answer.reply, markup=self.feedback_markup(answer))
        elif data == "forget:yes":
            await self.service.forget_user(user)
            await message.edit_text(FORGOTTEN)
        elif data == "forget:no":
            await message.edit_text("Nothing deleted.")
        elif data == "ob:skip":
            await self.service.set_onboarding_step(user, None)
            await message.reply_text(
                "No problem. Ask me anything, or tell me your job and goal whenever you like."
            )
        elif data == "ob:next":
            await self.service.set_onboarding_step(user, "hours")
            await message.reply_text(
                "3/3: How many hours a week can you spend learning?", reply_markup=self.hours_keyboard()
            )
        elif data.startswith("hours:"):
            hours = parse_hours(data)
            if hours is None:
                log.warning("telegram: ignored malformed hours data %r", data[:40])
                await message.reply_text(
                    "That button is no longer valid; tell me your hours a week in words."
                )
                return
            await self.service.update_profile(user, hours_per_week=hours)
            onboarding = await self.service.onboarding_step(user)
            await self.service.set_onboarding_step(user, None)
            await message.reply_text(f"Noted: {hours:g} hours a week.")
            profile = await self.service.get_profile(user)
            if onboarding or profile.current_role or profile.target_role:
                await self.finish_onboarding(message, user)

    # -- errors -------------------------------------------------------------------------

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One place for unexpected errors: log with context, one line to the user, keep running."""
        where = ""
        if isinstance(update, Update) and update.effective_chat:
            where = f" in chat {update.effective_chat.id} ({update.effective_chat.type})"
        log.error("telegram handler failed%s: %s", where, context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_message:
            text = context.error.message if isinstance(context.error, CoachError) else SOMETHING_WRONG
            with contextlib.suppress(Exception):
                await update.effective_message.reply_text(text)


class StreamedReply(ThrottledStream):
    """One growing answer: a first message, edited at most once a second, never with the same
    text, rolling over to a new message before Telegram's limit, honouring retry_after."""

    def __init__(self, reply_to: Message, interval: float = EDIT_INTERVAL) -> None:
        super().__init__(interval)
        self.reply_to = reply_to
        self.messages: list[Message] = []
        self.shown = ""  # what the last message displays now
        self.offset = 0  # where the last message's text starts in the buffer

    async def _show(
        self, text: str, reply: Reply | None = None, markup: InlineKeyboardMarkup | None = None,
        final: bool = False,
    ) -> None:  # fmt: skip
        current = text[self.offset :]
        while len(current) > STREAM_ROLLOVER:
            cut = current.rfind("\n\n", 0, STREAM_ROLLOVER)
            cut = cut if cut > 0 else STREAM_ROLLOVER
            await self._put(current[:cut])
            self.offset += cut
            self.messages.append(await self.reply_to.reply_text("…"))
            self.shown = "…"
            current = text[self.offset :]
        # The final text, rendered from the structured reply when it is all in this message.
        rich = to_html(reply) if final and reply is not None and self.offset == 0 else None
        await self._put(current, rich if rich and len(rich) <= TELEGRAM_LIMIT else None, markup)

    async def _put(
        self, text: str, rich: str | None = None, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        text = text.strip() or "…"
        if not self.messages:
            self.messages.append(await self.reply_to.reply_text(text))
            self.shown, self.last_edit = text, time.monotonic()
            if rich is None and markup is None:
                return
        if (rich or text) == self.shown and markup is None:
            return  # Telegram refuses an edit that changes nothing
        for _ in range(3):
            try:
                if rich:
                    await self.messages[-1].edit_text(
                        rich, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
                    )
                else:
                    await self.messages[-1].edit_text(text, reply_markup=markup)
                break  # a 429 is retried by AIORateLimiter, once, not here on top of it
            except BadRequest as error:
                if "not modified" in str(error).lower():
                    break
                if rich and "parse" in str(error).lower():
                    rich = None  # our HTML was refused: show the plain text instead
                    continue
                raise
        self.shown, self.last_edit = rich or text, time.monotonic()

    async def finish(self, answer: Answer, markup: InlineKeyboardMarkup | None) -> bool:
        """Show the final text, rendered, with the buttons. False when nothing was streamed."""
        await self.stop()
        if not self.messages:
            return False
        await self._show(answer.answer, answer.reply, markup, final=True)
        return True
