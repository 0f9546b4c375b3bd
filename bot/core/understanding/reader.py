"""Reading one message: what the person means now, who they are, what they want, what they know.

One embedding call per message covers the whole message (its dialogue act) and each of its
clauses (each clause's frame, and which role or occupation it describes). Synchronous: the
service calls it off the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.core.embeddings import Embedder
from bot.core.knowledge.loader import KnowledgeBase
from bot.core.understanding.acts import Guess, MeaningModel, confidence
from bot.core.understanding.language import LanguageDetector
from bot.core.understanding.names import NameIndex, _stem, _words
from bot.core.understanding.numbers import (
    HoursReading,
    read_experience,
    read_horizon_weeks,
    read_hours,
)
from bot.core.understanding.occupations import OccupationTable
from bot.core.understanding.recognition import Match, Recogniser

# Role documents ranked for a text, with the best chunk's cosine similarity: the hybrid
# retrieval the knowledge base already has, as one more text of each role.
RoleSearch = Callable[[str, Sequence[float] | None], list[tuple[str, float]]]
RETRIEVAL_WEIGHT = 0.95
RETRIEVAL_RANK_LIFT = (0.08, 0.04, 0.02)
# Emerging AI roles are where people go, rarely what they do now: as present work they must
# be named ("I'm an ML engineer"), since a clause about AI tools is near all of them.
EMERGING_AS_WORK_PENALTY = 0.08
# Keyword search over every entity's names, description and O*NET tasks, lifting by rank too.
KEYWORD_RANK_LIFT = (0.15, 0.08, 0.04)

# Confidence in a role or occupation (a cosine similarity, lifted when the name is said):
# sure enough to take it, close enough to ask about, or nothing. Calibrated on the public
# and first-round held-out questions, not on the frozen evaluation.
SURE = 0.5
ASK = 0.42
OPENING_TITLE_WORDS = 5
LIST_ITEM_WORDS = 3
POINTING_WISH_WORDS = 5
# The speaker as a clause's subject, and words that make someone else its subject.
SPEAKER = frozenset({"i", "i'm", "im", "i've", "ive", "i'd", "me", "myself"})
SOMEONE_ELSE = frozenset({"my", "his", "her", "their", "he", "she", "they", "he's", "she's", "they're"})
NEGATIONS = frozenset(
    {"not", "never", "nor", "isn't", "isnt", "aren't", "arent", "ain't", "aint", "don't", "dont",
     "doesn't", "doesnt", "wasn't", "wasnt", "won't", "wont", "haven't", "havent", "can't", "cant"}
)  # fmt: skip
# A goal is said with a wish or a move: a verb of wanting, a modal, or a verb of changing
# course. A clause with none of these ("i build churn models in python at a telecom") is not a
# goal, however near its content is to goal examples: the frame examples cannot see grammar.
WISH_WORDS = frozenset(
    {"want", "wants", "wanted", "wanna", "would", "i'd", "id", "like", "love", "hope", "hoping",
     "hopefully", "plan", "planning", "aim", "aiming", "try", "trying", "looking", "dream",
     "aspire", "considering", "consider", "thinking", "interested", "curious", "eventually", "someday",
     "become", "becoming", "switch", "switching", "pivot", "pivoting", "transition", "move",
     "moving", "get", "getting", "break", "go", "going", "gonna", "could", "should", "maybe",
     "next", "future", "learn", "learning", "prefer", "rather", "instead", "wish", "goal", "career",
     "how"}
)  # fmt: skip
# Verbs of wanting and modals of possibility that open a clause about a wish (closed classes).
OPENING_WISHES = frozenset(
    {"want", "wanna", "wants", "hope", "hoping", "would", "i'd", "id", "could", "aiming", "aspire",
     "dream", "planning", "considering"}
)  # fmt: skip
# Verbs of learning: "i want to learn python" asks for a plan of it, it does not say it is known.
LEARNING_WORDS = frozenset({"learn", "learning", "study", "studying", "upskill", "upskilling"})
# Thanks (a closed class): said with no other act the reading is sure of, a message thanks.
GRATITUDE = frozenset({"thanks", "thank", "thx", "ty", "appreciate", "appreciated", "cheers", "grateful"})
SURE_BESIDE_THANKS = 0.75
LEADING_WORDS = frozenset({"i", "and", "but", "so", "really", "honestly", "maybe", "also", "still", "just"})
PROPOSAL = re.compile(r"\b(?:what|how) about\b", re.IGNORECASE)  # "what about AI governance?"
# A question in form: a question mark, or an opening wh-word or auxiliary (grammar's closed
# classes). "junior web developer worried about Copilot" is no question, whatever it is near.
INTERROGATIVE = re.compile(
    r"\?|^\W*(?:(?:and|but|so|ok|okay|then|well|hmm|also)\W+)?"
    r"(?:what|who|whom|which|why|how|when|where|is|are|was|were|do|does|did|can|could|should|"
    r"would|will|shall|may|might|tell me)\b",
    re.IGNORECASE,
)
FIRST_PERSON_WORDS = SPEAKER | {"my", "we", "our", "us", "we're", "mine"}
# A workplace is not a job: "I work at a bank" could be a teller, a loan officer or a cleaner,
# so the coach asks, offering the closest jobs, unless one job clearly stands out for the place
# ("I work in a call centre"). A clause that says only where they work.
WORKPLACE_ONLY = re.compile(
    r"^\W*(?:i\s+|i'm\s+|im\s+)?(?:work|working|am working)\s+(?:at|in|for)\s+"
    r"(?:a|an|the|my|our|this|one of)?\s*(?:[^\W\d_]+\s*){1,3}\W*$",
    re.IGNORECASE,
)
CLEARLY_OTHER = 0.9
# An opening clause of a few words read as someone else's or a past job, but not clearly so
# ("commercial painter", "family med doc"), is their present work when it says a job's name
# or is as near one as a name is.
OPENING_UNCLEAR = ("other", "past")
NAME_LIKE = 0.75
# A workplace names a job only when one is this close and this far ahead of the next.
WORKPLACE_JOB = 0.9
WORKPLACE_MARGIN = 0.1
MARGIN = 0.03  # a top match this close to a different runner-up is a question, not a fact

# Acts whose words are never a bare job title ("thanks", "yes", "why?").
NOT_A_JOB_ACTS = frozenset(
    {"smalltalk", "affirm", "deny", "retarget", "compare", "known_skill", "how_long", "why_role",
     "first_step", "full_plan", "change_hours"}
)  # fmt: skip

CLAUSE_BREAK = re.compile(
    # "and" before a new subject, or before a verb whose subject is the same person ("I drive
    # for Uber and want to switch"), starts a clause of its own.
    r"[.!?;\n]+|,\s*|\s+-\s+|\s+(?:but|and|so|because|though|although|while|whereas|now)\s+"
    r"(?=(?:i|i'm|im|my|now|we|want|wanna|would|hope|hoping|plan|planning|thinking|looking|trying)\b)",
    re.IGNORECASE,
)


@dataclass
class Reading:
    act: str = "plan"
    acts: list[Guess] = field(default_factory=list)
    current: list[Match] = field(default_factory=list)  # best first
    target: list[Match] = field(default_factory=list)  # knowledge-base roles only
    mentioned: list[Match] = field(default_factory=list)  # roles named or described anywhere
    near_roles: list[Match] = field(default_factory=list)  # the roles closest to their present work
    anywhere: list[Match] = field(default_factory=list)  # roles closest to the whole message
    describes_work: bool = False  # some clause is about their present work
    stays: bool = False  # some clause says they want to keep their job and upgrade in it
    learning: bool = False  # some clause wishes to learn something ("i want to learn python")
    hours: HoursReading | None = None
    experience_years: float | None = None
    horizon_weeks: int | None = None
    skills: list[str] = field(default_factory=list)  # skills the message names
    language: str = "en"

    workplace_only: bool = False  # their work is described only by where it is ("I work at a bank")

    @property
    def current_sure(self) -> bool:
        if not is_sure(self.current):
            return False
        stands_out = (
            self.current[0].score >= WORKPLACE_JOB and lead_over_next(self.current) >= WORKPLACE_MARGIN
        )
        return not self.workplace_only or stands_out

    @property
    def goal(self) -> str | None:
        """The role a wish names or describes, if it names one."""
        return self.target[0].role_id if names_one_role(self.target) else None

    def act_score(self, act: str) -> float:
        return confidence(self.acts, act)


def _joined(vectors: np.ndarray, rows: list[int]) -> np.ndarray:
    """The vector of some clauses read together, from those already embedded (`vectors`: the
    message's, then each clause's): one clause's own, the whole message's for all of them, and
    for some of them the direction of their mean, which stands in for embedding their joined
    text again (a forward pass is most of a message's cost)."""
    if len(rows) == 1:
        return vectors[1 + rows[0]]
    if len(rows) == len(vectors) - 1:
        return vectors[0]
    mean = vectors[[1 + r for r in rows]].mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)


