"""Influence: how far a mention's voice carries, as a score from 0 to 100.

Reach is ``followers + 5 * reposts + 2 * replies + likes``: a repost puts the
post in front of another audience, a reply starts a conversation others see,
a like only tells the author. The score is that reach on a log scale, so 10
followers and 10 million followers both fit on one readable axis:

    100 * log10(1 + reach) / log10(1 + 10_000_000)

An account with 10 million reach (a national news outlet) scores 100 and more
is clipped; 1,000 reach scores about 43 and 100,000 about 71. Unknown
followers (``None``: an upload without the column, a network that hides the
count) leave engagement alone to speak, rather than guessing an audience.
"""

from __future__ import annotations

import math

REACH_AT_FULL_SCORE = 10_000_000
REPOST_WEIGHT = 5
REPLY_WEIGHT = 2
LIKE_WEIGHT = 1

_LOG_FULL_SCORE = math.log10(1 + REACH_AT_FULL_SCORE)


def influence_score(
    *, followers: int | None, reposts: int = 0, likes: int = 0, replies: int = 0
) -> float:
    """A 0..100 log-scale score from followers and engagement.

    Negative counts (an API glitch, a bad upload cell) count as zero, so a bad
    value can lower a score but never push it below 0.
    """
    reach = (
        max(followers or 0, 0)
        + REPOST_WEIGHT * max(reposts, 0)
        + REPLY_WEIGHT * max(replies, 0)
        + LIKE_WEIGHT * max(likes, 0)
    )
    score = 100 * math.log10(1 + reach) / _LOG_FULL_SCORE
    return min(max(score, 0.0), 100.0)
