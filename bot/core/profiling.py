"""Reading who is asking out of free text, offline: current and target role, hours per week,
years of experience, skills they want to learn, and the horizon of a plan.

Role names are matched first (titles and aliases, stemmed, so "designers" finds "designer");
a phrase after a cue such as "I work in ..." that names no role is then matched by meaning
against every role name, with a confidence threshold: sure enough, it is taken; nearly sure,
the coach asks "did you mean ...?"; otherwise it is left alone.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bot.core.embeddings import Embedder
from bot.core.knowledge.loader import KnowledgeBase
from bot.core.planner import MAX_HOURS_PER_WEEK, MIN_HOURS_PER_WEEK
from bot.core.text import fold

MentionKind = Literal["current", "target", "topic"]

ACCEPT_SIMILARITY = 0.6
ASK_SIMILARITY = 0.55
ACCEPT_WORKPLACE = 0.78
SURE_SIMILARITY = 0.9
ASK_WORKPLACE = 0.7
WINDOW = 6  # words before a name that decide whether it is someone's job or their goal

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

# Words between the cue and the job title that say nothing about which it is.
FILLERS = {
    "a", "an", "the", "senior", "junior", "freelance", "freelancer", "former", "experienced",
    "qualified", "certified", "full", "time", "part", "self", "employed", "trainee", "lead",
    "head", "professional", "young", "new", "working", "currently", "just", "still", "long",
    "retired", "newly", "also", "my", "our", "local", "small", "big",
}  # fmt: skip
CURRENT_CUES = [
    "i m", "im", "i am", "i ve been", "i have been", "been", "i was", "work as", "working as",
    "worked as", "employed as", "job as", "role as", "position as", "i do", "i ve done", "done",
    "doing", "i drive", "i work in", "work in", "i m in", "i am in", "working in", "worked in",
    "from", "as", "my job is", "job is", "i work at", "we re", "as an", "i run", "i teach",
    "i work on", "work on", "working on", "i drive for", "drive for", "i work for",
]  # fmt: skip
WANT_WORDS = {
    "want", "wanna", "like", "love", "hope", "hoping", "plan", "planning", "dream", "aspire",
    "aspiring", "aim", "goal", "become", "becoming", "retrain", "switch", "switching", "move",
    "moving", "transition", "transitioning", "pivot", "into", "toward", "towards", "future",
    "path", "route", "roadmap", "considering", "thinking", "could", "land", "hired", "apply",
    "to",
}  # fmt: skip
PERSON_WORDS = {
    "worker", "driver", "clerk", "agent", "operator", "representative", "specialist", "assistant",
    "analyst", "designer", "engineer", "manager", "officer", "rep", "writer", "creator", "keyer",
    "operative", "associate", "advisor", "adviser", "executive", "consultant", "developer",
}  # fmt: skip
SELF_REFERENCE = re.compile(
    r"\b(replace me|my (?:job|role|work|career|position|team|firm|company|employer|manager|boss|clients|"
    r"students|patients|industry)|am i\b|should i (?:be )?worr|for me\b|i'm worried|i am worried|"
    r"i'm scared|i am scared|will i (?:lose|still))"
)
# How sure a cue makes us that the phrase after it is a job: "I'm a ..." names the job; "I work
# at ..." names a workplace, which suggests a job only when the match is very close.
IDENTITY_CUES = {"i m a", "i m an", "i am a", "i am an", "work as a", "working as", "worked as",
                 "my job is", "i ve been a", "i work as", "become a", "become an", "retrain as",
                 "i drive", "i drive for", "i do", "i ve done"}  # fmt: skip
GREETINGS = {"hi", "hello", "hey", "hiya", "yo", "so", "ok", "okay", "well", "um", "hmm", "im", "i", "m"}
TARGET_CUES = [
    "become", "becoming", "be", "into", "to", "towards", "toward", "get into", "break into",
    "career as", "career in", "job as", "work as", "retrain as", "train as", "switch to",
    "move to", "transition to", "pivot to", "path to", "future as", "aspiring", "job in",
    "work in", "role as", "role in", "move into", "moving into", "get a job as",
]  # fmt: skip
LEARN_INTENT = re.compile(
    r"\b(what (?:would|do|should|will) i (?:need to )?learn|how (?:do|can|could|would|should) i "
    r"(?:become|get (?:into|started)|start|break into|move into|switch)|how to become|skills? (?:do|would) "
    r"i need|what (?:would|do) i need|what (?:skills|qualifications)|how do people get into|entry path)"
)
LEARN_VERBS = re.compile(
    r"\b(learn|learning|study|studying|master|pick up|get better at|improve|practi[cs]e|upskill in|"
    r"train in|course (?:in|on)|plan (?:to|for)|teach me)\b"
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


@dataclass(frozen=True)
class Mention:
    doc_id: str
    start: int  # word index in the folded text
    end: int
    kind: MentionKind
    confidence: float = 1.0


@dataclass
class Understanding:
    current_role: str | None = None
    target_role: str | None = None
    ask_current: str | None = None  # "did you mean ...?" candidates
    ask_target: str | None = None
    hours: HoursReading | None = None
    experience_years: float | None = None
    horizon_weeks: int | None = None
    roles: list[Mention] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    learn_skills: list[str] = field(default_factory=list)
    guides: list[str] = field(default_factory=list)
    learn_intent: bool = False

    @property
    def topic_roles(self) -> list[str]:
        return [m.doc_id for m in self.roles if m.kind == "topic"]

    @property
    def states_profile(self) -> bool:
        return bool(self.current_role or self.target_role or self.hours or self.experience_years)


def _words(text: str) -> list[str]:
    return fold(text).split()


def _stem(words: Sequence[str]) -> list[str]:
    from bot.core.text import _stemmer

    return _stemmer().stemWords(list(words))


class NameIndex:
    """Every name a document goes by, for phrase matching in free text.

    Names of several words match on stems ("graphic designers" finds "graphic designer");
    one-word names match the word itself or its plural only, because stemming a one-word
    title turns it into a common word ("reporter" into "report").
    """

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self._phrases: dict[tuple[str, ...], str] = {}
        self._words: dict[str, str] = {}
        for doc_id, doc_names in names.items():
            for name in doc_names:
                words = _words(name)
                if len(words) >= 2:
                    self._phrases.setdefault(tuple(_stem(words)), doc_id)
                elif words and len(words[0]) >= 3:  # "pa", "rn": too many false matches
                    self._words.setdefault(words[0], doc_id)
                    self._words.setdefault(words[0] + "s", doc_id)
        # "call centre" from "call centre agent", "assembly line" from "assembly line worker":
        # people name the work more often than the title. Full names registered first win.
        for doc_id, doc_names in names.items():
            for name in doc_names:
                words = _words(name)
                if len(words) >= 3 and words[-1] in PERSON_WORDS:
                    self._phrases.setdefault(tuple(_stem(words[:-1])), doc_id)
        self._longest = max((len(p) for p in self._phrases), default=1)

    def find(self, words: Sequence[str], stems: Sequence[str]) -> list[tuple[str, int, int]]:
        """Longest non-overlapping matches as (doc id, start, end)."""
        found: list[tuple[str, int, int]] = []
        i = 0
        while i < len(stems):
            for size in range(min(self._longest, len(stems) - i), 1, -1):
                doc_id = self._phrases.get(tuple(stems[i : i + size]))
                if doc_id is not None:
                    found.append((doc_id, i, i + size))
                    i += size
                    break
            else:
                doc_id = self._words.get(words[i])
                if doc_id is not None:
                    found.append((doc_id, i, i + 1))
                i += 1
        return found


def _ends_with(words: Sequence[str], cues: Sequence[str]) -> bool:
    joined = " " + " ".join(words)
    return any(joined.endswith(" " + cue) for cue in cues)


def _strip_fillers(words: list[str]) -> list[str]:
    while words and words[-1] in FILLERS:
        words = words[:-1]
    return words


LOOSE_STOP = {"worried", "sure", "not", "thinking", "told", "that", "about", "like", "with",
              "afraid", "scared", "and", "or", "what", "how", "if", "when"}  # fmt: skip


def classify(words: Sequence[str], start: int, end: int) -> MentionKind:
    """Is the name at words[start:end] the person's job, their goal, or just a topic?"""
    before = _strip_fillers(list(words[max(0, start - WINDOW) : start]))
    after = list(words[end : end + 2])
    wants = any(w in WANT_WORDS for w in before if w != "to") or _ends_with(before, ["to", "to be"])
    if wants and _ends_with(before, TARGET_CUES):
        return "target"
    loose = before[:-1] if before and before[-1] not in LOOSE_STOP else before
    if (
        _ends_with(before, CURRENT_CUES)
        or (loose != before and _ends_with(_strip_fillers(loose), CURRENT_CUES))
        or after[:1] == ["here"]
        or after[:2] == ["by", "trade"]
    ):
        return "current"
    opening = all(w in FILLERS or w in GREETINGS for w in words[:start])
    if opening and (not after or after[0] not in {"or", "vs", "versus", "and", "is", "are", "do", "does"}):
        return "current"  # "picker packer at an amazon warehouse, what next?"
    if _ends_with(
        before,
        ["become", "becoming", "get into", "break into", "move into", "retrain as", "career as", "into"],
    ):
        return "target"
    return "topic"


