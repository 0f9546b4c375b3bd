"""Understanding people, with the real offline model over the real knowledge base: the public
questions through `coach ask`, a held-out set, and a table of phrasings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.container import Container
from bot.core.profiling import read_experience, read_horizon_weeks, read_hours

EVAL = Path(__file__).resolve().parent / "eval"
ROOT = Path(__file__).resolve().parent.parent


def meets(question: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """What a question's annotations ask of an answer, and which of it is missing."""
    problems = []
    profile = answer["profile"]
    if profile["current_role"] != question.get("current_role"):
        problems.append(f"current_role {profile['current_role']!r} != {question.get('current_role')!r}")
    if "target_role" in question and question["target_role"] not in answer["target_roles"]:
        problems.append(f"{question['target_role']} not in target_roles {answer['target_roles']}")
    if "plan_skills_any" in question:
        skills = (answer["plan"] or {}).get("skills", [])
        if not set(question["plan_skills_any"]) & set(skills):
            problems.append(f"plan skills {skills} miss {question['plan_skills_any']}")
    if "hours_per_week" in question and profile["hours_per_week"] != question["hours_per_week"]:
        problems.append(f"hours {profile['hours_per_week']} != {question['hours_per_week']}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("name", ["questions.yaml", "heldout_questions.yaml"])
def test_questions_through_coach_ask_meet_their_annotations(real_container: Container, name: str) -> None:
    questions = yaml.safe_load((EVAL / name).read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_", "CHROMA_"))}
    env["COACH_DATA_DIR"] = str(real_container.settings.data_dir)  # the index is already built
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "-", "--json"],
        input="\n".join(q["question"] for q in questions) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(questions)
    failures = {q["id"]: meets(q, a) for q, a in zip(questions, answers, strict=True) if meets(q, a)}
    share = 1 - len(failures) / len(questions)
    print(f"{name}: {share:.0%} meet their annotations; misses: {failures}")
    assert share >= 0.9, failures
    for answer in answers:
        assert answer["mode"] == "offline" and answer["answer"].strip()
        assert set(answer) >= {"mode", "answer", "profile", "target_roles", "plan", "sources"}
        for week in (answer["plan"] or {}).get("weeks", []):
            assert week["hours"] <= (answer["profile"]["hours_per_week"] or 5)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("5 hours a week", 5), ("an hour a day", 7), ("evenings, maybe 3 hours", 3),
        ("I can spare 8 hours a week", 8), ("half an hour a day", 3.5), ("30 minutes a day", 3.5),
        ("3-4 hours per week", 3), ("two hours every weekday", 10), ("10 hrs/week", 10),
        ("I have 5h weekly", 5), ("ten hours a month", 2.5), ("200 hours a week", 40),
        ("I work 40 hours a week but have 4 hours a week to study", 4), ("no time at all", None),
        ("a 3-month plan", None),
    ],
)  # fmt: skip
def test_hours_phrasings(text: str, hours: float | None) -> None:
    reading = read_hours(text)
    assert (reading.hours if reading else None) == hours


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("for six years", 6), ("20 years on the road", 20), ("10+ years of experience", 10),
        ("two decades in sales", 20), ("I'm in my fifties", None), ("I'm 45 years old", None),
        ("in 5 years I want to lead a team", None), ("a 2 year course", None),
    ],
)  # fmt: skip
def test_experience_phrasings(text: str, years: float | None) -> None:
    assert read_experience(text) == years


def test_horizon() -> None:
    assert read_horizon_weeks("Can you give me a 3-month plan?") == 13
    assert read_horizon_weeks("a six week plan please") == 6
    assert read_horizon_weeks("in 5 years I want to be a manager") is None


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "current", "target"),
    [
        ("I'm a paralegal", "paralegal", None),
        ("Legal assistant here. What now?", "paralegal", None),
        ("I work in a call centre", "customer-service-representative", None),
        ("I drive a delivery truck", "delivery-driver", None),
        ("I'm a long-haul trucker", "truck-driver", None),
        ("I want to become a prompt engineer", None, "prompt-engineer"),
        ("I'm a teacher and I'd like to move into AI product management", "teacher", "ai-product-manager"),
        ("How do I get into data labelling work?", None, "ai-trainer"),
        ("As a bookkeeper, should I learn Python?", "bookkeeper", None),
        ("Graphic designers: are we finished?", None, None),
        ("What does a data scientist do?", None, None),
        ("I'm worried about my job", None, None),
        ("I work at a bank", None, None),
    ],
)  # fmt: skip
def test_roles_from_free_text(
    real_container: Container, text: str, current: str | None, target: str | None
) -> None:
    from bot.core.profiling import Profiler

    profiler = Profiler(real_container.knowledge.kb, real_container.embedder)
    reading = profiler.read(text)
    assert (reading.current_role, reading.target_role) == (current, target)


@pytest.mark.slow
async def test_did_you_mean_then_yes_or_no(real_container: Container, tmp_path: Path) -> None:
    """A close but unsure match gets a question, not a guess; "yes" settles it, "no" keeps
    what was known."""
    from bot.core.models import UserRef
    from bot.core.profiles import ProfileStore
    from bot.core.service import CoachService

    store = ProfileStore(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    service = CoachService(real_container.knowledge, store, real_container.embedder)
    await service.start()
    user = UserRef(platform="test", user_id="dym")
    try:
        first = await service.ask(user, "I'm a lab technician")  # "electrical technician"? not sure
        assert first.intent == "clarify" and "Electrician" in first.answer
        assert (await service.get_profile(user)).current_role is None
        no = await service.ask(user, "no")
        assert no.intent == "clarify" and "job" in no.answer
        assert (await service.get_profile(user)).current_role is None

        again = await service.ask(user, "My job is keying invoices into the accounts system")
        assert again.intent == "clarify" and "Data entry clerk" in again.answer
        yes = await service.ask(user, "yes")
        assert yes.intent == "plan" and yes.profile.current_role == "data-entry-clerk"
        assert (await service.get_profile(user)).current_role == "data-entry-clerk"
    finally:
        await service.close()
