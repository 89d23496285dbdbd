"""Language detection with lingua, restricted to the languages we enrich.

Restricting lingua to the configured languages (default English and Dutch)
makes it both faster and more accurate on short posts than an open-ended
detector: https://github.com/pemistahl/lingua-py#restricting-the-set-of-languages
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

# Below this confidence the answer is "" (unknown). lingua normalises the
# confidence values over the allowed languages, so with two languages 0.5 is a
# coin toss. Calibrated on the dev split of the labelled set
# (tests/data/listening/labelled/dev.jsonl; docs/subsystems/enrichment.md):
# 0.8 left 6% of short English posts unknown; 0.7 gave the best language
# macro-F1 (0.760 against 0.748) while still turning away some off-language
# posts; lower thresholds took more German and French for English or Dutch.
MIN_CONFIDENCE = 0.7

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@[\w.]+")
_HASHTAG_SIGN = re.compile(r"(?<!\w)#(?=\w)")
_WHITESPACE = re.compile(r"\s+")
# Symbols (emoji, dingbats), their modifiers and joiners, and unassigned or
# private-use code points carry no language.
_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cf"})


def language_text_clean(text: str) -> str:
    """``text`` without URLs, @handles, emoji and the "#" of hashtags."""
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _HASHTAG_SIGN.sub("", text)
    text = "".join(
        ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    return _WHITESPACE.sub(" ", text).strip()


def _iso_codes(languages: Sequence[str]) -> tuple[str, ...]:
    """Normalised, sorted, unique ISO 639-1 codes; ValueError for unknown ones."""
    if isinstance(languages, str):
        languages = (languages,)
    codes = set()
    for language in languages:
        code = language.strip().lower().replace("_", "-").split("-", 1)[0]
        try:
            IsoCode639_1.from_str(code)
        except ValueError:
            raise ValueError(
                f"Unknown or unsupported ISO 639-1 language code: {language!r}"
            ) from None
        codes.add(code)
    if not codes:
        raise ValueError("At least one language code is needed.")
    return tuple(sorted(codes))


@lru_cache(maxsize=16)
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    # Lazy loading, not `with_preloaded_language_models()`: the same models
    # and answers, but for en+nl (lingua 2.1.1, measured with ru_maxrss) the
    # preload peaks at ~125 MB while it builds (~63 MB after), the lazy load
    # at ~96 MB. The peak is what decides whether a 1M-row import stays
    # under 300 MB (docs/performance.md, Listening).
    return LanguageDetectorBuilder.from_iso_codes_639_1(
        *(IsoCode639_1.from_str(code) for code in codes)
    ).build()


def language_detect(
    text: str, *, languages: Sequence[str] = ("en", "nl"), min_chars: int = 12
) -> tuple[str, float]:
    """The most likely language of ``text`` and lingua's confidence in it.

    Returns ``("", 0.0)`` when the cleaned text has fewer than ``min_chars``
    letters, or when the confidence is below :data:`MIN_CONFIDENCE`. Codes in
    ``languages`` may carry a region ("nl-BE"); only the primary subtag counts.
    """
    detector = _detector(_iso_codes(languages))
    cleaned = language_text_clean(text)
    if sum(ch.isalpha() for ch in cleaned) < min_chars:
        return "", 0.0
    values = detector.compute_language_confidence_values(cleaned)
    if not values:
        return "", 0.0
    best = values[0]
    confidence = float(best.value)
    if confidence < MIN_CONFIDENCE:
        return "", 0.0
    return best.language.iso_code_639_1.name.lower(), confidence
