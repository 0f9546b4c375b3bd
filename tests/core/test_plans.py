"""Plans on the real knowledge base: where they lead, the person's level, their own work."""

from __future__ import annotations

from functools import cache

import pytest

from bot.core import compose
from bot.core.knowledge.loader import KnowledgeBase, load_knowledge
from bot.core.models import Plan, Profile
from bot.core.plans import plan_for
from bot.core.understanding.occupations import OccupationTable
from bot.settings import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data" / "gpts-are-gpts"


@cache
def kb() -> KnowledgeBase:
    return load_knowledge(PROJECT_ROOT / "knowledge")


@cache
def table() -> OccupationTable:
    return OccupationTable.load([SHARED_DATA] if SHARED_DATA.is_dir() else [])


def every_plan() -> list[tuple[str, Profile, Plan]]:
    """Each role toward each of its transitions, and jobs outside the knowledge base."""
    plans = []
    for role_id, role in sorted(kb().roles.items()):
        for target in role.transitions:
            profile = Profile(current_role=role_id, target_role=target, hours_per_week=5, experience_years=3)
            plan, _, _ = plan_for(kb(), profile, [], [], table())
            assert plan is not None
            plans.append((f"{role_id}->{target}", profile, plan))
    for code, near in (("29-1292.00", "nurse"), ("47-2152.00", "electrician"), ("43-3071.00", "bookkeeper")):
        profile = Profile(onet_code=code, hours_per_week=4)
        plan, _, _ = plan_for(kb(), profile, [], [near], table())
        assert plan is not None
        plans.append((code, profile, plan))
    return plans


def test_every_plan_item_links_to_its_own_resource() -> None:
    for name, _, plan in every_plan():
        for week in plan.weeks:
            for item in week.items:
                if item.kind in {"entry_step", "milestone"}:
                    role = kb().roles[plan.target_role or ""]
                    assert item.resource.url in {s.source.url for s in role.entry_path.steps}, name
                    continue
                skill = kb().skills[item.skill or ""]
                own = {r.url: r for r in skill.resources}
                assert item.resource.url in own, (name, item)
                # A study item names its resource; the link is that resource's, not another's.
                named = [r for r in skill.resources if r.title in item.activity]
                if item.kind == "skill" and named:
                    assert item.resource.url in {r.url for r in named}, (name, item)
                assert item.resource.level == own[item.resource.url].level


def test_every_plan_says_where_it_leads_and_how_long_it_takes() -> None:
    for name, profile, plan in every_plan():
        text = compose.plan_answer(kb(), profile, plan, [], [], [], False, None)
        first = text.split("\n\n")[:2]
        scope = compose.scope_text(kb(), plan)
        assert scope and scope in first, name
        weeks = f"{plan.total_weeks} week"
        assert weeks in scope and f"{plan.total_hours:g} hours" in scope, name
        assert plan.weeks and any(i.kind == "entry_step" for w in plan.weeks for i in w.items), name


def test_a_long_way_in_says_so_first_and_the_plan_ends_at_applying() -> None:
    profile = Profile(current_role="warehouse-worker", target_role="electrician", hours_per_week=5)
    plan, _, _ = plan_for(kb(), profile, [], [], table())
    assert plan is not None and plan.scope == "first_milestone"
    assert "apprenticeship" in plan.after_plan[0].lower() and "years" in plan.after_plan[0]
    kinds = [i.kind for w in plan.weeks for i in w.items]
    assert kinds[0] == "entry_step" and kinds[-1] == "milestone"
    steps = [i.activity for w in plan.weeks for i in w.items if i.kind == "entry_step"]
    assert any("Apply" in s for s in steps)
    text = compose.plan_answer(kb(), profile, plan, [], [], [], False, None)
    assert "apprenticeship of four to five years" in text.split("\n\n")[1]


def test_an_experienced_developer_skips_what_they_know() -> None:
    junior = Profile(
        current_role="software-developer", target_role="llm-application-engineer", hours_per_week=6
    )
    senior = junior.model_copy(update={"experience_years": 10, "known_skills": ["python-programming"]})
    plan_junior, _, _ = plan_for(kb(), junior, [], [], table())
    plan_senior, _, _ = plan_for(kb(), senior, [], [], table())
    assert plan_junior is not None and plan_senior is not None
    assert "python-programming" not in plan_senior.skills
    # The beginner Python course of the entry path is skipped: they hold what it teaches.
    activities = " ".join(i.activity for w in plan_senior.weeks for i in w.items)
    assert "CS50's Introduction to Programming with Python" not in activities
    assert plan_senior.total_hours < plan_junior.total_hours
    held = {k.skill: k for k in plan_senior.known_skills}
    assert held["python-programming"].why == "you said you know it"
    # What they study starts at their level: no beginner material where harder exists.
    for item in (i for w in plan_senior.weeks for i in w.items if i.kind == "skill"):
        levels = {r.level for r in kb().skills[item.skill or ""].resources}
        if {"intermediate", "advanced"} & levels and senior_level(plan_senior, item.skill) >= 2:
            assert item.resource.level != "beginner", item


def senior_level(plan: Plan, skill: str | None) -> int:
    role = kb().roles["software-developer"]
    return next((min(5, s.level + 1) for s in role.skills if s.id == skill), 0)


