"""`coach ask` and `coach chat` as people run them: real processes, real SQLite, real Chroma."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import cli_env, run_cli
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def env(tmp_path: Path, kb_dir: Path, fake_openai: FakeOpenAI) -> dict[str, str]:
    return cli_env(tmp_path, kb_dir, fake_openai)


def test_ask_json_shape_and_memory_between_calls(env: dict[str, str]) -> None:
    first = run_cli(
        "ask", "I'm a paralegal with 6 years of experience", "--user", "u1", "--hours", "4", "--json", env=env
    )
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout)
    assert answer["mode"] == "offline"
    assert {
        k: answer["profile"][k] for k in ("current_role", "target_role", "hours_per_week", "experience_years")
    } == {
        "current_role": "paralegal",
        "target_role": None,
        "hours_per_week": 4,
        "experience_years": 6,
    }
    assert answer["profile"]["onet_code"] == "23-2011.00" and answer["intent"] == "plan"
    assert answer["target_roles"] == ["ai-governance-specialist"]
    weeks = answer["plan"]["weeks"]
    assert weeks and all(w["hours"] <= 4 for w in weeks)
    item = weeks[0]["items"][0]
    assert set(item) >= {"skill", "activity", "hours", "resource"} and set(item["resource"]) >= {
        "title",
        "url",
    }
    assert answer["sources"][0] == {
        "id": "paralegal",
        "title": "Paralegal",
        "path": "knowledge/roles/paralegal.md",
    }

    second = json.loads(run_cli("ask", "make it 2 hours a week", "--user", "u1", "--json", env=env).stdout)
    assert second["profile"]["current_role"] == "paralegal" and second["profile"]["hours_per_week"] == 2
    assert all(w["hours"] <= 2 for w in second["plan"]["weeks"])


def test_ask_without_user_keeps_nothing(env: dict[str, str]) -> None:
    run_cli("ask", "I'm a paralegal", "--json", env=env)
    again = json.loads(run_cli("ask", "what should I learn?", "--json", env=env).stdout)
    assert again["profile"]["current_role"] is None


def test_ask_batch_each_line_its_own_user(env: dict[str, str]) -> None:
    lines = "I'm a paralegal with 3 hours a week\nwhat is prompt engineering?\n\nhello\n"
    result = run_cli("ask", "-", "--json", stdin=lines, env=env)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["intent"] for a in answers] == ["plan", "question", "smalltalk"]
    assert answers[1]["profile"]["current_role"] is None  # no memory shared between lines


def test_ask_batch_of_json_lines_replays_conversations(env: dict[str, str]) -> None:
    lines = "\n".join(
        [
            json.dumps({"user": "u1", "text": "I'm a paralegal with 3 hours a week"}),
            json.dumps({"user": "u2", "text": "hello"}),
            json.dumps({"user": "u1", "text": "how long will this take?"}),
            "what is prompt engineering?",
        ]
    )
    result = run_cli("ask", "-", "--json", stdin=lines + "\n", env=env)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["intent"] for a in answers] == ["plan", "smalltalk", "how_long", "question"]
    assert f"{answers[0]['plan']['total_weeks']} week" in answers[2]["answer"]  # u1's own plan
    bad = run_cli("ask", "-", "--json", stdin='{"user": "u1"}\n', env=env)
    assert bad.returncode == 1 and "JSON" in bad.stderr


def test_progress_in_batch_mode_and_coach_progress(env: dict[str, str]) -> None:
    lines = "\n".join(
        json.dumps({"user": "p1", "text": t}) for t in ["I'm a paralegal with 3 hours a week", "/done"]
    )
    result = run_cli("ask", "-", "--json", stdin=lines + "\n", env=env)
    assert result.returncode == 0, result.stderr
    first, done = (json.loads(line) for line in result.stdout.splitlines())
    assert first["intent"] == "plan" and first["plan"]["weeks"]
    assert done["intent"] == "progress_done" and done["progress"]["done_hours"] > 0
    shown = run_cli("progress", "--user", "p1", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    progress = json.loads(shown.stdout)["progress"]
    assert progress["done_hours"] == done["progress"]["done_hours"]
    assert {"done_hours", "total_hours", "items", "next"} <= set(progress)
    assert {"week", "skill", "activity", "status"} <= set(progress["items"][0])
    assert progress["items"][0]["status"] == "done" and progress["next"]["status"] == "todo"
    text = run_cli("progress", "--user", "p1", env=env)
    assert "Your progress: " in text.stdout and "%" in text.stdout


def test_ask_plain_text_and_bad_usage(env: dict[str, str]) -> None:
    result = run_cli("ask", "What is prompt engineering?", env=env)
    assert result.returncode == 0 and result.stdout.startswith("Prompt engineering:")
    assert run_cli("ask", "  ", env=env).returncode == 2
    assert run_cli("ask", "x", "--hours", "-3", env=env).returncode == 2


def test_chat_session_with_commands(env: dict[str, str]) -> None:
    script = "\n".join(
        [
            "I'm a paralegal with 3 hours a week",
            "/profile",
            "/profile hours 4",
            "/profile target ai-governance-specialist",
            "/plan",
            "/profile role astronaut",
            "/nope",
            "/forget",
            "y",
            "/profile",
            "/quit",
        ]
    )
    result = run_cli("chat", "--user", "tester", stdin=script + "\n", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Paralegals and Legal Assistants" in out  # the plan answer, with exposure
    assert "Current role: Paralegal" in out and "Hours a week: 3" in out
    assert "Hours a week: 4" in out and "Goal: AI governance specialist" in out
    assert "Your full plan toward AI governance specialist, 4 hours a week" in out
    # A phrase is resolved by meaning (with these test embeddings, to an occupation or to a
    # question with the closest ones), never refused word by word.
    assert "I'm not sure which job 'astronaut' is. Did you mean" in out or "(O*NET" in out
    assert "I don't know the role" not in out
    assert "Unknown command /nope" in out
    assert "Done: I no longer keep anything about you." in out
    assert (
        out.rstrip().endswith("Current role: -\ncoach> ".rstrip())
        or "Current role: -" in out.split("Done: I no longer keep")[1]
    )
    assert "Traceback" not in result.stderr


def test_ask_json_reports_llm_mode_and_falls_back(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    fake_openai.reset()
    fake_openai.script.extend(
        [
            {
                "tool_calls": [
                    {"name": "build_plan", "arguments": {"target_role": "ai-governance-specialist"}}
                ]
            },
            {"content": "Here is your plan toward AI governance. Sources: AI governance specialist."},
        ]
    )
    env = {**env, "COACH_LLM_MODEL": "fake-model", "OPENAI_API_KEY": "test-key-123456"}
    result = run_cli("ask", "I'm a paralegal with 4 hours a week", "--json", env=env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["mode"] == "llm" and answer["answer"].startswith("Here is your plan")
    assert answer["profile"]["current_role"] == "paralegal"  # read offline, kept by the agent
    assert answer["target_roles"][0] == "ai-governance-specialist"
    assert all(w["hours"] <= 4 for w in answer["plan"]["weeks"])

    fake_openai.script.extend([{"status": 500}] * 6)
    fallback = json.loads(run_cli("ask", "I'm a paralegal with 4 hours a week", "--json", env=env).stdout)
    assert fallback["mode"] == "offline" and fallback["plan"] is not None
    assert "test-key-123456" not in result.stderr


def test_health_reports_each_dependency(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    from tests.fakes.openai_server import free_port

    assert run_cli("kb", "reload", env=env).returncode == 0
    ok = run_cli("health", "--json", env=env)
    assert ok.returncode == 0, ok.stderr
    checks = json.loads(ok.stdout)
    assert checks["index"]["ok"] and checks["index"]["detail"].startswith("7 documents")
    assert checks["database"]["ok"] and checks["database"]["detail"].startswith("sqlite")
    assert checks["model"] == {"ok": True, "detail": "not configured: offline answers"}

    with_model = run_cli(
        "health", env={**env, "OPENAI_API_KEY": "k-123456789", "COACH_LLM_MODEL": "fake-model"}
    )
    assert with_model.returncode == 0 and "model: ok (fake-model)" in with_model.stdout

    dead_model = {
        **env,
        "OPENAI_API_KEY": "k-123456789",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
    }
    down = run_cli("health", env=dead_model)
    assert down.returncode == 1 and "model: FAIL" in down.stdout and "index: ok" in down.stdout

    no_chroma = run_cli("health", env={**env, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(free_port())})
    assert no_chroma.returncode == 1 and "index: FAIL (the knowledge base is unavailable" in no_chroma.stdout

    dead_database = {**env, "COACH_DATABASE_URL": f"postgresql+asyncpg://coach@127.0.0.1:{free_port()}/coach"}
    no_database = run_cli("health", env=dead_database)
    assert no_database.returncode == 1, no_database.stderr
    assert "database: FAIL (unreachable" in no_database.stdout and "index: ok" in no_database.stdout
    assert not no_database.stderr.strip()


def test_checkins_due_lists_the_schedule_at_a_time(env: dict[str, str]) -> None:
    import asyncio
    from datetime import UTC, datetime

    from bot.core.models import UserRef
    from bot.core.profiles import ProfileStore

    async def opt_in() -> None:
        Path(env["COACH_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        store = ProfileStore(
            env.get("COACH_DATABASE_URL") or f"sqlite+aiosqlite:///{env['COACH_DATA_DIR']}/coach.db"
        )
        await store.start()
        due = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
        await store.set_checkin(
            UserRef(platform="telegram", user_id="7"), "7", 0, "18:00", "Europe/Berlin", due
        )
        await store.close()

    asyncio.run(opt_in())
    early = run_cli("checkins", "due", "--at", "2026-12-07T16:59:00+00:00", "--json", env=env)
    assert early.returncode == 0, early.stderr
    assert json.loads(early.stdout) == []
    due = run_cli("checkins", "due", "--at", "2026-12-07T18:00:00+01:00", "--json", env=env)
    [row] = json.loads(due.stdout)
    assert row["user"] == "telegram:7" and row["zone"] == "Europe/Berlin" and row["at"] == "18:00"
    assert row["due"].startswith("2026-12-07T17:00:00")
    assert run_cli("checkins", "due", "--at", "next tuesday", env=env).returncode == 2


def test_chat_offers_progress_as_numbered_choices(env: dict[str, str]) -> None:
    session = "I'm a paralegal with 3 hours a week\n1\n/progress\n/quit\n"
    result = run_cli("chat", "--user", "numbers", env=env, stdin=session)
    assert result.returncode == 0, result.stderr
    assert "1. ✅ Done   2. ⏭ Skip   3. ⏳ Need more time" in result.stdout
    assert "Marked done: " in result.stdout  # "1" pressed the first choice
    assert "Your progress: " in result.stdout
