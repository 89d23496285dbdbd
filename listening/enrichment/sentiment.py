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
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    SentimentIntensityAnalyzer,
    SentiText,
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


# --- shared: hypothetical clauses and sarcasm ---------------------------------

# A wish or a suggestion is not an opinion about what is there now: "it would
# be great if ...", "zou handig zijn als ...", "wish the app had ..." read as
# positive to a lexicon, but people label them neutral. From one of these
# words to the end of its clause, sentiment words count for nothing, unless a
# negation or "recommend" follows at once ("would not recommend", "would
# recommend"), which is a real verdict.
_HYPOTHETICAL = {
    "en": frozenset(
        {
            "would",
            "wish",
            "wishing",
            "if",
            "it'd",
            "that'd",
            "hope",
            "hoping",
            "hopefully",
            "imagine",
        }
    ),
    "nl": frozenset(
        {"zou", "zouden", "zou't", "wou", "wens", "hoop", "hopelijk", "stel", "mocht"}
    ),
}
_HYPOTHETICAL_EXCEPT = frozenset(
    {
        "not",
        "never",
        "definitely",
        "highly",
        "recommend",
        "niet",
        "nooit",
        "aanraden",
        "zeker",
        "iedereen",
        "het",
    }
)
_HYPOTHETICAL_VERDICT = frozenset({"recommend", "aanraden", "aanbevelen"})

# Markers that turn praise words into their opposite. Kept short on purpose:
# each is sarcastic in nearly every post it appears in.
_SARCASM = re.compile(
    "[\U0001f644\U0001f643]|(?:^|\\s)/s\\b|\\byeah right\\b|\\blove that for me\\b"
    r"|\bthanks for nothing\b|\bthanks a lot\b|\boh (?:great|joy|wonderful|lovely)\b"
    r"|\bbedankt voor (?:niks|niets|nix)\b|\boh (?:leuk|fijn|geweldig|top)\b"
    r"|\b(?:fijn|top|leuk|lekker) hoor\b|\blekker dan\b|\bsure buddy\b"
    r"|\blekker bezig\b",
    re.IGNORECASE,
)


def _hypothetical_mask(
    words: list[str], breaks: list[bool], language: str
) -> list[bool]:
    """For each word: does it stand in a hypothetical clause? ``breaks[i]``
    says that a clause ends after word ``i``."""
    markers = _HYPOTHETICAL[language]
    mask = [False] * len(words)
    active = False
    for i, word in enumerate(words):
        lowered = word.lower().strip(".,;:!?\"'()").replace("\u2019", "'")
        if not active and lowered in markers:
            following = [w.lower().strip(".,;:!?") for w in words[i + 1 : i + 4]]
            verdict = following[:1] != ["you"] and any(
                w in _HYPOTHETICAL_VERDICT for w in following
            )
            if not verdict and (
                not following or following[0] not in _HYPOTHETICAL_EXCEPT
            ):
                active = True
        mask[i] = active
        if breaks[i]:
            active = False
    return mask


def _question_mask(words: list[str], breaks: list[bool]) -> list[bool]:
    """For each word: is it in a clause that ends in a single "?"? Praise
    words in a question are asked about, not meant: "is Vonk a good choice?",
    "welke is het beste?". A "??" or "?!" is often indignant or amazed, and
    negative words in questions are often complaints, so only positive
    valences are muted (by the callers)."""
    mask = [False] * len(words)
    start = 0
    for i, word in enumerate(words):
        if breaks[i] or i == len(words) - 1:
            ending = word.rstrip()
            tail = ending[len(ending.rstrip("?!.")) :]
            if tail == "?":
                for j in range(start, i + 1):
                    mask[j] = True
            start = i + 1
    return mask


def _sarcastic(text: str) -> bool:
    return bool(_SARCASM.search(text))


# --- English: VADER -----------------------------------------------------------


_EN_CLAUSE_END = re.compile(r"[.,;:!?\u2013\u2014]$|^[-\u2013\u2014]$")


