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


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = []
    for topic, terms in SENSITIVE_TERMS.items():
        parts = []
        for term in terms:
            prefix = term.endswith("*")
            words = _fold(term.rstrip("*")).split()
            body = r"\s+".join(re.escape(w) for w in words)
            parts.append(body + (r"\w*" if prefix else ""))
        pattern = r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)"
        compiled.append((topic, re.compile(pattern)))
    return tuple(compiled)


def sensitive_topics(text: str) -> list[str]:
    """The sensitive topics this text touches, in SENSITIVE_TERMS order."""
    folded = _fold(text)
    return [topic for topic, pattern in _patterns() if pattern.search(folded)]


def is_sensitive(text: str) -> bool:
    return bool(sensitive_topics(text))
