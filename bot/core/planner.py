"""The deterministic planner: skill gap, prerequisite order, weeks that fit the budget.

A plan never exceeds the weekly budget, never starts a skill before its prerequisites are
finished, and cites only resources of the skills in the knowledge base.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.core.compose import a_role, figures_text
from bot.core.knowledge.schema import LEVELS, EntryPath, EntryStep, Resource, RoleMeta, SkillMeta, WorkArea
from bot.core.models import (
    ItemKind,
    Milestone,
    OutlookFigure,
    PayFigure,
    Plan,
    PlanItem,
    PlanWeek,
    ResourceRef,
    Scope,
    TargetSuggestion,
)

DEFAULT_HOURS_PER_WEEK = 5.0
MIN_HOURS_PER_WEEK = 1.0
MAX_HOURS_PER_WEEK = 40.0
MAX_PLAN_SKILLS = 6
PRACTICE_SHARE = 0.25
STEP = 0.5  # every figure in a plan is a multiple of half an hour
KNOWN_LEVEL = 2  # a prerequisite the person already has at this level is not taught again
WORKING_LEVEL = 3  # the level a course or an entry step brings someone to
FIRST_LOOK_SKILL = "ai-fluency"  # the skill a first look at one's own exposed tasks practises
FIRST_LOOK_HOURS = 1.0


@dataclass(frozen=True)
class Need:
    skill: str
    have: int
    want: int

    @property
    def gap(self) -> int:
        return self.want - self.have


def to_step(hours: float) -> float:
    return max(STEP, round(hours / STEP) * STEP)


def budget_of(hours_per_week: float) -> float:
    return max(STEP, math.floor(hours_per_week / STEP) * STEP)


def learning_hours(skill: SkillMeta, have: int, want: int) -> float:
    """Hours from level `have` to `want`; the skill's `hours` reach a working level (3)."""
    if want <= have:
        return 0.0
    return to_step(skill.hours * (want - have) / max(want, 3))


def role_levels(role: RoleMeta | None) -> dict[str, int]:
    return {need.id: need.level for need in role.skills} if role else {}


def skill_gap(target: RoleMeta, current: RoleMeta | None) -> list[Need]:
    """What the target role needs beyond what the current role already gives, by level."""
    have = role_levels(current)
    needs = [Need(s.id, have.get(s.id, 0), s.level) for s in target.skills]
    return [n for n in needs if n.gap > 0]


def rank_needs(needs: Sequence[Need]) -> list[Need]:
    return sorted(needs, key=lambda n: (-n.gap, -n.want, n.skill))


def with_prerequisites(
    needs: Sequence[Need], skills: Mapping[str, SkillMeta], have: Mapping[str, int]
) -> list[Need]:
    """Add every missing prerequisite, recursively, unless the person already has it."""
    chosen: dict[str, Need] = {n.skill: n for n in needs}
    stack = [n.skill for n in needs]
    while stack:
        for prerequisite in skills[stack.pop()].prerequisites:
            if prerequisite in chosen or have.get(prerequisite, 0) >= KNOWN_LEVEL:
                continue
            chosen[prerequisite] = Need(prerequisite, have.get(prerequisite, 0), 3)
            stack.append(prerequisite)
    return list(chosen.values())


def prerequisite_order(needs: Sequence[Need], skills: Mapping[str, SkillMeta]) -> list[Need]:
    """Topological order; among skills ready at once, the most needed comes first."""
    by_id = {n.skill: n for n in needs}
    rank = {n.skill: i for i, n in enumerate(rank_needs(needs))}
    waiting = {s: {p for p in skills[s].prerequisites if p in by_id} for s in by_id}
    ready = [(rank[s], s) for s, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Need] = []
    while ready:
        _, skill = heapq.heappop(ready)
        ordered.append(by_id[skill])
        for other, deps in waiting.items():
            if skill in deps:
                deps.discard(skill)
                if not deps:
                    heapq.heappush(ready, (rank[other], other))
    if len(ordered) != len(by_id):  # the loader refuses cycles; this guards direct callers
        raise ValueError(
            "prerequisite cycle among " + ", ".join(sorted(set(by_id) - {n.skill for n in ordered}))
        )
    return ordered


def activity_for(resource: Resource) -> str:
    verbs = {
        "course": "Work through",
        "book": "Read",
        "docs": "Read and try the examples in",
        "practice": "Do the exercises in",
    }
    return f"{verbs.get(resource.kind, 'Study')} {resource.title}"


