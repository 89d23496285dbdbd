"""Routing: which few experts hear about a question, and why.

Experts are ranked by
- focus area: an expert in the question's area scores 1; others are only
  considered when their past accepted answers resemble the question;
- similarity: how close the question is to their accepted answers
  (`portal.semantic`, kind "answer"), scaled to 0..2 relative to the best;
- load: each open question already routed to them and still unanswered
  costs 0.25, so work spreads out.
Experts who left, are paused, are in their quiet hours or reached their daily
cap are skipped, and the count of each is recorded on the RoutingRound so staff
can see who was asked and why. Nobody is ever asked twice about one question.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, Value
from django.utils import timezone

from portal.core.outbox import enqueue

from .models import (
    ExpertProfile,
    ExpertStatus,
    Question,
    RoutingDecision,
    RoutingRound,
)

AREA_WEIGHT = 1.0
SIMILARITY_WEIGHT = 2.0
# Fused scores only rank, so the best-matching author always scores 1 even
# when nothing really matches. Outside the question's area similarity counts
# for less than the area itself: such experts only fill places that experts
# in the area cannot.
OUTSIDE_AREA_SIMILARITY_WEIGHT = 0.9
LOAD_PENALTY = 0.25
SIMILAR_ANSWERS = 50
DAY = timedelta(hours=24)
# A routed question counts as load for this long while it is unanswered.
LOAD_WINDOW = timedelta(days=7)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Amsterdam")


def in_quiet_hours(profile: ExpertProfile, now: datetime) -> bool:
    start, end = profile.quiet_hours_start, profile.quiet_hours_end
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(_zone(profile.timezone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # e.g. 22:00 → 07:00


def expert_availability(
    profile: ExpertProfile,
    *,
    now: datetime | None = None,
    sent_today: int | None = None,
) -> str | None:
    """None when the expert may be asked now, or the reason they may not."""
    now = now or timezone.now()
    if profile.status in (ExpertStatus.LEFT, ExpertStatus.REMOVED):
        return "left"
    if profile.status == ExpertStatus.PAUSED and (
        profile.paused_until is None or profile.paused_until > now
    ):
        return "paused"
    if in_quiet_hours(profile, now):
        return "quiet_hours"
    if sent_today is None:
        sent_today = profile.routing_decisions.filter(created_at__gte=now - DAY).count()
    if sent_today >= profile.daily_cap:
        return "daily_cap"
    return None


def _similarity_by_author(question: Question) -> dict[int, float]:
    """Each author's share of the best matching accepted answers, 0..1."""
    from portal import semantic

    hits = semantic.similar(
        f"{question.title}\n{question.body[:1500]}",
        kinds=["answer"],
        k=SIMILAR_ANSWERS,
        filters={"accepted": True, "visible": True},
    )
    by_author: dict[int, float] = defaultdict(float)
    for hit in hits:
        author = hit.meta.get("author_id")
        if author is not None and hit.meta.get("question_id") != question.pk:
            by_author[int(author)] += hit.score
    top = max(by_author.values(), default=0.0)
    return {a: s / top for a, s in by_author.items()} if top else {}


def route_candidates(
    question: Question, *, now: datetime | None = None, similar_authors=()
):
    """Current experts in the question's area or with similar accepted
    answers, with their recent sends and load, in one query.

    Only the last week of routing decisions is joined (a FilteredRelation), so
    the query does not grow with the routing history.
    """
    now = now or timezone.now()
    qs = (
        ExpertProfile.objects.filter(
            status__in=[ExpertStatus.ACTIVE, ExpertStatus.PAUSED]
        )
        .exclude(user_id=question.author_id)
        .exclude(routing_decisions__question=question)
    )
    if question.focus_area_id:
        in_area = Exists(
            ExpertProfile.focus_areas.through.objects.filter(
                expertprofile_id=OuterRef("pk"), focusarea_id=question.focus_area_id
            )
        )
        qs = qs.annotate(in_area=in_area).filter(
            Q(in_area=True) | Q(user_id__in=list(similar_authors))
        )
    else:
        qs = qs.annotate(in_area=Value(True))
    return qs.annotate(
        recent=FilteredRelation(
            "routing_decisions",
            condition=Q(routing_decisions__created_at__gte=now - LOAD_WINDOW),
        ),
        sent_today=Count(
            "recent", filter=Q(recent__created_at__gte=now - DAY), distinct=True
        ),
        load=Count(
            "recent",
            filter=Q(
                recent__question__first_answered_at__isnull=True,
                recent__question__status="open",
            ),
            distinct=True,
        ),
    ).only(
        "pk",
        "user_id",
        "status",
        "paused_until",
        "quiet_hours_start",
        "quiet_hours_end",
        "timezone",
        "daily_cap",
    )


def route_rank(
    question: Question, *, now: datetime | None = None, limit: int = 3
) -> tuple[list[tuple[ExpertProfile, float, dict]], int, dict[str, int]]:
    """The best `limit` available experts with scores and reasons, the number
    considered, and the counts of those skipped by reason."""
    now = now or timezone.now()
    similarity = _similarity_by_author(question)
    experts = list(route_candidates(question, now=now, similar_authors=similarity))
    skipped: dict[str, int] = defaultdict(int)
    ranked = []
    for expert in experts:
        in_area = bool(expert.in_area)
        sim = similarity.get(expert.user_id, 0.0)
        if not in_area and sim <= 0:
            continue  # neither their area nor their kind of question
        reason = expert_availability(expert, now=now, sent_today=expert.sent_today)
        if reason:
            skipped[reason] += 1
            continue
        if in_area:
            score = AREA_WEIGHT + SIMILARITY_WEIGHT * sim
        else:
            score = OUTSIDE_AREA_SIMILARITY_WEIGHT * sim
        score -= LOAD_PENALTY * expert.load
        reasons = {
            "area": in_area,
            "similarity": round(sim, 3),
            "load": expert.load,
            "sent_today": expert.sent_today,
            "daily_cap": expert.daily_cap,
        }
        ranked.append((expert, score, reasons))
    considered = len(ranked) + sum(skipped.values())
    ranked.sort(key=lambda r: (-r[1], r[0].sent_today, r[0].pk))
    return ranked[:limit], considered, dict(skipped)


def question_route(
    *,
    question: Question,
    trigger: str = RoutingRound.Trigger.NEW,
    limit: int | None = None,
) -> RoutingRound:
    """Pick experts for a question, record the decision, notify after commit."""
    from .reputation import programme_settings
    from .tasks import notify_routed

    if limit is None:
        limit = programme_settings().experts_per_question
    now = timezone.now()
    with transaction.atomic():
        chosen, considered, skipped = route_rank(question, now=now, limit=limit)
        round_ = RoutingRound.objects.create(
            question=question,
            trigger=trigger,
            candidates=considered,
            skipped=skipped,
            created_at=now,
        )
        RoutingDecision.objects.bulk_create(
            [
                RoutingDecision(
                    round=round_,
                    question=question,
                    expert=expert,
                    rank=rank,
                    score=round(score, 4),
                    reasons=reasons,
                    created_at=now,
                )
                for rank, (expert, score, reasons) in enumerate(chosen, start=1)
            ],
            ignore_conflicts=True,
        )
        round_id = round_.pk
        enqueue(notify_routed, round_id)
    return round_
