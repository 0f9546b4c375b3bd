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

HOUR_UNIT = re.compile(r"\s*(?:hours?|hrs?|h)\b")
MINUTE_UNIT = re.compile(r"\s*(?:minutes?|mins?)\b")
PER_WEEK = re.compile(
    r"^\W*(?:a|per|each|every|/|in a|a)?\s*(?:week|wk)\b|^\W*weekly|^\W*pw\b"
    r"|^\W*(?:at|on|over) (?:the )?weekends?"
)
PER_DAY = re.compile(
    r"^\W*(?:a|per|each|every|/)?\s*(?:day|night|evening|morning|lunch ?break)\b|^\W*daily|^\W*nightly"
)
WEEKDAYS = re.compile(r"^\W*(?:a|per|each|every|on)?\s*(?:weekday|workday|work day|working day)s?\b")
PER_MONTH = re.compile(r"^\W*(?:a|per|each|every|/)?\s*month\b|^\W*monthly")
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

    Hours of work ("I work 40 hours a week") are not study time; of several readings the last
    one counts, as people usually end with what they can spare.
    """
    lowered = normalise(text)
    pattern = re.compile(
        rf"\b({NUM})(?:\s*(?:-|to|or|–)\s*({NUM}))?(?=\s*(?:hours?|hrs?|h|minutes?|mins?)\b)"
    )
    readings: list[HoursReading] = []
    for match in pattern.finditer(lowered):
        low = _number(match.group(1))
        if low is None:
            continue
        before = lowered[max(0, match.start() - 30) : match.start()]
        if re.search(r"\b(work|works|worked|working|shifts?|job|commute|sleep)\s+(?:\w+\s+){0,2}$", before):
            continue
        rest = lowered[match.end() :]
        unit = HOUR_UNIT.match(rest) or MINUTE_UNIT.match(rest)
        if unit is None:
            continue
        minutes = unit.group(0).strip().startswith("m")
        after = rest[unit.end() :]
        after = re.sub(
            r"^\s*(?:of (?:study|learning|free time|spare time)|free|spare|to (?:spare|study|learn))\b",
            "",
            after,
        )
        if minutes:
            low /= 60
        if PER_MONTH.match(after):
            weekly = low * 12 / 52
        elif WEEKDAYS.match(after):
            weekly = low * 5
        elif PER_DAY.match(after):
            weekly = low * 7
        elif PER_WEEK.match(after) or "week" in lowered or "evening" in lowered or not minutes:
            weekly = low
        else:
            weekly = low * 7  # "30 minutes" on its own reads as a daily habit
        if weekly <= 0:
            continue
        clamped = min(max(weekly, MIN_HOURS_PER_WEEK), MAX_HOURS_PER_WEEK)
        rounded = round(clamped * 2) / 2
        readings.append(HoursReading(rounded, round(weekly, 1), not math.isclose(clamped, weekly)))
    return readings[-1] if readings else None


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
