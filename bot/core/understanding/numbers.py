"""Hours a week, years of experience and a plan's horizon, read from free text.

Numbers with units are what patterns do well; who the person is and what they mean are read
by meaning elsewhere in this package.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from bot.core.planner import MAX_HOURS_PER_WEEK, MIN_HOURS_PER_WEEK

NUMBER_WORDS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "couple": 2, "few": 3,
    "several": 4, "half": 0.5, "a couple of": 2, "a few": 3, "half an": 0.5, "half a": 0.5,
}  # fmt: skip
NUM = (
    r"(?:\d+(?:[.,]\d+)?|a couple of|a few|half an|half a|couple|few|several|"
    + "|".join(sorted((w for w in NUMBER_WORDS if " " not in w), key=len, reverse=True))
    + ")"
)

# Units and weeks in the languages the coach detects most, so that "4 horas a la semana" is
# read even though the offline answer is in English.
HOUR_WORDS = r"hours?|hrs?|h|horas?|stunden?|std|heures?|ore|uur"
HOUR_UNIT = re.compile(rf"\s*(?:{HOUR_WORDS})\b")
MINUTE_UNIT = re.compile(r"\s*(?:minutes?|mins?)\b")
PER_WEEK = re.compile(
    r"^\W*(?:a|per|each|every|/|in a|a)?\s*(?:week|wk)\b|^\W*weekly|^\W*pw\b"
    r"|^\W*(?:at|on|over) (?:the )?weekends?"
    r"|^\W*(?:a la|por|pro|par|alla|per|in der|à la)?\s*(?:semana|woche|semaine|settimana|week)\b"
)
PER_DAY = re.compile(
    r"^\W*(?:a|per|each|every|/)?\s*(?:day|night|evening|morning|lunch ?break)\b|^\W*daily|^\W*nightly"
)
WEEKDAYS = re.compile(
    r"^\W*(?:a|per|each|every|on)?\s*(?:weekday|week ?night|workday|work day|working day)s?\b"
)
PER_MONTH = re.compile(r"^\W*(?:a|per|each|every|/)?\s*month\b|^\W*monthly")
# After a daily figure: on which days ("2 hrs a day on weekdays", "each day on weekends").
ONLY_WEEKDAYS = re.compile(
    r"\b(?:week ?days|week ?nights|workdays|work days|mon(?:day)?s?\s*(?:-|to|thru|through|–)\s*fri(?:day)?s?"
    r"|except (?:on )?(?:the )?weekends?)\b"
)
ONLY_WEEKENDS = re.compile(r"\b(?:on |at |over )?(?:the )?weekends?\b")
DAY_NAMES = re.compile(r"\b(mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?s?\b")
# Sessions a week, for a figure said per session ("three evenings a week, 2 hours each").
SESSION_WORDS = r"x|times|days|evenings|nights|mornings|afternoons|sessions"
SESSIONS = re.compile(
    rf"\b(once|twice|thrice|{NUM}\s*(?:{SESSION_WORDS}))"
    r"\s*(?:a|per|each|every|/|in a)\s*(?:week|wk)\b"
)
SESSION_COUNTS = {"once": 1, "twice": 2, "thrice": 3}
# Hours that are the person's work, not their study time: said after a verb of work ("I
# work 40 hours", "drive 11 hours a day") or naming a stretch of work ("12 hr shifts").
WORK_BEFORE = re.compile(
    r"\b(?:work|works|worked|working|drive|drives|driving|shifts?|job|commute|sleep|clock|pull|pulling)"
    r"\s+(?:(?:about|around|like|roughly|over|almost|nearly|for|maybe|usually|is|are|was|were|~)\s+){0,2}$"
)
WORK_AFTER = re.compile(
    r"^[\s-]*(?:shifts?|days|nights|weeks|drives?|commutes?|runs?"
    r"|(?:at|on) (?:work|my job|the job|shift|my feet|the road|the line)|behind the wheel"
    r"|of (?:sleep|driving|work|overtime))\b"
)
# A second figure after the unit ("an hour or two a day") is the range's top.
RANGE_TAIL = re.compile(rf"^\s*(?:-|to|or|–)\s*{NUM}\b")
HORIZON = re.compile(rf"\b({NUM})[\s-]*(month|week|year)s?\b(?![\s-]*(?:old|ago))")
EXPERIENCE = re.compile(
    rf"(?<!\bin )(?<!\bnext )(?<!\bwithin )\b({NUM})\+?\s*(?:years?|yrs?)\b(?!\s*(?:old|ago|from now|time))"
)
DECADES = re.compile(r"\b(a|one|two|three|four) decades?\b")


def _number(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if text in NUMBER_WORDS:
        return float(NUMBER_WORDS[text])
    try:
        return float(text)
    except ValueError:
        return None


def normalise(text: str) -> str:
    """NFKC, no control characters, single spaces, lower case: for number patterns."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip().lower().replace("’", "'")


@dataclass
class HoursReading:
    hours: float
    said: float  # what the person wrote, before clamping
    clamped: bool