def lead_over_next(matches: list[Match]) -> float:
    """How far the top match is ahead of the next one that is something else (a role's own
    occupations are that role); the top score itself when nothing else is near."""
    top = matches[0]
    runner = next((m for m in matches[1:] if m.role_id != top.role_id or m.role_id is None), None)
    return top.score - (runner.score if runner else 0.0)


def is_sure(matches: list[Match]) -> bool:
    if not matches or matches[0].score < SURE:
        return False
    return lead_over_next(matches) >= MARGIN or matches[0].score >= SURE + 0.15


def names_one_role(matches: list[Match]) -> bool:
    """Whether a wish points at one role: close enough to ask about, and clear of the next.
    A wish near many roles alike ("something with AI", "less physical, maybe in tech") names
    none, however close it is to each; the coach then suggests roles from the person's work."""
    if not matches or matches[0].score < ASK:
        return False
    return lead_over_next(matches) >= MARGIN  # a wish's matches are roles only


def close_candidates(matches: list[Match], limit: int = 3) -> list[Match]:
    """The distinct candidates worth offering as choices."""
    chosen: list[Match] = []
    for match in matches:
        if match.score < ASK or any(c.entity.key == match.entity.key for c in chosen):
            continue
        if match.role_id and any(c.role_id == match.role_id for c in chosen):
            continue
        chosen.append(match)
        if len(chosen) >= limit:
            break
    return chosen


