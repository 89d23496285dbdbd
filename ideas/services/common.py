import math

from django.db.models import F, Value
from django.db.models.functions import Greatest, Log
from django.utils import timezone

from ..models import Idea

# Reddit-style "hot" ranking: the order of magnitude of the votes plus a term
# that grows with the submission time, so newer ideas need fewer votes to rank
# as high. It decays without any periodic job: older ideas simply fall behind.
TRENDING_EPOCH = 1_700_000_000
TRENDING_HALF_DAY_SECONDS = 45_000


def trending_base(created_at) -> float:
    return (created_at.timestamp() - TRENDING_EPOCH) / TRENDING_HALF_DAY_SECONDS


def trending_score(*, votes: int, created_at) -> float:
    return math.log10(max(votes, 1)) + trending_base(created_at)


def idea_counters_refresh(*, idea_id: int, created_at, vote_delta: int = 0) -> None:
    """Change the vote count atomically in the database and re-rank the idea."""
    updates = {"last_activity_at": timezone.now()}
    if vote_delta:
        updates["vote_count"] = Greatest(F("vote_count") + vote_delta, Value(0))
    Idea.objects.filter(pk=idea_id).update(**updates)
    Idea.objects.filter(pk=idea_id).update(
        trending_score=Log(Value(10.0), Greatest(F("vote_count"), Value(1)))
        + Value(trending_base(created_at))
    )


def enqueue_reindex(idea_id: int) -> None:
    from portal import semantic

    semantic.enqueue_index(kind="idea", object_id=idea_id)
