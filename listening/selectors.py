"""Reads for listening."""

from django.db.models import Prefetch, QuerySet

from .models import Mention, Tracker


def mention_list(
    *,
    source: int | None = None,
    tracker: int | None = None,
    language: str = "",
    since=None,
) -> QuerySet[Mention]:
    """Mentions newest first, with their tracker ids in one extra query."""
    qs = Mention.objects.defer("raw").prefetch_related(
        Prefetch("trackers", queryset=Tracker.objects.only("pk"))
    )
    if source:
        qs = qs.filter(source_id=source)
    if tracker:
        qs = qs.filter(trackers__id=tracker)
    if language:
        qs = qs.filter(language=language.lower())
    if since:
        qs = qs.filter(posted_at__gte=since)
    return qs
