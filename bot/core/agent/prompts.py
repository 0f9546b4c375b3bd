"""The model's prompts, as text files in prompts/, loaded once at start."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

log = logging.getLogger(__name__)

SYSTEM_PARTS = ("persona.md", "guardrails.md", "plan_presentation.md")


def _plain(text: str) -> str:
    """Compatibility forms folded, invisible characters dropped, case and spacing ignored: an
    upper-cased or zero-width-spaced copy of the prompt is still the prompt."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Prompts:
    system: str
    condense: str

    @classmethod
    def load(cls, folder: Path) -> Prompts:
        parts = [(folder / name).read_text(encoding="utf-8").strip() for name in SYSTEM_PARTS]
        system = "\n\n".join(parts)
        condense = (folder / "condense.md").read_text(encoding="utf-8").strip()
        digest = hashlib.sha256((system + "\n\n" + condense).encode()).hexdigest()[:12]
        log.info("prompts loaded from %s (sha256 %s)", folder, digest)
        return cls(system=system, condense=condense)

    def leaked_in(self, text: str, secrets: list[str]) -> bool:
        """Does a reply repeat a line of the system prompt or a secret? Then it is not sent."""
        if any(secret and secret in text for secret in secrets):
            return True
        plain = _plain(text)
        return any(fragment in plain for fragment in self._fragments)

    @cached_property
    def _fragments(self) -> list[str]:
        """40-character pieces of every long line of the system prompt, normalised."""
        lines = [_plain(line) for line in self.system.splitlines() if len(line.strip()) >= 60]
        return [line[i : i + 40] for line in lines for i in range(0, len(line) - 39, 20)]