def frame_of(
    guesses: list[Guess], names_a_job: bool = False, claims_it: bool = False, wishes: bool = True
) -> str:
    """A clause's frame. 'other' wins only when clearly so: long clauses mix a self-description
    with other matter ("I'm a paralegal and document review is being automated"). A goal needs
    a wish or a move said (`wishes`)."""
    p = {g.label: g.confidence for g in guesses}
    for kind in ("stay", "goal", "past"):
        if kind == "goal" and not wishes:
            continue
        if guesses[0].label == kind or p.get(kind, 0) >= 0.5:
            return kind
    # A clause in which the person says a job's name of themselves needs more to be read as not
    # about them; said of someone else or denied ("my brother is a paralegal", "not a
    # programmer"), the name is no claim.
    strict = names_a_job and claims_it
    return "other" if p.get("other", 0) >= (0.99 if strict else 0.85) else "current"


def words_in_order(text: str) -> list[str]:
    """The words of a text, lower case, apostrophes kept ("i'm"): for the closed word classes."""
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())


def word_set(text: str) -> set[str]:
    return set(words_in_order(text))


def speaks_of_self(clause: str) -> bool:
    """Whether a clause could claim a job for the person: it denies nothing, and it is not
    about someone else (a possessive or third-person subject with no "I": "my brother is a
    paralegal"). Grammar's closed classes, not phrasings; telegraphic self-descriptions
    ("junior web developer worried about Copilot") still count."""
    words = word_set(clause)
    of_someone_else = bool(words & SOMEONE_ELSE) and not words & SPEAKER
    return not of_someone_else and not words & NEGATIONS


def asks_about_others(clause: str) -> bool:
    """A question with no first person ("what is prompt engineering?", "how are teachers
    supposed to cope?") describes nobody's own work."""
    words = word_set(clause)
    return bool(INTERROGATIVE.search(clause)) and not words & FIRST_PERSON_WORDS


def says_a_wish(clause: str) -> bool:
    words = word_set(clause)
    return bool(words & WISH_WORDS) or bool(PROPOSAL.search(clause))