def read_hours(text: str) -> HoursReading | None:
    """Weekly hours from phrasings like '5 hours a week', 'an hour a day', 'evenings, maybe 3 hours'.

    Hours of work ("I work 40 hours a week", "12 hr shifts") are not study time; of several
    readings the last one counts, as people usually end with what they can spare.
    """
    lowered = normalise(text)
    pattern = re.compile(
        rf"\b({NUM})(?:-?ish)?(?:\s*(?:-|to|or|–)\s*({NUM}))?(?=\s*(?:{HOUR_WORDS}|minutes?|mins?)\b)"
        rf"|\b(?:do|spare|give|put in|manage|have|find)\s+(?:like\s+|maybe\s+|about\s+)?({NUM})"
        r"(?=\s*(?:a|per|/|each)\s*(?:week|wk)\b)"
    )
    readings: list[HoursReading] = []
    for match in pattern.finditer(lowered):
        low = _number(match.group(1) or match.group(3))
        if low is None:
            continue
        before = lowered[max(0, match.start() - 40) : match.start()]
        if WORK_BEFORE.search(before):
            continue
        rest = lowered[match.end() :]
        unit = HOUR_UNIT.match(rest) or MINUTE_UNIT.match(rest)
        if unit is None and match.group(3) is None:
            continue
        minutes = unit is not None and unit.group(0).strip().startswith("m")
        after = rest[unit.end() :] if unit else rest
        if WORK_AFTER.match(after):
            continue
        after = RANGE_TAIL.sub("", after)
        after = re.sub(
            r"^\s*(?:of (?:study|learning|free time|spare time)|free|spare|to (?:spare|study|learn))\b",
            "",
            after,
        )
        if minutes:
            low /= 60
        weekly = low * _per_week(after, lowered, minutes)
        if weekly <= 0:
            continue
        clamped = min(max(weekly, MIN_HOURS_PER_WEEK), MAX_HOURS_PER_WEEK)
        rounded = math.floor(clamped * 2 + 0.5) / 2
        readings.append(HoursReading(rounded, round(weekly, 1), not math.isclose(clamped, weekly)))
    return readings[-1] if readings else None


def _per_week(after: str, lowered: str, minutes: bool) -> float:
    """How many times a week a figure counts, from what follows it and the whole message."""
    if PER_MONTH.match(after):
        return 12 / 52
    if WEEKDAYS.match(after):
        return 5
    if PER_DAY.match(after):
        days = after[:40]
        if ONLY_WEEKDAYS.search(days):
            return 5
        return 2 if ONLY_WEEKENDS.search(days) else 7
    if PER_WEEK.match(after):
        return 1
    named_days = set(DAY_NAMES.findall(after[:30]))
    if len(named_days) >= 2:
        return len(named_days)  # "3 hours saturday and sunday"
    sessions = _sessions_a_week(lowered)
    if sessions:
        return sessions
    if ONLY_WEEKDAYS.search(lowered):
        return 5  # "monday to friday, 1 hour each"
    if "week" in lowered or "evening" in lowered or not minutes:
        return 1
    return 7  # "30 minutes" on its own reads as a daily habit


def _sessions_a_week(lowered: str) -> float | None:
    """'three evenings a week', 'twice a week', '3x a week': not days of work."""
    for found in SESSIONS.finditer(lowered):
        if WORK_BEFORE.search(lowered[max(0, found.start() - 40) : found.start()]):
            continue
        said = found.group(1)
        count = SESSION_COUNTS.get(said) or _number(re.split(rf"\s*(?:{SESSION_WORDS})", said)[0])
        if count and 1 <= count <= 7:
            return count
    return None


def read_experience(text: str) -> float | None:
    lowered = normalise(text)
    if re.search(r"\b(?:in|my) (?:my |the )?(?:twenties|thirties|forties|fifties|sixties)\b", lowered):
        lowered = re.sub(r"\b(?:twenties|thirties|forties|fifties|sixties)\b", " ", lowered)
    for match in EXPERIENCE.finditer(lowered):
        window = lowered[max(0, match.start() - 30) : match.start()]
        if re.search(r"\b(plan|course|degree|in the next|for the next|over the next)\s*$", window):
            continue
        following = lowered[match.end() : match.end() + 20]
        if re.match(r"[\s-]*(?:long )?(?:course|degree|program(?:me)?|plan|contract|apprentice)", following):
            continue
        years = _number(match.group(1))
        if years is not None and 0 < years <= 60:
            return years
    decade = DECADES.search(lowered)
    if decade:
        return float(NUMBER_WORDS.get(decade.group(1), 1) * 10)
    return None


def read_horizon_weeks(text: str) -> int | None:
    """'a 3-month plan' -> 13 weeks. Only when a plan is asked for: 'in 5 years' is no horizon."""
    if not re.search(r"\b(plan|roadmap|schedule|programme|program)\b", normalise(text)):
        return None
    match = HORIZON.search(normalise(text))
    if not match or "hour" in normalise(text)[match.end() : match.end() + 8]:
        return None
    count = _number(match.group(1))
    if count is None or count <= 0:
        return None
    per = {"week": 1, "month": 52 / 12, "year": 52}[match.group(2)]
    weeks = round(count * per)
    return weeks if 1 <= weeks <= 260 else None
