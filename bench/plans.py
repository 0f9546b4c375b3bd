"""Plan quality: does each plan lead somewhere real, at the person's level, in their own work?

Every role's plan toward each of its transitions, plus people whose jobs are outside the
knowledge base, each planned through the service as `/plan` would. For each plan:

- weeks and hours;
- the share of study items whose resource starts at the person's level for that skill
  (beginner below working level 2, intermediate at 2-3, advanced from 4; when a skill has no
  resource at that level, the nearest one counts);
- whether the role's entry path (training, licence, portfolio, applying) is in the plan;
- whether its practice is written for the person's kind of work, not the generic fallback;
- whether every item links to its own resource (or its entry step's source).

`python -m bench plans` prints the summary rows; `python -m bench.plans --detail` prints one
row per plan, to read them as the people they are for.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from dataclasses import dataclass
from typing import Any

from bench.common import scratch_container
from bot.core.models import Plan, UserRef
from bot.core.service import CoachService
from bot.settings import PROJECT_ROOT

LEVELS = ("beginner", "intermediate", "advanced")
# Jobs outside the knowledge base: (O*NET code, how they describe it, years).
OUTSIDE = (
    ("29-1292.00", "dental hygienist", 6.0),
    ("47-2152.00", "plumber", 12.0),
    ("43-3071.00", "bank teller", 2.0),
)
SCOPES = ("first_milestone", "full_path", "stay_and_upgrade")
HOURS = 5.0
YEARS = 3.0


@dataclass
class PlanRow:
    start: str
    target: str
    weeks: int
    hours: float
    level_ok: int
    level_items: int
    entry_path: bool
    practice_fits: bool | None  # None: the plan has no practice item
    own_links: bool
    scope: str
    first_line: str


def band(have: int) -> int:
    return 0 if have <= 1 else 1 if have <= 3 else 2


def _area_practice(skill: Any, area: str | None) -> set[str]:
    by_area = getattr(skill, "practice_by_area", None) or {}
    return set(by_area.get(area, [])) if area else set()


def score(
    kb: Any, plan: Plan, have: dict[str, int], area: str | None
) -> tuple[int, int, bool, bool | None, bool]:
    """(items at the right level, items with a level, entry path, practice fits, own links)."""
    level_ok = level_items = 0
    practice_seen = practice_fit = 0
    own = True
    entry = False
    started: set[str] = set()
    for week in plan.weeks:
        for item in week.items:
            kind = getattr(item, "kind", "skill")
            skill = kb.skills.get(item.skill)
            if kind == "entry_step":
                entry = True
                continue
            if skill is None:
                continue
            activity = item.activity
            if kind == "practice" or activity.startswith("Apply it at work"):
                practice_seen += 1
                own_task = "your own most exposed task" in activity
                practice_fit += own_task or any(text in activity for text in _area_practice(skill, area))
                continue
            urls = {r.url for r in skill.resources}
            named = next((r for r in skill.resources if r.title in activity), None)
            own &= item.resource.url in urls and (named is None or named.url == item.resource.url)
            level = getattr(item.resource, "level", None)
            if level is None:
                continue
            level_items += 1
            available = sorted({LEVELS.index(r.level) for r in skill.resources if getattr(r, "level", None)})
            wanted = band(have.get(item.skill, 0))
            nearest = min(available, key=lambda lv: (abs(lv - wanted), lv)) if available else wanted
            rank = LEVELS.index(level)
            # A skill's study starts at the person's level and may climb from there, never below.
            first = item.skill not in started
            started.add(item.skill)
            level_ok += rank == nearest if first else rank >= min(nearest, wanted)
    fits = None if not practice_seen else practice_fit == practice_seen
    return level_ok, level_items, entry, fits, own


def _area_of_code(code: str) -> str | None:
    try:
        from bot.core.knowledge.schema import work_area_of
    except ImportError:  # code from before work areas existed: nothing can fit an area
        return None
    return work_area_of(code)


async def _rows(service: CoachService) -> list[PlanRow]:
    engine = await service.engine()
    kb = engine.kb
    cases: list[tuple[str, dict[str, Any]]] = []
    for role_id, role in sorted(kb.roles.items()):
        for target in role.transitions:
            if target in kb.roles:
                cases.append(
                    (role_id, {"current_role": role_id, "target_role": target, "experience_years": YEARS})
                )
    for role_id, role in sorted(kb.roles.items()):  # no goal given: a resilient role stays
        if role.category == "resilient":
            cases.append((role_id, {"current_role": role_id, "experience_years": YEARS}))
    for code, name, years in OUTSIDE:
        cases.append((name, {"onet_code": code, "experience_years": years}))
    rows: list[PlanRow] = []
    for number, (start, fields) in enumerate(cases):
        user = UserRef(platform="bench", user_id=f"plan-{number}")
        await service.update_profile(user, hours_per_week=HOURS)
        profile = await service.get_profile(user)
        profile = profile.model_copy(update=fields)
        await service.memory.call(lambda u=user, p=profile: service.store.save_profile(u, p))
        answer = await service.full_plan(user)
        plan = answer.plan
        if plan is None:
            continue
        current = kb.roles.get(fields.get("current_role") or "")
        have = {s.id: s.level for s in current.skills} if current else {}
        area = current.area if current and hasattr(current, "area") else None
        if area is None and fields.get("onet_code"):
            area = _area_of_code(fields["onet_code"])
        ok, items, entry, fits, own = score(kb, plan, have, area)
        rows.append(
            PlanRow(
                start=start,
                target=plan.target_role or "-",
                weeks=plan.total_weeks,
                hours=plan.total_hours,
                level_ok=ok,
                level_items=items,
                entry_path=entry,
                practice_fits=fits,
                own_links=own,
                scope=getattr(plan, "scope", None) or "-",
                first_line=answer.answer.split("\n", 1)[0][:140],
            )
        )
    return rows


def measure() -> list[PlanRow]:
    # As deployed after `coach data fetch`: with the task file, when a copy is beside the project.
    shared = PROJECT_ROOT.parent / "shared" / "data" / "gpts-are-gpts"
    container, _ = scratch_container(**({"COACH_OCCUPATION_DATA": shared} if shared.is_dir() else {}))

    async def go() -> list[PlanRow]:
        service = container.service()
        await service.start()
        try:
            return await _rows(service)
        finally:
            await service.close()

    return asyncio.run(go())


def _share(hits: int, total: int) -> str:
    return f"{hits / total:.2f} ({hits}/{total})" if total else "n/a"


def summary(rows: list[PlanRow]) -> list[tuple[str, str]]:
    practiced = [r for r in rows if r.practice_fits is not None]
    moving = [r for r in rows if r.scope != "stay_and_upgrade"]
    level_ok = sum(r.level_ok for r in rows)
    level_items = sum(r.level_items for r in rows)
    study_items = level_items or 0
    return [
        ("plans: each role toward each transition, resilient roles with no goal, 3 jobs outside the base",
         str(len(rows))),
        ("plan scopes: first milestone / whole way in / stay and upgrade",
         " / ".join(str(sum(r.scope == k for r in rows)) for k in SCOPES)),
        ("plan weeks, median (min–max)", f"{statistics.median(r.weeks for r in rows):g} "
         f"({min(r.weeks for r in rows)}–{max(r.weeks for r in rows)})"),
        ("plan hours, median (min–max)", f"{statistics.median(r.hours for r in rows):g} "
         f"({min(r.hours for r in rows):g}–{max(r.hours for r in rows):g})"),
        ("study items at the person's level", _share(level_ok, study_items)),
        ("plans toward a new role that include its entry path",
         _share(sum(r.entry_path for r in moving), len(moving))),
        ("plans whose practice fits the person's work",
         _share(sum(bool(r.practice_fits) for r in practiced), len(practiced))),
        ("plans where every item links to its own resource",
         _share(sum(r.own_links for r in rows), len(rows))),
    ]  # fmt: skip


def run() -> list[tuple[str, str]]:
    return [(f"plan quality: {label}", value) for label, value in summary(measure())]


def main() -> None:
    rows = measure()
    if "--detail" in sys.argv:
        print("| from | to | scope | weeks | hours | level | entry | practice | links | first line |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            entry, links = "yes" if r.entry_path else "no", "ok" if r.own_links else "WRONG"
            print(
                f"| {r.start} | {r.target} | {r.scope} | {r.weeks} | {r.hours:g} | "
                f"{r.level_ok}/{r.level_items} | {entry} | {r.practice_fits} | {links} | {r.first_line} |"
            )
        print()
    for label, value in summary(rows):
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