class _Vader(SentimentIntensityAnalyzer):
    """VADER with hypothetical clauses muted (see :data:`_HYPOTHETICAL`),
    negations and boosters kept inside their clause, and the phrases of
    ``data/sentiment_en.tsv`` (``self.phrases``, compiled) added.

    ``polarity_scores`` is VADER 3.3.2's, with one step added after the "but"
    check; emoji are already separated by :func:`_english_text`.
    """

    def polarity_scores(self, text):
        text_no_emoji = ""
        prev_space = True
        for char in text:
            if char in self.emojis:
                description = self.emojis[char]
                if not prev_space:
                    text_no_emoji += " "
                text_no_emoji += description
                prev_space = False
            else:
                text_no_emoji += char
                prev_space = char == " "
        text = text_no_emoji.strip()
        whole = SentiText(text)
        # VADER looks three words back for negations and boosters across
        # commas and full stops ("without any fuss. Appreciate it" negates
        # "appreciate"); here each clause is scored on its own, and the "but"
        # rule still runs over the whole text.
        raw = text.split()
        breaks = [bool(_EN_CLAUSE_END.search(token)) for token in raw]
        words, sentiments = [], []
        start = 0
        for end in range(len(raw)):
            if breaks[end] or end == len(raw) - 1:
                clause = SentiText(" ".join(raw[start : end + 1]))
                clause.is_cap_diff = whole.is_cap_diff
                clause_words = clause.words_and_emoticons
                clause_sentiments = []
                for i, item in enumerate(clause_words):
                    lowered = item.lower()
                    if lowered in BOOSTER_DICT or (
                        lowered == "kind"
                        and i < len(clause_words) - 1
                        and clause_words[i + 1].lower() == "of"
                    ):
                        clause_sentiments.append(0)
                        continue
                    clause_sentiments = self.sentiment_valence(
                        0, clause, item, i, clause_sentiments
                    )
                words += clause_words
                sentiments += clause_sentiments
                start = end + 1
        sentiments = self._but_check(words, sentiments)
        lowered = " ".join(raw).lower()
        for phrase, valence in self.phrases.items():
            if phrase.search(lowered):
                # The words of a phrase carry no sentiment of their own.
                for word in phrase.pattern[2:-2].split(" "):
                    for i, token in enumerate(words):
                        if token.lower() == word:
                            sentiments[i] = 0.0
                sentiments.append(valence)
                words.append("")
                raw.append("")
                breaks.append(True)
        if len(raw) == len(words):
            mask = _hypothetical_mask(raw, breaks, "en")
            asked = _question_mask(raw, breaks)
            sentiments = [
                0.0 if m or (q and s > 0) else s
                for s, m, q in zip(sentiments, mask, asked, strict=True)
            ]
        return self.score_valence(sentiments, text)


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    """One analyzer per process: it reads two lexicon files when built.

    Emoji in our table are scored as lexicon tokens instead of through
    VADER's English descriptions, which leave 👍, 👎, 🙏, ❤️ and 😡 at zero.
    ``data/sentiment_en.tsv`` overrides a few words of VADER's lexicon.
    """
    analyzer = _Vader()
    for emoji, valence in _emoji_valences().items():
        analyzer.emojis.pop(emoji, None)
        analyzer.lexicon[emoji] = valence
    analyzer.phrases = {}
    for entry, valence in _data_lines("sentiment_en.tsv"):
        words = entry.lower().split()
        if len(words) > 1:
            pattern = re.compile(r"\b" + " ".join(map(re.escape, words)) + r"\b")
            analyzer.phrases[pattern] = float(valence)
        else:
            analyzer.lexicon[words[0]] = float(valence)
    return analyzer


def _english_text(text: str) -> str:
    """``text`` with each emoji from our table set apart as its own word."""
    table = _emoji_valences()
    text = _EMOJI_DECORATION.sub("", text)
    return "".join(f" {char} " if char in table else char for char in text)


def sentiment_english(text: str) -> Sentiment:
    score = _vader().polarity_scores(_english_text(text))["compound"]
    if score > 0 and _sarcastic(text):
        score = -score
    return _sentiment(score)


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
                    tokens.append(_Token(piece, piece, "break"))
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
    # "Beste Vonk," opens a letter; it is not "best". "Beste aankoop ooit"
    # is: a greeting is followed by a name or a short clause.
    if token.lower == "beste" and _is_clause_start(tokens, i):
        following = _clause_neighbours(tokens, i, 1)
        if (
            not following
            or following[0].text[:1].isupper()
            or (len(following) < 3 and i + len(following) + 1 < len(tokens))
        ):
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
            # A negation is used up by the first sentiment word after it:
            # "zonder gezeur opgelost" negates "gezeur", not "opgelost".
            if any(_is_sentiment_word(t) for t in before[:distance]):
                continue
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
    lowered = [t.lower for t in tokens]
    breaks = [t.kind == "break" for t in tokens]
    mask = _hypothetical_mask(lowered, breaks, "nl")
    asked = _question_mask(lowered, breaks)
    sentiments = [
        0.0 if m or (q and v > 0) else v
        for v, m, q in zip(sentiments, mask, asked, strict=True)
    ]
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
    if total > 0 and _sarcastic(text):
        total = -total
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
