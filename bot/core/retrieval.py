"""Hybrid retrieval: dense vectors and BM25 over the same chunks, fused into documents.

Each retriever ranks documents by their best chunk; the two rankings are fused by weighted
reciprocal rank, and a document whose title or alias is named in the query gets the weight
of one more first place. Results are documents, each id once, best first.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np

from bot.core.knowledge.index import ChromaIndex, Snapshot, StoredChunk
from bot.core.text import fold, tokens

SNIPPET_CHARS = 240


@dataclass(frozen=True)
class SearchResult:
    id: str
    type: str
    title: str
    score: float
    snippet: str
    section: str
    text: str = ""  # the whole best chunk, for answers built from the document
    similarity: float = 0.0  # best cosine similarity of the query to the document's chunks

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "section": self.section,
        }


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 1.0
    keyword: float = 0.8
    name: float = 1.0
    rrf_k: int = 10
    depth: int = 60  # chunks each retriever contributes


class KeywordIndex:
    """BM25 over one snapshot's chunks, with a lookup of the names each document goes by."""

    def __init__(self, chunks: tuple[StoredChunk, ...], names: dict[str, list[str]]) -> None:
        self.chunks = chunks
        self._bm25 = bm25s.BM25()
        corpus = [tokens(c.embed_text) or ["_"] for c in chunks]
        self._bm25.index(corpus, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        self._names = names

    def scores(self, query: str) -> np.ndarray:
        known = [t for t in tokens(query) if t in self._vocab]
        if not known:
            return np.zeros(len(self.chunks))
        return np.asarray(self._bm25.get_scores(known))

    def named(self, query: str) -> set[str]:
        """Documents whose title or alias appears in the query as whole words."""
        padded = f" {fold(query)} "
        return {doc_id for doc_id, names in self._names.items() if any(f" {n} " in padded for n in names)}


def _names_of(chunks: tuple[StoredChunk, ...]) -> dict[str, list[str]]:
    names: dict[str, set[str]] = {}
    for chunk in chunks:
        if chunk.section != "Overview":
            continue
        found = names.setdefault(chunk.doc_id, set())
        found.add(fold(chunk.title))
        found.add(fold(chunk.doc_id.replace("-", " ")))
        header = chunk.embed_text.split("\n", 1)[0]
        match = re.search(r"\((.*)\)\.?$", header)
        if match:
            found.update(fold(alias) for alias in match.group(1).split(","))
    # Names under four letters ("pa", "rn") match too many sentences to be a signal.
    return {doc: sorted(n for n in found if len(n) >= 4) for doc, found in names.items()}


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    cut = flat[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


class Retriever:
    """Searches the published index; safe to call from many threads at once."""

    def __init__(self, index: ChromaIndex, weights: FusionWeights | None = None) -> None:
        self.index = index
        self.weights = weights or FusionWeights()
        self._keyword: tuple[int, str, KeywordIndex] | None = None
        self._lock = threading.Lock()

    def _keyword_index(self, snapshot: Snapshot) -> KeywordIndex:
        key = (snapshot.version, snapshot.collection.name)
        with self._lock:
            if self._keyword is None or self._keyword[:2] != key:
                keyword = KeywordIndex(snapshot.chunks, _names_of(snapshot.chunks))
                self._keyword = (*key, keyword)
            return self._keyword[2]

    def search_sync(
        self, query: str, k: int = 5, doc_type: str | None = None, vector: Sequence[float] | None = None
    ) -> list[SearchResult]:
        """`vector`: the query already embedded by the index's own embedder (a reader that has
        embedded the message's clauses need not embed them again)."""
        query = query.strip()
        if not query or k <= 0:
            return []
        snapshot = self.index.snapshot()
        keyword = self._keyword_index(snapshot)
        weights = self.weights
        by_id = {c.id: c for c in snapshot.chunks}

        if vector is None:
            vector = self.index.embedder.embed_query(query)
        dense = self.index.query(snapshot, list(vector), weights.depth, doc_type)
        dense_chunks = [(by_id[cid], sim) for cid, sim in dense if cid in by_id]
        best_similarity: dict[str, float] = {}
        for chunk, similarity in dense_chunks:
            best_similarity[chunk.doc_id] = max(similarity, best_similarity.get(chunk.doc_id, -1.0))

        scores = keyword.scores(query)
        order = np.argsort(-scores)[: weights.depth * 2]
        keyword_chunks = [
            (snapshot.chunks[i], float(scores[i]))
            for i in order
            if scores[i] > 0 and (doc_type is None or snapshot.chunks[i].doc_type == doc_type)
        ][: weights.depth]

        fused: dict[str, float] = {}
        best_chunk: dict[str, tuple[float, StoredChunk]] = {}
        for ranked, weight in ((dense_chunks, weights.dense), (keyword_chunks, weights.keyword)):
            seen: set[str] = set()
            for chunk_rank, (chunk, _) in enumerate(ranked):
                contribution = weight / (weights.rrf_k + chunk_rank + 1)
                # The snippet comes from the chunk both retrievers like best.
                previous = best_chunk.get(chunk.id, (0.0, chunk))[0]
                best_chunk[chunk.id] = (previous + contribution, chunk)
                if chunk.doc_id in seen:
                    continue
                seen.add(chunk.doc_id)
                doc_rank = len(seen)
                fused[chunk.doc_id] = fused.get(chunk.doc_id, 0.0) + weight / (weights.rrf_k + doc_rank)
        overview = {c.doc_id: c for c in snapshot.chunks if c.section == "Overview"}
        for doc_id in keyword.named(query):
            if doc_type is None or (doc_id in overview and overview[doc_id].doc_type == doc_type):
                fused[doc_id] = fused.get(doc_id, 0.0) + weights.name / (weights.rrf_k + 1)

        best_for_doc: dict[str, tuple[float, StoredChunk]] = {}
        for score, chunk in best_chunk.values():
            if chunk.doc_id not in best_for_doc or score > best_for_doc[chunk.doc_id][0]:
                best_for_doc[chunk.doc_id] = (score, chunk)
        ceiling = (weights.dense + weights.keyword + weights.name) / (weights.rrf_k + 1)
        results: list[SearchResult] = []
        for doc_id, score in sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]:
            chunk = best_for_doc[doc_id][1] if doc_id in best_for_doc else overview.get(doc_id)
            if chunk is None:
                continue
            results.append(
                SearchResult(
                    id=doc_id,
                    type=chunk.doc_type,
                    title=chunk.title,
                    score=min(1.0, score / ceiling),
                    snippet=_snippet(chunk.text),
                    section=chunk.section,
                    text=chunk.text,
                    similarity=best_similarity.get(doc_id, 0.0),
                )
            )
        return results

    async def search(self, query: str, k: int = 5, doc_type: str | None = None) -> list[SearchResult]:
        """The same search off the event loop: embedding and Chroma run in a worker thread."""
        return await asyncio.to_thread(self.search_sync, query, k, doc_type)
