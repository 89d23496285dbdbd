"""Reads on expertcare. Lists are one query plus a fixed few."""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language

from .models import (
    Answer,
    BadgeAward,
    ExpertApplication,
    ExpertProfile,
    ExpertStatus,
    HelpfulVote,
    Question,
    QuestionStatus,
    Reputation,
    ReputationEvent,
    RoutingDecision,
    RoutingRound,
)
from .reputation import level_for, levels

SORTS = {
    "new": ["-created_at", "-pk"],
    "active": ["-last_activity_at", "-pk"],
    "unanswered": ["created_at", "pk"],
}
FILTERS = {
    "": Q(),
    "unanswered": Q(first_answered_at__isnull=True, status=QuestionStatus.OPEN),
    "solved": Q(status=QuestionStatus.SOLVED),
    "open": Q(status__in=[QuestionStatus.OPEN, QuestionStatus.ANSWERED]),
}
PERIODS = {"week": 7, "month": 30, "year": 365, "all": None}


def questions_index_url(*, language: str | None = None) -> str:
    from .pages import QuestionsIndexPage

    language = language or get_language() or "en"
    key = f"questions:index-url:{language}"
    url = cache.get(key)
    if url is None:
        page = (
            QuestionsIndexPage.objects.live()
            .filter(locale__language_code=language)
            .first()
            or QuestionsIndexPage.objects.live().first()
        )
        url = page.url if page else f"/{language}/questions/"
        cache.set(key, url, 300)
    return url


def question_list(
    *, sort: str = "active", show: str = "", focus_area: str = "", search: str = ""
) -> QuerySet[Question]:
    qs = Question.objects.filter(is_hidden=False, is_private=False)
    qs = qs.filter(FILTERS.get(show, Q()))
    if focus_area:
        qs = qs.filter(focus_area__slug=focus_area)
    if search:
        for word in search.split()[:8]:
            qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return (
        qs.select_related("author", "focus_area")
        .defer("body", "body_html", "author__bio", "author__password")
        .order_by(*SORTS.get(sort, SORTS["active"]))
    )


def question_detail(*, question_id: int) -> Question | None:
    return (
        Question.objects.select_related(
            "author", "focus_area", "converted_idea", "private_case"
        )
        .filter(pk=question_id)
        .first()
    )


def answer_list(*, question: Question, user=None, staff: bool = False) -> list[Answer]:
    """Accepted first, then verified and official, then most helpful."""
    qs = Answer.objects.filter(question=question).select_related(
        "author", "verified_by"
    )
    # The badge shows while the author is in the programme: leaving or being
    # removed takes it off their past answers too.
    qs = qs.annotate(
        author_is_expert=Exists(
            ExpertProfile.objects.filter(
                user_id=OuterRef("author_id"),
                status__in=[ExpertStatus.ACTIVE, ExpertStatus.PAUSED],
            )
        )
    )
    if not staff:
        qs = qs.filter(is_hidden=False)
    if user is not None and user.is_authenticated:
        qs = qs.annotate(
            marked_helpful=Exists(
                HelpfulVote.objects.filter(answer=OuterRef("pk"), user=user)
            )
        )
    answers = list(qs)
    for answer in answers:
        answer.question = question  # templates read answer.comments_closed
    answers.sort(
        key=lambda a: (
            not a.is_accepted,
            a.verified_at is None,
            not a.is_official,
            -a.helpful_count,
            a.created_at,
        )
    )
    _attach_levels([a.author_id for a in answers], answers, attr="author_level")
    return answers


def _attach_levels(user_ids, objects, *, attr: str) -> None:
    points = dict(
        Reputation.objects.filter(user_id__in=set(user_ids)).values_list(
            "user_id", "points"
        )
    )
    all_levels = levels()
    for obj in objects:
        setattr(obj, attr, level_for(points.get(obj.author_id, 0), all_levels))


