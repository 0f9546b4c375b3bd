from __future__ import annotations

from pathlib import Path

from bot.core.knowledge.chunker import MAX_WORDS, chunk_document, chunk_knowledge
from bot.core.knowledge.loader import load_knowledge


def test_chunks_follow_headings_and_carry_the_document(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    chunks = chunk_document(kb.documents["paralegal"])
    assert [c.section for c in chunks] == [
        "Overview",
        "What the job is",
        "How AI changes the work",
        "What stays human",
    ]
    for chunk in chunks:
        assert chunk.doc_id == "paralegal" and chunk.doc_type == "role" and chunk.title == "Paralegal"
        # Title and aliases ride along with every chunk so that keyword and vector search see them.
        assert chunk.embed_text.startswith("Paralegal (legal assistant, litigation paralegal)")
    assert "e-discovery" in chunks[0].text  # the summary opens the document


def test_chunk_ids_are_stable_and_change_only_with_content(kb_dir: Path) -> None:
    first = [c.id for c in chunk_knowledge(load_knowledge(kb_dir))]
    again = [c.id for c in chunk_knowledge(load_knowledge(kb_dir))]
    assert first == again
    assert len(set(first)) == len(first)

    path = kb_dir / "roles/paralegal.md"
    path.write_text(path.read_text().replace("untouched", "x").replace("judgement about", "judgment about"))
    changed = {c.id for c in chunk_knowledge(load_knowledge(kb_dir))}
    assert len(set(first) - changed) == 1  # only the "What stays human" chunk changed
    assert next(iter(set(first) - changed)).startswith("paralegal:what-stays-human:1:")


def test_long_sections_are_split_under_the_model_window(kb_dir: Path) -> None:
    path = kb_dir / "guides/task-vs-job-automation.md"
    long_paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 90 for i in range(6))
    path.write_text(path.read_text() + f"\n## A long section\n\n{long_paragraphs}\n")
    chunks = [
        c
        for c in chunk_document(load_knowledge(kb_dir).documents[path.stem])
        if c.section == "A long section"
    ]
    assert len(chunks) >= 4
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)
