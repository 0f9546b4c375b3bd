"""The Chroma index: incremental, atomic reloads and a shared, versioned active collection.

Each reload writes a new collection (copying the vectors of unchanged chunks, embedding only
new ones) and then flips a manifest to it. Readers always resolve the manifest first, so they
see either the old index or the new one, never a half-built one; and every process that
shares a Chroma server sees a reload made by any of them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.embeddings import Embedder
from bot.core.errors import CoachError, IndexNotBuilt, IndexUnavailable, ReloadInProgress
from bot.core.knowledge.chunker import Chunk, chunk_knowledge
from bot.core.knowledge.loader import KnowledgeBase

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
EMBED_BATCH = 256
# Embedded Chroma holds the interpreter lock for the whole of each `add` (about 240 ms for 256
# chunks, 50 ms for 32): small writes keep the bot's event loop answering during a reload,
# for about 1% more reload time.
WRITE_BATCH = 32
UNAVAILABLE = "the knowledge base is unavailable right now; please try again in a minute"


@dataclass(frozen=True)
class ReloadReport:
    added: int
    updated: int
    removed: int
    unchanged: int
    chunks: int
    embedded: int
    seconds: float
    version: int

    def as_json(self) -> dict[str, int | float]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "version": self.version,
        }

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.embedded)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged ({self.chunks} chunks, {self.embedded} embedded, "
            f"{self.seconds:.1f} s)"
        )


@dataclass(frozen=True)
class Manifest:
    active: str
    version: int
    embedder: str
    fingerprint: str
    chunks: int

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any] | None) -> Manifest | None:
        if not metadata or "active" not in metadata:
            return None
        return cls(
            active=str(metadata["active"]),
            version=int(metadata.get("version", 0)),
            embedder=str(metadata.get("embedder", "")),
            fingerprint=str(metadata.get("fingerprint", "")),
            chunks=int(metadata.get("chunks", 0)),
        )


@dataclass(frozen=True)
class StoredChunk:
    id: str
    doc_id: str
    doc_type: str
    title: str
    section: str
    text: str
    embed_text: str


@dataclass(frozen=True)
class Snapshot:
    """One published version of the index, as readers use it."""

    version: int
    collection: Any
    chunks: tuple[StoredChunk, ...]
    embedder: str


def fingerprint_of(chunk_ids: Sequence[str], embedder_name: str) -> str:
    digest = hashlib.sha256(embedder_name.encode())
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _doc_hashes(metadatas: Sequence[dict[str, Any]]) -> dict[str, str]:
    return {str(m["doc_id"]): str(m.get("doc_hash", "")) for m in metadatas}


class ChromaIndex:
    """Owns the collections of one deployment: the manifest plus one or two versions."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        embedder: Embedder,
        prefix: str = "coach",
        backend: str = "embedded",
        refresh_seconds: float = 1.0,
    ) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self.embedder = embedder
        self.prefix = prefix
        self.backend = backend
        self._refresh_seconds = refresh_seconds
        self._client_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0

    # -- plumbing -------------------------------------------------------------------------

    @property
    def manifest_name(self) -> str:
        return f"{self.prefix}_manifest"

    def _chroma(self) -> Any:
        with self._client_lock:
            if self._client is None:
                try:
                    self._client = self._client_factory()
                except Exception as error:
                    raise IndexUnavailable(UNAVAILABLE) from error
            return self._client

    def _call(self, action: Callable[[], Any]) -> Any:
        """Run a Chroma call; a failure to reach it becomes IndexUnavailable."""
        try:
            return action()
        except CoachError:
            raise
        except Exception as error:
            if _is_not_found(error):
                raise
            log.warning("chroma call failed: %s: %s", type(error).__name__, error)
            raise IndexUnavailable(UNAVAILABLE) from error

    def read_manifest(self) -> Manifest | None:
        client = self._chroma()
        collection = self._call(
            lambda: client.get_or_create_collection(self.manifest_name, embedding_function=None)
        )
        return Manifest.from_metadata(collection.metadata)

    def _write_manifest(self, manifest: Manifest, previous: str | None) -> None:
        client = self._chroma()
        metadata: dict[str, Any] = {
            "active": manifest.active,
            "version": manifest.version,
            "embedder": manifest.embedder,
            "fingerprint": manifest.fingerprint,
            "chunks": manifest.chunks,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if previous:
            metadata["previous"] = previous
        collection = self._call(
            lambda: client.get_or_create_collection(self.manifest_name, embedding_function=None)
        )
        self._call(lambda: collection.modify(metadata=metadata))

    # -- reading --------------------------------------------------------------------------

    def snapshot(self, force: bool = False) -> Snapshot:
        """The published index; re-checks the manifest at most every refresh_seconds."""
        now = time.monotonic()
        current = self._snapshot
        if current is not None and not force and now - self._checked_at < self._refresh_seconds:
            return current
        manifest = self.read_manifest()
        self._checked_at = now
        if manifest is None:
            raise IndexNotBuilt("the knowledge index is not built yet: run `coach kb reload`")
        if (
            current is not None
            and current.version == manifest.version
            and current.collection.name == manifest.active
        ):
            return current
        fresh = self._load_snapshot(manifest)
        self._snapshot = fresh
        return fresh

    def _load_snapshot(self, manifest: Manifest) -> Snapshot:
        client = self._chroma()
        collection = self._call(lambda: client.get_collection(manifest.active, embedding_function=None))
        got = self._call(lambda: collection.get(include=["documents", "metadatas"]))
        chunks = tuple(
            StoredChunk(
                id=chunk_id,
                doc_id=str(meta["doc_id"]),
                doc_type=str(meta["doc_type"]),
                title=str(meta["title"]),
                section=str(meta["section"]),
                text=str(meta.get("text", "")),
                embed_text=document or "",
            )
            for chunk_id, document, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        )
        return Snapshot(manifest.version, collection, chunks, manifest.embedder)

    def query(
        self, snapshot: Snapshot, vector: list[float], n: int, doc_type: str | None
    ) -> list[tuple[str, float]]:
        """Nearest chunks as (chunk id, cosine similarity), best first."""
        n = min(n, len(snapshot.chunks))
        if n <= 0:
            return []
        where = {"doc_type": doc_type} if doc_type else None
        try:
            result = self._call(
                lambda: snapshot.collection.query(
                    query_embeddings=[vector], n_results=n, where=where, include=["distances"]
                )
            )
        except Exception as error:
            if not _is_not_found(error):
                raise
            # Another process replaced this version and cleaned it up: read the new one.
            return self.query(self.snapshot(force=True), vector, n, doc_type)
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def stats(self, force: bool = False) -> dict[str, Any]:
        snapshot = self.snapshot(force)
        documents: dict[str, set[str]] = {"role": set(), "skill": set(), "guide": set()}
        for chunk in snapshot.chunks:
            documents.setdefault(chunk.doc_type, set()).add(chunk.doc_id)
        return {
            "documents": {kind: len(ids) for kind, ids in documents.items()},
            "chunks": len(snapshot.chunks),
            "backend": self.backend,
            "collection": snapshot.collection.name,
            "version": snapshot.version,
            "embedder": snapshot.embedder,
        }

    # -- writing --------------------------------------------------------------------------

    def reload(self, kb: KnowledgeBase, progress: Progress | None = None) -> ReloadReport:
        """Index what changed in `kb`; publish atomically. One reload at a time per process."""
        if not self._reload_lock.acquire(blocking=False):
            raise ReloadInProgress("a knowledge reload is already running; try again when it finishes")
        try:
            return self._reload(kb, progress)
        finally:
            self._reload_lock.release()

    def _reload(self, kb: KnowledgeBase, progress: Progress | None) -> ReloadReport:
        started = time.perf_counter()
        client = self._chroma()
        chunks = chunk_knowledge(kb)
        new_docs = {doc.id: doc.content_hash for doc in kb.documents.values()}
        fingerprint = fingerprint_of([c.id for c in chunks], self.embedder.name)
        manifest = self.read_manifest()

        old_collection = None
        old_ids: set[str] = set()
        old_docs: dict[str, str] = {}
        if manifest is not None:
            try:
                old_collection = self._call(
                    lambda: client.get_collection(manifest.active, embedding_function=None)
                )
            except Exception as error:
                if not _is_not_found(error):
                    raise
                log.warning("the active collection %s is missing; rebuilding", manifest.active)
            if old_collection is not None:
                got = self._call(lambda: old_collection.get(include=["metadatas"]))
                old_docs = _doc_hashes(got["metadatas"])
                # Vectors from another model live in another space: reuse none of them.
                if manifest.embedder == self.embedder.name:
                    old_ids = set(got["ids"])

        added = sum(1 for d in new_docs if d not in old_docs)
        removed = sum(1 for d in old_docs if d not in new_docs)
        updated = sum(1 for d, h in new_docs.items() if d in old_docs and old_docs[d] != h)
        unchanged = len(new_docs) - added - updated
        if manifest is not None and old_collection is not None and manifest.fingerprint == fingerprint:
            self._snapshot = None
            return ReloadReport(
                0, 0, 0, len(new_docs), len(chunks), 0, time.perf_counter() - started, manifest.version
            )
        if manifest is not None and manifest.embedder != self.embedder.name:
            log.warning("index was built with %s; rebuilding with %s", manifest.embedder, self.embedder.name)
            unchanged, updated = 0, updated + unchanged

        version = (manifest.version if manifest else 0) + 1
        name = f"{self.prefix}_kb_v{version}_{uuid.uuid4().hex[:8]}"
        target = self._call(
            lambda: client.create_collection(
                name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedder": self.embedder.name, "version": version},
            )
        )
        try:
            to_copy = [c for c in chunks if c.id in old_ids]
            to_embed = [c for c in chunks if c.id not in old_ids]
            if to_copy and old_collection is not None:
                self._copy(old_collection, target, to_copy)
            self._embed_into(target, to_embed, progress)
            count = self._call(target.count)
            if count != len(chunks):
                raise IndexUnavailable(f"the new index holds {count} chunks, expected {len(chunks)}")
            new_manifest = Manifest(name, version, self.embedder.name, fingerprint, len(chunks))
            latest = self.read_manifest()
            if (latest.version if latest else 0) != version - 1:
                # Another process published while this one built: never overwrite its version.
                raise ReloadInProgress(
                    "another process published a new index meanwhile; nothing changed here"
                )
            self._write_manifest(new_manifest, manifest.active if manifest else None)
        except BaseException:
            # Readers never saw `name`: drop it and leave the published version serving.
            try:
                client.delete_collection(name)
            except Exception:
                log.warning("could not delete the unfinished collection %s", name)
            raise
        self._cleanup(keep={name, manifest.active if manifest else name})
        self._snapshot = None
        return ReloadReport(
            added,
            updated,
            removed,
            unchanged,
            len(chunks),
            len(to_embed),
            time.perf_counter() - started,
            version,
        )

    def _copy(self, source: Any, target: Any, chunks: list[Chunk]) -> None:
        by_id = {c.id: c for c in chunks}
        ids = list(by_id)
        for start in range(0, len(ids), WRITE_BATCH):
            batch = ids[start : start + WRITE_BATCH]
            got = self._call(lambda batch=batch: source.get(ids=batch, include=["embeddings"]))
            self._call(
                lambda got=got: target.add(
                    ids=list(got["ids"]),
                    embeddings=got["embeddings"],
                    documents=[by_id[i].embed_text for i in got["ids"]],
                    metadatas=[by_id[i].metadata() for i in got["ids"]],
                )
            )

    def _embed_into(self, target: Any, chunks: list[Chunk], progress: Progress | None) -> None:
        total = len(chunks)
        if progress:
            progress(0, total)
        for start in range(0, total, EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            vectors = self.embedder.embed_documents([c.embed_text for c in batch])
            for offset in range(0, len(batch), WRITE_BATCH):
                part, part_vectors = (
                    batch[offset : offset + WRITE_BATCH],
                    vectors[offset : offset + WRITE_BATCH],
                )
                self._call(
                    lambda part=part, part_vectors=part_vectors: target.add(
                        ids=[c.id for c in part],
                        embeddings=part_vectors,
                        documents=[c.embed_text for c in part],
                        metadatas=[c.metadata() for c in part],
                    )
                )
            if progress:
                progress(min(start + EMBED_BATCH, total), total)

    def _cleanup(self, keep: set[str]) -> None:
        """Delete versions older than the previous one (others may still be reading it)."""
        client = self._chroma()
        prefix = f"{self.prefix}_kb_"
        try:
            names = [getattr(c, "name", c) for c in client.list_collections()]
        except Exception:
            return
        for collection_name in names:
            if collection_name.startswith(prefix) and collection_name not in keep:
                try:
                    client.delete_collection(collection_name)
                except Exception:
                    log.warning("could not delete old collection %s", collection_name)


def _is_not_found(error: BaseException) -> bool:
    name = type(error).__name__
    return name in {"NotFoundError", "InvalidCollectionException"} or (
        "does not exist" in str(error).lower() and "collection" in str(error).lower()
    )
