from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from bot.container import Container
from bot.core.errors import IndexNotBuilt, IndexUnavailable, KnowledgeValidationError
from bot.core.knowledge.index import ChromaIndex
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.service import KnowledgeService
from bot.core.retrieval import Retriever
from tests.conftest import make_settings
from tests.fakes.embedder import HashEmbedder


def test_first_reload_adds_everything_and_second_is_a_no_op(container: Container) -> None:
    first = container.knowledge.reload_sync()
    assert (first.added, first.updated, first.removed, first.unchanged) == (7, 0, 0, 0)
    assert first.embedded == first.chunks > 7
    second = container.knowledge.reload_sync()
    assert (second.added, second.updated, second.removed, second.unchanged, second.embedded) == (
        0,
        0,
        0,
        7,
        0,
    )
    assert second.version == first.version
    assert container.knowledge.stats_sync()["documents"] == {"role": 3, "skill": 3, "guide": 1}


def test_reload_embeds_only_what_changed(container: Container, kb_dir: Path) -> None:
    container.knowledge.reload_sync()
    embedder = container.embedder
    assert isinstance(embedder, HashEmbedder)
    before = embedder.embedded

    path = kb_dir / "roles/paralegal.md"
    path.write_text(path.read_text().replace("judgement about", "judgment about"))
    (kb_dir / "guides/task-vs-job-automation.md").unlink()
    new = (
        (kb_dir / "skills/critical-thinking.md").read_text().replace("critical-thinking", "systems-thinking")
    )
    (kb_dir / "skills/systems-thinking.md").write_text(new.replace("Critical thinking", "Systems thinking"))

    report = container.knowledge.reload_sync()
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 5)
    new_chunks = len([c for c in container.index.snapshot().chunks if c.doc_id == "systems-thinking"])
    assert report.embedded == new_chunks + 1  # the new skill, plus one changed paralegal section
    assert embedder.embedded - before == report.embedded
    ids = {c.doc_id for c in container.index.snapshot().chunks}
    assert "task-vs-job-automation" not in ids and "systems-thinking" in ids


def test_invalid_files_leave_the_index_untouched(container: Container, kb_dir: Path) -> None:
    container.knowledge.reload_sync()
    version = container.index.snapshot().version
    (kb_dir / "roles/paralegal.md").write_text("---\nid: [\n---\n")
    with pytest.raises(KnowledgeValidationError):
        container.knowledge.reload_sync()
    assert container.index.snapshot(force=True).version == version
    assert container.knowledge.search_sync("e-discovery document review", 3)[0].id == "paralegal"


def test_failure_midway_keeps_the_old_index_serving(tmp_path: Path, kb_dir: Path) -> None:
    settings = make_settings(tmp_path, kb_dir)
    good = Container.build(settings, embedder=HashEmbedder())
    good.knowledge.reload_sync()
    published = good.index.read_manifest()

    # Same store, an embedder that dies after a few texts: the new version must never show.
    path = kb_dir / "roles/paralegal.md"
    path.write_text(path.read_text().replace("Paralegals prepare", "Paralegals draft and prepare"))
    (kb_dir / "guides/more.md").write_text(
        (kb_dir / "guides/task-vs-job-automation.md")
        .read_text()
        .replace("id: task-vs-job-automation", "id: more")
    )
    failing = Container.build(settings, embedder=HashEmbedder(fail_after=1))
    with pytest.raises(RuntimeError, match="injected"):
        failing.knowledge.reload_sync()

    assert failing.index.read_manifest() == published
    client = chromadb.PersistentClient(str(settings.chroma_dir), ChromaSettings(anonymized_telemetry=False))
    names = sorted(c.name for c in client.list_collections())
    assert names == sorted(["coach_manifest", published.active])  # the half-built one is gone
    results = failing.knowledge.search_sync("e-discovery", 3)
    assert results and results[0].id == "paralegal"


def test_switching_embedding_model_rebuilds(tmp_path: Path, kb_dir: Path) -> None:
    settings = make_settings(tmp_path, kb_dir)
    Container.build(settings, embedder=HashEmbedder("model-a")).knowledge.reload_sync()
    other = Container.build(settings, embedder=HashEmbedder("model-b"))
    report = other.knowledge.ensure_index_sync()
    assert report is not None and report.embedded == report.chunks
    assert other.index.read_manifest().embedder == "model-b"
    assert other.knowledge.ensure_index_sync() is None  # built with the current model: nothing to do


