"""A person's plan from what is known of them: where they stand, where to go, the plan.

The planner (`planner.py`) is pure arithmetic on skills and hours; this module decides what
goes into it: the skills the person holds (role, years, O*NET levels of an outside job, their
own statements), the target (chosen, suggested, or staying and upgrading), the target's entry
path, the practice of their own work and their most exposed tasks.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import compose
from bot.core.compose import figures_text
from bot.core.knowledge.loader import KnowledgeBase
from bot.core.knowledge.schema import work_area_of
from bot.core.models import Citation, KnownSkill, Plan, Profile, Progress, ProgressItem, TargetSuggestion
from bot.core.planner import (
    DEFAULT_HOURS_PER_WEEK,
    WORKING_LEVEL,
    Held,
    Need,
    build_plan,
    held_skills,
    occupation_levels,
    outlook_of,
    pay_of,
    stay_needs,
    suggest_targets,
)
from bot.core.understanding.occupations import OccupationTable


def held_for(profile: Profile, kb: KnowledgeBase, table: OccupationTable | None) -> Held:
    current = kb.roles.get(profile.current_role or "")
    occupation = table.get(profile.onet_code) if table is not None and current is None else None
    levels = (
        (occupation.title, occupation_levels(occupation.skill_levels, occupation.job_zone))
        if occupation is not None and occupation.skill_levels
        else None
    )
    return held_skills(current, profile.experience_years, profile.known_skills, levels, kb.skills)


def _leaning_first(suggestions: list[TargetSuggestion], leaning: Sequence[str]) -> list[TargetSuggestion]:
    """The moves open from their work, those a wish leans toward first, three at most."""
    ordered = sorted(suggestions, key=lambda t: t.id not in leaning)  # stable: fit order within each
    return ordered[:3]


def _chosen_target(
    kb: KnowledgeBase,
    profile: Profile,
    near_roles: Sequence[str],
    have: dict[str, int],
    leaning: Sequence[str] = (),
) -> list[TargetSuggestion]:
    roles = kb.roles
    current = roles.get(profile.current_role or "")
    near = next((r for r in near_roles if r in roles), None) if current is None else None
    origin = current.id if current is not None else near
    if profile.target_role in roles:
        target = roles[profile.target_role]
        pay, outlook = pay_of(target), outlook_of(target)
        why = " ".join(p for p in (target.summary, figures_text(pay, outlook)) if p)
        chosen = TargetSuggestion(
            id=target.id, title=target.title, why=why, fit=1.0, pay=pay, outlook=outlook
        )
        others = [t for t in suggest_targets(roles, origin, have=have) if t.id != target.id] if origin else []
        return [chosen, *others[:2]]
    # A wish that names no one role ("something with AI, maybe helping people") still leans
    # toward some: among the moves their work opens, those come first.
    if current is not None:
        return _leaning_first(suggest_targets(roles, current.id, limit=len(roles), have=have), leaning)
    if near is not None:
        # Someone outside the base is offered the moves open from the closest role, and the
        # closest role itself, but is not credited with that role's skills.
        moves = [t for t in suggest_targets(roles, near, limit=len(roles), have=have) if t.id != near]
        return _leaning_first(moves, leaning) or [
            TargetSuggestion(id=near, title=roles[near].title, why=roles[near].summary, fit=0.5)
        ]
    return []


FINISHED = {"done", "skipped"}  # statuses that take an item out of what is left to do


def plan_for(
    kb: KnowledgeBase,
    profile: Profile,
    learn_skills: list[str],
    near_roles: Sequence[str] | None = None,
    table: OccupationTable | None = None,
    whole: bool = False,
    leaning: Sequence[str] = (),
) -> tuple[Plan | None, list[TargetSuggestion], list[Citation]]:
    """The deterministic plan for a profile: target roles, the plan, what it cites.

    The plan is what is left: items the person has done or skipped are out, and the rest is
    packed into the coming weeks at their hours (`whole`: the plan as if nothing were done).
    `leaning`: roles an unclear wish is near, preferred among the suggested moves."""
    done = set() if whole else {k for k, status in profile.progress.items() if status in FINISHED}
    roles, skills = kb.roles, kb.skills
    budget = profile.hours_per_week or DEFAULT_HOURS_PER_WEEK
    current = roles.get(profile.current_role or "")
    held = held_for(profile, kb, table)
    have = held.levels
    # Someone outside the base who wants to keep their job: their own work, no other role.
    staying_outside = current is None and profile.stay and bool(profile.onet_code) and not profile.target_role
    targets = [] if staying_outside else _chosen_target(kb, profile, near_roles or [], have, leaning)
    chosen = targets[0].id if targets else None
    staying = staying_outside or (current is not None and chosen == current.id)
    needs: list[Need] = [
        Need(s, have.get(s, 0), WORKING_LEVEL) for s in learn_skills if have.get(s, 0) < WORKING_LEVEL
    ]
    entry = None
    if staying:
        needs += [n for n in stay_needs(current, skills, have) if n.skill not in {m.skill for m in needs}]
    elif chosen is not None:
        target = roles[chosen]
        entry = target.entry_path
        wanted = [Need(s.id, have.get(s.id, 0), s.level) for s in target.skills]
        needs += [n for n in wanted if n.gap > 0 and n.skill not in {m.skill for m in needs}]
    if not needs and chosen is None:
        return None, [], []
    area = current.area if current is not None else work_area_of(profile.onet_code)
    exposed: list[str] = []
    if table is not None and table.has_tasks and profile.onet_code:
        exposed = [t.text for t in table.exposed_tasks(profile.onet_code)[0]]
    plan = build_plan(
        needs, skills, budget, have, target_role=chosen, entry=entry, area=area, exposed_tasks=exposed,
        scope="stay_and_upgrade" if staying else None, current_role=profile.current_role, done=done,
    )  # fmt: skip
    if chosen is not None and not staying:
        plan.known_skills = [
            KnownSkill(skill=s.id, level=have[s.id], why=held.why[s.id])
            for s in roles[chosen].skills
            if have.get(s.id, 0) >= s.level
        ]
    ids = [profile.current_role, *(t.id for t in targets), *plan.skills]
    citations = [
        compose.citation(kb.documents[i]) for i in dict.fromkeys(i for i in ids if i and i in kb.documents)
    ]
    return plan, targets, citations


def progress_for(
    kb: KnowledgeBase,
    profile: Profile,
    near_roles: Sequence[str] | None = None,
    table: OccupationTable | None = None,
) -> Progress | None:
    """Where the person is in their plan: every item of the whole plan with its status, the
    hours done, and what comes next. Done work counts in any plan that has the same item, so
    a new goal or new hours lose nothing."""
    whole, _, _ = plan_for(kb, profile, [], near_roles, table, whole=True)
    if whole is None:
        return None
    items: list[ProgressItem] = []
    for week in whole.weeks:
        for item in week.items:
            if item.kind == "milestone":
                continue
            status = profile.progress.get(item.key, "todo")
            known = next((i for i in items if i.key == item.key), None)
            if known is not None:  # one activity over several weeks is one item
                known.hours += item.hours
                continue
            items.append(
                ProgressItem(key=item.key, week=week.week, skill=item.skill, activity=item.activity,
                             hours=item.hours, status=status)  # type: ignore[arg-type]
            )  # fmt: skip
    done = sum(i.hours for i in items if i.status == "done")
    following = next((i for i in items if i.status not in FINISHED), None)
    return Progress(done_hours=done, total_hours=sum(i.hours for i in items), items=items, next=following)