def _cue_phrases(words: Sequence[str]) -> list[tuple[MentionKind, str, str]]:
    """Phrases after a cue that may name a job in words no alias has: 'I work in a call centre'."""
    stops = {"and", "but", "so", "because", "since", "for", "at", "with", "where", "which", "who",
             "into", "to", "while", "than", "about", "i", "my", "what", "how", "is", "are", "it"}  # fmt: skip
    cues = {
        "current": ["i m a", "i m an", "i am a", "i am an", "i work in", "i work as", "i work at",
                    "i drive", "i do", "my job is", "i ve done", "i ve been a", "i m in", "worked as",
                    "work as a", "working as", "i work on", "i drive for", "i work for"],
        "target": ["become a", "become an", "get into", "break into", "move into", "career in",
                   "retrain as", "transition into", "switch to", "move to"],
    }  # fmt: skip
    found: list[tuple[MentionKind, str, str]] = []
    joined = " ".join(words)
    for kind, kind_cues in cues.items():
        for cue in kind_cues:
            for match in re.finditer(rf"(?:^| ){re.escape(cue)} ", joined):
                head = joined[: match.start()].split()[-WINDOW:]
                wants = any(w in WANT_WORDS - {"to", "into"} for w in head)
                real_kind: MentionKind = "target" if (kind == "target" or wants) else "current"
                tail = joined[match.end() :].split()
                phrase: list[str] = []
                for word in tail:
                    if word in stops or len(phrase) >= 5:
                        break
                    if word not in FILLERS or phrase:
                        phrase.append(word)
                if phrase:
                    found.append((real_kind, " ".join(phrase), cue))
    return found


