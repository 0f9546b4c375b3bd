"""The neutral message model every door shares. No platform types here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.core.reply import Reply

Mode = Literal["offline", "llm"]
# The dialogue act of the person's message, or what the coach did about it ("clarify": it asked).
Intent = Literal[
    "plan", "full_plan", "question", "smalltalk", "off_topic", "clarify", "invalid", "how_long",
    "why_role", "first_step", "own_tasks", "known_skill", "retarget", "change_hours", "compare",
    "vague", "choose", "progress", "progress_done", "progress_behind",
]  # fmt: skip


class UserRef(BaseModel):
    """A person on one platform. The terminal is a platform too."""

    model_config = {"frozen": True}

    platform: str
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


class Profile(BaseModel):
    current_role: str | None = None
    target_role: str | None = None
    hours_per_week: float | None = None
    experience_years: float | None = None
    onet_code: str | None = None  # the person's O*NET occupation, for knowledge-base roles too
    known_skills: list[str] = Field(default_factory=list)  # skills they said they have
    # They want to keep their job and get better at it with AI (for a job outside the base;
    # in a knowledge-base role, the target is simply their own role).
    stay: bool = False
    # Progress on the plan: item key (planner.item_key) -> "done", "skipped" or "more_time".
    progress: dict[str, str] = Field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return self.model_dump(exclude={"progress"})


class ResourceRef(BaseModel):
    title: str
    url: str
    kind: str | None = None
    free: bool | None = None
    level: str | None = None  # beginner, intermediate or advanced: where the resource starts


ItemKind = Literal["skill", "entry_step", "practice", "milestone"]
Scope = Literal["first_milestone", "full_path", "stay_and_upgrade"]


class PlanItem(BaseModel):
    skill: str | None  # None for the steps of a role's entry path
    activity: str
    hours: float  # 0 only for a milestone: a point reached, not work
    resource: ResourceRef
    kind: ItemKind = "skill"
    covers: list[str] = Field(default_factory=list)  # skills an entry step teaches
    key: str = ""  # stable across re-plans (planner.item_key): progress is kept by it


class PlanWeek(BaseModel):
    week: int
    hours: float
    items: list[PlanItem]


class Milestone(BaseModel):
    week: int
    skill: str | None
    text: str


class KnownSkill(BaseModel):
    """A skill the plan leaves out because the person has it, and how we know."""

    skill: str
    level: int
    why: str


class PayFigure(BaseModel):
    median: float
    currency: str
    period: str
    region: str
    year: int
    source: str
    url: str
    occupation: str | None = None


class OutlookFigure(BaseModel):
    text: str
    growth_percent: float | None
    period: str
    region: str
    year: int
    source: str
    url: str


class Plan(BaseModel):
    skills: list[str]
    weeks: list[PlanWeek]
    milestones: list[Milestone] = Field(default_factory=list)
    hours_per_week: float
    total_hours: float
    target_role: str | None = None
    later_skills: list[str] = Field(default_factory=list)  # gap skills left for after this plan
    scope: Scope = "full_path"
    known_skills: list[KnownSkill] = Field(default_factory=list)
    entry_summary: str | None = None  # how long the whole way into the role takes
    after_plan: list[str] = Field(default_factory=list)  # entry steps beyond this plan, in order

    @property
    def total_weeks(self) -> int:
        return len(self.weeks)

    @property
    def skill_hours(self) -> float:
        return sum(i.hours for w in self.weeks for i in w.items if i.kind in {"skill", "practice"})

    def public(self) -> dict[str, Any]:
        data = self.model_dump()
        data["total_weeks"] = self.total_weeks
        return data


ItemStatus = Literal["done", "skipped", "more_time", "todo"]


class ProgressItem(BaseModel):
    key: str
    week: int
    skill: str | None
    activity: str
    hours: float
    status: ItemStatus


class Progress(BaseModel):
    """Where the person is in their plan: the `progress` object of `coach ask --json`."""

    done_hours: float
    total_hours: float
    items: list[ProgressItem]
    next: ProgressItem | None = None

    def public(self) -> dict[str, Any]:
        return self.model_dump()


class Citation(BaseModel):
    id: str
    title: str
    path: str


class TargetSuggestion(BaseModel):
    id: str
    title: str
    why: str
    fit: float
    pay: PayFigure | None = None
    outlook: OutlookFigure | None = None


class TaskExposure(BaseModel):
    task: str
    label: str  # E0 not exposed, E1 directly exposed, E2 exposed with LLM-powered software


class ExposureFigures(BaseModel):
    onet_code: str
    onet_title: str
    human_beta: float
    gpt4_beta: float
    tasks: dict[str, list[TaskExposure]] | None = None  # "most" and "least" exposed


class ReplyChoice(BaseModel):
    """A suggested reply: a button on the chat platforms, a numbered line in the terminal."""

    label: str
    text: str  # what choosing it sends as the person's message


# Answers that show what the coach knows of the person (their job, plan, skills, tasks): a door
# sends these only where nobody else reads them.
PERSONAL_INTENTS = frozenset(
    {"plan", "full_plan", "how_long", "why_role", "first_step", "own_tasks", "known_skill", "retarget",
     "change_hours", "clarify", "choose", "progress", "progress_done", "progress_behind"}
)  # fmt: skip


class Answer(BaseModel):
    mode: Mode = "offline"
    answer: str
    intent: Intent
    profile: Profile = Field(default_factory=Profile)
    target_roles: list[str] = Field(default_factory=list)
    targets: list[TargetSuggestion] = Field(default_factory=list)
    plan: Plan | None = None
    progress: Progress | None = None
    sources: list[Citation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # what the coach assumed or changed
    answer_id: int | None = None
    exposure: ExposureFigures | None = None
    choices: list[ReplyChoice] = Field(default_factory=list)
    language: str = "en"
    links: dict[str, str] = Field(default_factory=dict)  # a link for each cited source's title

    @property
    def reply(self) -> Reply:
        """The answer as structured blocks, for a door to render natively."""
        return Reply.of(self.answer, self.links)

    @property
    def personal(self) -> bool:
        return self.plan is not None or self.intent in PERSONAL_INTENTS

    def public(self) -> dict[str, Any]:
        """The `coach ask --json` shape the README documents."""
        return {
            "mode": self.mode,
            "answer": self.answer,
            "profile": self.profile.public(),
            "target_roles": self.target_roles,
            "targets": [t.model_dump() for t in self.targets],
            "plan": self.plan.public() if self.plan else None,
            "progress": self.progress.public() if self.progress else None,
            "sources": [c.model_dump() for c in self.sources],
            "intent": self.intent,
            "notes": self.notes,
            "answer_id": self.answer_id,
            "exposure": self.exposure.model_dump(exclude_none=True) if self.exposure else None,
            "choices": [c.model_dump() for c in self.choices],
            "language": self.language,
            "personal": self.personal,
            "reply": [b.model_dump(exclude_defaults=True) for b in self.reply.blocks],
        }
