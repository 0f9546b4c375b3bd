"""The model's prompts, as text files in prompts/, loaded once at start."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SYSTEM_PARTS = ("persona.md", "guardrails.md", "plan_presentation.md")


@dataclass(frozen=True)
class Prompts:
    system: str
    condense: str
    digest: str

    @classmethod
    def load(cls, folder: Path) -> Prompts:
        parts = [(folder / name).read_text(encoding="utf-8").strip() for name in SYSTEM_PARTS]
        system = "\n\n".join(parts)
        condense = (folder / "condense.md").read_text(encoding="utf-8").strip()
        digest = hashlib.sha256((system + "\n\n" + condense).encode()).hexdigest()[:12]
        log.info("prompts loaded from %s (sha256 %s)", folder, digest)
        return cls(system=system, condense=condense, digest=digest)

    def leaked_in(self, text: str, secrets: list[str]) -> bool:
        """Does a reply repeat a line of the system prompt or a secret? Then it is not sent."""
        if any(secret and secret in text for secret in secrets):
            return True
        lines = [line.strip() for line in self.system.splitlines() if len(line.strip()) >= 60]
        return any(line[:60] in text for line in lines)
