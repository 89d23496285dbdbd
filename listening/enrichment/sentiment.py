"""Sentiment of a post: a VADER-style compound score in -1..+1 and a label.

English uses VADER (https://github.com/cjhutto/vaderSentiment). Dutch uses a
lexicon scorer in ``data/`` built the way VADER is (Hutto & Gilbert, ICWSM
2014): valences on VADER's -4..+4 scale, degree modifiers (+-0.293), negation
that flips and dampens (x -0.74), "maar" shifting weight to the clause after
it as VADER does for "but", ALL CAPS and exclamation emphasis, emoji and
emoticons, and VADER's normalisation ``score / sqrt(score**2 + 15)``.

Backends are looked up per language in ``SENTIMENT_BACKENDS``; a model-based
backend can replace or add one with ``register_sentiment_backend``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vaderSentiment.vaderSentiment import (
    B_DECR,
    B_INCR,
    C_INCR,
    N_SCALAR,
    SentimentIntensityAnalyzer,
    allcap_differential,
    normalize,
)

# VADER's documented convention for labelling the compound score:
# https://github.com/cjhutto/vaderSentiment#about-the-scoring
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Sentiment:
    score: float
    label: str


NEUTRAL = Sentiment(score=0.0, label="neutral")

SentimentBackend = Callable[[str], Sentiment]


def sentiment_label(score: float) -> str:
    """ "positive", "neutral" or "negative" for a compound score."""
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def _sentiment(score: float) -> Sentiment:
    score = round(max(-1.0, min(1.0, score)), 4)
    return Sentiment(score=score, label=sentiment_label(score))


def _language_code(language: str) -> str:
    return (language or "").strip().lower().replace("_", "-").split("-", 1)[0]


# --- shared: data files, emoji ------------------------------------------------


def _data_lines(name: str) -> Iterator[list[str]]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                yield [field.strip() for field in line.split("\t")]


@lru_cache(maxsize=1)
def _emoji_valences() -> dict[str, float]:
    return {emoji: float(value) for emoji, value in _data_lines("emoji.tsv")}


# Variation selectors, skin tones and zero-width joiners only change how an
# emoji looks; dropping them lets "❤️", "👍🏽" and "🤦‍♀️" match the table.
_EMOJI_DECORATION = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\u200d]")


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So"


# --- English: VADER -----------------------------------------------------------


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    """One analyzer per process: it reads two lexicon files when built.

    Emoji in our table are scored as lexicon tokens instead of through
    VADER's English descriptions, which leave 👍, 👎, 🙏, ❤️ and 😡 at zero.
    """
    analyzer = SentimentIntensityAnalyzer()
    for emoji, valence in _emoji_valences().items():
        analyzer.emojis.pop(emoji, None)
        analyzer.lexicon[emoji] = valence
    return analyzer


def _english_text(text: str) -> str:
    """``text`` with each emoji from our table set apart as its own word."""
    table = _emoji_valences()
    text = _EMOJI_DECORATION.sub("", text)
    return "".join(f" {char} " if char in table else char for char in text)


def sentiment_english(text: str) -> Sentiment:
    return _sentiment(_vader().polarity_scores(_english_text(text))["compound"])


# --- Dutch: lexicon scorer ----------------------------------------------------


@dataclass(frozen=True)
class _DutchResources:
    lexicon: dict[str, float]
    phrases: dict[tuple[str, ...], float]
    longest_phrase: int
    negators: frozenset[str]
    modifiers: dict[str, float]
    negatable: dict[str, float]
    emoticons: dict[str, float]


@lru_cache(maxsize=1)
def _dutch() -> _DutchResources:
    lexicon: dict[str, float] = {}
    phrases: dict[tuple[str, ...], float] = {}
    for entry, value in _data_lines("sentiment_nl.tsv"):
        words = tuple(entry.lower().split())
        if len(words) > 1:
            phrases[words] = float(value)
        else:
            lexicon[words[0]] = float(value)
    modifiers = {
        word: B_INCR if kind == "incr" else B_DECR
        for word, kind in _data_lines("modifiers_nl.tsv")
    }
    # Emoticons come from VADER's own lexicon (":)", ":-(", "<3", ...).
    emoticons = {
        token: valence
        for token, valence in _vader().lexicon.items()
        if token in ("<3", "</3")
        or (len(token) >= 2 and any(c in ":;=" for c in token))
    }
    return _DutchResources(
        lexicon=lexicon,
        phrases=phrases,
        longest_phrase=max((len(p) for p in phrases), default=1),
        negators=frozenset(word for (word,) in _data_lines("negators_nl.txt")),
        modifiers=modifiers,
        negatable={w: float(v) for w, v in _data_lines("negatable_nl.tsv")},
        emoticons=emoticons,
    )


# Adjective, comparative, superlative and plural endings, longest first.
_SUFFIXES = ("ere", "ste", "st", "er", "en", "e", "s")
_VOWELS = "aeiou"
# Intensifying prefixes written as one word: "supersnel", "keigoed".
_INTENSIFYING_PREFIXES = ("super", "mega", "hyper", "ultra", "reuze", "kei", "bere")
_ELONGATION = re.compile(r"(\w)\1{2,}")


def _stems(stem: str) -> Iterator[str]:
    """Spelling variants of a stem whose ending was removed: "snell" → "snel",
    "boz" → "bos" → "boos", "trag" → "traag", "lev" → "lef"."""
    yield stem
    if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
        yield stem[:-1]
    last = {"z": "s", "v": "f"}.get(stem[-1], stem[-1])
    base = stem[:-1] + last
    if base != stem:
        yield base
    # Open syllables lose a vowel letter: "problemen" ← "probleem".
    if (
        len(base) >= 3
        and base[-1] not in _VOWELS
        and base[-2] in _VOWELS
        and base[-3] not in _VOWELS
    ):
        yield base[:-1] + base[-2] + base[-1]


@lru_cache(maxsize=8192)
def _dutch_valence(word: str) -> float | None:
    """Valence of a lowercase word: directly, by a regular inflection, as the
    head of a compound ("stroomstoring"), or after an intensifying prefix."""
    lexicon = _dutch().lexicon
    candidates = [word]
    collapsed = _ELONGATION.sub(r"\1\1", word)
    if collapsed != word:
        candidates += [collapsed, _ELONGATION.sub(r"\1", word)]
    for candidate in candidates:
        if candidate in lexicon:
            return lexicon[candidate]
    forms = list(candidates)
    for candidate in candidates:
        for suffix in _SUFFIXES:
            if candidate.endswith(suffix) and len(candidate) - len(suffix) >= 3:
                forms.extend(_stems(candidate[: -len(suffix)]))
    for form in forms:
        if form in lexicon:
            return lexicon[form]
    for form in forms:
        # Compound heads: a prefix of at least four letters keeps "on-",
        # "ver-" and "be-" words, whose meaning differs, out of this rule.
        for start in range(4, len(form) - 4):
            head = form[start:]
            if head in lexicon and len(head) >= 5 and lexicon[head]:
                return lexicon[head]
    for prefix in _INTENSIFYING_PREFIXES:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 3:
            valence = _dutch_valence(rest)
            if valence:
                return valence + math.copysign(B_INCR, valence)
    return None


@dataclass(frozen=True)
class _Token:
    text: str  # as written, for the ALL CAPS check
    lower: str
    kind: str  # "word", "emoji" (also emoticons) or "break" (end of a clause)
    valence: float = 0.0


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@[\w.]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|[.,;:!?]+|\S", re.UNICODE)
_CLAUSE_BREAK = re.compile(r"[.,;:!?]+")
_BREAK = _Token("", "", "break")
# "maar" as a particle, not as "but": "alleen maar", "maar liefst", "doe maar".
_MAAR_PARTICLE_BEFORE = frozenset(
    {"alleen", "nog", "slechts", "even", "gewoon", "doe", "zeg", "kom", "ga"}
)
_MAAR_PARTICLE_AFTER = frozenset({"liefst", "even", "eens", "raak", "door", "zo"})


def _dutch_tokens(text: str) -> list[_Token]:
    resources = _dutch()
    text = _HANDLE.sub(" ", _URL.sub(" ", text))
    text = _EMOJI_DECORATION.sub("", text)
    emoji_table = _emoji_valences()
    tokens: list[_Token] = []
    for chunk in text.split():
        stripped = chunk.rstrip(".,!?")
        for candidate in (chunk, stripped):
            if candidate in resources.emoticons:
                valence = resources.emoticons[candidate]
                tokens.append(_Token(candidate, candidate, "emoji", valence))
                break
        else:
            for piece in _WORD.findall(chunk):
                if _CLAUSE_BREAK.fullmatch(piece):
                    tokens.append(_BREAK)
                elif piece in emoji_table:
                    valence = emoji_table[piece]
                    tokens.append(_Token(piece, piece, "emoji", valence))
                elif piece[0].isalpha():
                    tokens.append(_Token(piece, piece.lower(), "word"))
                elif _is_emoji(piece):
                    tokens.append(_Token(piece, piece, "emoji"))
    return _merge_phrases(tokens)


def _merge_phrases(tokens: list[_Token]) -> list[_Token]:
    """Lexicon phrases become one token, longest match first."""
    resources = _dutch()
    merged: list[_Token] = []
    i = 0
    while i < len(tokens):
        for size in range(min(resources.longest_phrase, len(tokens) - i), 1, -1):
            window = tokens[i : i + size]
            if any(t.kind != "word" for t in window):
                continue
            key = tuple(t.lower for t in window)
            if key in resources.phrases:
                text = " ".join(t.text for t in window)
                merged.append(_Token(text, " ".join(key), "word"))
                i += size
                break
        else:
            merged.append(tokens[i])
            i += 1
    return merged


def _clause_neighbours(tokens: list[_Token], i: int, step: int) -> list[_Token]:
    """Up to three tokens before (step -1) or after (step 1) ``i``, stopping
    at the end of the clause."""
    found = []
    j = i + step
    while 0 <= j < len(tokens) and len(found) < 3 and tokens[j].kind != "break":
        found.append(tokens[j])
        j += step
    return found


def _phrase_valence(lower: str) -> float | None:
    words = tuple(lower.split())
    if len(words) > 1:
        return _dutch().phrases.get(words)
    return _dutch_valence(lower)


def _is_sentiment_word(token: _Token) -> bool:
    if token.kind == "emoji":
        return False
    resources = _dutch()
    if token.lower in resources.modifiers and token.lower not in resources.lexicon:
        return False
    return bool(_phrase_valence(token.lower))


def _acts_as_modifier(tokens: list[_Token], i: int) -> bool:
    """Modifiers that are lexicon words too ("super", "vreselijk") modify when
    a sentiment word follows within two words: "vreselijk traag", "best wel
    goed"; on their own they carry their valence: "Echt super!"."""
    token = tokens[i]
    resources = _dutch()
    if token.lower not in resources.modifiers:
        return False
    if token.lower not in resources.lexicon:
        return True
    following = _clause_neighbours(tokens, i, 1)[:2]
    return any(_is_sentiment_word(t) for t in following)


