from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.knowledge.loader import KnowledgeBase, load_knowledge
from bot.core.knowledge.schema import LEVELS, EntryPath, EntryStep, Resource, SkillMeta, Source
from bot.core.planner import (
    KNOWN_LEVEL,
    WORKING_LEVEL,
    Need,
    build_plan,
    level_band,
    role_levels,
    skill_gap,
    suggest_targets,
)
from bot.settings import PROJECT_ROOT


def skill(
    skill_id: str, hours: float, prerequisites: list[str], resources: int = 2, levels: list[str] | None = None
) -> SkillMeta:
    levels = levels or [LEVELS[min(i, 2)] for i in range(resources)]
    return SkillMeta(
        id=skill_id,
        type="skill",
        title=skill_id.replace("-", " ").title(),
        summary="A skill.",
        category="technical",
        prerequisites=prerequisites,
        hours=hours,
        resources=[
            Resource(
                title=f"{skill_id} resource {i}",
                url=f"https://example.org/{skill_id}/{i}",
                kind="course",
                hours=1 + 7 * i,
                free=i == 0,
                level=levels[i % len(levels)],
            )
            for i in range(resources)
        ],
        practice=[f"practise {skill_id}"],
        sources=[{"title": "s", "url": "https://example.org/s"}],
    )


def source(n: int) -> Source:
    return Source(title=f"source {n}", url=f"https://example.org/source/{n}")


@st.composite
def entry_paths(draw: st.DrawFn, ids: list[str]) -> EntryPath | None:
    if not draw(st.booleans()):
        return None
    steps = []
    for n in range(draw(st.integers(1, 5))):
        long = draw(st.integers(0, 3)) == 0  # a step of set calendar time, such as an apprenticeship
        steps.append(
            EntryStep(
                step=f"step {n}",
                kind=draw(st.sampled_from(["training", "portfolio", "licence", "job-search"]))
                if not long
                else "apprenticeship",
                hours=None if long else draw(st.sampled_from([0.5, 2, 10, 40])),
                weeks=208 if long else None,
                paid=long,
                covers=[] if long else draw(st.lists(st.sampled_from(ids), unique=True, max_size=2)),
                optional=draw(st.integers(0, 4)) == 0,
                cost="free",
                source=source(n),
            )
        )
    return EntryPath(summary="How people get in.", steps=steps)


Case = tuple[dict[str, SkillMeta], list[Need], float, dict[str, int], EntryPath | None]


@st.composite
def skill_graphs(draw: st.DrawFn) -> Case:
    count = draw(st.integers(1, 12))
    ids = [f"s{i}" for i in range(count)]
    skills: dict[str, SkillMeta] = {}
    for index, skill_id in enumerate(ids):
        # Prerequisites only point at earlier ids: the graph is acyclic, as the loader demands.
        prerequisites = draw(st.lists(st.sampled_from(ids[:index]), unique=True, max_size=3)) if index else []
        hours = draw(st.sampled_from([0.5, 1, 2.5, 4, 7, 10, 15, 40, 60]))
        resources = draw(st.integers(2, 4))
        levels = draw(st.lists(st.sampled_from(LEVELS), min_size=resources, max_size=resources))
        skills[skill_id] = skill(skill_id, hours, prerequisites, resources, levels)
    wanted = draw(st.lists(st.sampled_from(ids), unique=True, min_size=1, max_size=count))
    needs = [Need(s, draw(st.integers(0, 4)), draw(st.integers(1, 5))) for s in wanted]
    have = {n.skill: n.have for n in needs}
    have |= {
        s: draw(st.integers(0, 5)) for s in draw(st.lists(st.sampled_from(ids), unique=True)) if s not in have
    }
    budget = draw(st.sampled_from([0.5, 1, 1.5, 2.5, 3, 5, 7.5, 10, 40]))
    return skills, needs, budget, have, draw(entry_paths(ids))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skill_graphs())