def ref(resource: Resource) -> ResourceRef:
    return ResourceRef(
        title=resource.title, url=resource.url, kind=resource.kind, free=resource.free, level=resource.level
    )


def level_band(have: int) -> int:
    """Where a person stands in a skill, as a resource level: below working level 2 they start
    at the beginning; at 2-3 intermediate material fits; from 4 only advanced is new."""
    return 0 if have <= 1 else 1 if have <= 3 else 2


def resources_from(skill: SkillMeta, have: int) -> list[Resource]:
    """The skill's resources that start where the person is, then the harder ones; free first.
    Material below their level is used only when nothing else is left."""
    band = level_band(have)
    rank = {r.title: LEVELS.index(r.level) for r in skill.resources}
    fitting = [r for r in skill.resources if rank[r.title] >= band]
    if not fitting:
        top = max(rank.values())
        fitting = [r for r in skill.resources if rank[r.title] == top]
    return sorted(fitting, key=lambda r: (rank[r.title] - band, not r.free))


def practice_for(skill: SkillMeta, area: WorkArea | None, exposed_task: str | None = None) -> str | None:
    """Practice in the person's own work: their most exposed task, their area's task, or the
    generic one."""
    if exposed_task:
        task = exposed_task.rstrip(".")
        return f"use what you learned on one of your own most exposed tasks, {task[0].lower()}{task[1:]}"
    written = skill.practice_by_area.get(area) if area else None
    if written:
        return written[0]
    return skill.practice[0] if skill.practice else None


@dataclass(frozen=True)
class Segment:
    activity: str
    resource: Resource
    hours: float
    kind: ItemKind


def skill_segments(
    skill: SkillMeta,
    hours: float,
    have: int = 0,
    area: WorkArea | None = None,
    exposed_task: str | None = None,
) -> list[Segment]:
    """Split a skill's hours into study (resources from the person's level) and practice at work."""
    resources = resources_from(skill, have)
    practice = to_step(hours * PRACTICE_SHARE) if hours >= 2 else 0.0
    study = hours - practice
    segments: list[Segment] = []
    for resource in resources:
        if study <= 0:
            break
        take = min(study, to_step(resource.hours))
        segments.append(Segment(activity_for(resource), resource, take, "skill"))
        study -= take
    if study > 0:  # the resources are shorter than the skill: go back over the main one
        main = resources[0]
        again = "Redo the exercises of" if main.kind in {"course", "practice"} else "Go back over"
        segments.append(Segment(f"{again} {main.title}", main, study, "skill"))
    if practice > 0:
        task = practice_for(skill, area, exposed_task) or f"use {skill.title.lower()} on a real task"
        # The practice builds on what was just studied: it links there.
        segments.append(Segment(f"Apply it at work: {task}", segments[-1].resource, practice, "practice"))
    return segments


def schedulable_steps(
    path: EntryPath | None, current_role: str | None = None
) -> tuple[list[EntryStep], list[EntryStep]]:
    """The entry steps a part-time plan can hold (those with hours, up to the first step that
    takes set calendar time, such as an apprenticeship) and the steps after them."""
    if path is None:
        return [], []
    required = [s for s in path.steps if not s.optional and current_role not in s.done_by]
    for index, step in enumerate(required):
        if step.hours is None:
            return required[:index], required[index:]
    return required, []


def step_text(step: EntryStep) -> str:
    """'Complete the apprenticeship (about 4 years, paid)': the step's headline, before any
    colon or semicolon that starts its details."""
    parts = []
    if step.weeks:
        parts.append(duration_text(step.weeks))
    parts.append("paid" if step.paid else f"cost: {step.cost}")
    headline = re.split(r"[:;]\s", step.step, maxsplit=1)[0].rstrip(".")
    if len(headline.split()) < 3:
        headline = step.step.rstrip(".")
    return f"{headline} ({', '.join(parts)})"


def duration_text(weeks: float) -> str:
    if weeks >= 78:
        years = round(weeks / 52 * 2) / 2
        return f"about {years:g} years"
    if weeks >= 9:
        return f"about {round(weeks / 4.345):g} months"
    return f"about {weeks:g} week{'s' if weeks != 1 else ''}"