def _is_clause_start(tokens: list[_Token], i: int) -> bool:
    return i == 0 or tokens[i - 1].kind == "break"


def _word_valence(tokens: list[_Token], i: int, is_cap_diff: bool) -> float:
    resources = _dutch()
    token = tokens[i]
    if _acts_as_modifier(tokens, i):
        return 0.0
    # "Beste Vonk," opens a letter; it is not "best".
    if token.lower == "beste" and _is_clause_start(tokens, i):
        return 0.0
    before = _clause_neighbours(tokens, i, -1)
    if token.lower in resources.negatable:
        after = _clause_neighbours(tokens, i, 1)
        if any(t.lower in resources.negators for t in before + after):
            return resources.negatable[token.lower]
        return 0.0
    valence = _phrase_valence(token.lower)
    if not valence:
        return 0.0
    if is_cap_diff and token.text.isupper() and len(token.text) > 1:
        valence += math.copysign(C_INCR, valence)
    # VADER's scalar_inc_dec and _negation_check over the three words before.
    for distance, neighbour in enumerate(before):
        if neighbour.lower in resources.modifiers and _acts_as_modifier(
            tokens, i - distance - 1
        ):
            # VADER's scalar_inc_dec: a booster pushes away from zero, a
            # dampener towards it, whatever the sign of the valence.
            scalar = resources.modifiers[neighbour.lower] * (1 if valence > 0 else -1)
            if is_cap_diff and neighbour.text.isupper():
                scalar += math.copysign(C_INCR, valence)
            valence += scalar * (1.0, 0.95, 0.9)[distance]
        if neighbour.lower in resources.negators:
            # VADER's "never so good": "nog nooit zo snel" praises.
            if (
                neighbour.lower == "nooit"
                and distance
                and before[distance - 1].lower
                in (
                    "zo",
                    "zó",
                )
            ):
                valence *= 1.25
            else:
                valence *= N_SCALAR
    return valence


