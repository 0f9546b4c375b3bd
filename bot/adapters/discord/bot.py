"""The Discord bot: slash commands, mentions and DMs, admin commands, one error handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.render import NO_PINGS, PLAN_CARD, plan_embeds, text_pieces
from bot.adapters.discord.views import FeedbackButton, ForgetView, discord_user, feedback_view
from bot.adapters.door import (
    FORGET_QUESTION,
    PERSONAL_ANSWERED_PRIVATELY,
    PERSONAL_NO_DM,
    PERSONAL_SENT_TO_DM,
    Route,
    over_limit,
    profile_text,
    route,
    send_checkins_forever,
)
from bot.adapters.text import ThrottledStream, stats_line
from bot.core.errors import CoachError, KnowledgeValidationError
from bot.core.models import Answer
from bot.core.profiles import Checkin
from bot.core.reply import Reply
from bot.core.service import CoachService
from bot.settings import Settings

log = logging.getLogger(__name__)
CHECKIN_SEND_INTERVAL = 1 / 5  # seconds between check-in DMs (each may open a DM channel too)

MAX_INPUT = 4000
EDIT_INTERVAL = 1.0
SOMETHING_WRONG = "Sorry, something went wrong on my side. Please try again in a moment."
HELP = (
    "I'm an AI career coach. Tell me your job and what you'd like to do, and I'll show how AI "
    "changes that work, which roles suit you next and a week-by-week plan for your hours.\n\n"
    "**/ask** a question · **/plan** your full plan · **/profile** what I know about you (and set it) · "
    "**/forget** delete your data · mention me or DM me to chat."
)


RESTARTING = "I'm restarting for a moment; please ask again in a minute."


class CoachBot(commands.AutoShardedBot):
    """Sharded automatically (Discord's recommended count), or `DISCORD_SHARD_COUNT`."""

    def __init__(self, service: CoachService, settings: Settings, **options: Any) -> None:
        intents = discord.Intents.default()  # no privileged intents: slash commands, mentions and DMs work
        intents.message_content = settings.discord_message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_PINGS,
            shard_count=settings.discord_shard_count,
            **options,
        )
        self.service = service
        self.settings = settings
        self.closing = False  # set on shutdown: no new conversations start
        self._checkins: asyncio.Task[None] | None = None

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: a mention is a question for CoachCog's listener, and handing it
        to the command parser would log CommandNotFound for every one."""

    async def setup_hook(self) -> None:
        FeedbackButton.service = self.service
        self.add_dynamic_items(FeedbackButton)
        await self.add_cog(CoachCog(self))
        await self.add_cog(AdminCog(self))
        if self.settings.checkins:
            self._checkins = asyncio.create_task(self.checkin_loop(self.settings.checkin_scan_seconds))
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        guilds = [discord.Object(id=g) for g in self.settings.discord_guild_ids]
        if guilds:  # development: commands appear at once in these servers
            for guild in guilds:
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def close(self) -> None:
        if self._checkins is not None:
            self._checkins.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkins
        await super().close()

    async def send_answer(self, to: discord.abc.Messageable, answer: Answer) -> None:
        """An answer in pieces to a DM or channel, its buttons under the last piece."""
        pieces = text_pieces(answer.reply)
        for index, piece in enumerate(pieces):
            view = feedback_view(answer, self.service) if index == len(pieces) - 1 else discord.utils.MISSING
            await to.send(piece, allowed_mentions=NO_PINGS, view=view)

    async def checkin_loop(self, every: float) -> None:
        async def send(checkin: Checkin, answer: Answer) -> str:
            try:
                person = self.get_user(int(checkin.address)) or await self.fetch_user(int(checkin.address))
                await self.send_answer(person, answer)
            except discord.Forbidden:  # closed DMs (50007) or no shared server: stop, never retry
                return "blocked"
            except discord.HTTPException as error:
                log.warning("discord: a check-in could not be sent (%s)", error.status)
                return "failed"
            return "sent"

        await self.wait_until_ready()
        await send_checkins_forever(
            self.service, "discord", send, every, CHECKIN_SEND_INTERVAL, running=lambda: not self.closing
        )

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """The one place errors of slash commands end: friendly, ephemeral, logged."""
        original = getattr(error, "original", error)
        if isinstance(original, CoachError):
            message = original.message
        elif isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use this command here."
        else:
            log.error(
                "discord command %s failed",
                interaction.command and interaction.command.name,
                exc_info=original,
            )
            message = SOMETHING_WRONG
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True)
            else:
                await interaction.response.send_message(message, ephemeral=True)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("discord event %s failed", event_method)

    # -- shared -----------------------------------------------------------------------

    def is_admin(self, interaction: discord.Interaction) -> bool:
        user = interaction.user
        if user.id in self.settings.discord_admin_user_ids:
            return True
        if isinstance(user, discord.Member):
            # Managing some server is no right over the whole deployment: only in servers the
            # operator listed (anyone can invite the bot to a server they own).
            if user.guild_permissions.manage_guild and user.guild.id in self.settings.discord_admin_guild_ids:
                return True
            return any(role.id in self.settings.discord_admin_role_ids for role in user.roles)
        return False

    async def titles_and_links(self, answer: Answer) -> tuple[dict[str, str], dict[str, str]]:
        titles = await self.service.role_titles()
        titles.update(await self.service.skill_titles())
        return titles, await self.service.source_links(answer.sources)


def personal(interaction: discord.Interaction) -> bool:
    """Profile and plan replies are ephemeral in servers."""
    return interaction.guild_id is not None


def admin_only() -> Any:
    async def predicate(interaction: discord.Interaction) -> bool:
        bot = interaction.client
        assert isinstance(bot, CoachBot)
        if not bot.is_admin(interaction):
            raise app_commands.CheckFailure("Sorry, only server managers or the bot's admins can do that.")
        return True

    return app_commands.check(predicate)


class CoachCog(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot
        self.service = bot.service

    async def limited(self, interaction: discord.Interaction) -> bool:
        told = await over_limit(self.service, discord_user(interaction.user).key, always_tell=True)
        if told is None:
            return False
        await interaction.followup.send(told, ephemeral=True)  # only they see it: tell every time
        return True

    async def deliver(self, interaction: discord.Interaction, answer: Answer, ephemeral: bool) -> None:
        titles, links = await self.bot.titles_and_links(answer)
        embeds = plan_embeds(answer, titles, links) if answer.plan else []
        pieces = text_pieces(answer.reply, PLAN_CARD if embeds else frozenset()) or ["Here is your plan."]
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            view = feedback_view(answer, self.service) if last else discord.utils.MISSING
            await interaction.followup.send(
                piece,
                ephemeral=ephemeral,
                allowed_mentions=NO_PINGS,
                embeds=embeds[:10] if last else [],
                view=view,
            )

    @app_commands.command(name="ask", description="Ask the career coach a question")
    @app_commands.describe(
        question="Your question, e.g. I'm a paralegal, what should I learn with 5 hours a week?"
    )
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, MAX_INPUT]
    ) -> None:
        if self.bot.closing:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        async with self.service.working():
            await self._answer(interaction, question)

    async def _answer(self, interaction: discord.Interaction, question: str) -> None:
        await interaction.response.defer(thinking=True)
        if await self.limited(interaction):
            return
        user = discord_user(interaction.user)
        in_server = personal(interaction)
        if self.service.answerer is not None:
            stream = DiscordStream(interaction)
            # In a server a personal answer is not streamed; it is answered privately below.
            answer = await self.service.ask(user, question, on_token=stream.feed, public=in_server)
            if route(answer, in_server) is Route.private:
                await stream.discard()
            elif await stream.finish(answer):
                return
        else:
            answer = await self.service.ask(user, question)
        if route(answer, in_server) is Route.private:
            await interaction.followup.send(PERSONAL_ANSWERED_PRIVATELY, allowed_mentions=NO_PINGS)
            await self.deliver(interaction, answer, ephemeral=True)
            return
        await self.deliver(interaction, answer, ephemeral=False)

    @app_commands.command(name="plan", description="Your full learning plan")
    async def plan(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=personal(interaction))
        answer = await self.service.full_plan(discord_user(interaction.user))
        await self.deliver(interaction, answer, ephemeral=personal(interaction))

    @app_commands.command(name="progress", description="What you have done in your plan and what comes next")
    async def progress(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=personal(interaction))
        answer = await self.service.progress(discord_user(interaction.user))
        await self.deliver(interaction, answer, ephemeral=personal(interaction))

    @app_commands.command(name="checkin", description="A weekly check-in by DM, at your time; or off")
    @app_commands.describe(when="For example: monday 18:00 Europe/Berlin, or off")
    async def checkin(self, interaction: discord.Interaction, when: str | None = None) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)  # personal: only theirs
        user = discord_user(interaction.user)
        text = await self.service.checkin_command(user, (when or "").split(), str(interaction.user.id))
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="profile", description="See or set your role, goal and hours a week")
    @app_commands.describe(
        role="Your current role", target="The role you want", hours="Hours a week for learning"
    )
    async def profile(
        self,
        interaction: discord.Interaction,
        role: str | None = None,
        target: str | None = None,
        hours: app_commands.Range[float, 1, 40] | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=personal(interaction))
        user = discord_user(interaction.user)
        changes = {
            k: v
            for k, v in {"current_role": role, "target_role": target, "hours_per_week": hours}.items()
            if v is not None
        }
        if changes:
            try:
                await self.service.update_profile(user, **changes)
            except CoachError as error:
                await interaction.followup.send(
                    error.message, ephemeral=personal(interaction), allowed_mentions=NO_PINGS
                )
                return
        text = await profile_text(self.service, user)
        for piece in text_pieces(Reply.of(text)):
            await interaction.followup.send(piece, ephemeral=personal(interaction), allowed_mentions=NO_PINGS)

    @profile.autocomplete("role")
    @profile.autocomplete("target")
    async def role_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        titles = await self.service.role_titles()
        needle = current.lower()
        matches = [
            (i, t)
            for i, t in sorted(titles.items(), key=lambda x: x[1])
            if needle in i or needle in t.lower()
        ]
        return [app_commands.Choice(name=t[:100], value=i) for i, t in matches[:25]]

    @app_commands.command(name="forget", description="Delete everything the coach keeps about you")
    async def forget(self, interaction: discord.Interaction) -> None:
        view = ForgetView(self.service, interaction.user.id)
        await interaction.response.send_message(FORGET_QUESTION, view=view, ephemeral=True)
        view.interaction = interaction  # to take the buttons away when they time out

    @app_commands.command(name="help", description="What the coach can do")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(HELP, ephemeral=personal(interaction))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Mentions, replies to the bot and direct messages get an answer."""
        me = self.bot.user
        if message.author.bot or me is None or self.bot.closing:
            return
        async with self.service.working():
            await self._reply_to(message, me)

    async def _reply_to(self, message: discord.Message, me: discord.ClientUser) -> None:
        direct = message.guild is None
        mentioned = me in message.mentions
        replied = bool(message.reference and isinstance(message.reference.resolved, discord.Message)
                       and message.reference.resolved.author.id == me.id)  # fmt: skip
        if not (direct or mentioned or replied):
            return
        text = message.content.replace(f"<@{me.id}>", "").replace(f"<@!{me.id}>", "").strip()
        if not text:
            await message.reply(
                "Yes? Ask me about your job, a role or a skill, or use /ask.", allowed_mentions=NO_PINGS
            )
            return
        if len(text) > MAX_INPUT:
            await message.reply(f"That message is {len(text):,} characters; I can read up to {MAX_INPUT:,}.",
                                allowed_mentions=NO_PINGS)  # fmt: skip
            return
        user = discord_user(message.author)
        told = await over_limit(self.service, user.key)
        if told is not None:
            if told:
                await message.reply(told, allowed_mentions=NO_PINGS)
            return
        async with message.channel.typing():
            answer = await self.service.ask(user, text)
        if route(answer, shared_space=message.guild is not None) is Route.private:
            try:  # personal answers go to a DM, with a short note where they were asked
                await self.bot.send_answer(message.author, answer)
                note = PERSONAL_SENT_TO_DM
            except discord.HTTPException:
                note = PERSONAL_NO_DM
            await message.reply(note, allowed_mentions=NO_PINGS)
            return
        pieces = text_pieces(answer.reply)
        target: discord.abc.Messageable = message.channel
        if len(pieces) > 1 and isinstance(message.channel, discord.TextChannel):
            # A long answer opens a thread instead of filling the channel.
            target = await message.create_thread(name="Career coach", auto_archive_duration=1440)
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            view = feedback_view(answer, self.service) if last else discord.utils.MISSING
            if index == 0 and target is message.channel:
                await message.reply(piece, allowed_mentions=NO_PINGS, view=view)
            else:
                await target.send(piece, allowed_mentions=NO_PINGS, view=view)