def step_ref(step: EntryStep) -> ResourceRef:
    free = step.cost.strip().lower().startswith(("free", "none", "no cost", "usually free"))
    return ResourceRef(title=step.source.title, url=step.source.url, kind="source", free=free)


def item_key(kind: str, skill: str | None, activity: str) -> str:
    """A plan item's stable name, the same in every re-plan: progress is kept by it."""
    return f"{kind}:{skill or ''}:{activity.removesuffix(' (continued)')}"


def build_plan(
    needs: Sequence[Need],
    skills: Mapping[str, SkillMeta],
    hours_per_week: float,
    have: Mapping[str, int] | None = None,
    max_skills: int = MAX_PLAN_SKILLS,
    target_role: str | None = None,
    entry: EntryPath | None = None,
    area: WorkArea | None = None,
    exposed_tasks: Sequence[str] = (),
    scope: Scope | None = None,
    current_role: str | None = None,
    done: Collection[str] = (),
) -> Plan:
    """Weeks of study, practice and entry steps within the weekly budget.

    The entry path's leading training steps come first, then the skills in prerequisite order,
    then the rest of the schedulable entry steps (portfolio, certification, applying). A step
    that takes set calendar time ends the plan as its milestone."""
    have = dict(have or {})
    steps, beyond = schedulable_steps(entry, current_role)
    # A course the person does not need (they hold all it teaches) is skipped; what the kept
    # steps teach is not taught again by the skill study.
    steps = [s for s in steps if not s.covers or any(have.get(c, 0) < WORKING_LEVEL for c in s.covers)]
    covered = {c for s in steps for c in s.covers}
    have |= {c: max(have.get(c, 0), KNOWN_LEVEL) for c in covered}
    ranked = rank_needs([n for n in needs if n.skill in skills and n.gap > 0 and n.skill not in covered])
    focus, later = ranked[:max_skills], ranked[max_skills:]
    ordered = prerequisite_order(with_prerequisites(focus, skills, have), skills)
    budget = budget_of(hours_per_week)
    leading = next((i for i, s in enumerate(steps) if s.kind != "training"), len(steps))

    weeks: list[PlanWeek] = []
    items: list[PlanItem] = []
    left = budget
    milestones: list[Milestone] = []

    def close_week() -> None:
        nonlocal items, left
        if items:
            weeks.append(PlanWeek(week=len(weeks) + 1, hours=budget - left, items=items))
        items, left = [], budget

    def schedule(
        activity: str,
        hours: float,
        resource: ResourceRef,
        skill: str | None,
        kind: ItemKind,
        covers: Sequence[str] = (),
    ) -> bool:
        """Schedule an activity unless the person has done or skipped it; True if scheduled."""
        nonlocal left
        key = item_key(kind, skill, activity)
        if key in done:
            return False
        remaining = hours
        while remaining > 0:
            if left < STEP:
                close_week()
            take = min(remaining, left)
            # The same activity carried over from last week says so.
            label = f"{activity} (continued)" if remaining < hours else activity
            last = items[-1] if items else None
            if last and last.skill == skill and last.activity == label:
                last.hours += take
            else:
                items.append(
                    PlanItem(
                        skill=skill,
                        activity=label,
                        hours=take,
                        resource=resource,
                        kind=kind,
                        covers=list(covers),
                        key=key,
                    )
                )
            remaining -= take
            left -= take
        return True

    def take_steps(chosen: Sequence[EntryStep]) -> None:
        for step in chosen:
            hours = to_step(step.hours or STEP)
            if schedule(step.step.rstrip("."), hours, step_ref(step), None, "entry_step", step.covers):
                milestones.append(
                    Milestone(week=len(weeks) + 1, skill=None, text=f"Done: {step.step.rstrip('.')}")
                )

    tasks = list(exposed_tasks)
    if tasks and FIRST_LOOK_SKILL in skills:
        # Week 1 starts with the person's own most exposed task, whatever else comes first.
        look = skills[FIRST_LOOK_SKILL]
        resource = resources_from(look, have.get(FIRST_LOOK_SKILL, 0))[0]
        task = tasks.pop(0).rstrip(".")
        task = task[0].lower() + task[1:]
        text = (
            f"Apply it at work: try an AI assistant on your own most exposed task, {task}; "
            "note what it got right and what you had to fix"
        )
        schedule(text, FIRST_LOOK_HOURS, ref(resource), FIRST_LOOK_SKILL, "practice")
    take_steps(steps[:leading])
    for need in ordered:
        skill = skills[need.skill]
        hours = learning_hours(skill, need.have, need.want)
        task = tasks.pop(0) if tasks and skill.category in {"ai-literacy", "technical"} else None
        planned = [
            schedule(segment.activity, segment.hours, ref(segment.resource), need.skill, segment.kind)
            for segment in skill_segments(skill, hours, need.have, area, task)
        ]
        if any(planned):
            check = f": {skill.practice[0]}" if skill.practice else ""
            milestones.append(
                Milestone(
                    week=len(weeks) + 1, skill=need.skill, text=f"Working level in {skill.title}{check}"
                )
            )
    take_steps(steps[leading:])
    if beyond and (items or weeks):
        nxt = beyond[0]
        items.append(
            PlanItem(
                skill=None,
                activity=f"Next: {step_text(nxt)}",
                hours=0.0,
                resource=step_ref(nxt),
                kind="milestone",
            )
        )
    close_week()
    return Plan(
        skills=[n.skill for n in ordered],
        weeks=weeks,
        milestones=milestones,
        hours_per_week=budget,
        total_hours=sum(w.hours for w in weeks),
        target_role=target_role,
        later_skills=[n.skill for n in later],
        scope=scope or ("first_milestone" if beyond else "full_path"),
        entry_summary=entry.summary if entry else None,
        after_plan=[step_text(s) for s in beyond]
        + [f"Optional: {step_text(s)}" for s in (entry.steps if entry else []) if s.optional],
    )