def test_search_before_any_reload_says_how_to_build(container: Container) -> None:
    with pytest.raises(IndexNotBuilt, match="coach kb reload"):
        container.knowledge.search_sync("paralegal")


def test_concurrent_reload_is_refused(container: Container) -> None:
    index = container.index
    assert index._reload_lock.acquire(blocking=False)
    try:
        from bot.core.errors import ReloadInProgress

        with pytest.raises(ReloadInProgress):
            index.reload(load_knowledge(container.knowledge.knowledge_dir))
    finally:
        index._reload_lock.release()


@pytest.mark.slow
def test_server_mode_against_a_real_chroma_server(
    tmp_path: Path, kb_dir: Path, chroma_server: tuple[str, int]
) -> None:
    host, port = chroma_server
    settings = make_settings(
        tmp_path, kb_dir, CHROMA_HOST=host, CHROMA_PORT=port, COACH_COLLECTION_PREFIX="srv1"
    )
    writer = Container.build(settings, embedder=HashEmbedder())
    report = writer.knowledge.reload_sync()
    assert report.added == 7
    assert writer.knowledge.stats_sync()["backend"] == "server"
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded on disk

    # A second process-like reader sees the published version and its updates, no restart.
    reader = Container.build(settings, embedder=HashEmbedder())
    assert reader.knowledge.search_sync("e-discovery review", 3)[0].id == "paralegal"
    (kb_dir / "guides/task-vs-job-automation.md").unlink()
    writer.knowledge.reload_sync()
    assert "task-vs-job-automation" not in {c.doc_id for c in reader.index.snapshot(force=True).chunks}
    assert writer.knowledge.reload_sync().embedded == 0


def test_unreachable_chroma_server_is_one_clear_error(tmp_path: Path, kb_dir: Path) -> None:
    from tests.fakes.openai_server import free_port

    settings = make_settings(tmp_path, kb_dir, CHROMA_HOST="127.0.0.1", CHROMA_PORT=free_port())
    container = Container.build(settings, embedder=HashEmbedder())
    with pytest.raises(IndexUnavailable, match="unavailable"):
        container.knowledge.reload_sync()


def test_index_and_retriever_compose_without_the_container(tmp_path: Path, kb_dir: Path) -> None:
    client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
    index = ChromaIndex(lambda: client, HashEmbedder(), prefix="bare")
    service = KnowledgeService(kb_dir, index, Retriever(index))
    service.reload_sync()
    assert service.search_sync("prompting", 1)[0].id == "prompt-engineering"


def test_local_model_refuses_weights_that_are_not_the_official_ones() -> None:
    from bot.core.embeddings import LocalEmbedder
    from bot.core.errors import EmbeddingError

    embedder = LocalEmbedder(expected_sha256="0" * 64)
    with pytest.raises(EmbeddingError, match=r"refusing to load .*not the official"):
        embedder.embed_query("hello")


def test_local_model_missing_weights_is_a_clear_error(tmp_path: Path) -> None:
    from bot.core.embeddings import LocalEmbedder
    from bot.core.errors import EmbeddingError

    with pytest.raises(EmbeddingError, match="weights not found"):
        LocalEmbedder(model_dir=tmp_path).embed_query("hello")


def test_local_model_serves_a_crowd_of_callers_with_shared_passes(real_container: Container) -> None:
    """Callers arriving while a forward pass runs share the next one; each still gets exactly
    its own vectors, and a text embedded moments ago is not embedded again."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.core.embeddings import LocalEmbedder

    embedder = real_container.embedder
    assert isinstance(embedder, LocalEmbedder)
    texts = [f"I have worked as a paralegal for {n} years and want to learn SQL" for n in range(40)]
    alone = {t: embedder.embed_query(t) for t in texts[:3]}
    before = embedder.passes
    with ThreadPoolExecutor(8) as pool:
        crowd = list(pool.map(lambda t: embedder.embed_documents([t, "what is prompt engineering?"]), texts))
    assert embedder.passes - before < len(texts) - 3  # shared, not one pass per caller
    for text, (mine, shared) in zip(texts, crowd, strict=True):
        assert len(mine) == 384 and np.allclose(shared, crowd[0][1], atol=1e-5)  # padding noise only
        if text in alone:
            assert mine == alone[text]  # remembered: the very same vector
    again = embedder.passes
    embedder.embed_query(texts[10])
    assert embedder.passes == again
    one, other = np.asarray(crowd[5][0]), np.asarray(embedder.encode([texts[5] + "!"])[0])
    assert float(one @ other) > 0.9  # the same meaning, batched or alone
