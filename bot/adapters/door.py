"""What every door (Telegram, Discord, the terminal) says and does the same way.

A door keeps only its platform's wiring and rendering; the flows and texts they share live
here once: the /profile command, rate-limit replies, the /forget confirmation, where a personal
answer goes, and the help. Rendering the core's structured reply is each door's own
(`telegram/render.py`, `discord/render.py`, `terminal.py`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from bot.core.errors import CoachError
from bot.core.models import Answer, UserRef
from bot.core.profiles import Checkin
from bot.core.service import CoachService

log = logging.getLogger(__name__)

PROFILE_FIELDS = {"role": "current_role", "target": "target_role", "hours": "hours_per_week",
                  "years": "experience_years"}  # fmt: skip
NUMBER_FIELDS = {"hours_per_week", "experience_years"}
PROFILE_USAGE = "Use /profile role JOB, /profile target ROLE, /profile hours N or /profile years N."
PROFILE_HINT = (
    "Change it: /profile role dental hygienist, /profile target ai trainer, /profile hours 5, "
    "or just tell me."
)
FORGET_QUESTION = "Delete your profile and our conversation? This cannot be undone."
FORGOTTEN = "Done: I no longer keep anything about you."
NOTHING_FORGOTTEN = "Nothing deleted."
PERSONAL_IN_GROUP = "That's personal, so let's talk in private:"
PERSONAL_ANSWERED_PRIVATELY = "That's personal, so I've answered you privately below (only you can see it)."
PERSONAL_SENT_TO_DM = "That's personal, so I've sent it to you in a DM."
PERSONAL_NO_DM = "That's personal, and I can't DM you: use /ask or /plan, which only you can see."


async def over_limit(service: CoachService, key: str, always_tell: bool = False) -> str | None:
    """None while the person may ask; otherwise what to tell them, once per window (or every
    time, where the reply is only theirs to see), and "" for staying quiet. Replicas sharing a
    database share the count and the one refusal (core/limits.py)."""
    admission = await service.limits.admit(key)
    if admission.allowed:
        return None
    if always_tell or admission.tell:
        return rate_limited(max(1.0, admission.retry_in))
    return ""


def rate_limited(wait_seconds: float | None = None) -> str:
    if wait_seconds is None:
        return "You're asking faster than I can think. Please wait a moment."
    return f"You're asking faster than I can think. Please wait {math.ceil(wait_seconds)} s and try again."


class Route(StrEnum):
    """Where an answer may be shown: here, or only where nobody else reads it."""

    here = "here"
    private = "private"


def route(answer: Answer, shared_space: bool) -> Route:
    """A personal answer (a plan, a profile, a person's tasks) never goes where others read,
    whatever words asked for it: the answer's own flag decides, not the command."""
    return Route.private if shared_space and answer.personal else Route.here


def profile_change(args: list[str]) -> tuple[str, Any] | str:
    """`/profile role dental hygienist` -> ("current_role", "dental hygienist"); a message
    for the person when the words are not a change the command knows."""
    if len(args) < 2:
        return PROFILE_USAGE
    field = PROFILE_FIELDS.get(args[0].lower())
    if field is None:
        return PROFILE_USAGE
    value: Any = " ".join(args[1:])  # a role is the whole phrase, resolved by meaning
    if field in NUMBER_FIELDS:
        try:
            value = float(args[1])
        except ValueError:
            return f"{args[1]!r} is not a number."
    return field, value


async def profile_command(service: CoachService, user: UserRef, args: list[str]) -> str:
    """/profile in any door: apply the change the words ask for, then show what is kept
    (Markdown: each door renders it through the structured reply)."""
    if args:
        change = profile_change(args)
        if isinstance(change, str):
            return change
        try:
            await service.update_profile(user, **{change[0]: change[1]})
        except CoachError as error:
            return error.message
    return await profile_text(service, user)


async def profile_text(service: CoachService, user: UserRef) -> str:
    profile = await service.get_profile(user)
    lines = [f"**{label}:** {value}" for label, value in await service.profile_summary(profile)]
    return "\n".join([*lines, "", PROFILE_HINT])


CheckinSender = Callable[[Checkin, Answer], Awaitable[str]]  # -> "sent", "blocked" or "failed"


async def send_checkins_forever(
    service: CoachService, platform: str, send: CheckinSender, every: float, pace: float,
    running: Callable[[], bool] = lambda: True,
) -> None:  # fmt: skip
    """Every `every` seconds, claim this platform's due check-ins and send them one by one,
    `pace` seconds apart (they are not urgent: answers go first). The schedule is in the
    database and each check-in is claimed before it is sent, so replicas never send one twice."""
    owner = f"{platform}:{socket.gethostname()}:{os.getpid()}:{id(send)}"
    while running():
        try:
            for checkin, answer in await service.claim_checkins(platform, owner):
                await service.checkin_done(checkin, await send(checkin, answer))
                await asyncio.sleep(pace)
        except CoachError as error:  # the database is down: try again next round
            log.warning("%s: check-in scan failed (%s)", platform, error.message)
        await asyncio.sleep(every)