# -- what the person already has ----------------------------------------------------------

EXPERIENCED_YEARS = 5  # this long in a role adds a level to the skills it uses
KNOWN_SKILL_LEVEL = 5  # "I already know SQL": planned as held, never taught again
# O*NET basic skills standing in for knowledge-base skills, for jobs outside the base.
ONET_SKILLS: dict[str, tuple[str, ...]] = {
    "critical-thinking": ("critical_thinking",),
    "complex-communication": ("speaking", "writing", "active_listening"),
    "adaptability": ("active_learning", "learning_strategies"),
    "data-literacy": ("mathematics",),
    "python-programming": ("programming",),
}


def occupation_levels(levels: Mapping[str, float], job_zone: int | None) -> dict[str, int]:
    """Knowledge-base skill levels (1-5) from an occupation's O*NET basic-skill levels (0-100),
    capped by its Job Zone, so a job that needs little preparation is not credited with expert
    skills."""
    cap = max(2, job_zone or 3)
    held: dict[str, int] = {}
    for skill, names in ONET_SKILLS.items():
        values = [levels[n] for n in names if n in levels]
        if values:
            level = min(cap, round(sum(values) / len(values) / 20))
            if level > 0:
                held[skill] = level
    return held


@dataclass
class Held:
    levels: dict[str, int]
    why: dict[str, str]

    def raise_to(self, skill: str, level: int, why: str) -> None:
        if level > self.levels.get(skill, 0):
            self.levels[skill] = level
            self.why[skill] = why


def held_skills(
    current: RoleMeta | None,
    years: float | None = None,
    known: Sequence[str] = (),
    occupation: tuple[str, Mapping[str, int]] | None = None,
    skills: Mapping[str, SkillMeta] | None = None,
) -> Held:
    """What the person has: their role's skills, an outside occupation's O*NET levels, and
    what they said they know. Years in the work add a level to its human skills (judgement,
    communication), not to AI or technical ones, which years of a job do not teach."""
    held = Held({}, {})
    experienced = bool(years and years >= EXPERIENCED_YEARS)

    def grown(skill: str, level: int) -> int:
        human = skills is not None and skill in skills and skills[skill].category == "human"
        return min(5, level + (experienced and human))

    more = f" with {years:g} years in it" if experienced and years else ""
    if current is not None:
        for need in current.skills:
            held.raise_to(
                need.id, grown(need.id, need.level), f"from your work as {a_role(current.title)}{more}"
            )
    if occupation is not None:
        title, levels = occupation
        for skill, level in levels.items():
            held.raise_to(skill, grown(skill, level), f"typical of {title} work (O*NET)")
    for skill in known:
        held.raise_to(skill, KNOWN_SKILL_LEVEL, "you said you know it")
    return held


# -- where to go ----------------------------------------------------------------------------


