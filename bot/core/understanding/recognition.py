"""Who someone is, by meaning: their words against what every role and occupation is and does.

Every knowledge-base role and every O*NET occupation is an entity with texts: its names (title,
aliases, the O*NET title and the everyday names people use), what the role is (its summary),
what people in the role or occupation say they do, in everyday words (a role's
`in_plain_words`, `everyday.yaml`), and, when the
task file is present, the O*NET tasks of its occupations. A clause of a message scores each
entity by its closest text; a name said outright lifts the score. Occupations whose code a role
lists are that role.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np

from bot.core.embeddings import Embedder
from bot.core.knowledge.chunker import sections_of
from bot.core.knowledge.loader import KnowledgeBase
from bot.core.text import tokens
from bot.core.understanding.acts import unit_rows
from bot.core.understanding.names import NameIndex, _stem, _words
from bot.core.understanding.occupations import OccupationTable

log = logging.getLogger(__name__)

TASKS_PER_OCCUPATION = 8
EMBED_BATCH = 512
Progress = Callable[[int, int], None]
# A description or a task is weaker evidence than a name: a clause near one task of a job
# describes that job less surely than one near its title.
NAMED_FLOOR = 0.3  # a name said outright lifts a match only if the clause is about it at all
SHORT_CLAUSE = 6
DESCRIPTION_SECTIONS = ("What the job is", "A day in the work")
DESCRIPTION_SENTENCES = 4  # per section
ARTICLES = frozenset({"a", "an", "the"})
WEIGHTS = {"name": 1.0, "summary": 0.93, "everyday": 0.93, "task": 0.9}
# O*NET lists helpers and first-line supervisors beside many trades, described with the
# trade's own tasks ("pull wire through conduit"): work described is the trade's unless the
# clause says the person helps, learns under or supervises others.
SIDE_TITLE = re.compile(r"^(?:Helpers--|First-Line Supervisors\b)")
SIDE_WORDS = re.compile(
    r"\b(?:help\w*|apprentic\w*|assist\w*|supervis\w*|manag\w*|lead|leads|foreman|forewoman|boss|"
    r"in charge|crew chief)\b",
    re.IGNORECASE,
)
SIDE_PENALTY = 0.1
# A job named as the people the person works with ("i hand the dentist instruments", "i pitch
# journalists", "the doctors use an ai scribe") is theirs, not the person's: after a
# determiner or possessive, or in the plural, unless said of "we" or "I".
OTHERS_BEFORE = frozenset({"the", "my", "our", "his", "her", "their", "those", "these", "other", "to"})
OURS_BEFORE = frozenset({"i'm", "im", "am", "as", "we're", "were", "are", "we"})
OTHERS_PENALTY = 0.15


@dataclass(frozen=True)
class Entity:
    key: str
    title: str
    role_id: str | None
    onet_code: str | None


@dataclass(frozen=True)
class Match:
    entity: Entity
    score: float

    @property
    def role_id(self) -> str | None:
        return self.entity.role_id

    @property
    def onet_code(self) -> str | None:
        return self.entity.onet_code

    @property
    def title(self) -> str:
        return self.entity.title


def singular(title: str) -> str:
    words = title.split()
    last = words[-1]
    if last.lower().endswith("ies"):
        last = last[:-3] + "y"
    elif re.search(r"(ss|sh|ch|x)es$", last.lower()):
        last = last[:-2]
    elif last.lower().endswith("s") and not last.lower().endswith("ss"):
        last = last[:-1]
    return " ".join([*words[:-1], last])


def title_names(title: str) -> list[str]:
    """'Plumbers, Pipefitters, and Steamfitters' -> plumber, pipefitter, steamfitter."""
    head = re.split(r",?\s+except\b|\s*\(", title, flags=re.IGNORECASE)[0]
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|/", head) if p.strip()]
    # Split only a list of job names ("Plumbers, Pipefitters, and Steamfitters"); "Laborers
    # and Freight, Stock, and Material Movers" is one job, and "Freight" is no name.
    if len(parts) > 1 and not all(p.lower().endswith("s") and len(p) > 3 for p in parts):
        parts = [head.strip()]
    return list(dict.fromkeys(singular(p) for p in parts)) or [singular(title)]


def role_description(kb: KnowledgeBase, role_id: str) -> list[str]:
    """The sentences that say what a role is and does, from its own document."""
    document = kb.documents.get(role_id)
    if document is None:
        return []
    sentences: list[str] = []
    for title, text in sections_of(document.body):
        if title in DESCRIPTION_SECTIONS:
            flat = " ".join(text.split())
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", flat) if len(s.split()) >= 5][
                :DESCRIPTION_SENTENCES
            ]
    return sentences


class Recogniser:
    """Entity texts embedded once per knowledge version (and cached on disk by content)."""

    def __init__(
        self, kb: KnowledgeBase, table: OccupationTable, embedder: Embedder, cache_dir: Path | None = None
    ) -> None:
        self.kb = kb
        self.table = table
        self._embedder = embedder
        self._cache_dir = cache_dir
        self.entities: list[Entity] = []
        texts: list[tuple[int, str, str]] = []  # (entity, kind, text)
        names: dict[str, list[str]] = {}  # knowledge-base role names
        job_names: dict[str, list[str]] = {}  # every entity's names, everyday ones too
        linked: dict[str, str] = {}
        for role_id, role in kb.roles.items():
            code = next(iter(getattr(role, "onet_codes", None) or []), None)
            self.entities.append(Entity(f"role:{role_id}", role.title, role_id, code))
            for linked_code in getattr(role, "onet_codes", None) or []:
                linked.setdefault(linked_code, role_id)
        role_entity = {e.role_id: i for i, e in enumerate(self.entities)}
        for code, occupation in table.occupations.items():
            if code not in linked:
                self.entities.append(Entity(f"onet:{code}", occupation.title, None, code))
        occupation_entity = {e.onet_code: i for i, e in enumerate(self.entities) if e.role_id is None}

        for role_id, role in kb.roles.items():
            index = role_entity[role_id]
            role_names = [role.title, *role.aliases]
            texts += [(index, "name", n) for n in role_names]
            texts.append((index, "summary", role.summary))
            texts += [(index, "summary", s) for s in role_description(kb, role_id)]
            texts += [(index, "everyday", line) for line in role.in_plain_words]
            names[str(index)] = role_names
            job_names.setdefault(str(index), []).extend(role_names)
        for code, occupation in table.occupations.items():
            index = role_entity[linked[code]] if code in linked else occupation_entity[code]
            everyday = table.everyday.get(code)
            said = [*title_names(occupation.title), *(everyday.names if everyday else ())]
            for name in dict.fromkeys(said):
                texts.append((index, "name", name))
                job_names.setdefault(str(index), []).append(name)
            texts += [(index, "everyday", w) for w in (everyday.work if everyday else ())]
            core = sorted(table.tasks.get(code, []), key=lambda t: not t.core)[:TASKS_PER_OCCUPATION]
            texts += [(index, "task", t.text) for t in core]
        texts.sort(key=lambda t: t[0])
        self._owner = np.array([t[0] for t in texts])
        self._weight = np.array([WEIGHTS[t[1]] for t in texts], dtype=np.float32)
        self._texts = [t[2] for t in texts]
        self._starts = np.flatnonzero(np.r_[True, self._owner[1:] != self._owner[:-1]])
        # Keywords over each entity's whole description (names, summary, every O*NET task):
        # "espresso", "teller", "conduit" find their occupation where one vector blurs them.
        documents: dict[int, list[str]] = {}
        for index, _kind, text in texts:
            documents.setdefault(index, []).append(text)
        for code, tasks in table.tasks.items():
            index = role_entity[linked[code]] if code in linked else occupation_entity.get(code)
            if index is not None:
                documents.setdefault(index, []).extend(t.text for t in tasks[TASKS_PER_OCCUPATION:])
        self._keywords = bm25s.BM25()
        self._keywords.index(
            [tokens(" ".join(documents.get(i, []))) or ["_"] for i in range(len(self.entities))],
            show_progress=False,
        )
        self._keyword_vocab = set(self._keywords.vocab_dict)
        # Every entity has a name text, so entity indexes and score columns are the same.
        self._role_columns = {e.role_id: i for i, e in enumerate(self.entities) if e.role_id}
        self._side_columns = np.array(
            [i for i, e in enumerate(self.entities) if e.role_id is None and SIDE_TITLE.match(e.title)],
            dtype=np.intp,
        )
        self._names = NameIndex(names, heads=False)
        self._job_names = NameIndex(job_names, heads=False)
        # The last word of each name as written, to tell "journalists" from "journalist".
        self._name_ends = {k: {w[-1] for w in map(_words, v) if w} for k, v in job_names.items()}
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._texts)

    def _matrix(self, progress: Progress | None = None) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                self._vectors = self._load_or_embed(progress)
            return self._vectors

    def _load_or_embed(self, progress: Progress | None = None) -> np.ndarray:
        digest = hashlib.sha256("\n".join([self._embedder.name, *self._texts]).encode()).hexdigest()[:20]
        path = self._cache_dir / f"recognition-{digest}.npy" if self._cache_dir else None
        if path is not None and path.is_file():
            try:
                cached = np.load(path)
                if cached.shape[0] == len(self._texts):
                    return cached
            except (OSError, ValueError) as error:
                log.warning("recognition cache %s unreadable (%s); embedding again", path.name, error)
        # In batches, so that a first start can show its progress (about 20 s on 2 cores).
        parts: list[np.ndarray] = []
        for start in range(0, len(self._texts), EMBED_BATCH):
            parts.append(unit_rows(self._embedder.embed_documents(self._texts[start : start + EMBED_BATCH])))
            if progress is not None:
                progress(min(start + EMBED_BATCH, len(self._texts)), len(self._texts))
        vectors = np.vstack(parts) if parts else np.zeros((0, 1), dtype=np.float32)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for old in path.parent.glob("recognition-*.npy"):
                    old.unlink(missing_ok=True)
                temporary = path.with_suffix(".tmp.npy")
                np.save(temporary, vectors)
                temporary.replace(path)
            except OSError as error:
                log.warning("recognition cache not written (%s)", error)
        return vectors

    def warm(self, progress: Progress | None = None) -> None:
        self._matrix(progress)

    def scores(self, clause_vectors: np.ndarray, clauses: Sequence[str]) -> np.ndarray:
        """Entity scores for each clause: (clauses, entities)."""
        similarity = (clause_vectors @ self._matrix().T) * self._weight
        per_entity = np.maximum.reduceat(similarity, self._starts, axis=1)
        for row, clause in enumerate(clauses):
            if not SIDE_WORDS.search(clause):
                per_entity[row, self._side_columns] -= SIDE_PENALTY
            words = _words(clause)
            others = self._others_named(words)
            per_entity[row, sorted(others)] -= OTHERS_PENALTY
            # A name said outright is lifted, if the clause is about it at all: "models" in
            # "instructions that get the best out of models" names no job. Initials written as
            # a title ("RN on a med surg floor") name a job as its name does, a role's or an
            # occupation's; which of several, meaning decides.
            named = [int(key) for key, _start, _end in self._names.find(words, _stem(words))]
            named += [int(key) for key in self._job_names.initials_in(clause)]
            for column in dict.fromkeys(named):
                score = float(per_entity[row, column])
                if column not in others and score >= NAMED_FLOOR:
                    per_entity[row, column] = max(score, 0.5 + 0.5 * score)
        return per_entity

    def _others_named(self, words: list[str]) -> set[int]:
        """Entities a clause names as other people ("the dentist", "journalists")."""
        others: set[int] = set()
        for key, start, end in self._job_names.find(words, _stem(words)):
            before = words[start - 1] if start else ""
            if before in OURS_BEFORE:
                continue
            said = words[end - 1]
            plural = said.endswith("s") and said not in self._name_ends[key]
            if before in OTHERS_BEFORE or plural:
                others.add(int(key))
        return others

    @cached_property
    def role_column_array(self) -> np.ndarray:
        return np.array(sorted(self._role_columns.values()), dtype=np.intp)

    def column_of_role(self, role_id: str) -> int | None:
        return self._role_columns.get(role_id)

    def keyword_ranking(self, text: str, limit: int = 3) -> list[int]:
        """Entity columns that keyword search ranks first for the text."""
        known = [t for t in tokens(text) if t in self._keyword_vocab]
        if not known:
            return []
        scores = np.asarray(self._keywords.get_scores(known))
        order = np.argsort(-scores)[:limit]
        return [int(i) for i in order if scores[i] > 0]

    def entity_at(self, column: int) -> Entity:
        return self.entities[int(self._owner[self._starts[column]])]

    def ranked(self, row: np.ndarray, limit: int = 5, roles_only: bool = False) -> list[Match]:
        order = np.argsort(-row)
        matches: list[Match] = []
        for column in order:
            entity = self.entity_at(int(column))
            if roles_only and entity.role_id is None:
                continue
            matches.append(Match(entity, float(row[column])))
            if len(matches) >= limit:
                break
        return matches

    def mask_roles(self, text: str) -> str:
        """The text with each knowledge-base role it names replaced by a placeholder (the first
        role "this job", any other "that other job"), so that what is asked, not which role,
        decides the dialogue act: "why ai trainer?" is read as "why this job?"."""
        words = _words(text)
        found = self._names.find(words, _stem(words))
        if not found:
            return text
        placeholders: dict[str, str] = {}
        out: list[str] = []
        position = 0
        for key, start, end in found:
            out += words[position:start]
            if out and out[-1] in ARTICLES:
                out.pop()
            out.append(placeholders.setdefault(key, "this job" if not placeholders else "that other job"))
            position = end
        return " ".join([*out, *words[position:]])

    def says_a_job_name(self, text: str) -> bool:
        """Whether the text says some role's or occupation's name ("paralegal", "hvac tech")."""
        words = _words(text)
        return bool(self._job_names.find(words, _stem(words)))

    def named_roles(self, text: str) -> list[str]:
        """Knowledge-base roles whose names appear in the text, in order."""
        words = _words(text)
        found: list[str] = []
        for key, _start, _end in self._names.find(words, _stem(words)):
            entity = self.entities[int(key)]
            if entity.role_id and entity.role_id not in found:
                found.append(entity.role_id)
        return found
