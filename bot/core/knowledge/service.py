"""Knowledge operations every door shares: validate, reload, search, stats."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

from bot.core.errors import IndexNotBuilt, ReloadInProgress
from bot.core.knowledge.index import ChromaIndex, Progress, ReloadReport
from bot.core.knowledge.loader import KnowledgeBase, load_knowledge
from bot.core.retrieval import Retriever, SearchResult

log = logging.getLogger(__name__)


class KnowledgeService:
    def __init__(self, knowledge_dir: Path, index: ChromaIndex, retriever: Retriever) -> None:
        self.knowledge_dir = knowledge_dir
        self.index = index
        self.retriever = retriever
        self._kb: KnowledgeBase | None = None
        self._kb_lock = threading.Lock()
        self._reload_lock = asyncio.Lock()

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

    def reload_sync(self, progress: Progress | None = None) -> ReloadReport:
        kb = self.validate()  # invalid files raise here, before the index is touched
        report = self.index.reload(kb, progress)
        with self._kb_lock:
            self._kb = kb
        log.info("knowledge reloaded: %s", report.summary())
        return report

    async def reload(self, progress: Progress | None = None) -> ReloadReport:
        """One reload at a time: a second request is refused, not queued behind the first."""
        if self._reload_lock.locked():
            raise ReloadInProgress("a knowledge reload is already running; try again when it finishes")
        async with self._reload_lock:
            return await asyncio.to_thread(self.reload_sync, progress)

    def ensure_index_sync(self, progress: Progress | None = None) -> ReloadReport | None:
        """Build the index on first use, or rebuild it when the embedding model changed."""
        manifest = self.index.read_manifest()
        if manifest is not None and manifest.embedder == self.index.embedder.name:
            return None
        if manifest is None:
            log.info("no knowledge index yet: building it")
        return self.reload_sync(progress)

    async def ensure_index(self) -> ReloadReport | None:
        return await asyncio.to_thread(self.ensure_index_sync)

    def search_sync(self, query: str, k: int = 5, doc_type: str | None = None) -> list[SearchResult]:
        return self.retriever.search_sync(query, k, doc_type)

    async def search(self, query: str, k: int = 5, doc_type: str | None = None) -> list[SearchResult]:
        return await self.retriever.search(query, k, doc_type)

    def stats_sync(self) -> dict[str, Any]:
        try:
            return self.index.stats()
        except IndexNotBuilt:
            return {"documents": {}, "chunks": 0, "backend": self.index.backend, "collection": None}

    async def stats(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.stats_sync)