def _shares_qualifier(phrase: str, name: str) -> bool:
    """Do the phrase and the role name share a word other than the generic head?"""
    generic = PERSON_WORDS | FILLERS | {"technician", "person", "staff", "employee", "tutor", "officer"}
    mine = {w for w in _stem(_words(phrase)) if w not in generic}
    theirs = {w for w in _stem(_words(name)) if w not in generic}
    return bool(mine & theirs)


class RoleMatcher:
    """Matches phrases to roles by meaning, with vectors of every role name built once."""

    def __init__(self, kb: KnowledgeBase, embedder: Embedder) -> None:
        self._embedder = embedder
        self._labels: list[str] = []
        self._texts: list[str] = []
        for role_id, role in kb.roles.items():
            for name in [role.title, *role.aliases]:
                self._labels.append(role_id)
                self._texts.append(name)
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def _matrix(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                vectors = np.asarray(self._embedder.embed_documents(self._texts), dtype=np.float32)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                self._vectors = vectors / np.where(norms == 0, 1, norms)
            return self._vectors

    def best(self, phrase: str) -> tuple[str, float, str] | None:
        """The closest role name as (role id, cosine similarity, the name)."""
        matrix = self._matrix()
        if not len(matrix):
            return None
        query = np.asarray(self._embedder.embed_query(phrase), dtype=np.float32)
        query /= np.linalg.norm(query) or 1.0
        scores = matrix @ query
        index = int(np.argmax(scores))
        return self._labels[index], float(scores[index]), self._texts[index]

    def best_prefix(self, phrase: str) -> tuple[str, float, str] | None:
        """The best match of the phrase or of its opening words: 'call centre answering
        billing questions' names its job in the first two words."""
        words = phrase.split()
        candidates = [" ".join(words[:n]) for n in range(len(words), 0, -1)]
        results = [r for r in (self.best(c) for c in candidates) if r is not None]
        return max(results, key=lambda r: r[1], default=None)


class Profiler:
    """Reads an Understanding out of one message. Synchronous: call it off the event loop."""

    def __init__(self, kb: KnowledgeBase, embedder: Embedder) -> None:
        names = lambda docs: {i: [m.title, i.replace("-", " "), *m.aliases] for i, m in docs.items()}  # noqa: E731
        self.roles = NameIndex(names(kb.roles))
        self.skills = NameIndex(names(kb.skills))
        self.guides = NameIndex(names(kb.guides))
        self.matcher = RoleMatcher(kb, embedder)

    def read(self, text: str) -> Understanding:
        words = _words(text)
        stems = _stem(words)
        result = Understanding(
            hours=read_hours(text),
            experience_years=read_experience(text),
            horizon_weeks=read_horizon_weeks(text),
        )
        lowered = normalise(text)
        result.learn_intent = bool(LEARN_INTENT.search(lowered))

        for role_id, start, end in self.roles.find(words, stems):
            result.roles.append(Mention(role_id, start, end, classify(words, start, end)))
        current = [m for m in result.roles if m.kind == "current"]
        target = [
            m for m in result.roles if m.kind == "target" and m.doc_id not in {c.doc_id for c in current}
        ]
        result.current_role = current[0].doc_id if current else None
        result.target_role = target[0].doc_id if target else None

        if result.current_role is None or result.target_role is None:
            self._match_by_meaning(words, result)
        topics = list(dict.fromkeys(result.topic_roles))
        if result.target_role is None and result.learn_intent and len(topics) == 1:
            result.target_role = topics[0]  # "what does X do and what would I need to learn?"
        elif result.current_role is None and len(topics) == 1 and SELF_REFERENCE.search(lowered):
            result.current_role = topics[0]  # "Bookkeeping for small firms: will software replace me?"

        for skill_id, start, _end in self.skills.find(words, stems):
            if skill_id not in result.skills:
                result.skills.append(skill_id)
            before = " ".join(words[max(0, start - WINDOW) : start])
            if LEARN_VERBS.search(before) and skill_id not in result.learn_skills:
                result.learn_skills.append(skill_id)
        result.guides = list(dict.fromkeys(g for g, _, _ in self.guides.find(words, stems)))
        return result

    def _match_by_meaning(self, words: Sequence[str], result: Understanding) -> None:
        named = {m.doc_id for m in result.roles}
        for kind, phrase, cue in _cue_phrases(words):
            if kind == "current" and (result.current_role or result.ask_current):
                continue
            if kind == "target" and (result.target_role or result.ask_target):
                continue
            best = self.matcher.best_prefix(phrase)
            if best is None:
                continue
            role_id, similarity, name = best
            if role_id in named and kind == "current":
                continue
            identity = cue in IDENTITY_CUES
            accept = ACCEPT_SIMILARITY if identity else ACCEPT_WORKPLACE
            ask = ASK_SIMILARITY if identity else ASK_WORKPLACE
            # Names that agree only on their head word ("lab technician" and "electrical
            # technician", "care worker" and "factory worker") are different jobs: ask.
            if similarity >= SURE_SIMILARITY or (similarity >= accept and _shares_qualifier(phrase, name)):
                setattr(result, f"{kind}_role", role_id)
            elif similarity >= ask:
                setattr(result, f"ask_{kind}", role_id)
        if result.current_role and result.target_role == result.current_role:
            result.target_role = None
