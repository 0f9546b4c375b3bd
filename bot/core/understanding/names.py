"""Every name a document or occupation goes by, found as a phrase in free text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.text import fold

# Generic heads that a three-word title may drop: "call centre" names "call centre agent".
PERSON_WORDS = {
    "worker", "driver", "clerk", "agent", "operator", "representative", "specialist", "assistant",
    "analyst", "designer", "engineer", "manager", "officer", "rep", "writer", "creator", "keyer",
    "operative", "associate", "advisor", "adviser", "executive", "consultant", "developer",
}  # fmt: skip


# Two capitals in a title's place: opening a clause, or after "a", "an", "as", "am", "I'm".
TITLE_INITIALS = re.compile(
    r"(?:^|[,.;:!?(]\s*|\b(?:[Aa]n?|[Aa][sm]|[Ii]['’]?m)\s+)([A-Z]{2})(?![\w'’])", re.MULTILINE
)


def _words(text: str) -> list[str]:
    return fold(text).split()


def _stem(words: Sequence[str]) -> list[str]:
    from bot.core.text import _stemmer

    return _stemmer().stemWords(list(words))


class NameIndex:
    """Every name a document goes by, for phrase matching in free text.

    Names of several words match on stems ("graphic designers" finds "graphic designer");
    one-word names match the word itself or its plural only, because stemming a one-word
    title turns it into a common word ("reporter" into "report").
    """

    def __init__(self, names: dict[str, list[str]], heads: bool = True) -> None:
        self.names = names
        self._phrases: dict[tuple[str, ...], str] = {}
        self._words: dict[str, str] = {}
        self._initials: dict[str, list[str]] = {}
        for doc_id, doc_names in names.items():
            for name in doc_names:
                words = _words(name)
                if len(words) >= 2:
                    self._phrases.setdefault(tuple(_stem(words)), doc_id)
                elif words and len(words[0]) >= 3:
                    self._words.setdefault(words[0], doc_id)
                    self._words.setdefault(words[0] + "s", doc_id)
                elif words:  # "rn", "pa": common words in lower case; see `initials_in`
                    self._initials.setdefault(words[0], []).append(doc_id)
        # "call centre" from "call centre agent", "assembly line" from "assembly line worker":
        # people name the work more often than the title. Full names registered first win.
        for doc_id, doc_names in names.items() if heads else ():
            for name in doc_names:
                words = _words(name)
                if len(words) >= 3 and words[-1] in PERSON_WORDS:
                    self._phrases.setdefault(tuple(_stem(words[:-1])), doc_id)
        self._longest = max((len(p) for p in self._phrases), default=1)

    def initials_in(self, text: str) -> list[str]:
        """Documents named by two-letter initials written as a title: in capitals, opening a
        clause or after "a", "an", "as", "i'm" ("RN on a med surg floor", "I'm an MA"). In
        lower case or elsewhere they are other words ("rn" for right now, "3 PM")."""
        found: list[str] = []
        for initials in TITLE_INITIALS.findall(text):
            found += [d for d in self._initials.get(initials.lower(), []) if d not in found]
        return found

    def find(self, words: Sequence[str], stems: Sequence[str]) -> list[tuple[str, int, int]]:
        """Longest non-overlapping matches as (doc id, start, end)."""
        found: list[tuple[str, int, int]] = []
        i = 0
        while i < len(stems):
            for size in range(min(self._longest, len(stems) - i), 1, -1):
                doc_id = self._phrases.get(tuple(stems[i : i + size]))
                if doc_id is not None:
                    found.append((doc_id, i, i + size))
                    i += size
                    break
            else:
                doc_id = self._words.get(words[i])
                if doc_id is not None:
                    found.append((doc_id, i, i + 1))
                i += 1
        return found
