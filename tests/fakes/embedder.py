"""A small deterministic embedder for fast tests: hashed bag of stemmed words."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from bot.core.text import tokens

DIMENSION = 256


def hash_vector(text: str, dimension: int = DIMENSION) -> list[float]:
    vector = [0.0] * dimension
    for token in tokens(text) or ["_empty_"]:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "little") % dimension
        vector[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class HashEmbedder:
    def __init__(self, name: str = "test:hash", fail_after: int | None = None) -> None:
        self.name = name
        self.fail_after = fail_after  # raise once this many texts have been embedded
        self.embedded = 0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if self.fail_after is not None and self.embedded + len(texts) > self.fail_after:
            raise RuntimeError("injected embedder failure")
        self.embedded += len(texts)
        return [hash_vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return hash_vector(text)
