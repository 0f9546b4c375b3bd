"""Knowledge operations every door shares: validate, reload, search, stats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

from bot.core import metrics
from bot.core.errors import CoachError, IndexNotBuilt, KnowledgeValidationError, ReloadInProgress
from bot.core.knowledge.chunker import chunk_knowledge
from bot.core.knowledge.index import ChromaIndex, Progress, ReloadReport, fingerprint_of
from bot.core.knowledge.loader import KnowledgeBase, load_knowledge
from bot.core.knowledge.locks import NoReloadLock, ReloadLock
from bot.core.retrieval import Retriever, SearchResult

log = logging.getLogger(__name__)

FIRST_BUILD_WAIT_SECONDS = 900.0  # a process starting while another builds the index waits for it


class KnowledgeService:
    def __init__(
        self,
        knowledge_dir: Path,
        index: ChromaIndex,
        retriever: Retriever,
        shared_lock: ReloadLock | None = None,
        watch_seconds: float = 2.0,
    ) -> None:
        self.knowledge_dir = knowledge_dir
        self.index = index
        self.retriever = retriever
        self.shared_lock = shared_lock or NoReloadLock()
        self.watch_seconds = watch_seconds
        self._index_ok = True
        self._kb: KnowledgeBase | None = None
        self._followed: str | None = None  # the manifest fingerprint planning follows
        self._kb_lock = threading.Lock()
        self._reload_lock = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None

    def validate(self) -> KnowledgeBase:
        """Load and check the folder; raises KnowledgeValidationError with every problem."""
        return load_knowledge(self.knowledge_dir)

    @property
    def loaded(self) -> KnowledgeBase | None:
        """The knowledge base if already loaded (never reads files)."""
        return self._kb

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base that the published index was built from (loaded on first use)."""
        with self._kb_lock:
            if self._kb is None:
                self._kb = self.validate()
            return self._kb

    def _fingerprint(self, kb: KnowledgeBase) -> str:
        return fingerprint_of([c.id for c in chunk_knowledge(kb)], self.index.embedder.name)

    def _publish(self, kb: KnowledgeBase, fingerprint: str) -> None:
        with self._kb_lock:
            self._kb = kb
            self._followed = fingerprint

    def reload_sync(self, progress: Progress | None = None, wait: float = 0.0) -> ReloadReport:
        kb = self.validate()  # invalid files raise here, before the index is touched
        # The shared lock makes one reload run in the whole deployment; a process that comes
        # second finds the index already built from these files and does nothing.
        with self.shared_lock.hold(wait):
            report = self.index.reload(kb, progress)
        self._publish(kb, self._fingerprint(kb))
        log.info("knowledge reloaded: %s", report.summary())
        return report

    async def reload(self, progress: Progress | None = None) -> ReloadReport:
        """One reload at a time: a second request is refused, not queued behind the first."""
        if self._reload_lock.locked():
            metrics.RELOADS.labels(ReloadInProgress.kind).inc()
            raise ReloadInProgress("a knowledge reload is already running; try again when it finishes")
        async with self._reload_lock:
            try:
                report = await asyncio.to_thread(self.reload_sync, progress)
            except CoachError as error:
                metrics.RELOADS.labels(error.kind).inc()
                raise
        metrics.RELOADS.labels("changed" if report.changed else "no_change").inc()
        return report

    def ensure_index_sync(self, progress: Progress | None = None) -> ReloadReport | None:
        """Build the index on first use, or rebuild it when the embedding model changed."""
        manifest = self.index.read_manifest()
        if manifest is not None and manifest.embedder == self.index.embedder.name:
            return None
        if manifest is None:
            log.info("no knowledge index yet: building it")
        return self.reload_sync(progress, wait=FIRST_BUILD_WAIT_SECONDS)

    async def ensure_index(self) -> ReloadReport | None:
        return await asyncio.to_thread(self.ensure_index_sync)

    # -- following the shared index -----------------------------------------------------

    def refresh_sync(self) -> bool:
        """Follow the published index: when another process published a new version, re-read
        the knowledge folder so planning matches what retrieval serves. True if it changed."""
        manifest = self.index.read_manifest()
        if manifest is None:
            return False
        self.index.snapshot()
        metrics.INDEX_VERSION.set(manifest.version)
        if manifest.fingerprint == self._followed:
            return False
        if self._kb is not None and self._fingerprint(self._kb) == manifest.fingerprint:
            self._followed = manifest.fingerprint
            return False
        try:
            kb = self.validate()
        except KnowledgeValidationError as error:
            log.warning(
                "index version %d published, but the knowledge folder here is invalid (%s); "
                "planning keeps the files it has",
                manifest.version,
                error.message,
            )
            self._followed = manifest.fingerprint
            return False
        if self._fingerprint(kb) != manifest.fingerprint:
            log.warning(
                "index version %d was built from other knowledge files than %s holds",
                manifest.version,
                self.knowledge_dir,
            )
        self._publish(kb, manifest.fingerprint)
        log.info("following index version %d published by another process", manifest.version)
        return True

    def watch(self) -> None:
        """Start following the shared index in the background (once per process)."""
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch())

    async def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_seconds)
            try:
                await asyncio.to_thread(self.refresh_sync)
            except CoachError as error:
                if self._index_ok:
                    log.warning("knowledge index unreachable: %s", error.message)
                self._index_ok = False
                continue
            except Exception:  # a bad edit in the folder must not stop the watcher
                log.exception("could not follow the shared index")
                continue
            if not self._index_ok:
                log.warning("knowledge index reachable again")
            self._index_ok = True

    def search_sync(self, query: str, k: int = 5, doc_type: str | None = None) -> list[SearchResult]:
        return self.retriever.search_sync(query, k, doc_type)

    async def search(self, query: str, k: int = 5, doc_type: str | None = None) -> list[SearchResult]:
        return await self.retriever.search(query, k, doc_type)

    def stats_sync(self, force: bool = False) -> dict[str, Any]:
        """What the index holds; `force` asks the store now instead of the cached snapshot."""
        try:
            return self.index.stats(force)
        except IndexNotBuilt:
            return {"documents": {}, "chunks": 0, "backend": self.index.backend, "collection": None}

    async def stats(self, force: bool = False) -> dict[str, Any]:
        return await asyncio.to_thread(self.stats_sync, force)
