"""Text normalisation shared by retrieval and profiling."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"[a-z0-9]+(?:[+#]+)?")

# Common English words that carry no topic. Kept short on purpose: "work", "learn", "data"
# and "ai" are meaningful here.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i i'd i'll i'm
    i've if in into is it it's its itself just let me more most my myself no nor not now of off
    on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves also im ive id dont really actually maybe please thanks hi hello hey
    s t don doesn didn isn aren wasn weren""".split()
)


def fold(text: str) -> str:
    """Lower case, accents folded, punctuation to spaces: for matching names in free text."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("’", "'").replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9+#]+", text))


@lru_cache(maxsize=1)
def _stemmer():  # PyStemmer has no type hints
    import Stemmer

    return Stemmer.Stemmer("english")


def tokens(text: str) -> list[str]:
    """Stemmed content words for keyword search."""
    words = [w for w in WORD.findall(fold(text)) if w not in STOPWORDS]
    return _stemmer().stemWords(words)
