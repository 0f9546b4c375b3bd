"""CoachError and its kinds. Each carries a message fit to show a user as it is."""

from __future__ import annotations

from dataclasses import dataclass


class CoachError(Exception):
    """An expected failure with a message a user or operator can act on."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one knowledge file."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class KnowledgeValidationError(CoachError):
    kind = "invalid_knowledge"

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the knowledge files")
        self.problems = problems


class KnowledgeDirMissing(CoachError):
    kind = "knowledge_missing"


class IndexUnavailable(CoachError):
    """The vector store cannot be reached (a Chroma server that is down, say)."""

    kind = "index_unavailable"


class IndexNotBuilt(CoachError):
    kind = "index_missing"


class EmbeddingError(CoachError):
    kind = "embedding"


class ReloadInProgress(CoachError):
    kind = "reload_busy"


class InvalidInput(CoachError):
    """Input refused before any work was done: empty, too long, unreadable."""

    kind = "invalid_input"


class MemoryUnavailable(CoachError):
    """The profile database cannot be reached (a PostgreSQL server that is down, say)."""

    kind = "memory_unavailable"