def pay_of(role: RoleMeta) -> PayFigure | None:
    pay = role.pay
    if pay is None:
        return None
    return PayFigure(
        median=pay.median, currency=pay.currency, period=pay.period, region=pay.region, year=pay.year,
        source=pay.source.title, url=pay.source.url, occupation=pay.occupation,
    )  # fmt: skip


def outlook_of(role: RoleMeta) -> OutlookFigure | None:
    outlook = role.outlook
    if outlook is None:
        return None
    return OutlookFigure(
        text=outlook.text, growth_percent=outlook.growth_percent, period=outlook.period,
        region=outlook.region, year=outlook.year, source=outlook.source.title, url=outlook.source.url,
    )  # fmt: skip


def yearly(pay: PayFigure | None) -> float | None:
    if pay is None:
        return None
    return pay.median * (2080 if pay.period == "hour" else 1)


STAY_WANTS = {"ai-fluency": 3, "ai-output-evaluation": 3}


def stay_needs(
    current: RoleMeta | None, skills: Mapping[str, SkillMeta], have: Mapping[str, int]
) -> list[Need]:
    """Staying and upgrading: the AI skills of the person's own work, within their role: the
    role's AI-literacy skills a level up (for a job outside the base, none are known), and
    working fluency in using and checking AI."""
    wants = {s: lv for s, lv in STAY_WANTS.items() if s in skills}
    for need in current.skills if current is not None else []:
        if need.id in skills and skills[need.id].category == "ai-literacy":
            wants[need.id] = max(wants.get(need.id, 0), min(4, need.level + 1))
    return [Need(s, have.get(s, 0), lv) for s, lv in wants.items() if lv > have.get(s, 0)]


def suggest_targets(
    roles: Mapping[str, RoleMeta], current_id: str, limit: int = 3, have: Mapping[str, int] | None = None
) -> list[TargetSuggestion]:
    """Rank the current role's transitions by fit: skills already held, lower exposure, demand
    and pay where a source gives them. A resilient role offers staying and upgrading first."""
    current = roles[current_id]
    have = dict(have) if have is not None else role_levels(current)
    candidates = [t for t in current.transitions if t in roles] or [
        r for r, meta in roles.items() if meta.category == "emerging" and r != current_id
    ]
    current_pay = yearly(pay_of(current))
    scored: list[TargetSuggestion] = []
    for position, target_id in enumerate(candidates):
        target = roles[target_id]
        wanted = sum(s.level for s in target.skills) or 1
        overlap = sum(min(have.get(s.id, 0), s.level) for s in target.skills) / wanted
        exposure = target.exposure.human_beta if target.exposure else 0.5
        pay, outlook = pay_of(target), outlook_of(target)
        growth = outlook.growth_percent if outlook and outlook.growth_percent is not None else None
        demand = 0.5 if growth is None else min(1.0, max(0.0, (growth + 5) / 25))
        target_pay = yearly(pay)
        worth = (
            0.5
            if not (target_pay and current_pay)
            else min(1.0, max(0.0, 0.5 + (target_pay - current_pay) / (2 * current_pay)))
        )
        # The author's order of transitions breaks near ties: it encodes judgement.
        fit = (
            0.5 * overlap + 0.2 * (1 - exposure) + 0.12 * demand + 0.1 * worth
            + 0.08 * (1 - position / max(len(candidates), 1))
        )  # fmt: skip
        shared = [s.id for s in target.skills if have.get(s.id, 0) > 0]
        why = current.transition_reasons.get(target_id) or target.summary
        if shared:
            why = f"{why} You already bring {len(shared)} of the {len(target.skills)} skills it needs."
        figures = figures_text(pay, outlook)
        if figures:
            why = f"{why} {figures}"
        scored.append(
            TargetSuggestion(
                id=target_id, title=target.title, why=why, fit=round(fit, 3), pay=pay, outlook=outlook
            )
        )
    scored.sort(key=lambda s: (-s.fit, s.id))
    if current.category == "resilient":
        stay = TargetSuggestion(
            id=current_id,
            title=f"Stay and upgrade as {a_role(current.title)}",
            why=(
                "Your work is hands-on and expected to hold up as AI spreads; the strongest move is "
                "usually to stay and add the AI skills of your own work. "
                f"{figures_text(pay_of(current), outlook_of(current))}"
            ).strip(),
            fit=1.0,
            pay=pay_of(current),
            outlook=outlook_of(current),
        )
        scored.insert(0, stay)
    return scored[:limit]
