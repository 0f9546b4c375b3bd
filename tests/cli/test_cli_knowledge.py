"""The `coach` command line as operators run it: real processes, real Chroma, the real
openai client against the fake embeddings server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KB, cli_env, run_cli
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def env(tmp_path: Path, kb_dir: Path, fake_openai: FakeOpenAI) -> dict[str, str]:
    return cli_env(tmp_path, kb_dir, fake_openai)


def test_validate_ok(env: dict[str, str]) -> None:
    result = run_cli("kb", "validate", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: 7 documents (3 roles, 3 skills, 1 guides)"


def test_validate_reports_each_file_and_field(env: dict[str, str], kb_dir: Path) -> None:
    (kb_dir / "roles/broken.md").write_text("---\nid: broken\ntype: role\ntitle: [\n---\nx\n")
    (kb_dir / "skills/bad.md").write_bytes(b"\xff\xfe not utf8")
    result = run_cli("kb", "validate", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any(ln.startswith("error: knowledge/roles/broken.md: front matter: invalid YAML") for ln in lines)
    assert any(ln.startswith("error: knowledge/skills/bad.md: not UTF-8") for ln in lines)
    assert lines[-1] == "error: 2 problems in the knowledge files"
    assert "Traceback" not in result.stderr


def test_reload_json_then_no_op_then_stats(env: dict[str, str]) -> None:
    first = run_cli("kb", "reload", "--json", env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert {k: report[k] for k in ("added", "updated", "removed", "unchanged")} == {
        "added": 7,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
    }
    assert report["chunks"] > 7 and report["seconds"] >= 0

    again = json.loads(run_cli("kb", "reload", "--json", env=env).stdout)
    assert (again["added"], again["updated"], again["removed"], again["unchanged"]) == (0, 0, 0, 7)

    stats = json.loads(run_cli("kb", "stats", "--json", env=env).stdout)
    assert stats["documents"] == {"role": 3, "skill": 3, "guide": 1}
    assert stats["chunks"] == report["chunks"] and stats["backend"] == "embedded"
    assert stats["collection"].startswith("coach_kb_v1_")


def test_invalid_reload_exits_1_and_keeps_serving(env: dict[str, str], kb_dir: Path) -> None:
    assert run_cli("kb", "reload", env=env).returncode == 0
    (kb_dir / "roles/paralegal.md").write_text("---\nid: paralegal\n---\n")
    result = run_cli("kb", "reload", "--json", env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert "knowledge/roles/paralegal.md: type" in result.stderr
    search = run_cli("search", "e-discovery document review", "--json", env=env)
    assert json.loads(search.stdout)[0]["id"] == "paralegal"


def test_search_builds_the_index_on_first_use_and_prints_json(env: dict[str, str]) -> None:
    result = run_cli("search", "legal assistant facing e-discovery", "--k", "3", "--json", env=env)
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert len(docs) == 3 and docs[0]["id"] == "paralegal"
    assert set(docs[0]) >= {"id", "type", "title", "score", "snippet"}
    assert docs[0]["type"] == "role" and docs[0]["title"] == "Paralegal"


def test_search_batch_from_stdin_one_json_per_line(env: dict[str, str]) -> None:
    questions = "legal assistant\n\nprompting tips\nwhat is AI fluency\n"
    result = run_cli("search", "-", "--json", "--type", "skill", "--k", "2", stdin=questions, env=env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    assert all(doc["type"] == "skill" for docs in lines for doc in docs)
    assert lines[1][0]["id"] == "prompt-engineering" and lines[2][0]["id"] == "ai-fluency"


def test_bad_usage_exits_2(env: dict[str, str]) -> None:
    assert run_cli("search", "x", "--type", "planet", env=env).returncode == 2
    assert run_cli("search", env=env).returncode == 2
    assert run_cli("kb", "explode", env=env).returncode == 2


def test_missing_knowledge_folder_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    env["COACH_KNOWLEDGE_DIR"] = str(tmp_path / "nope")
    result = run_cli("kb", "reload", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: knowledge folder not found: {tmp_path / 'nope'}"]


def test_unreachable_chroma_server_is_one_line(env: dict[str, str]) -> None:
    from tests.fakes.openai_server import free_port

    env.update(CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(free_port()))
    result = run_cli("kb", "stats", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: the knowledge base is unavailable right now; please try again in a minute"
    ]


def test_embedding_endpoint_down_is_one_line(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_embeddings = True
    try:
        result = run_cli("kb", "reload", env=env)
    finally:
        fake_openai.fail_embeddings = False
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: the embedding endpoint failed: InternalServerError"]


@pytest.mark.slow
def test_real_local_model_end_to_end(tmp_path: Path) -> None:
    """The offline default: MiniLM from the installed package, no network, no keys."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KB, knowledge)
    env = cli_env(tmp_path, knowledge)
    result = run_cli("search", "my law firm automated document review", "--json", env=env)
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert docs[0]["id"] == "paralegal"
    stats = json.loads(run_cli("kb", "stats", "--json", env=env).stdout)
    assert stats["embedder"] == "sentence-transformers/all-MiniLM-L6-v2"
