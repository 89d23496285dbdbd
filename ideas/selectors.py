"""Reads on ideas. Every list is a single query plus a fixed few, whatever
the page size: authors, focus areas and tags are fetched alongside."""

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import get_language

from .models import (
    PUBLIC_IDEA,
    ROADMAP_STATUSES,
    Idea,
    IdeaFollow,
    IdeaStatus,
    StatusChange,
    Vote,
)

SORTS = {
    "trending": ["-trending_score", "-pk"],
    "top": ["-vote_count", "-pk"],
    "new": ["-created_at", "-pk"],
    "updated": ["-last_activity_at", "-pk"],
}
DEFAULT_SORT = "trending"


def ideas_index_url(*, language: str | None = None) -> str:
    """The URL of the ideas index page in a language, e.g. "/en/ideas/"."""
    from .pages import IdeasIndexPage

    language = language or get_language() or "en"
    key = f"ideas:index-url:{language}"
    url = cache.get(key)
    if url is None:
        page = (
            IdeasIndexPage.objects.live().filter(locale__language_code=language).first()
            or IdeasIndexPage.objects.live().first()
        )
        url = page.url if page else f"/{language}/ideas/"
        cache.set(key, url, 300)
    return url


def idea_queryset_public() -> QuerySet[Idea]:
    """Ideas anyone may see: not hidden, not merged away."""
    return Idea.objects.filter(PUBLIC_IDEA)


def _with_member_state(qs: QuerySet[Idea], user) -> QuerySet[Idea]:
    if user is not None and user.is_authenticated:
        return qs.annotate(
            has_voted=Exists(Vote.objects.filter(idea=OuterRef("pk"), user=user)),
            is_following=Exists(
                IdeaFollow.objects.filter(idea=OuterRef("pk"), user=user)
            ),
        )
    return qs


def idea_list(
    *,
    user=None,
    sort: str = DEFAULT_SORT,
    status: str = "",
    focus_area: str = "",
    tag: str = "",
    search: str = "",
    statuses: list[str] | None = None,
    with_text: bool = False,
) -> QuerySet[Idea]:
    qs = idea_queryset_public()
    if statuses:
        qs = qs.filter(status__in=statuses)
    if status in IdeaStatus.values and status != IdeaStatus.MERGED:
        qs = qs.filter(status=status)
    if focus_area:
        qs = qs.filter(focus_area__slug=focus_area)
    if tag:
        qs = qs.filter(tags__slug=tag)
    if search:
        for word in search.split()[:8]:
            qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    qs = _with_member_state(qs, user).select_related("author", "focus_area")
    if not with_text:
        # Pages list titles only; leaving the text out keeps each row small.
        qs = qs.defer("body", "body_html", "author__bio", "author__password")
    return qs.prefetch_related("tags").order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def idea_detail(*, idea_id: int, user=None) -> Idea | None:
    qs = _with_member_state(Idea.objects.all(), user)
    return (
        qs.select_related("author", "focus_area", "merged_into")
        .prefetch_related(
            "tags",
            Prefetch(
                "history",
                queryset=StatusChange.objects.select_related("changed_by").order_by(
                    "created_at", "pk"
                ),
            ),
        )
        .filter(pk=idea_id)
        .first()
    )


def roadmap_columns(*, user=None) -> list[tuple[str, str, list[Idea]]]:
    ideas = list(idea_list(user=user, sort="top", statuses=ROADMAP_STATUSES)[:200])
    return [
        (status, label, [i for i in ideas if i.status == status])
        for status, label in IdeaStatus.choices
        if status in ROADMAP_STATUSES
    ]


def idea_latest_for_home(*, request=None, limit: int = 5) -> list[Idea]:
    return list(
        idea_queryset_public()
        .select_related("focus_area")
        .order_by("-created_at")[:limit]
    )


def idea_similar(
    *,
    text: str,
    k: int = 5,
    exclude_id: int | None = None,
    min_relative_score: float = 0.5,
) -> list[Idea]:
    """Public ideas that look like `text`, best first (portal.semantic).

    Fused (RRF) scores have no absolute scale, so weak matches are cut relative
    to the best one: a member typing a title sees only real candidates, not
    the k nearest ideas whatever they are about.
    """
    from portal import semantic

    hits = semantic.similar(
        text,
        kinds=["idea"],
        k=k + 1,
        filters={"visible": True},
    )
    top = max((h.score for h in hits), default=0.0)
    ids = [
        h.object_id
        for h in hits
        if h.object_id != exclude_id and h.score >= top * min_relative_score
    ][:k]
    by_id = idea_queryset_public().select_related("focus_area").in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]
