"""Tracker queries: which trackers a mention's text matches.

Matching rules:

* Text and terms are compared after :func:`text_fold`: Unicode NFKD, combining
  marks dropped and case folded, so "Énergie" matches "energie".
* A term matches a whole word only. "vonk" matches "Vonk!", "#vonk", "@vonk"
  and "Vonk's" (the apostrophe ends the word) but not "vonken" or "@vonk_nl"
  (the underscore belongs to the handle). A trailing "*" makes the last word a
  prefix: "zonnepane*" matches "zonnepanelen".
* A term written as "#vonk" or "@vonk" matches only that hashtag or handle.
* Phrases (and terms of several words) match as an exact word sequence; any
  punctuation or whitespace between the words is ignored, so "slimme meter"
  matches "slimme-meter" and "Slimme, meter" but not "slimmemeter".
* A query matches when (no any-terms or one matches) and every all-term
  matches and no none-term matches and (no phrases or one matches). A query
  with no positive terms (any, all, phrases) matches nothing.
* The language filter compares primary subtags ("nl-BE" counts as "nl"), the
  source filter compares kinds case-insensitively. A mention whose language
  or kind is unknown ("") does not pass a filter that is set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# Combining marks left behind by NFKD in Latin, Greek and Cyrillic text; a
# regex pass is several times faster than unicodedata.combining() per char.
_COMBINING_MARKS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
# A word of a term or phrase: optional hashtag/handle sigil, the word, and an
# optional "*" that turns the word into a prefix.
_TERM_WORD = re.compile(r"([#@]?)(\w+)(\*?)")


def text_fold(text: str) -> str:
    """Lowercase ``text`` and fold accents, so "Énergie" and "energie" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return _COMBINING_MARKS.sub("", decomposed).casefold()


def _term_pattern(term: str) -> str | None:
    """The regex source for one term or phrase, or None if it has no words."""
    words = _TERM_WORD.findall(text_fold(term))
    if not words:
        return None
    parts = []
    for sigil, word, star in words:
        parts.append(re.escape(sigil + word) + (r"\w*" if star else ""))
    # Lookarounds rather than \b: \b sits between "#" and "v", so it cannot
    # tell "#vonk" from "x#vonk", and it would need care around the sigils.
    end = "" if words[-1][2] else r"(?!\w)"
    return r"(?<!\w)" + r"[\W_]+".join(parts) + end


def _compile_any(terms: Iterable[str]) -> re.Pattern[str] | None:
    sources = [p for p in (_term_pattern(t) for t in terms) if p]
    if not sources:
        return None
    return re.compile("|".join(f"(?:{s})" for s in sources))


def _primary_subtag(code: str) -> str:
    return code.strip().lower().replace("_", "-").split("-", 1)[0]


@dataclass(frozen=True)
class TrackerQuery:
    """One tracker's query, compiled once when the query is built."""

    tracker_id: int | None
    any_terms: tuple[str, ...] = ()
    all_terms: tuple[str, ...] = ()
    none_terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # empty = any
    source_kinds: tuple[str, ...] = ()  # empty = any

    _any: re.Pattern[str] | None = field(
        init=False, repr=False, compare=False, default=None
    )
    _all: tuple[re.Pattern[str], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _none: re.Pattern[str] | None = field(
        init=False, repr=False, compare=False, default=None
    )
    _phrases: re.Pattern[str] | None = field(
        init=False, repr=False, compare=False, default=None
    )
    _languages: frozenset[str] = field(
        init=False, repr=False, compare=False, default=frozenset()
    )
    _source_kinds: frozenset[str] = field(
        init=False, repr=False, compare=False, default=frozenset()
    )
    _has_positive: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        # Callers often pass lists straight from a JSONField; keep the
        # dataclass hashable and immutable by storing tuples.
        for name in (
            "any_terms",
            "all_terms",
            "none_terms",
            "phrases",
            "languages",
            "source_kinds",
        ):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))

        all_patterns = []
        for term in self.all_terms:
            source = _term_pattern(term)
            if source:
                all_patterns.append(re.compile(source))
        any_pattern = _compile_any(self.any_terms)
        phrase_pattern = _compile_any(self.phrases)

        set_ = object.__setattr__
        set_(self, "_any", any_pattern)
        set_(self, "_all", tuple(all_patterns))
        set_(self, "_none", _compile_any(self.none_terms))
        set_(self, "_phrases", phrase_pattern)
        set_(
            self,
            "_languages",
            frozenset(_primary_subtag(c) for c in self.languages if c.strip()),
        )
        set_(
            self,
            "_source_kinds",
            frozenset(k.strip().lower() for k in self.source_kinds if k.strip()),
        )
        set_(
            self,
            "_has_positive",
            bool(any_pattern or all_patterns or phrase_pattern),
        )

    def matches(self, text: str, *, language: str = "", source_kind: str = "") -> bool:
        """Whether a mention with this text, language and source kind matches."""
        return self._matches_folded(
            text_fold(text), language=language, source_kind=source_kind
        )

    def _matches_folded(self, folded: str, *, language: str, source_kind: str) -> bool:
        if not self._has_positive:
            return False
        if self._languages and _primary_subtag(language) not in self._languages:
            return False
        if self._source_kinds and source_kind.strip().lower() not in self._source_kinds:
            return False
        if self._any is not None and not self._any.search(folded):
            return False
        if self._phrases is not None and not self._phrases.search(folded):
            return False
        if not all(p.search(folded) for p in self._all):
            return False
        return self._none is None or not self._none.search(folded)


def trackers_matching(
    queries: Iterable[TrackerQuery],
    text: str,
    *,
    language: str = "",
    source_kind: str = "",
) -> list[int]:
    """The ids of the trackers whose query matches, in query order.

    The text is folded once for all queries. Queries without a tracker id
    (previews of an unsaved tracker) are skipped.
    """
    folded = text_fold(text)
    matched: list[int] = []
    for query in queries:
        if query.tracker_id is None or query.tracker_id in matched:
            continue
        if query._matches_folded(folded, language=language, source_kind=source_kind):
            matched.append(query.tracker_id)
    return matched