def question_similar(
    *,
    text: str,
    k: int = 5,
    solved_only: bool = True,
    exclude_id: int | None = None,
    min_relative_score: float = 0.5,
) -> list[Question]:
    """Visible questions like `text`, by default only those with an accepted
    answer, so a member finds the answer before asking again."""
    from portal import semantic

    filters = {"visible": True}
    if solved_only:
        filters["solved"] = True
    hits = semantic.similar(text, kinds=["question"], k=k + 1, filters=filters)
    top = max((h.score for h in hits), default=0.0)
    ids = [
        h.object_id
        for h in hits
        if h.object_id != exclude_id and h.score >= top * min_relative_score
    ][:k]
    by_id = (
        Question.objects.filter(is_hidden=False, is_private=False)
        .select_related("focus_area")
        .in_bulk(ids)
    )
    return [by_id[i] for i in ids if i in by_id]


def question_routing(*, question: Question) -> list[RoutingRound]:
    return list(
        RoutingRound.objects.filter(question=question).prefetch_related(
            Prefetch(
                "decisions",
                queryset=RoutingDecision.objects.select_related("expert__user"),
            )
        )
    )


def staff_queue(*, now: datetime | None = None) -> QuerySet[Question]:
    """Unanswered public questions, oldest first, with overdue ones flagged."""
    now = now or timezone.now()
    from django.db.models import BooleanField, Case, Value, When

    return (
        Question.objects.filter(
            first_answered_at__isnull=True,
            status=QuestionStatus.OPEN,
            is_hidden=False,
            is_private=False,
        )
        .select_related("author", "focus_area")
        .annotate(
            overdue=Case(
                When(first_answer_due_at__lte=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("created_at", "pk")
    )


def expert_list(*, focus_area: str = "") -> QuerySet[ExpertProfile]:
    qs = ExpertProfile.objects.filter(
        status__in=[ExpertStatus.ACTIVE, ExpertStatus.PAUSED]
    )
    if focus_area:
        qs = qs.filter(focus_areas__slug=focus_area)
    return (
        qs.select_related("user", "user__reputation")
        .prefetch_related("focus_areas")
        # Members without points yet have no Reputation row: last, on every
        # database (PostgreSQL sorts NULL first in descending order).
        .order_by(F("user__reputation__points").desc(nulls_last=True), "pk")
    )


def expert_stats(*, user) -> dict:
    rep = Reputation.objects.filter(user=user).first()
    points = rep.points if rep else 0
    return {
        "points": points,
        "level": level_for(points),
        "answers": Answer.objects.filter(author=user, is_hidden=False).count(),
        "accepted": rep.accepted_count if rep else 0,
        "helpful": rep.helpful_count if rep else 0,
        "verified": rep.verified_count if rep else 0,
        "badges": list(BadgeAward.objects.filter(user=user)),
    }


def member_recent_answers(*, user, limit: int = 10) -> list[Answer]:
    return list(
        Answer.objects.filter(
            author=user,
            is_hidden=False,
            question__is_hidden=False,
            question__is_private=False,
        )
        .select_related("question")
        .order_by("-created_at")[:limit]
    )


def leaderboard(
    *, focus_area_id: int | None = None, period: str = "month", limit: int = 20
) -> list[dict]:
    """Members by points earned in a period (and focus area), from the ledger."""
    qs = ReputationEvent.objects.all()
    days = PERIODS.get(period, 30)
    if days:
        qs = qs.filter(created_at__gte=timezone.now() - timedelta(days=days))
    if focus_area_id:
        qs = qs.filter(focus_area_id=focus_area_id)
    rows = list(
        qs.values("user_id")
        .annotate(points=Sum("points"))
        .filter(points__gt=0)
        .order_by("-points", "user_id")[:limit]
    )
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([r["user_id"] for r in rows])
    experts = set(
        ExpertProfile.objects.filter(
            user_id__in=users, status__in=[ExpertStatus.ACTIVE, ExpertStatus.PAUSED]
        ).values_list("user_id", flat=True)
    )
    return [
        {
            "user": users[r["user_id"]],
            "points": r["points"],
            "is_expert": r["user_id"] in experts,
        }
        for r in rows
        if r["user_id"] in users
    ]


def expert_top_for_home(*, request=None, limit: int = 5) -> list[ExpertProfile]:
    return list(expert_list()[:limit])


def question_open_for_home(*, request=None, limit: int = 5) -> list[Question]:
    return list(
        question_list(sort="new", show="open")
        .select_related(None)
        .select_related("focus_area")[:limit]
    )


def application_pending_for(*, user) -> ExpertApplication | None:
    if not user.is_authenticated:
        return None
    return ExpertApplication.objects.filter(user=user, status="pending").first()
