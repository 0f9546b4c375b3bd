"""Opt-in weekly check-ins: when one is due, in the person's own time zone.

The schedule lives in the database (`profiles.CheckinRow`), never in a process: a restart loses
nothing, two replicas claim each due check-in with a conditional update so only one sends it,
and a check-in missed while the bot was down is sent once, then the next is a week on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)  # local; unless the person chose such a time
TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.IGNORECASE)
USAGE = (
    "Weekly check-ins (off unless you turn them on): /checkin DAY TIME TIMEZONE, for example "
    "/checkin monday 18:00 Europe/Berlin. /checkin off stops them."
)


@dataclass(frozen=True)
class Schedule:
    weekday: int  # 0 = Monday
    at: time  # local time
    zone: str  # IANA name

    def describe(self) -> str:
        return f"every {DAYS[self.weekday].title()} at {self.at:%H:%M} ({self.zone})"


def stored(weekday: int, at: str, zone: str) -> Schedule:
    """The schedule as the database keeps it ("18:00")."""
    return Schedule(weekday, time.fromisoformat(at), zone)


def quiet(at: time) -> bool:
    return at >= QUIET_FROM or at < QUIET_UNTIL


def parse_schedule(args: list[str], known_zone: str | None = None) -> Schedule | str:
    """`/checkin monday 18:00 Europe/Berlin` -> a Schedule, or what to tell the person."""
    words = [a.strip().lower() for a in args if a.strip()]
    day = next((i for i, d in enumerate(DAYS) for w in words if len(w) >= 3 and d.startswith(w)), None)
    clock = next((m for w in words if (m := TIME.match(w))), None)
    zone_word = next((a for a in args if "/" in a or a.upper() == "UTC"), None)
    if day is None or clock is None:
        return USAGE
    hour, minute = int(clock.group(1)), int(clock.group(2) or 0)
    if clock.group(3):
        hour = hour % 12 + (12 if clock.group(3).lower() == "pm" else 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return f"{clock.group(0)!r} is not a time of day. " + USAGE
    zone = zone_word or known_zone
    if zone is None:
        return "Which time zone are you in? Add it, for example /checkin monday 18:00 Europe/London."
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"I don't know the time zone {zone!r}. Use a name like Europe/Berlin or America/Chicago."
    return Schedule(day, time(hour, minute), zone)


def next_due(schedule: Schedule, after: datetime) -> datetime:
    """The first moment strictly after `after` that is the chosen weekday and time, locally
    (so daylight-saving changes keep the local time), in UTC."""
    zone = ZoneInfo(schedule.zone)
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(schedule.weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, schedule.at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=7), schedule.at, tzinfo=zone)
    return candidate.astimezone(UTC)


def sendable(schedule: Schedule, now: datetime) -> bool:
    """Whether a due check-in may go now: not in the quiet hours, unless the person chose a
    time inside them (a missed check-in waits for the morning)."""
    if quiet(schedule.at):
        return True
    return not quiet(now.astimezone(ZoneInfo(schedule.zone)).time())


# -- what a check-in says ---------------------------------------------------------------------


def encouragement(done_hours: float, total_hours: float, done_items: int) -> str:
    """One line from the person's own progress."""
    if done_items == 0:
        return "Every plan starts with one small step; this week's first item takes about an hour or two."
    share = done_hours / total_hours if total_hours else 0.0
    if share >= 0.75:
        return f"You're {share:.0%} of the way there: the finish line is in sight."
    items = f"{done_items} item{'s' if done_items != 1 else ''}"
    return f"You've done {done_hours:g} hours so far ({items}): keep it going."