def test_plans_keep_budget_order_levels_and_entry_steps(case: Case) -> None:
    skills, needs, budget, have, entry = case
    plan = build_plan(needs, skills, budget, have=have, max_skills=20, entry=entry)
    known = {(r.title, r.url) for s in skills.values() for r in s.resources}
    finished: dict[str, int] = {}
    started: dict[str, int] = {}
    steps_seen: list[str] = []
    for week in plan.weeks:
        assert 0 < week.hours <= budget
        assert abs(sum(i.hours for i in week.items) - week.hours) < 1e-9
        for item in week.items:
            if item.kind in {"entry_step", "milestone"}:
                assert item.skill is None
                assert entry is not None
                step = next(s for s in entry.steps if s.source.url == item.resource.url)
                assert (item.hours > 0) == (item.kind == "entry_step")
                if item.kind == "entry_step" and step.step not in steps_seen:
                    steps_seen.append(step.step)
                continue
            assert item.skill is not None
            assert item.hours > 0
            assert (item.resource.title, item.resource.url) in known  # only resources of the base
            own = skills[item.skill].resources
            assert (item.resource.title, item.resource.url) in {(r.title, r.url) for r in own}
            # Study starts where the person is: nothing below their level while harder exists.
            band = level_band(have.get(item.skill, 0))
            if any(LEVELS.index(r.level) >= band for r in own):
                assert LEVELS.index(item.resource.level) >= band, (item, have.get(item.skill))
            started.setdefault(item.skill, week.week)
            finished[item.skill] = week.week
    # Entry steps come in their order, up to the first step of set calendar time; a step that
    # teaches only what the person holds is skipped, and what a kept step teaches is not studied.
    covered: set[str] = set()
    if entry is not None and (plan.weeks or steps_seen):
        schedulable = []
        for step in entry.steps:
            if step.optional:  # listed after the plan, never scheduled
                assert any(step.step in later for later in plan.after_plan)
                continue
            if step.hours is None:
                break
            if step.covers and all(have.get(c, 0) >= WORKING_LEVEL for c in step.covers):
                continue
            schedulable.append(step.step)
            covered |= set(step.covers)
        assert steps_seen == schedulable
        long = any(s.hours is None for s in entry.steps if not s.optional)
        assert plan.scope == ("first_milestone" if long else "full_path")
    assert not covered & set(plan.skills)
    # Skills already held are never planned: wanted ones at their level, prerequisites at working level.
    for skill_id in plan.skills:
        need = next((n for n in needs if n.skill == skill_id), None)
        needed_for = [o for o in plan.skills if skill_id in skills[o].prerequisites]
        assert (need is not None and need.gap > 0) or (needed_for and have.get(skill_id, 0) < KNOWN_LEVEL)
    for skill_id in plan.skills:
        for prerequisite in skills[skill_id].prerequisites:
            if prerequisite in plan.skills:
                assert finished[prerequisite] <= started[skill_id], (prerequisite, skill_id)
                assert plan.skills.index(prerequisite) < plan.skills.index(skill_id)
    # Every wanted skill and every prerequisite it lacks is in the plan.
    for need in needs:
        if need.gap <= 0 or need.skill in covered:
            continue
        assert need.skill in plan.skills
        for prerequisite in skills[need.skill].prerequisites:
            assert (
                prerequisite in plan.skills
                or have.get(prerequisite, 0) >= KNOWN_LEVEL
                or prerequisite in covered
            )
    assert abs(plan.total_hours - sum(w.hours for w in plan.weeks)) < 1e-9
    assert [w.week for w in plan.weeks] == list(range(1, len(plan.weeks) + 1))


def test_a_prerequisite_the_person_has_is_not_taught_again() -> None:
    skills = {"a": skill("a", 10, []), "b": skill("b", 10, ["a"])}
    plan = build_plan([Need("b", 0, 3)], skills, 5, have={"a": 3})
    assert plan.skills == ["b"]
    plan = build_plan([Need("b", 0, 3)], skills, 5, have={"a": 1})
    assert plan.skills == ["a", "b"]


def real_kb() -> KnowledgeBase:
    return load_knowledge(PROJECT_ROOT / "knowledge")


def test_gap_is_target_minus_current_by_level() -> None:
    kb = real_kb()
    gap = {
        n.skill: (n.have, n.want)
        for n in skill_gap(kb.roles["ai-governance-specialist"], kb.roles["paralegal"])
    }
    have = role_levels(kb.roles["paralegal"])
    for need in kb.roles["ai-governance-specialist"].skills:
        if have.get(need.id, 0) >= need.level:
            assert need.id not in gap
        else:
            assert gap[need.id] == (have.get(need.id, 0), need.level)


def test_suggested_targets_come_from_transitions_with_reasons() -> None:
    kb = real_kb()
    targets = suggest_targets(kb.roles, "paralegal")
    assert 2 <= len(targets) <= 3
    assert {t.id for t in targets} <= set(kb.roles["paralegal"].transitions)
    assert all(t.why for t in targets)
    assert [t.fit for t in targets] == sorted((t.fit for t in targets), reverse=True)


def test_plan_on_the_real_base_cites_only_its_resources(tmp_path: Path) -> None:
    kb = real_kb()
    current = kb.roles["data-entry-clerk"]
    for target_id in current.transitions:
        plan = build_plan(skill_gap(kb.roles[target_id], current), kb.skills, 3, role_levels(current))
        urls = {r.url for s in kb.skills.values() for r in s.resources}
        assert all(i.resource.url in urls for w in plan.weeks for i in w.items)
        assert all(w.hours <= 3 for w in plan.weeks)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skill_graphs(), st.data())
def test_repacking_what_is_left_keeps_the_invariants(case: Case, data: st.DataObject) -> None:
    skills, needs, budget, have, entry = case
    whole = build_plan(needs, skills, budget, have=have, max_skills=20, entry=entry)
    keys = sorted({i.key for w in whole.weeks for i in w.items if i.kind != "milestone"})
    done = set(data.draw(st.lists(st.sampled_from(keys), unique=True), label="done")) if keys else set()
    left = build_plan(needs, skills, budget, have=have, max_skills=20, entry=entry, done=done)
    done_hours = sum(i.hours for w in whole.weeks for i in w.items if i.key in done)
    assert abs(left.total_hours - (whole.total_hours - done_hours)) < 1e-9
    finished: dict[str, int] = {}
    started: dict[str, int] = {}
    for week in left.weeks:
        assert 0 < week.hours <= budget or all(i.kind == "milestone" for i in week.items)
        assert abs(sum(i.hours for i in week.items) - week.hours) < 1e-9
        for item in week.items:
            assert item.key not in done
            if item.skill is not None and item.kind != "milestone":
                started.setdefault(item.skill, week.week)
                finished[item.skill] = week.week
    for skill_id in left.skills:
        for prerequisite in skills[skill_id].prerequisites:
            if prerequisite in started and skill_id in started:
                assert finished[prerequisite] <= started[skill_id], (prerequisite, skill_id)
