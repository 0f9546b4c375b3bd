"""The composition root: the one place that picks implementations from Settings."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from typing import Any

from bot.core.embeddings import Embedder, LocalEmbedder, OpenAIEmbedder
from bot.core.knowledge.index import ChromaIndex
from bot.core.knowledge.locks import FileReloadLock, PostgresReloadLock, ReloadLock
from bot.core.knowledge.service import KnowledgeService
from bot.core.profiles import ProfileStore
from bot.core.retrieval import Retriever
from bot.core.service import CoachService
from bot.settings import Settings


def build_embedder(settings: Settings) -> Embedder:
    if settings.embeddings == "openai":

        def client() -> Any:
            import openai

            key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
            return openai.OpenAI(api_key=key, base_url=settings.openai_base_url, max_retries=2, timeout=60)

        return OpenAIEmbedder(client, settings.embedding_model, settings.embedding_batch_size)
    return LocalEmbedder(batch_size=settings.embedding_batch_size)


def build_answerer(settings: Settings) -> Any:
    """The language-model agent when a key is set; None means offline answers."""
    if not settings.llm_configured:
        return None
    from bot.core.agent.answerer import LLMAnswerer
    from bot.core.agent.prompts import Prompts

    assert settings.openai_api_key is not None
    return LLMAnswerer(
        Prompts.load(settings.prompts_dir),
        model=settings.llm_model,
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
    )


def build_reload_lock(settings: Settings) -> ReloadLock:
    """Processes sharing PostgreSQL lock there (any machine); otherwise a file in the data folder."""
    url = settings.resolved_database_url
    local = FileReloadLock(settings.data_dir / "reload.lock")
    return PostgresReloadLock(url, fallback=local) if url.startswith("postgresql") else local


def chroma_client_factory(settings: Settings) -> tuple[Any, str]:
    def factory() -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)

    return factory, "server" if settings.chroma_host else "embedded"


@dataclass
class Container:
    settings: Settings
    embedder: Embedder
    index: ChromaIndex
    knowledge: KnowledgeService
    _service: CoachService | None = None

    def service(self) -> CoachService:
        """The CoachService, built on first use (commands that only search never open a database)."""
        if self._service is None:
            url = self.settings.resolved_database_url
            if url.startswith("sqlite"):
                self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            store = ProfileStore(url)
            self._service = CoachService(
                self.knowledge,
                store,
                self.embedder,
                answerer=build_answerer(self.settings),
                llm_timeout=self.settings.llm_timeout_seconds,
                occupation_folders=self.settings.occupation_folders,
                cache_dir=self.settings.data_dir / "vectors",
                checkins_enabled=self.settings.checkins,
                rate_limit_per_minute=self.settings.rate_limit_per_minute,
                shared_limits=not url.startswith("sqlite"),  # a server database: replicas may share it
            )
        return self._service

    @classmethod
    def build(cls, settings: Settings, embedder: Embedder | None = None) -> Container:
        embedder = embedder or build_embedder(settings)
        factory, backend = chroma_client_factory(settings)
        index = ChromaIndex(factory, embedder, prefix=settings.chroma_collection_prefix, backend=backend)
        knowledge = KnowledgeService(
            settings.knowledge_dir,
            index,
            Retriever(index),
            shared_lock=build_reload_lock(settings),
            watch_seconds=settings.index_watch_seconds,
        )
        return cls(settings=settings, embedder=embedder, index=index, knowledge=knowledge)


def freeze_startup_objects() -> None:
    """What start-up loaded (the model, LangChain, the knowledge) lives as long as the process:
    moved out of the collector's sight, a full collection no longer pauses every answer."""
    gc.collect()
    gc.freeze()


class RedactSecrets(logging.Filter):
    """Replaces every secret in a record's final text, at every level: a library that logs a
    URL with the bot token in it (PTB at DEBUG, httpx at INFO) logs "***" instead."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = text
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != text:
            record.msg, record.args = clean, None
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        return True


def configure_logging(level: str, secrets: list[str] | None = None) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact = RedactSecrets(secrets or [])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    for noisy in ("chromadb", "httpx", "sentence_transformers", "transformers", "urllib3", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
