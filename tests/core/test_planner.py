from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.knowledge.loader import KnowledgeBase, load_knowledge
from bot.core.knowledge.schema import Resource, SkillMeta
from bot.core.planner import Need, build_plan, role_levels, skill_gap, suggest_targets
from bot.settings import PROJECT_ROOT


def skill(skill_id: str, hours: float, prerequisites: list[str], resources: int = 2) -> SkillMeta:
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
            )
            for i in range(resources)
        ],
        practice=[f"practise {skill_id}"],
        sources=[{"title": "s", "url": "https://example.org/s"}],
    )


@st.composite
def skill_graphs(draw: st.DrawFn) -> tuple[dict[str, SkillMeta], list[Need], float]:
    count = draw(st.integers(1, 12))
    ids = [f"s{i}" for i in range(count)]
    skills: dict[str, SkillMeta] = {}
    for index, skill_id in enumerate(ids):
        # Prerequisites only point at earlier ids: the graph is acyclic, as the loader demands.
        prerequisites = draw(st.lists(st.sampled_from(ids[:index]), unique=True, max_size=3)) if index else []
        hours = draw(st.sampled_from([0.5, 1, 2.5, 4, 7, 10, 15, 40, 60]))
        skills[skill_id] = skill(skill_id, hours, prerequisites, draw(st.integers(2, 4)))
    wanted = draw(st.lists(st.sampled_from(ids), unique=True, min_size=1, max_size=count))
    needs = [Need(s, draw(st.integers(0, 2)), draw(st.integers(3, 5))) for s in wanted]
    budget = draw(st.sampled_from([0.5, 1, 1.5, 2.5, 3, 5, 7.5, 10, 40]))
    return skills, needs, budget


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skill_graphs())
def test_plans_keep_budget_order_and_resources(case: tuple[dict[str, SkillMeta], list[Need], float]) -> None:
    skills, needs, budget = case
    plan = build_plan(needs, skills, budget, max_skills=20)
    known = {(r.title, r.url) for s in skills.values() for r in s.resources}
    finished: dict[str, int] = {}
    started: dict[str, int] = {}
    for week in plan.weeks:
        assert 0 < week.hours <= budget
        assert abs(sum(i.hours for i in week.items) - week.hours) < 1e-9
        for item in week.items:
            assert item.hours > 0
            assert (item.resource.title, item.resource.url) in known  # only resources of the base
            assert (item.resource.title, item.resource.url) in {
                (r.title, r.url) for r in skills[item.skill].resources
            }
            started.setdefault(item.skill, week.week)
            finished[item.skill] = week.week
    for skill_id in plan.skills:
        for prerequisite in skills[skill_id].prerequisites:
            if prerequisite in plan.skills:
                assert finished[prerequisite] <= started[skill_id], (prerequisite, skill_id)
                assert plan.skills.index(prerequisite) < plan.skills.index(skill_id)
    # Every wanted skill and every prerequisite it lacks is in the plan.
    for need in needs:
        assert need.skill in plan.skills
        for prerequisite in skills[need.skill].prerequisites:
            assert prerequisite in plan.skills
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