def _maar_index(tokens: list[_Token]) -> int | None:
    for i, token in enumerate(tokens):
        if token.lower != "maar":
            continue
        previous = tokens[i - 1].lower if i > 0 else ""
        following = tokens[i + 1].lower if i + 1 < len(tokens) else ""
        if previous in _MAAR_PARTICLE_BEFORE or following in _MAAR_PARTICLE_AFTER:
            continue
        if i + 1 < len(tokens):
            return i
    return None


def _punctuation_emphasis(text: str) -> float:
    """VADER's _punctuation_emphasis: up to four "!" and a run of "?"."""
    emphasis = min(text.count("!"), 4) * 0.292
    questions = text.count("?")
    if questions > 1:
        emphasis += questions * 0.18 if questions <= 3 else 0.96
    return emphasis


def sentiment_dutch(text: str) -> Sentiment:
    tokens = _dutch_tokens(text)
    words = [t.text for t in tokens if t.kind == "word"]
    is_cap_diff = allcap_differential(words)
    sentiments = []
    for i, token in enumerate(tokens):
        if token.kind == "emoji":
            sentiments.append(token.valence)
        elif token.kind == "word":
            sentiments.append(_word_valence(tokens, i, is_cap_diff))
        else:
            sentiments.append(0.0)
    maar = _maar_index(tokens)
    if maar is not None:
        sentiments = [
            value * (0.5 if i < maar else 1.5 if i > maar else 1.0)
            for i, value in enumerate(sentiments)
        ]
    total = sum(sentiments)
    if total == 0:
        return NEUTRAL
    total += math.copysign(_punctuation_emphasis(text), total)
    return _sentiment(normalize(total))


# --- registry -----------------------------------------------------------------

SENTIMENT_BACKENDS: dict[str, SentimentBackend] = {
    "en": sentiment_english,
    "nl": sentiment_dutch,
}


def register_sentiment_backend(language: str, backend: SentimentBackend) -> None:
    """Use ``backend`` for ``language`` (an ISO 639-1 code such as "nl")."""
    code = _language_code(language)
    if not code:
        raise ValueError("A sentiment backend needs a language code.")
    SENTIMENT_BACKENDS[code] = backend


def sentiment_analyse(text: str, *, language: str) -> Sentiment:
    """Sentiment of ``text`` in ``language``; neutral for empty text and for a
    language without a backend."""
    if not text or not text.strip():
        return NEUTRAL
    backend = SENTIMENT_BACKENDS.get(_language_code(language))
    if backend is None:
        return NEUTRAL
    return backend(text)
