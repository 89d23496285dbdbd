"""User-written text: Markdown in, sanitised HTML out.

Markdown is parsed by markdown-it-py with raw HTML disabled, and the result is
cleaned by nh3 (Ammonia) with a small allow-list, so neither a member's post
nor imported text can carry script, styles or event handlers.
"""

import html
import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable("image")


def markdown_to_safe_html(text: str) -> str:
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )


def plain_text(text: str) -> str:
    """Strip every tag; for notifications, feeds and the semantic index."""
    return html.unescape(nh3.clean(text or "", tags=set())).strip()


def clean_single_line(text: str) -> str:
    """Titles and names: no control characters, collapsed whitespace."""
    cleaned = "".join(ch for ch in (text or "") if ch.isprintable())
    return " ".join(cleaned.split())


_DB_ID = re.compile(r"[0-9]{1,18}")


def db_id(value) -> int | None:
    """A positive database id from user input, or None. ASCII digits only
    ("²".isdigit() is true but int("²") fails) and at most 18 of them, so a
    lookup never overflows a 64-bit column."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and _DB_ID.fullmatch(value.strip()):
        number = int(value.strip())
        return number or None
    return None
