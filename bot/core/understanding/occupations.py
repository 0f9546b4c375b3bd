"""The 923 O*NET occupations of the GPTs-are-GPTs study, and their tasks when available.

`occupations.csv` beside this file ships with the project: codes, titles and exposure figures
from `occ_level.csv`, Job Zones and basic-skill levels from `occupations_onet_basic_skills.csv`
(Eloundou, Manning, Mishkin and Rock, "GPTs are GPTs", Science 2024; MIT licence, see
NOTICE.md). O*NET's task statements are not shipped: `coach data fetch` downloads
`full_labelset.tsv` into the data folder, or COACH_OCCUPATION_DATA names a folder holding it.
`everyday.yaml` holds the project's own everyday names and words for each occupation's work.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from bot.core.knowledge.schema import work_area_of

log = logging.getLogger(__name__)

TABLE = Path(__file__).resolve().parent / "occupations.csv"
EVERYDAY = Path(__file__).resolve().parent / "everyday.yaml"
TASK_FILE = "full_labelset.tsv"
SAME_AREA_BONUS = 0.3  # enough for the kind of work to outweigh small skill-profile differences
SOURCE = "Eloundou et al., GPTs are GPTs (Science, 2024), O*NET 27"
BASIC_SKILLS = (
    "active_learning", "critical_thinking", "learning_strategies", "monitoring", "active_listening",
    "mathematics", "programming", "reading_comprehension", "science", "speaking", "writing",
)  # fmt: skip


@dataclass(frozen=True)
class Task:
    text: str
    core: bool
    human: str  # E0 not exposed, E1 directly, E2 with software built on a language model
    gpt4: str
    beta: float


@dataclass(frozen=True)
class Occupation:
    code: str
    title: str
    human_alpha: float
    human_beta: float
    gpt4_alpha: float
    gpt4_beta: float
    job_zone: int | None
    skill_levels: dict[str, float] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Everyday:
    """How people name an occupation and say what they do in it: the words O*NET's titles and
    task statements lack ("unclog drains", "pull shots", "color and cuts")."""

    names: tuple[str, ...]
    work: tuple[str, ...]


class OccupationTable:
    """Occupations by code; tasks by code when the task file has been found."""

    def __init__(
        self,
        occupations: dict[str, Occupation],
        tasks: dict[str, list[Task]] | None = None,
        everyday: Mapping[str, Everyday] | None = None,
    ) -> None:
        self.occupations = occupations
        self.tasks = tasks or {}
        self.everyday = dict(everyday or {})

    @classmethod
    def load(
        cls, task_folders: list[Path] | None = None, table: Path = TABLE, everyday: Path = EVERYDAY
    ) -> OccupationTable:
        occupations: dict[str, Occupation] = {}
        with table.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                occupations[row["onet_code"]] = Occupation(
                    code=row["onet_code"],
                    title=row["title"],
                    human_alpha=float(row["human_alpha"]),
                    human_beta=float(row["human_beta"]),
                    gpt4_alpha=float(row["gpt4_alpha"]),
                    gpt4_beta=float(row["gpt4_beta"]),
                    job_zone=int(row["job_zone"]) if row["job_zone"] else None,
                    skill_levels={
                        name: float(row[f"{name}_level"]) for name in BASIC_SKILLS if row[f"{name}_level"]
                    },
                )
        tasks = None
        for folder in task_folders or []:
            path = folder / TASK_FILE
            if path.is_file():
                tasks = read_tasks(path, set(occupations))
                if tasks:
                    break
        return cls(occupations, tasks, read_everyday(everyday, set(occupations)))

    @cached_property
    def _mean_skill_levels(self) -> dict[str, float]:
        count = len(self.occupations) or 1
        return {
            k: sum(o.skill_levels.get(k, 0) for o in self.occupations.values()) / count for k in BASIC_SKILLS
        }

    @property
    def has_tasks(self) -> bool:
        return bool(self.tasks)

    def get(self, code: str | None) -> Occupation | None:
        return self.occupations.get(code or "")

    def similar_roles(self, code: str, role_codes: dict[str, list[str]]) -> list[tuple[str, float]]:
        """Roles ranked by how alike their occupations' basic-skill profiles are to this
        occupation's (centred cosine), less a little for each Job Zone apart, and more for
        work of the same kind (the same O*NET major group's area: a dental hygienist is
        closer to a nurse than to a content creator with similar reading and writing levels)."""
        target = self.get(code)
        if target is None or not target.skill_levels:
            return []
        mean = self._mean_skill_levels

        def profile(occupation: Occupation) -> list[float]:
            return [occupation.skill_levels.get(k, mean[k]) - mean[k] for k in BASIC_SKILLS]

        def cosine(a: list[float], b: list[float]) -> float:
            norm = (sum(x * x for x in a) * sum(y * y for y in b)) ** 0.5
            return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0

        mine = profile(target)
        scored: list[tuple[str, float]] = []
        for role_id, codes in role_codes.items():
            others = [o for o in (self.get(c) for c in codes) if o is not None and o.skill_levels]
            if not others:
                continue
            area = work_area_of(code)
            best = max(
                cosine(mine, profile(o))
                - 0.1 * abs((o.job_zone or 3) - (target.job_zone or 3))
                + (SAME_AREA_BONUS if area is not None and work_area_of(o.code) == area else 0.0)
                for o in others
            )
            scored.append((role_id, round(best, 3)))
        return sorted(scored, key=lambda item: -item[1])

    def exposed_tasks(self, code: str, limit: int = 3) -> tuple[list[Task], list[Task]]:
        """The most and the least exposed of an occupation's tasks (core tasks first on ties)."""
        tasks = self.tasks.get(code, [])
        ranked = sorted(tasks, key=lambda t: (-t.beta, not t.core, t.text))
        most = [t for t in ranked if t.beta > 0][:limit]
        least = [t for t in reversed(ranked) if t.beta == 0 and t not in most][:limit]
        return most, least