class AdminCog(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot

    @app_commands.command(name="reload", description="Admins: reload the knowledge base")
    @admin_only()
    async def reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:  # a reload already running is refused by the core; the error handler says so
            report = await self.bot.service.reload_knowledge()
        except KnowledgeValidationError as error:
            lines = "\n".join(f"• {p}" for p in error.problems[:20])
            await interaction.followup.send(
                f"Reload refused: {error.message}. The old index keeps serving.\n{lines}"[:1990],
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        await interaction.followup.send(f"Reloaded: {report.summary()}.", ephemeral=True)

    @app_commands.command(name="kb-stats", description="Admins: what the knowledge base holds")
    @admin_only()
    async def kb_stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.followup.send(stats_line(await self.bot.service.stats()), ephemeral=True)


class DiscordStream(ThrottledStream):
    """A followup message edited as the model writes, at most once a second."""

    def __init__(self, interaction: discord.Interaction) -> None:
        super().__init__(EDIT_INTERVAL)
        self.interaction = interaction
        self.message: discord.WebhookMessage | None = None
        self.shown = ""

    async def _show(self, text: str, view: discord.ui.View | None = None) -> None:
        text = (text[:1900] + ("…" if len(text) > 1900 else "")).strip() or "…"
        if text == self.shown and view is None:
            return
        if self.message is None:
            self.message = await self.interaction.followup.send(text, wait=True, allowed_mentions=NO_PINGS)
        else:
            await self.message.edit(content=text, view=view)
        self.shown, self.last_edit = text, time.monotonic()

    async def discard(self) -> None:
        """Stop, and take back anything shown (the answer turned out personal)."""
        await self.stop()
        if self.message is not None:
            await self.message.delete()

    async def finish(self, answer: Answer) -> bool:
        """The final text in place when it fits one message; False to deliver it normally."""
        await self.stop()
        pieces = text_pieces(answer.reply)
        if self.message is None or len(pieces) != 1 or answer.plan is not None:
            if self.message is not None:
                await self.message.delete()
            return False
        await self._show(pieces[0], feedback_view(answer))
        return True


async def run_discord(service: CoachService, settings: Settings, stop: asyncio.Event) -> None:
    assert settings.discord_bot_token is not None
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    bot = CoachBot(service, settings)
    runner = asyncio.create_task(bot.start(settings.discord_bot_token.get_secret_value()))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    # Graceful: no new conversations, the ones in flight get their answers, then disconnect.
    bot.closing = True
    if not runner.done():
        await service.drain(settings.shutdown_grace_seconds)
    await bot.close()
    stopper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
