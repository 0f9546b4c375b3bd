"""Front-matter models of the knowledge documents (knowledge/README.md describes them)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

DocId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s/$.?#][^\s]*$")]

DocType = Literal["role", "skill", "guide"]
FOLDER_OF_TYPE: dict[str, str] = {"role": "roles", "skill": "skills", "guide": "guides"}


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: NonEmpty
    url: Url
    year: int | None = Field(None, ge=1900, le=2100)


class SkillRequirement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: DocId
    level: int = Field(ge=1, le=5)


Level = Literal["beginner", "intermediate", "advanced"]
LEVELS: tuple[Level, ...] = ("beginner", "intermediate", "advanced")

# Where a job's work happens, from its O*NET (SOC) major group: practice tasks are written per
# area, so a paralegal practises on legal documents and a nurse on clinical notes.
WorkArea = Literal[
    "office", "business-finance", "tech", "legal", "health", "education-social", "creative-media",
    "sales-service", "trades-production", "transport-logistics",
]  # fmt: skip
WORK_AREA_OF_MAJOR_GROUP: dict[str, WorkArea] = {
    "11": "business-finance", "13": "business-finance", "15": "tech", "17": "tech", "19": "tech",
    "21": "education-social", "23": "legal", "25": "education-social", "27": "creative-media",
    "29": "health", "31": "health", "33": "sales-service", "35": "sales-service",
    "37": "sales-service", "39": "sales-service", "41": "sales-service", "43": "office",
    "45": "trades-production", "47": "trades-production", "49": "trades-production",
    "51": "trades-production", "53": "transport-logistics",
}  # fmt: skip


def work_area_of(onet_code: str | None) -> WorkArea | None:
    return WORK_AREA_OF_MAJOR_GROUP.get((onet_code or "")[:2])


class Resource(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: NonEmpty
    url: Url
    kind: Literal["course", "book", "practice", "docs"]
    hours: float = Field(gt=0, le=500)
    free: bool
    level: Level


class Exposure(BaseModel):
    """Eloundou et al. (2024) exposure of the matching O*NET occupation."""

    model_config = ConfigDict(extra="allow")

    onet_code: NonEmpty
    onet_title: NonEmpty
    gpt4_beta: float = Field(ge=0, le=1)
    human_beta: float = Field(ge=0, le=1)


EntryStepKind = Literal[
    "training", "degree", "apprenticeship", "licence", "certification", "portfolio",
    "first-project", "experience", "job-search",
]  # fmt: skip


class EntryStep(BaseModel):
    """One step of the real way into a role, with what it costs in time and money."""

    model_config = ConfigDict(extra="forbid")

    step: NonEmpty
    kind: EntryStepKind
    # Skills this step teaches to the level the role needs: a plan with the step does not
    # teach them again, and a person who has them all skips the step.
    covers: list[DocId] = Field(default_factory=list)
    # A choice some people make ("if your workplace uses Power BI"), not a step of everyone's
    # way in: plans list it after their end instead of scheduling it.
    optional: bool = False
    # Roles whose people have already done this step (the years as a developer before machine
    # learning engineering): for them it is not part of the way in.
    done_by: list[DocId] = Field(default_factory=list)
    # Effort a person can fit around a job, in hours; a plan schedules these steps.
    hours: float | None = Field(None, gt=0, le=2000)
    # Calendar time a step takes whatever the weekly hours (an apprenticeship, a degree).
    weeks: float | None = Field(None, gt=0, le=520)
    paid: bool  # whether the person earns while doing it
    cost: NonEmpty  # rough, with the country it applies to, e.g. "about $300 exam fee (US)"
    source: Source

    @model_validator(mode="after")
    def _has_a_duration(self) -> EntryStep:
        if self.hours is None and self.weeks is None:
            raise ValueError("an entry step needs hours (effort) or weeks (calendar time)")
        return self


class EntryPath(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: NonEmpty  # one honest sentence: how long the whole way in takes, paid or not
    steps: list[EntryStep] = Field(min_length=1)


class Pay(BaseModel):
    """A published pay figure for the role, where it applies and who measured it."""

    model_config = ConfigDict(extra="forbid")

    median: float = Field(gt=0)
    low: float | None = Field(None, gt=0)  # e.g. the 10th percentile, when the source gives it
    high: float | None = Field(None, gt=0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    period: Literal["year", "hour"]
    region: NonEmpty
    occupation: NonEmpty | None = None  # the source's occupation, when it is broader than the role
    source: Source
    year: int = Field(ge=2000, le=2100)


class Outlook(BaseModel):
    """Projected demand: the source's own wording and figure."""

    model_config = ConfigDict(extra="forbid")

    growth_percent: float | None = Field(None, ge=-100, le=500)
    text: NonEmpty  # e.g. "much faster than average"
    period: NonEmpty  # e.g. "2024-34"
    region: NonEmpty
    source: Source
    year: int = Field(ge=2000, le=2100)


class DocumentMeta(BaseModel):
    """Keys every document has. Extra keys are allowed and kept."""

    model_config = ConfigDict(extra="allow")

    id: DocId
    type: DocType
    title: NonEmpty
    summary: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _empty_keys_are_absent(cls, data: object) -> object:
        # "transitions:" with nothing after it is YAML null; treat it as not given.
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @field_validator("aliases")
    @classmethod
    def _lower_aliases(cls, aliases: list[str]) -> list[str]:
        return [alias.strip().lower() for alias in aliases]


class RoleMeta(DocumentMeta):
    type: Literal["role"]
    category: Literal["at-risk", "transforming", "emerging", "resilient"]
    skills: list[SkillRequirement] = Field(min_length=1)
    transitions: list[DocId] = Field(default_factory=list)
    transition_reasons: dict[str, NonEmpty] = Field(default_factory=dict)
    # What people in the role say they do, in everyday words: a description or a wish in the
    # person's own words is matched against these as well as the formal summary.
    in_plain_words: list[NonEmpty] = Field(default_factory=list)
    onet_codes: list[NonEmpty] = Field(default_factory=list)
    exposure: Exposure | None = None
    entry_path: EntryPath
    pay: Pay | None = None
    outlook: Outlook | None = None
    # Given when the O*NET codes do not say it (emerging roles have none).
    work_area: WorkArea | None = None

    @property
    def area(self) -> WorkArea | None:
        return self.work_area or next((a for a in map(work_area_of, self.onet_codes) if a), None)


class SkillMeta(DocumentMeta):
    type: Literal["skill"]
    category: Literal["human", "ai-literacy", "technical", "governance"]
    prerequisites: list[DocId] = Field(default_factory=list)
    hours: float = Field(gt=0, le=1000)
    resources: list[Resource] = Field(min_length=2)
    practice: list[NonEmpty] = Field(default_factory=list)
    # Practice written for one kind of work; `practice` is the fallback for the rest.
    practice_by_area: dict[WorkArea, list[NonEmpty]] = Field(default_factory=dict)


class GuideMeta(DocumentMeta):
    type: Literal["guide"]
    tags: list[NonEmpty] = Field(default_factory=list)


META_MODEL_OF_TYPE: dict[str, type[DocumentMeta]] = {
    "role": RoleMeta,
    "skill": SkillMeta,
    "guide": GuideMeta,
}
