"""What a message means, by the nearest of example phrasings embedded with the coach's model.

`examples.yaml` beside this file holds the phrasings: dialogue acts (what the person wants
now) and frames (whether a clause describes their present work, a past job, a goal, or none).
A small softmax layer over the embeddings is fitted to the examples when the engine is built
(milliseconds), so the decision uses the direction that separates the kinds rather than the
words an example happens to share with a message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.core.embeddings import Embedder

EXAMPLES = Path(__file__).resolve().parent / "examples.yaml"


def unit_rows(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


@dataclass(frozen=True)
class Guess:
    label: str
    confidence: float  # the softmax probability of the label
    nearest: float  # cosine similarity of the closest example of that label


class ExampleClassifier:
    """Softmax regression on unit embeddings, plus the nearest example as a sanity signal."""

    def __init__(self, labels: list[str], vectors: np.ndarray, steps: int = 300, rate: float = 2.0) -> None:
        self.classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes)}
        self._examples = vectors
        self._example_labels = np.array([index[label] for label in labels])
        targets = np.eye(len(self.classes), dtype=np.float32)[self._example_labels]
        # Features scaled so that a cosine difference of 0.1 moves a logit noticeably.
        features = vectors * 8.0
        weights = np.zeros((vectors.shape[1], len(self.classes)), dtype=np.float32)
        bias = np.zeros(len(self.classes), dtype=np.float32)
        # Classes with many examples must not win by count alone.
        counts = targets.sum(axis=0)
        balance = (len(labels) / (len(self.classes) * counts))[self._example_labels][:, None]
        for _ in range(steps):
            probabilities = _softmax(features @ weights + bias)
            error = (probabilities - targets) * balance / len(labels)
            weights -= rate * (features.T @ error + 1e-3 * weights)
            bias -= rate * error.sum(axis=0)
        self._weights, self._bias = weights, bias

    def guess(self, vector: np.ndarray, *views: np.ndarray) -> list[Guess]:
        """Every label, most likely first; with other views of the same message (its text with
        role names masked), their probabilities averaged."""
        stacked = np.vstack([vector, *views])
        probabilities = _softmax((stacked * 8.0) @ self._weights + self._bias).mean(axis=0)
        similarities = (self._examples @ stacked.T).max(axis=1)
        nearest = {
            c: float(similarities[self._example_labels == i].max()) for i, c in enumerate(self.classes)
        }
        order = np.argsort(-probabilities)
        return [Guess(self.classes[i], float(probabilities[i]), nearest[self.classes[i]]) for i in order]


def confidence(guesses: Sequence[Guess], label: str) -> float:
    """The probability a reading gives one label (0 when it is not among them)."""
    return next((g.confidence for g in guesses if g.label == label), 0.0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class MeaningModel:
    """The act and frame classifiers, fitted to the example phrasings."""

    def __init__(
        self, embedder: Embedder, path: Path = EXAMPLES, mask: Callable[[str], str] | None = None
    ) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.embedder = embedder
        # Acts are fitted to the examples as the reader sees messages: as written, and with
        # role names masked.
        self.mask = mask or (lambda text: text)
        acts = [(label, text) for label, texts in data["acts"].items() for text in texts]
        masked = [(label, self.mask(text)) for label, text in acts]
        acts += [pair for pair, original in zip(masked, acts, strict=True) if pair != original]
        frames = [(label, text) for label, texts in data["frames"].items() for text in texts]
        vectors = unit_rows(embedder.embed_documents([t for _, t in acts + frames]))
        self.acts = ExampleClassifier([label for label, _ in acts], vectors[: len(acts)])
        self.frames = ExampleClassifier([label for label, _ in frames], vectors[len(acts) :])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return unit_rows(self.embedder.embed_documents(list(texts)))
