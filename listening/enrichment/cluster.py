"""Near-duplicate keys: reposts, retweets and relinks of one text share a key.

The key is exact on a normalised text, so it is cheap enough to compute for
every mention and to index; fuzzier similarity is a separate concern.
"""

from __future__ import annotations

import hashlib
import re

from listening.enrichment.trackers import text_fold

_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    # Scheme-less links as shorteners and clients print them: "bit.ly/3xYz",
    # "t.co/abc", "vonk.nl/storing".
    r"|(?<![\w@])[a-z0-9-]+(?:\.[a-z0-9-]+)+/\S*",
)
# Words and @handles; everything else (punctuation, quote marks, emoji, the
# "#" of hashtags) only separates them.
_TOKEN = re.compile(r"@?\w+")
# Retweet, modified-tweet and quote prefixes that clients put before the
# original text.
_LEADING_MARKERS = frozenset({"rt", "mt", "qt"})


def cluster_text_normalise(text: str) -> str:
    """The text a cluster key is computed from."""
    tokens = _TOKEN.findall(_URL.sub(" ", text_fold(text)))
    # "RT @vonk: RT @other: text": strip every leading marker and its handle.
    while (
        len(tokens) >= 2 and tokens[0] in _LEADING_MARKERS and tokens[1].startswith("@")
    ):
        tokens = tokens[2:]
    # "via @vonk" credits the original poster, at either end of the text.
    while len(tokens) >= 2 and tokens[0] == "via" and tokens[1].startswith("@"):
        tokens = tokens[2:]
    while len(tokens) >= 2 and tokens[-2] == "via" and tokens[-1].startswith("@"):
        tokens = tokens[:-2]
    return " ".join(tokens)


def cluster_key(text: str) -> str:
    """32 hex characters shared by near-duplicates of ``text``.

    A post that is only a link (or only emoji) normalises to nothing; it is
    keyed on its folded, whitespace-collapsed original instead, so two
    different bare links do not fall into one cluster.
    """
    normalised = cluster_text_normalise(text)
    if not normalised:
        normalised = "\x00" + " ".join(text_fold(text).split())
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).hexdigest()
