"""Is a post about something sensitive (illness, death, grief, suicide, debt
collection, divorce, …)? Then nobody should be invited from it.

A pure function over the text: words and phrases in English and Dutch,
matched on whole words after NFKC and case folding. Stems end in "*" and match
any ending ("overl*" matches "overleden" and "overlijden").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# topic -> terms; a term ending in "*" is a prefix.
SENSITIVE_TERMS: dict[str, tuple[str, ...]] = {
    "illness": (
        "cancer",
        "chemo*",
        "tumour*",
        "tumor*",
        "terminally ill",
        "diagnosed",
        "hospitali*",
        "in hospital",
        "intensive care",
        "hospice",
        "ziek",
        "zieke",
        "ziekte*",
        "kanker",
        "ziekenhuis*",
        "chemokuur",
        "diagnose",
        "terminaal",
        "hospitium",
    ),
    "death": (
        "died",
        "dying",
        "death",
        "passed away",
        "funeral*",
        "deceased",
        "overl*",
        "gestorven",
        "sterft",
        "sterven",
        "dood",
        "begrafenis*",
        "crematie*",
        "uitvaart*",
    ),
    "grief": (
        "grief",
        "grieving",
        "mourning",
        "mourn*",
        "bereave*",
        "condolence*",
        "rouw*",
        "verdriet*",
        "condoleance*",
        "gecondoleerd",
    ),
    "suicide": (
        "suicide*",
        "suicidal",
        "kill myself",
        "end my life",
        "self-harm",
        "self harm",
        "zelfmoord*",
        "suïcid*",
        "suicid*",
        "zelfdoding",
        "mezelf van kant",
        "einde aan mijn leven",
    ),
    "debt": (
        "debt collect*",
        "debt collector*",
        "bailiff*",
        "bankrupt*",
        "repossess*",
        "incasso*",
        "deurwaarder*",
        "schuldhulp*",
        "schuldsanering",
        "failliet*",
        "beslaglegging",
    ),
    "divorce": (
        "divorce*",
        "separated from",
        "custody battle",
        "scheiding",
        "gescheiden",
        "echtscheiding*",
        "voogdij*",
    ),
    "abuse": (
        "abuse*",
        "abused",
        "assault*",
        "raped",
        "rape",
        "domestic violence",
        "mishandel*",
        "misbruik*",
        "verkracht*",
        "huiselijk geweld",
    ),
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _compile(terms) -> re.Pattern[str] | None:
    parts = []
    for term in terms:
        prefix = term.endswith("*")
        words = _fold(term.rstrip("*")).split()
        if not words:
            continue
        body = r"\s+".join(re.escape(w) for w in words)
        parts.append(body + (r"\w*" if prefix else ""))
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((topic, _compile(terms)) for topic, terms in SENSITIVE_TERMS.items())


@lru_cache(maxsize=32)
def _extra_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    return _compile(terms)


def sensitive_topics(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The sensitive topics this text touches, in SENSITIVE_TERMS order, and
    "custom" when one of the `extra` terms (site settings) matches."""
    folded = _fold(text)
    found = [topic for topic, pattern in _patterns() if pattern.search(folded)]
    custom = _extra_pattern(tuple(extra)) if extra else None
    if custom is not None and custom.search(folded):
        found.append("custom")
    return found


def is_sensitive(text: str) -> bool:
    return bool(sensitive_topics(text))