def wants_to_learn(clauses: Sequence[str]) -> bool:
    """A wish to learn something ("i want to learn python", "just want to learn ai stuff"),
    not a skill already held ("I learned SQL years ago")."""
    for clause in clauses:
        words = word_set(clause)
        if words & LEARNING_WORDS and says_a_wish(clause) and not words & NEGATIONS:
            return True
    return False


def only_thanks(text: str, reading: Reading) -> bool:
    """Thanks with nothing else asked or told ("ok makes sense, thank you", "appreciate it, see
    you next week"): no question, no skill, hours or role said, and no other act the reading is
    sure of ("thanks! how long will this take?" asks how long)."""
    if not word_set(text) & GRATITUDE or INTERROGATIVE.search(text):
        return False
    if reading.skills or reading.hours or reading.mentioned:
        return False
    return reading.act == "smalltalk" or reading.act_score(reading.act) < SURE_BESIDE_THANKS


def opens_with_a_wish(clause: str) -> bool:
    """A clause led by a verb of wanting or a modal of possibility ("want to get into sales",
    "could i do transcription from home instead") is about what they would do, whatever its
    content is near: the frame examples weigh content more than form."""
    first = next((w for w in words_in_order(clause) if w not in LEADING_WORDS), None)
    return first in OPENING_WISHES


def clauses_of(text: str) -> list[str]:
    """The message's clauses. A short item after a comma ("password resets, laptops, tickets")
    belongs to the clause it lists things of: alone, "tickets" reads as an usher's work."""
    clauses: list[str] = []
    cut = 0
    for found in [*CLAUSE_BREAK.finditer(text), None]:
        part = text[cut : found.start() if found else len(text)].strip(" ,-")
        listed = clauses and len(part.split()) <= LIST_ITEM_WORDS and text[:cut].rstrip().endswith(",")
        if listed:
            clauses[-1] = f"{clauses[-1]}, {part}"
        elif re.search(r"[^\W\d_]", part):
            clauses.append(part)
        cut = found.end() if found else cut
    return clauses or [text]


