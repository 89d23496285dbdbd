"""Remove personal data from text before it is shown in public.

Pure Python: patterns in, redacted text and counts out. The set of patterns
can be extended with `register_pattern` (in an AppConfig.ready) or with the
REDACTION_EXTRA_PATTERNS setting, a list of "name=regex" strings.
"""

import re
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern
    placeholder: str
    check: object = None  # optional callable(match_text) -> bool


def _iban_valid(text: str) -> bool:
    """ISO 13616 mod-97 check, so ordinary long numbers are left alone."""
    compact = re.sub(r"\s", "", text).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


_patterns: list[Pattern] = [
    Pattern(
        "email",
        re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE),
        "[email removed]",
    ),
    Pattern(
        "iban",
        re.compile(
            r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b",
            re.IGNORECASE,
        ),
        "[IBAN removed]",
        _iban_valid,
    ),
    Pattern(
        "order_number",
        re.compile(
            r"(?i)\b(?:order|bestelling|ordernummer|klantnummer|customer)"
            r"(?:\s*(?:nr\.?|no\.?|number|nummer|id))?\s*[:#]?\s*[A-Z0-9][A-Z0-9-]{4,}\b"
        ),
        "[order number removed]",
    ),
    Pattern(
        "phone",
        # +31 6 12345678, 06-12345678, 020 123 4567, (020) 1234567, +44 20 …
        re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().-]{7,}\d(?!\w)"),
        "[phone number removed]",
        lambda text: 9 <= len(re.sub(r"\D", "", text)) <= 15,
    ),
]


def register_pattern(
    name: str, regex: str, placeholder: str = "[removed]", check=None
) -> None:
    """Add a pattern (for example a brand's own contract numbers)."""
    _patterns.append(Pattern(name, re.compile(regex), placeholder, check))


def _all_patterns() -> list[Pattern]:
    extra = []
    for item in getattr(settings, "REDACTION_EXTRA_PATTERNS", []):
        name, _sep, regex = item.partition("=")
        if regex:
            extra.append(Pattern(name.strip(), re.compile(regex), "[removed]"))
    return [*_patterns, *extra]


def redact(text: str) -> tuple[str, dict[str, int]]:
    """The text with personal data replaced, and how many of each were found."""
    counts: dict[str, int] = {}
    for pattern in _all_patterns():

        def _replace(match, pattern=pattern):
            if pattern.check and not pattern.check(match.group(0)):
                return match.group(0)
            counts[pattern.name] = counts.get(pattern.name, 0) + 1
            return pattern.placeholder

        text = pattern.regex.sub(_replace, text or "")
    return text, counts
