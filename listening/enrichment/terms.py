"""Terms in posts: which words a set of posts is about (pure Python).

Used by the listening report ("top terms") and by spike alerts ("why": the
terms that rose most against the baseline). Words are folded to lower case
without accents, links and @handles are dropped, and English and Dutch
function words are left out; hashtags count as their word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from listening.enrichment.trackers import text_fold

_URL = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@])[a-z0-9-]+(?:\.[a-z0-9-]+)+/\S*")
_HANDLE = re.compile(r"@[\w.]+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be
    because been before being below between both but by can can't cannot could
    did didn't do does doesn't doing don't during each few for from further
    get got had has hasn't have haven't having he her here hers herself him
    himself his how i i'm i've if in into is isn't it it's its itself just let's
    like me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some still such than that
    that's the their theirs them themselves then there these they this those
    through to too under until up us very was wasn't we were weren't what when
    where which while who whom why will with won't would you your yours yourself
    yourselves one really via amp rt
    aan al alle alles als altijd ander andere ben bij daar dan dat de der deze
    die dit doch doen door dus een eens en er ge geen geweest haar had heb hebben
    heeft hem het hier hij hoe hun iemand iets ik in is ja je jij jou jouw jullie
    kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu
    of om omdat onder ons ook op over reeds te tegen toch toen tot u uit uw van
    veel voor want waren was wat we wel werd wezen wie wil worden wordt zal ze
    zei zelf zich zij zijn zo zonder zou even echt gewoon gaat gaan weer wordt
    heel hele wel niks iets nou hè toch dus jullie jij wij
    """.split()
)


def terms(text: str) -> list[str]:
    """The content words of one post, in order, with repeats."""
    folded = text_fold(text or "")
    folded = _HANDLE.sub(" ", _URL.sub(" ", folded))
    out = []
    for word in _WORD.findall(folded):
        word = word.strip("'’-")
        if len(word) < 3 or word in STOPWORDS:
            continue
        out.append(word)
    return out


def term_counts(texts: Iterable[str]) -> Counter:
    """In how many posts each term occurs (a post counts a term once)."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(set(terms(text)))
    return counts


def top_terms(
    texts: Iterable[str], n: int = 20, *, min_posts: int = 2
) -> list[tuple[str, int]]:
    """The ``n`` terms found in most posts (at least ``min_posts``), ties by term."""
    counts = term_counts(texts)
    ranked = sorted(
        ((term, c) for term, c in counts.items() if c >= min_posts),
        key=lambda item: (-item[1], item[0]),
    )
    return ranked[:n]


def term_lift(
    window_texts: Iterable[str],
    baseline_texts: Iterable[str],
    n: int = 10,
    *,
    min_posts: int = 3,
    min_lift: float = 1.5,
) -> list[dict]:
    """Terms that are much more common in the window than in the baseline.

    ``lift`` is the term's share of window posts over its share of baseline
    posts, with add-one smoothing so a term absent from the baseline gets a
    large but finite lift. Terms in fewer than ``min_posts`` window posts are
    left out (one noisy post is not a trend)."""
    window = list(window_texts)
    baseline = list(baseline_texts)
    w_counts = term_counts(window)
    b_counts = term_counts(baseline)
    w_total, b_total = max(len(window), 1), max(len(baseline), 1)
    out = []
    for term, count in w_counts.items():
        if count < min_posts:
            continue
        w_share = count / w_total
        b_share = (b_counts.get(term, 0) + 1) / (b_total + 1)
        lift = w_share / b_share
        if lift < min_lift:  # about as common as before: not why it rose
            continue
        out.append(
            {
                "term": term,
                "posts": count,
                "share": round(w_share * 100, 1),
                "baseline_share": round(b_counts.get(term, 0) * 100 / b_total, 1),
                "lift": round(lift, 1),
                "_score": count * math.log(lift),
            }
        )
    out.sort(key=lambda item: (-item["_score"], item["term"]))
    for item in out:
        del item["_score"]
    return out[:n]
