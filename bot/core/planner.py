"""The deterministic planner: skill gap, prerequisite order, weeks that fit the budget.

A plan never exceeds the weekly budget, never starts a skill before its prerequisites are
finished, and cites only resources of the skills in the knowledge base.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.knowledge.schema import Resource, RoleMeta, SkillMeta
from bot.core.models import Milestone, Plan, PlanItem, PlanWeek, ResourceRef, TargetSuggestion

DEFAULT_HOURS_PER_WEEK = 5.0
MIN_HOURS_PER_WEEK = 1.0
MAX_HOURS_PER_WEEK = 40.0
MAX_PLAN_SKILLS = 6
PRACTICE_SHARE = 0.25
STEP = 0.5  # every figure in a plan is a multiple of half an hour
KNOWN_LEVEL = 2  # a prerequisite the person already has at this level is not taught again


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
    return ResourceRef(title=resource.title, url=resource.url, kind=resource.kind, free=resource.free)


def skill_segments(skill: SkillMeta, hours: float) -> list[tuple[str, Resource, float]]:
    """Split a skill's hours into study (resources in order, free first) and practice at work."""
    resources = sorted(skill.resources, key=lambda r: not r.free)
    practice = to_step(hours * PRACTICE_SHARE) if hours >= 2 else 0.0
    study = hours - practice
    segments: list[tuple[str, Resource, float]] = []
    for resource in resources:
        if study <= 0:
            break
        take = min(study, to_step(resource.hours))
        segments.append((activity_for(resource), resource, take))
        study -= take
    if study > 0:  # the resources are shorter than the skill: go back over the main one
        segments.append((f"Revisit {resources[0].title} and redo its exercises", resources[0], study))
    if practice > 0:
        task = skill.practice[0] if skill.practice else f"use {skill.title.lower()} on a real task"
        segments.append((f"Apply it at work: {task}", resources[0], practice))
    return segments


def build_plan(
    needs: Sequence[Need],
    skills: Mapping[str, SkillMeta],
    hours_per_week: float,
    have: Mapping[str, int] | None = None,
    max_skills: int = MAX_PLAN_SKILLS,
    target_role: str | None = None,
) -> Plan:
    have = have or {}
    ranked = rank_needs([n for n in needs if n.skill in skills and n.gap > 0])
    focus, later = ranked[:max_skills], ranked[max_skills:]
    ordered = prerequisite_order(with_prerequisites(focus, skills, have), skills)
    budget = budget_of(hours_per_week)

    weeks: list[PlanWeek] = []
    items: list[PlanItem] = []
    left = budget
    milestones: list[Milestone] = []

    def close_week() -> None:
        nonlocal items, left
        if items:
            weeks.append(PlanWeek(week=len(weeks) + 1, hours=budget - left, items=items))
        items, left = [], budget

    for need in ordered:
        skill = skills[need.skill]
        for activity, resource, hours in skill_segments(skill, learning_hours(skill, need.have, need.want)):
            remaining = hours
            while remaining > 0:
                if left < STEP:
                    close_week()
                take = min(remaining, left)
                # The same activity carried over from last week says so.
                label = f"{activity} (continued)" if remaining < hours else activity
                last = items[-1] if items else None
                if last and last.skill == need.skill and last.activity == label:
                    last.hours += take
                else:
                    items.append(
                        PlanItem(skill=need.skill, activity=label, hours=take, resource=ref(resource))
                    )
                remaining -= take
                left -= take
        check = f": {skill.practice[0]}" if skill.practice else ""
        milestones.append(
            Milestone(week=len(weeks) + 1, skill=need.skill, text=f"Working level in {skill.title}{check}")
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
    )


def suggest_targets(roles: Mapping[str, RoleMeta], current_id: str, limit: int = 3) -> list[TargetSuggestion]:
    """Rank the current role's transitions by fit: skills already held, and lower exposure."""
    current = roles[current_id]
    have = role_levels(current)
    candidates = [t for t in current.transitions if t in roles] or [
        r for r, meta in roles.items() if meta.category == "emerging" and r != current_id
    ]
    scored: list[TargetSuggestion] = []
    for position, target_id in enumerate(candidates):
        target = roles[target_id]
        wanted = sum(s.level for s in target.skills) or 1
        overlap = sum(min(have.get(s.id, 0), s.level) for s in target.skills) / wanted
        exposure = target.exposure.human_beta if target.exposure else 0.5
        # The author's order of transitions breaks near ties: it encodes judgement.
        fit = 0.6 * overlap + 0.3 * (1 - exposure) + 0.1 * (1 - position / max(len(candidates), 1))
        shared = [s.id for s in target.skills if have.get(s.id, 0) > 0]
        why = current.transition_reasons.get(target_id) or target.summary
        if shared:
            why = f"{why} You already bring {len(shared)} of the {len(target.skills)} skills it needs."
        scored.append(TargetSuggestion(id=target_id, title=target.title, why=why, fit=round(fit, 3)))
    scored.sort(key=lambda s: (-s.fit, s.id))
    return scored[:limit]