class Reader:
    def __init__(
        self,
        kb: KnowledgeBase,
        table: OccupationTable,
        embedder: Embedder,
        cache_dir: Path | None = None,
        languages: LanguageDetector | None = None,
        search_roles: RoleSearch | None = None,
    ) -> None:
        self.search_roles = search_roles
        self.kb = kb
        self.table = table
        self.recogniser = Recogniser(kb, table, embedder, cache_dir)
        self.meaning = MeaningModel(embedder, mask=self.recogniser.mask_roles)
        self.languages = languages or LanguageDetector()
        skill_names = {i: [m.title, i.replace("-", " "), *m.aliases] for i, m in kb.skills.items()}
        self._skills = NameIndex(skill_names)
        self._skill_vectors: np.ndarray | None = None
        self._emerging = [r for r, role in kb.roles.items() if role.category == "emerging"]
        self._emerging_columns = {
            r: c for r in self._emerging if (c := self.recogniser.column_of_role(r)) is not None
        }
        self._role_codes = {
            r: list(role.onet_codes) for r, role in kb.roles.items() if role.category != "emerging"
        }

    def warm(self, progress: Callable[[int, int], None] | None = None) -> None:
        self.recogniser.warm(progress)
        self.languages.detect("hola, soy contadora y quiero aprender")

    def read(self, text: str) -> Reading:
        clauses = clauses_of(text)
        masked = self.meaning.mask(text)
        views = [masked] if masked != text else []
        embedded = self.meaning.embed([text, *clauses, *views])
        vectors, view_vectors = embedded[: len(clauses) + 1], embedded[len(clauses) + 1 :]
        reading = Reading(
            hours=read_hours(text),
            experience_years=read_experience(text),
            horizon_weeks=read_horizon_weeks(text),
            language=self.languages.detect(text),
        )
        reading.acts = self.meaning.acts.guess(vectors[0], *view_vectors)
        reading.act = reading.acts[0].label
        scores = self.recogniser.scores(vectors[1:], clauses)
        frames = [self.meaning.frames.guess(v) for v in vectors[1:]]
        kinds = [
            frame_of(f, bool(self.recogniser.named_roles(c)), speaks_of_self(c), says_a_wish(c))
            for f, c in zip(frames, clauses, strict=True)
        ]
        # Grammar the frame examples cannot see: a question about others describes nobody's
        # work, and a clause led by a wish is a goal.
        for i, clause in enumerate(clauses):
            if kinds[i] == "current" and asks_about_others(clause):
                kinds[i] = "other"
            elif kinds[i] == "current" and opens_with_a_wish(clause):
                kinds[i] = "goal"
        # People introduce themselves first, often with a bare title ("paralegal, 6 yrs in
        # immigration law", "hvac tech, residential"): a short opening clause that is a job's
        # name is their present work, unless clearly someone else's ("my brother is a nurse")
        # or clearly past ("ex-teacher").
        # The frame examples cannot judge a clause with no verb.
        # A goal the frame examples read into a bare title is reclaimed; one said with a wish
        # ("want to be a nurse, i work retail") stays a goal.
        unclear = (kinds[0] == "goal" and not opens_with_a_wish(clauses[0])) or (
            kinds[0] in OPENING_UNCLEAR and confidence(frames[0], kinds[0]) < CLEARLY_OTHER
        )
        if (
            len(clauses) > 1
            and len(clauses[0].split()) <= OPENING_TITLE_WORDS
            and unclear
            and (self.recogniser.says_a_job_name(clauses[0]) or float(scores[0].max()) >= NAME_LIKE)
        ):
            kinds[0] = "current"
        # A wish that points back ("they pay people to grade chatbot answers? i want that
        # gig") is about the clause before it, which describes the goal, not their work.
        role_columns = self.recogniser.role_column_array
        for i in range(1, len(clauses)):
            if (
                kinds[i] == "goal"
                and len(clauses[i].split()) <= POINTING_WISH_WORDS
                and float(scores[i, role_columns].max()) < ASK
                and kinds[i - 1] in {"current", "other"}
                and confidence(frames[i - 1], "current") < CLEARLY_OTHER
            ):
                kinds[i - 1] = "goal"
        # A fragment of one word ("@everyone", "lol") describes nobody, unless it is the message
        # or a job's name ("paralegal, 6 yrs in immigration law").
        sized = [len(re.findall(r"[^\W\d_]+", c)) >= 2 or self.recogniser.says_a_job_name(c) for c in clauses]
        current_rows = [i for i, k in enumerate(kinds) if k == "current" and sized[i]]
        goal_rows = [i for i, k in enumerate(kinds) if k == "goal"]
        # A message that only names a job ("barista", "paralegal here") describes the person.
        bare = not current_rows and not goal_rows and len(clauses) == 1 and len(text.split()) <= 3
        if bare and reading.act not in NOT_A_JOB_ACTS:
            current_rows = [0]
        reading.describes_work = bool(current_rows)
        reading.stays = "stay" in kinds
        if current_rows:
            row = self._with_retrieval(
                scores[current_rows].max(axis=0),
                [clauses[i] for i in current_rows],
                _joined(vectors, current_rows),
                present_work=True,
            )
            reading.current = self.recogniser.ranked(row)
            reading.near_roles = self._near_roles(reading.current[0], row)
            reading.workplace_only = all(WORKPLACE_ONLY.match(clauses[i]) for i in current_rows)
        if goal_rows:
            row = self._with_retrieval(
                scores[goal_rows].max(axis=0), [clauses[i] for i in goal_rows], _joined(vectors, goal_rows)
            )
            reading.target = self.recogniser.ranked(row, roles_only=True)
        if reading.act in {"retarget", "compare"}:  # only these read a goal outside goal clauses
            anywhere = self._with_retrieval(scores.max(axis=0), clauses, vectors[0])
            reading.anywhere = self.recogniser.ranked(anywhere, limit=3, roles_only=True)
        reading.mentioned = [
            m for m in self.recogniser.ranked(scores.max(axis=0), limit=4, roles_only=True) if m.score >= SURE
        ]
        named = self.recogniser.named_roles(text)
        known = {m.role_id for m in reading.mentioned}
        reading.mentioned = [
            *reading.mentioned,
            *(Match(self.recogniser.entities[self._role_entity(r)], 1.0) for r in named if r not in known),
        ]
        words = _words(text)
        reading.skills = list(dict.fromkeys(s for s, _, _ in self._skills.find(words, _stem(words))))
        reading.learning = wants_to_learn(clauses)
        # "i want to learn python" wishes for a skill, not for the role its words are nearest:
        # a message about a skill, naming one and no role, has no role as its goal.
        if reading.act == "known_skill" and reading.skills and reading.learning and not named:
            reading.target = []
        return reading

    def _with_retrieval(
        self, row: np.ndarray, clauses: list[str], vector: np.ndarray | None, present_work: bool = False
    ) -> np.ndarray:
        """More evidence on the same words: keyword search over every entity's description,
        and retrieval's ranking of role documents (its best chunk's similarity, and a lift by
        rank: the fused ranking finds the right role first more often than one vector does).
        As present work, emerging AI roles get no lift and a penalty unless named."""
        row = row.copy()
        text = " ".join(clauses)
        if present_work:
            named = set(self.recogniser.named_roles(text))
            for role_id, column in self._emerging_columns.items():
                if role_id not in named:
                    row[column] -= EMERGING_AS_WORK_PENALTY
            # Keywords name jobs well ("teller", "conduit") but goals badly ("fair", "launch").
            # As with retrieval, emerging roles get no lift as present work: "chatgpt" in
            # "customers ask chatgpt first" is a keyword of the prompt engineer's page.
            emerging = set(self._emerging_columns.values())
            ranked = [c for c in self.recogniser.keyword_ranking(text, limit=8) if c not in emerging]
            for rank, column in enumerate(ranked[: len(KEYWORD_RANK_LIFT)]):
                row[column] += KEYWORD_RANK_LIFT[rank]
        if self.search_roles is None:
            return row
        for rank, (role_id, similarity) in enumerate(
            self.search_roles(text, None if vector is None else vector.tolist())[:3]
        ):
            if present_work and role_id in self._emerging:
                continue
            column = self.recogniser.column_of_role(role_id)
            if column is not None:
                row[column] = max(row[column], RETRIEVAL_WEIGHT * similarity) + RETRIEVAL_RANK_LIFT[rank]
        return row

    def _near_roles(self, best: Match, row: np.ndarray) -> list[Match]:
        """The knowledge-base jobs most like the person's. For an occupation outside the
        knowledge base: those whose O*NET occupations ask for the most similar basic skills
        at a similar Job Zone (data about the work, not the words of one message). Emerging AI
        roles are destinations, never jobs like theirs."""
        if best.role_id is None and best.entity.onet_code:
            near = self.roles_near(best.entity.onet_code)
            if near:
                return [Match(self.recogniser.entities[self._role_entity(r)], score) for r, score in near[:3]]
        ranked = self.recogniser.ranked(row, limit=8, roles_only=True)
        return [m for m in ranked if m.role_id not in self._emerging][:3]

    def roles_near(self, onet_code: str) -> list[tuple[str, float]]:
        """Non-emerging roles whose occupations ask for the most similar skills (arithmetic on
        the O*NET table: cheap enough for the event loop)."""
        return self.table.similar_roles(onet_code, self._role_codes)

    def _role_entity(self, role_id: str) -> int:
        column = self.recogniser.column_of_role(role_id)
        assert column is not None
        return column

    def resolve(self, phrase: str, roles_only: bool = False) -> list[Match]:
        """A phrase that names a job ('dental hygienist'): its best matches, best first."""
        clauses = [phrase]
        vectors = self.meaning.embed(clauses)
        return self.recogniser.ranked(self.recogniser.scores(vectors, clauses)[0], roles_only=roles_only)

    def nearest_skill(self, text: str) -> str | None:
        """The skill a message is most about, by meaning (for 'I already know ...')."""
        if self._skill_vectors is None:
            # What a skill is, not only its name: "midjourney" is near generative media tools'
            # summary, not their title.
            self._skill_vectors = self.meaning.embed(
                [f"{s.title}: {s.summary}" for s in self.kb.skills.values()]
            )
        scores = self._skill_vectors @ self.meaning.embed([text])[0]
        best = int(scores.argmax()) if len(scores) else None
        return list(self.kb.skills)[best] if best is not None and scores[best] >= 0.35 else None
