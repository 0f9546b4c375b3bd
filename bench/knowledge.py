"""Knowledge pipeline figures: reload throughput and how late the event loop runs during it,
no-op reload, search latency, retrieval quality beside a naive baseline (fixed-size chunks of
the same files, dense only)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import chromadb
import yaml
from chromadb.config import Settings as ChromaSettings

from bench.common import (
    HELDOUT,
    QUESTIONS,
    LagProbe,
    idle_lag,
    ms,
    p50,
    p95,
    questions,
    remember_index,
    scratch_container,
)
from bot.container import Container
from bot.core.embeddings import LocalEmbedder
from bot.core.knowledge.chunker import chunk_knowledge
from bot.core.knowledge.index import ReloadReport
from bot.core.knowledge.loader import knowledge_files


@dataclass
class Quality:
    hit_at_5: float
    mrr: float


def evaluate(search: callable, path: Path) -> Quality:  # type: ignore[valid-type]
    items = yaml.safe_load(path.read_text())
    hits, reciprocal = 0, 0.0
    for question in items:
        ids = search(question["question"])
        rank = next((i + 1 for i, d in enumerate(ids) if d in question["relevant"]), None)
        hits += rank is not None
        reciprocal += 1 / rank if rank else 0.0
    return Quality(hits / len(items), reciprocal / len(items))


def naive_baseline(container: Container, words: int = 120) -> callable:  # type: ignore[valid-type]
    """Fixed-size word windows of the raw files, dense search only, same embedding model."""
    texts, owners = [], []
    for path in knowledge_files(container.settings.knowledge_dir):
        tokens = path.read_text(encoding="utf-8").split()
        for start in range(0, len(tokens), words):
            texts.append(" ".join(tokens[start : start + words]))
            owners.append(path.stem)
    vectors = container.embedder.embed_documents(texts)
    client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
    collection = client.create_collection(
        "baseline", embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    collection.add(
        ids=[str(i) for i in range(len(texts))], embeddings=vectors, metadatas=[{"doc": o} for o in owners]
    )

    def search(question: str) -> list[str]:
        found = collection.query(
            query_embeddings=[container.embedder.embed_query(question)], n_results=50, include=["metadatas"]
        )
        ranked: list[str] = []
        for meta in found["metadatas"][0]:
            if meta["doc"] not in ranked:
                ranked.append(meta["doc"])
        return ranked[:5]

    return search


async def reload_under_probe(container: Container) -> tuple[ReloadReport, LagProbe, LagProbe]:
    """A full reload the way the bots run it (`await knowledge.reload()` on the serving loop),
    with a task on the same loop that notes how late each of its wake-ups comes."""
    idle = await idle_lag()
    async with LagProbe() as probe:
        report = await container.knowledge.reload()
    return report, probe, idle


def run() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    container, data = scratch_container()
    kb = container.knowledge.validate()
    chunks = chunk_knowledge(kb)
    embedder = container.embedder
    if isinstance(embedder, LocalEmbedder):
        embedder.embed_query("warm up")  # load the model before timing either side

    started = time.perf_counter()
    embedder.embed_documents([c.embed_text for c in chunks])
    raw = time.perf_counter() - started

    report, probe, idle = asyncio.run(reload_under_probe(container))
    remember_index(container, data)
    rows.append(("knowledge: documents / chunks", f"{len(kb.documents)} / {report.chunks}"))
    speed = report.chunks / report.seconds
    rows.append(("full reload (model loaded)", f"{report.seconds:.1f} s, {speed:.1f} chunks/s"))
    rows.append(("raw encoder on the same texts", f"{raw:.1f} s, {len(chunks) / raw:.1f} chunks/s"))
    rows.append(("reload / raw encoder throughput", f"{raw / report.seconds:.2f}"))
    rows.append(("event-loop lag during a full reload (goal < 50 ms)", probe.summary()))
    rows.append(("event-loop lag, idle loop (timer floor)", idle.summary()))

    noop = [container.knowledge.reload_sync().seconds for _ in range(5)]
    rows.append(("no-op reload, unchanged folder (median of 5)", ms(p50(noop))))

    asked = questions()
    for question in asked[:5]:
        container.knowledge.search_sync(question)
    latencies = []
    for _ in range(4):
        for question in asked:
            started = time.perf_counter()
            container.knowledge.search_sync(question)
            latencies.append(time.perf_counter() - started)
    rows.append(("search, warm, p50 / p95", f"{ms(p50(latencies))} / {ms(p95(latencies))}"))

    hybrid = lambda q: [r.id for r in container.knowledge.search_sync(q, 5)]  # noqa: E731
    baseline = naive_baseline(container)
    for label, path in (("public", QUESTIONS), ("held-out", HELDOUT)):
        ours, naive = evaluate(hybrid, path), evaluate(baseline, path)
        rows.append(
            (
                f"hit@5 / MRR, {label} questions ({len(questions(path))})",
                f"{ours.hit_at_5:.2f} / {ours.mrr:.2f} "
                f"(naive baseline {naive.hit_at_5:.2f} / {naive.mrr:.2f})",
            )
        )
    return rows
