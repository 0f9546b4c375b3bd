"""How well the coach understands people in their own words, offline.

The sets were written blind (by someone who saw only role, skill and O*NET occupation titles)
and are frozen: a miss is a finding about the coach, never a reason to edit a case.

- `tests/eval/people_questions.yaml`: single messages; current role, O*NET occupation of jobs
  outside the knowledge base, target role, a relevant plan skill, hours, language.
- `tests/eval/people_conversations.yaml`: conversations; the dialogue act of every turn and the
  state after it (target, hours, skills said to be known).
- `tests/eval/final_*.yaml`: a second set of the same kinds, kept for a last check only.
- `tests/eval/fresh_*.yaml`: a third set, written blind before a later round of changes and
  looked at once, at the end of that round (the second set had had several looks by then).
- `tests/eval/blind_*.yaml`: a fourth set, single messages only, written blind before a later
  round of changes and scored as totals at its end.
- `tests/eval/dev_*.yaml`: conversations written blind from the acts' definitions and
  occupation titles, and single messages written blind from titles, open to tuning (their
  misses may be read); the figures to believe are the held-back sets'.

`python -m bench understanding` prints the figures in the bench table;
`python -m bench.understanding [people|final|fresh|blind|dev] [--misses]` prints them with every
miss.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.common import indexed_container, ms, p50, p95
from bot.core.models import Answer, UserRef
from bot.core.service import CoachService
from bot.settings import PROJECT_ROOT

EVAL = PROJECT_ROOT / "tests" / "eval"
SETS = {
    "people": (EVAL / "people_questions.yaml", EVAL / "people_conversations.yaml"),
    "final": (EVAL / "final_questions.yaml", EVAL / "final_conversations.yaml"),
    "fresh": (EVAL / "fresh_questions.yaml", EVAL / "fresh_conversations.yaml"),
    "blind": (EVAL / "blind_questions.yaml", EVAL / "blind_conversations.yaml"),
    # Written blind like the others but open to tuning: a development set.
    "dev": (EVAL / "dev_questions.yaml", EVAL / "dev_conversations.yaml"),
}


@dataclass
class Tally:
    hits: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, case: str, detail: str) -> None:
        self.total += 1
        self.hits += ok
        if not ok:
            self.misses.append(f"{case}: {detail}")

    def share(self) -> str:
        return f"{self.hits / self.total:.2f} ({self.hits}/{self.total})" if self.total else "n/a"


def _entry_covers(plan: Any) -> list[str]:
    if plan is None:
        return []
    return [c for w in plan.weeks for i in w.items for c in getattr(i, "covers", [])]


def _codes(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _onet(answer: Answer) -> str | None:
    return getattr(answer.profile, "onet_code", None)


def _targets(answer: Answer) -> list[str]:
    return [*answer.target_roles, *([answer.profile.target_role] if answer.profile.target_role else [])]


def score_state(expect: dict[str, Any], answer: Answer, case: str, tallies: dict[str, Tally]) -> None:
    """The checks that a message's annotations ask of the answer to it."""
    profile = answer.profile
    text = expect.get("question") or expect.get("text", "")
    said = f"{text[:70]!r}"
    if expect.get("no_role"):
        tallies["no false role"].add(
            profile.current_role is None, case, f"{said} read as {profile.current_role}"
        )
    if "current_role" in expect:
        tallies["current role"].add(
            profile.current_role == expect["current_role"],
            case,
            f"{said} -> {profile.current_role} (want {expect['current_role']})",
        )
    if "onet_code" in expect and "current_role" not in expect:
        codes = _codes(expect["onet_code"])
        tallies["occupation outside the KB"].add(
            _onet(answer) in codes, case, f"{said} -> {_onet(answer)} (want {codes})"
        )
        tallies["no false role"].add(
            profile.current_role is None, case, f"{said} claimed role {profile.current_role}"
        )
    if "target_role" in expect:
        tallies["target role"].add(
            expect["target_role"] in _targets(answer),
            case,
            f"{said} -> {_targets(answer)} (want {expect['target_role']})",
        )
    if "plan_skills_any" in expect:
        studied = answer.plan.skills if answer.plan else []
        # An entry step (a certificate course) that teaches a skill puts it in the plan too.
        covered = list(dict.fromkeys(_entry_covers(answer.plan)))  # once each, though many weeks
        tallies["relevant plan skill"].add(
            bool(set(expect["plan_skills_any"]) & set(studied + covered)),
            case,
            f"{said} plan {studied} + entry steps {covered} (want one of {expect['plan_skills_any']})",
        )
        tallies["relevant plan skill, studied (not via an entry step)"].add(
            bool(set(expect["plan_skills_any"]) & set(studied)),
            case,
            f"{said} plan {studied} (want one of {expect['plan_skills_any']})",
        )
    if "hours_per_week" in expect:
        tallies["hours per week"].add(
            profile.hours_per_week == expect["hours_per_week"],
            case,
            f"{said} -> {profile.hours_per_week} (want {expect['hours_per_week']})",
        )
    if "language" in expect:
        tallies["language detected"].add(
            getattr(answer, "language", None) == expect["language"],
            case,
            f"{said} -> {getattr(answer, 'language', None)} (want {expect['language']})",
        )
    if "known_skill" in expect:
        skill = expect["known_skill"]
        known = getattr(profile, "known_skills", []) or []
        planned = answer.plan.skills if answer.plan else []
        tallies["known skill kept out of the plan"].add(
            skill in known and skill not in planned,
            case,
            f"{said} known {known}, plan {planned} (want {skill} known, not planned)",
        )