def test_a_resilient_role_is_offered_staying_and_upgrading_first() -> None:
    profile = Profile(current_role="electrician", hours_per_week=3)
    plan, targets, _ = plan_for(kb(), profile, [], [], table())
    assert targets[0].id == "electrician" and targets[0].title.startswith("Stay and upgrade")
    assert plan is not None and plan.scope == "stay_and_upgrade"
    assert set(plan.skills) <= {"ai-fluency", "ai-output-evaluation"} | {
        s.id for s in kb().roles["electrician"].skills
    }
    practice = [i.activity for w in plan.weeks for i in w.items if i.kind == "practice"]
    assert practice and all("Apply it at work" in p for p in practice)
    text = compose.plan_answer(kb(), profile, plan, targets, [], [], False, None)
    assert "in your work as an electrician" in text


def test_practice_fits_the_persons_work() -> None:
    paralegal = Profile(current_role="paralegal", target_role="ai-trainer", hours_per_week=5)
    nurse = Profile(current_role="nurse", target_role="ai-trainer", hours_per_week=5)
    for profile, area in ((paralegal, "legal"), (nurse, "health")):
        plan, _, _ = plan_for(kb(), profile, [], [], OccupationTable.load([]))
        assert plan is not None
        practice = [i for w in plan.weeks for i in w.items if i.kind == "practice"]
        assert practice
        for item in practice:
            written = kb().skills[item.skill or ""].practice_by_area[area]
            assert any(text in item.activity for text in written), item.activity


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="needs the GPTs-are-GPTs task file")
def test_the_first_weeks_address_the_most_exposed_tasks() -> None:
    profile = Profile(
        current_role="paralegal", onet_code="23-2011.00", target_role="ai-trainer", hours_per_week=5
    )
    plan, _, _ = plan_for(kb(), profile, [], [], table())
    assert plan is not None
    most, _ = table().exposed_tasks("23-2011.00")
    first = plan.weeks[0].items[0]
    assert first.kind == "practice" and "your own most exposed task" in first.activity
    task = most[0].text.rstrip(".")
    assert task[0].lower() + task[1:] in first.activity


def test_targets_carry_pay_and_demand_with_their_sources() -> None:
    profile = Profile(current_role="software-developer", hours_per_week=5)
    _, targets, _ = plan_for(kb(), profile, [], [], table())
    with_pay = [t for t in targets if t.pay is not None]
    assert with_pay, [t.id for t in targets]
    for target in with_pay:
        role = kb().roles[target.id]
        assert role.pay is not None and target.pay is not None
        assert target.pay.median == role.pay.median and target.pay.url == role.pay.source.url
        assert f"{role.pay.median:,.0f}" in target.why and str(role.pay.year) in target.why


def test_a_move_with_no_real_gap_gets_an_honest_answer() -> None:
    profile = Profile(current_role="taxi-rideshare-driver", target_role="delivery-driver", hours_per_week=10)
    plan, _, _ = plan_for(kb(), profile, [], [], table())
    assert plan is not None and plan.skills  # a small gap first
    held = profile.model_copy(update={"known_skills": plan.skills})
    plan, targets, _ = plan_for(kb(), held, [], [], table())
    assert plan is not None and plan.skill_hours == 0
    text = compose.plan_answer(kb(), held, plan, targets, [], [], False, None)
    assert "You already have what a delivery driver needs at the level it needs" in text
    assert "How people make the move:" in text
    assert "Week 1" in text  # the entry steps, not a token week of study


def test_a_step_the_persons_job_has_done_is_not_asked_of_them() -> None:
    developer = Profile(
        current_role="software-developer", target_role="machine-learning-engineer", hours_per_week=6
    )
    teacher = developer.model_copy(update={"current_role": "teacher"})
    plan_developer, _, _ = plan_for(kb(), developer, [], [], table())
    plan_teacher, _, _ = plan_for(kb(), teacher, [], [], table())
    assert plan_developer is not None and plan_teacher is not None
    years = "as a software developer or data scientist"
    assert any(years in s for s in plan_teacher.after_plan[:1])
    assert not any(years in s for s in plan_developer.after_plan)


def test_someone_outside_the_base_can_stay_and_upgrade_in_their_own_work() -> None:
    profile = Profile(onet_code="29-1292.00", stay=True, hours_per_week=3)  # a dental hygienist
    plan, targets, _ = plan_for(kb(), profile, [], ["nurse"], table())
    assert plan is not None and plan.scope == "stay_and_upgrade" and targets == []
    assert plan.target_role is None and set(plan.skills) <= {"ai-fluency", "ai-output-evaluation"}
    practice = [i for w in plan.weeks for i in w.items if i.kind == "practice"]
    assert practice  # their own work: health practice, or their most exposed task
    text = compose.plan_answer(kb(), profile, plan, targets, [], [], False, None)
    assert "This plan keeps you in your work" in text
    moving = plan_for(kb(), profile.model_copy(update={"stay": False}), [], ["nurse"], table())[0]
    assert moving is not None and moving.scope != "stay_and_upgrade"


def test_an_unclear_wish_orders_the_moves_their_work_opens() -> None:
    """A wish near several roles ("something with AI") fixes no target; among the moves the
    person's work opens, the roles it leans toward come first, the rest after, three at most."""
    teacher = Profile(current_role="teacher", hours_per_week=5)
    _, plain, _ = plan_for(kb(), teacher, [], [], table())
    opened = [t.id for t in plain]
    last = opened[-1]
    _, leaned, _ = plan_for(kb(), teacher, [], [], table(), leaning=[last, "not-a-move"])
    assert leaned[0].id == last
    assert len(leaned) <= 3 and {t.id for t in leaned} <= set(kb().roles["teacher"].transitions) | {"teacher"}
    assert plain != leaned
