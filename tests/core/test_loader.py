from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.core.errors import KnowledgeDirMissing, KnowledgeValidationError
from bot.core.knowledge.loader import load_knowledge


def problems_of(root: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(KnowledgeValidationError) as caught:
        load_knowledge(root)
    return [(p.file, p.field, p.message) for p in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_fixture_knowledge_is_valid(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    assert kb.counts() == {"role": 3, "skill": 3, "guide": 1}
    assert kb.roles["paralegal"].exposure is not None
    assert kb.documents["paralegal"].path == "knowledge/roles/paralegal.md"
    assert kb.roles["paralegal"].aliases == ["legal assistant", "litigation paralegal"]


def test_broken_yaml_names_file_and_line(kb_dir: Path) -> None:
    edit(kb_dir / "roles/paralegal.md", "category: transforming", "category: [transforming")
    [(file, field, message)] = problems_of(kb_dir)
    assert file == "knowledge/roles/paralegal.md"
    assert field == "front matter"
    assert "invalid YAML" in message and "line" in message


def test_missing_fields_are_each_named(kb_dir: Path) -> None:
    edit(kb_dir / "skills/ai-fluency.md", "hours: 10\n", "")
    edit(
        kb_dir / "skills/ai-fluency.md",
        "summary: Knowing what generative AI tools can and cannot do, and using them well at work.\n",
        "",
    )
    found = problems_of(kb_dir)
    fields = {(f, fld) for f, fld, _ in found}
    assert ("knowledge/skills/ai-fluency.md", "hours") in fields
    assert ("knowledge/skills/ai-fluency.md", "summary") in fields
    assert all("Field required" in m for _, _, m in found)


def test_entry_paths_and_resource_levels_are_validated_by_field(kb_dir: Path) -> None:
    edit(kb_dir / "roles/paralegal.md", "kind: training, hours: 60,", "kind: training,")
    edit(kb_dir / "roles/data-entry-clerk.md", "entry_path:", "entry_paths:")
    edit(kb_dir / "skills/ai-fluency.md", ", level: beginner}", ", level: expert}")
    found = {(f, fld): m for f, fld, m in problems_of(kb_dir)}
    step = found[("knowledge/roles/paralegal.md", "entry_path.steps.0")]
    assert "needs hours (effort) or weeks (calendar time)" in step
    assert "Field required" in found[("knowledge/roles/data-entry-clerk.md", "entry_path")]
    assert ("knowledge/skills/ai-fluency.md", "resources.0.level") in found


def test_every_problem_is_reported_at_once(kb_dir: Path) -> None:
    edit(kb_dir / "roles/paralegal.md", "level: 4}", "level: 9}")
    edit(kb_dir / "skills/critical-thinking.md", "kind: course", "kind: podcast")
    (kb_dir / "guides/empty.md").write_text("")
    files = {f for f, _, _ in problems_of(kb_dir)}
    assert files == {
        "knowledge/roles/paralegal.md",
        "knowledge/skills/critical-thinking.md",
        "knowledge/guides/empty.md",
    }


def test_unknown_ids_in_skills_transitions_and_prerequisites(kb_dir: Path) -> None:
    edit(kb_dir / "roles/paralegal.md", "{id: ai-fluency, level: 2}", "{id: astrology, level: 2}")
    edit(
        kb_dir / "roles/data-entry-clerk.md",
        "transitions: [paralegal]",
        "transitions: [paralegal, astronaut]",
    )
    edit(kb_dir / "skills/prompt-engineering.md", "prerequisites: [ai-fluency]", "prerequisites: [telepathy]")
    found = problems_of(kb_dir)
    assert ("knowledge/roles/paralegal.md", "skills.1.id", "unknown skill id 'astrology'") in found
    assert ("knowledge/roles/data-entry-clerk.md", "transitions.1", "unknown role id 'astronaut'") in found
    assert (
        "knowledge/skills/prompt-engineering.md",
        "prerequisites.0",
        "unknown skill id 'telepathy'",
    ) in found


def test_prerequisite_cycle_is_reported_with_its_path(kb_dir: Path) -> None:
    edit(kb_dir / "skills/ai-fluency.md", "prerequisites: []", "prerequisites: [prompt-engineering]")
    found = problems_of(kb_dir)
    cycles = [m for _, field, m in found if field == "prerequisites" and m.startswith("cycle")]
    assert len(cycles) == 1
    assert "ai-fluency" in cycles[0] and "prompt-engineering" in cycles[0]


def test_id_must_match_file_name(kb_dir: Path) -> None:
    edit(kb_dir / "guides/task-vs-job-automation.md", "id: task-vs-job-automation", "id: tasks-not-jobs")
    [(file, field, message)] = problems_of(kb_dir)
    assert (file, field) == ("knowledge/guides/task-vs-job-automation.md", "id")
    assert "file name" in message


def test_duplicate_ids_across_folders(kb_dir: Path) -> None:
    text = (kb_dir / "skills/ai-fluency.md").read_text()
    (kb_dir / "guides/ai-fluency.md").write_text(text.replace("type: skill", "type: guide"))
    found = problems_of(kb_dir)
    assert any(field == "id" and "also used by" in m for _, field, m in found)


def test_type_must_match_folder(kb_dir: Path) -> None:
    edit(kb_dir / "guides/task-vs-job-automation.md", "type: guide", "type: skill")
    found = problems_of(kb_dir)
    assert any(field == "type" and "guides/" in m for _, field, m in found)


def test_non_utf8_and_empty_files(kb_dir: Path) -> None:
    (kb_dir / "roles/latin1.md").write_bytes("---\nid: latin1\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    (kb_dir / "skills/blank.md").write_text("   \n\n")
    found = problems_of(kb_dir)
    assert ("knowledge/roles/latin1.md", "", "not UTF-8 text (bad byte at position 25)") in found
    assert ("knowledge/skills/blank.md", "", "file is empty") in found


def test_missing_front_matter(kb_dir: Path) -> None:
    (kb_dir / "guides/notes.md").write_text("# Just notes\n\nNo front matter here.\n")
    [(file, field, message)] = problems_of(kb_dir)
    assert (file, field) == ("knowledge/guides/notes.md", "front matter")
    assert "missing" in message


def test_alias_claimed_by_two_roles(kb_dir: Path) -> None:
    edit(
        kb_dir / "roles/data-entry-clerk.md",
        "aliases: [data entry operator, keyer]",
        "aliases: [keyer, Legal Assistant]",
    )
    found = problems_of(kb_dir)
    assert any(field == "aliases" and "'legal assistant'" in m for _, field, m in found)


def test_transition_needs_a_reason(kb_dir: Path) -> None:
    edit(
        kb_dir / "roles/data-entry-clerk.md",
        "  paralegal: Accuracy with documents is the base of legal support work.\n",
        "",
    )
    found = problems_of(kb_dir)
    assert (
        "knowledge/roles/data-entry-clerk.md",
        "transition_reasons",
        "no reason given for transition 'paralegal'",
    ) in found


def test_resources_need_at_least_two(kb_dir: Path) -> None:
    path = kb_dir / "skills/prompt-engineering.md"
    lines = [ln for ln in path.read_text().splitlines() if "deeplearning.ai" not in ln]
    path.write_text("\n".join(lines) + "\n")
    found = problems_of(kb_dir)
    assert any(field == "resources" and "at least 2" in m for _, field, m in found)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeDirMissing):
        load_knowledge(tmp_path / "nowhere")


def test_a_huge_file_is_refused_without_being_read_whole(kb_dir: Path) -> None:
    huge = kb_dir / "guides" / "huge.md"
    with huge.open("wb") as handle:  # sparse: 3 GB on paper, nothing on disk
        handle.truncate(3_000_000_000)
    started = time.perf_counter()
    with pytest.raises(KnowledgeValidationError) as caught:
        load_knowledge(kb_dir)
    assert time.perf_counter() - started < 5
    assert any("guides/huge.md" in str(p) and "larger than" in str(p) for p in caught.value.problems)


def test_yaml_nested_thousands_deep_names_the_file(kb_dir: Path) -> None:
    deep = "---\nid: deep\ntype: guide\ntitle: x\nsummary: " + "[" * 5000 + "]" * 5000 + "\n---\nbody\n"
    (kb_dir / "guides" / "deep.md").write_text(deep)
    with pytest.raises(KnowledgeValidationError) as caught:
        load_knowledge(kb_dir)
    assert any("guides/deep.md" in str(p) and "nested too deeply" in str(p) for p in caught.value.problems)