TALLIES = (
    "current role", "occupation outside the KB", "no false role", "target role",
    "relevant plan skill", "relevant plan skill, studied (not via an entry step)", "hours per week",
    "language detected", "follow-up act",
    "every turn's act", "known skill kept out of the plan",
)  # fmt: skip


async def evaluate(
    name: str = "people", service: CoachService | None = None
) -> tuple[dict[str, Tally], list[float]]:
    """Every case of a set through `service.ask` (by default a fresh coach on a built index)."""
    questions_path, conversations_path = SETS[name]
    tallies = {key: Tally() for key in TALLIES}
    latencies: list[float] = []
    own = service is None
    if service is None:
        # As deployed after `coach data fetch`: with the task file, when a copy is beside the project.
        shared = PROJECT_ROOT.parent / "shared" / "data" / "gpts-are-gpts"
        container = indexed_container(**({"COACH_OCCUPATION_DATA": shared} if shared.is_dir() else {}))
        service = container.service()
        await service.start()
    try:
        await service.ask(UserRef(platform="eval", user_id="warm"), "I'm a paralegal, what should I learn?")
        for case in yaml.safe_load(questions_path.read_text()) if questions_path.exists() else []:
            user = UserRef(platform="eval", user_id=f"q-{case['id']}")
            started = time.perf_counter()
            answer = await service.ask(user, case["question"])
            latencies.append(time.perf_counter() - started)
            score_state(case, answer, case["id"], tallies)
        for conversation in (
            yaml.safe_load(conversations_path.read_text()) if conversations_path.exists() else []
        ):
            user = UserRef(platform="eval", user_id=f"c-{conversation['id']}")
            for number, turn in enumerate(conversation["turns"]):
                answer = await service.ask(user, turn["text"])
                case = f"{conversation['id']}.{number + 1}"
                detail = f"{turn['text'][:70]!r} -> {answer.intent} (want {turn['act']})"
                tallies["every turn's act"].add(answer.intent == turn["act"], case, detail)
                if number > 0:
                    tallies["follow-up act"].add(answer.intent == turn["act"], case, detail)
                score_state(turn, answer, case, tallies)
    finally:
        if own:
            await service.close()
    return tallies, latencies


def rows(name: str = "people") -> list[tuple[str, str]]:
    tallies, latencies = asyncio.run(evaluate(name))
    figures = [
        (f"understanding ({name} set): {key}", tally.share()) for key, tally in tallies.items() if tally.total
    ]
    if latencies:
        figures.append(
            (f"understanding ({name} set): ask p50 / p95", f"{ms(p50(latencies))} / {ms(p95(latencies))}")
        )
    return figures


def run() -> list[tuple[str, str]]:
    return rows("people")


def main(argv: list[str]) -> None:
    from bench.common import hermetic_environment

    hermetic_environment()
    name = next((a for a in argv if a in SETS), "people")
    tallies, latencies = asyncio.run(evaluate(name))
    for key, tally in tallies.items():
        if not tally.total:
            continue
        print(f"{key}: {tally.share()}")
        if "--misses" in argv:
            for miss in tally.misses:
                print(f"    {miss}")
    if latencies:
        print(f"ask p50 / p95: {ms(p50(latencies))} / {ms(p95(latencies))}")
    acts = Counter()
    for path in SETS[name][1:]:
        for conversation in yaml.safe_load(Path(path).read_text()) if Path(path).exists() else []:
            acts.update(turn["act"] for turn in conversation["turns"])
    print("acts in the conversations:", dict(acts))


if __name__ == "__main__":
    main(sys.argv[1:])