def read_everyday(path: Path, codes: set[str]) -> dict[str, Everyday]:
    """Everyday words by occupation code; a missing or corrupt file is logged and read as none:
    recognition then has titles and tasks only."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser reads it in a tenth
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        if not isinstance(entries, dict):
            raise ValueError("not a mapping of occupation codes")
        return {
            str(code): Everyday(
                names=tuple(str(n) for n in entry.get("names") or []),
                work=tuple(str(w) for w in entry.get("work") or []),
            )
            for code, entry in entries.items()
            if str(code) in codes and isinstance(entry, dict)
        }
    except (OSError, ValueError, yaml.YAMLError) as error:
        log.error("everyday occupation words %s unreadable (%s); recognising by titles, tasks", path, error)
        return {}


def read_tasks(path: Path, codes: set[str]) -> dict[str, list[Task]]:
    """Tasks by occupation code; a corrupt file is logged and read as no tasks, never fatal."""
    tasks: dict[str, list[Task]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            missing = {
                "O*NET-SOC Code",
                "Task",
                "Task Type",
                "human_exposure_agg",
                "gpt4_exposure",
                "beta",
            } - set(reader.fieldnames or [])
            if missing:
                raise ValueError(f"missing columns {', '.join(sorted(missing))}")
            for row in reader:
                code = row["O*NET-SOC Code"]
                if code not in codes or not row["Task"]:
                    continue
                human = row["human_exposure_agg"]
                beta = {"E0": 0.0, "E1": 1.0, "E2": 0.5}.get(human)
                tasks.setdefault(code, []).append(
                    Task(
                        text=row["Task"].strip(),
                        core=row["Task Type"] == "Core",
                        human=human,
                        gpt4=row["gpt4_exposure"],
                        beta=beta if beta is not None else float(row["beta"]),
                    )
                )
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as error:
        log.error("occupation task file %s unreadable (%s); answering without task detail", path, error)
        return {}
    return tasks
