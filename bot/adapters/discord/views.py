"""Buttons: feedback that keeps working after a restart, and the /forget confirmation."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import discord

from bot.adapters.discord.render import text_pieces
from bot.adapters.door import FORGOTTEN
from bot.core.models import Answer, UserRef
from bot.core.service import CoachService


def discord_user(user: discord.abc.User) -> UserRef:
    return UserRef(platform="discord", user_id=str(user.id))


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"coach:fb:(?P<answer>\d+):(?P<value>up|down)"
):
    """👍 / 👎 under an answer. The answer id lives in the custom id, so buttons on old
    messages still work after the bot restarts."""

    service: CoachService | None = None  # set once at start-up

    def __init__(self, answer_id: int, value: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="👍" if value == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"coach:fb:{answer_id}:{value}",
            )
        )
        self.answer_id = answer_id
        self.value = value

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> FeedbackButton:  # fmt: skip
        return cls(int(match["answer"]), match["value"])

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.service is not None
        saved = await self.service.record_feedback(discord_user(interaction.user), self.answer_id,
                                                   1 if self.value == "up" else -1)  # fmt: skip
        await interaction.response.send_message(
            "Thanks for the feedback!" if saved else "Only the person who asked can rate this answer.",
            ephemeral=True,
        )


class ChoiceButton(discord.ui.Button[Any]):
    """One answer to a question the coach asked: pressing it sends that answer as a message."""

    def __init__(self, service: CoachService, label: str, text: str) -> None:
        super().__init__(label=label[:80], style=discord.ButtonStyle.secondary)
        self.service, self.text = service, text

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)  # personal: never public
        async with self.service.working():
            answer = await self.service.ask(discord_user(interaction.user), self.text)
        for piece in text_pieces(answer.reply):
            await interaction.followup.send(
                piece, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )


def feedback_view(answer: Answer, service: CoachService | None = None) -> discord.ui.View:
    """Choice buttons (answers to a question the coach asked, progress on a plan), then the
    feedback buttons, which keep working after a restart."""
    view = discord.ui.View(timeout=600 if answer.choices and service is not None else None)
    if service is not None:
        for choice in answer.choices:
            view.add_item(ChoiceButton(service, choice.label, choice.text))
    if answer.answer_id is not None:
        view.add_item(FeedbackButton(answer.answer_id, "up"))
        view.add_item(FeedbackButton(answer.answer_id, "down"))
    return view


class ForgetView(discord.ui.View):
    TIMEOUT = 120.0

    def __init__(self, service: CoachService, owner: int) -> None:
        super().__init__(timeout=self.TIMEOUT)
        self.service = service
        self.owner = owner
        self.interaction: discord.Interaction | None = None

    async def on_timeout(self) -> None:
        """Unanswered: the buttons go, so that a late click cannot fail ("interaction failed")."""
        if self.interaction is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.interaction.edit_original_response(
                    content="Nothing deleted (the question timed out; use /forget again).", view=None
                )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner

    @discord.ui.button(
        label="Yes, delete my data", style=discord.ButtonStyle.danger, custom_id="coach:forget:yes"
    )
    async def confirm(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        await self.service.forget_user(discord_user(interaction.user))
        await interaction.response.edit_message(content=FORGOTTEN, view=None)
        self.stop()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="coach:forget:no")
    async def cancel(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content="Nothing deleted.", view=None)
        self.stop()
