"""The language a message is written in, by a maintained detector (lingua)."""

from __future__ import annotations

import threading
from functools import cached_property

LANGUAGES = (
    "ENGLISH", "SPANISH", "FRENCH", "GERMAN", "PORTUGUESE", "ITALIAN", "DUTCH", "POLISH", "TURKISH",
    "RUSSIAN", "UKRAINIAN", "ARABIC", "HINDI", "CHINESE", "JAPANESE", "KOREAN", "VIETNAMESE",
    "INDONESIAN", "SWEDISH", "ROMANIAN",
)  # fmt: skip
NAMES = {"es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian",
         "nl": "Dutch", "pl": "Polish", "tr": "Turkish", "ru": "Russian", "uk": "Ukrainian",
         "ar": "Arabic", "hi": "Hindi", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
         "vi": "Vietnamese", "id": "Indonesian", "sv": "Swedish", "ro": "Romanian",
         "en": "English"}  # fmt: skip
# Short English chat ("ok cool", "idk") is easily taken for another language: below this
# confidence, or with fewer words, a message counts as English.
MIN_CONFIDENCE = 0.6
MIN_WORDS = 3


class LanguageDetector:
    """Lazy: the detector's models load on the first message that needs them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @cached_property
    def _detector(self):  # lingua has no type hints
        from lingua import Language, LanguageDetectorBuilder

        with self._lock:
            return LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in LANGUAGES)).build()

    def detect(self, text: str) -> str:
        """An ISO 639-1 code; 'en' when unsure."""
        if len([w for w in text.split() if any(c.isalpha() for c in w)]) < MIN_WORDS and text.isascii():
            return "en"
        try:
            values = self._detector.compute_language_confidence_values(text)
        except Exception:  # a detector failure must never stop an answer
            return "en"
        if not values:
            return "en"
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        return code if code != "en" and best.value >= MIN_CONFIDENCE else "en"


def language_name(code: str) -> str:
    return NAMES.get(code, code)
