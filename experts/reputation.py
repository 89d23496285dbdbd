"""Reputation: a ledger of points, levels derived from totals, milestone badges.

Every change writes one ReputationEvent and moves the member's Reputation row
by exactly the same amount in the same transaction, so the totals always equal
the ledger's sum (tests/experts/test_reputation_property.py checks it).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.core.outbox import enqueue

from .models import (
    BadgeAward,
    ExpertLevel,
    ExpertProgrammeSettings,
    Reputation,
    ReputationEvent,
    ReputationReason,
)


@dataclass(frozen=True)
class Level:
    name: str
    name_nl: str
    min_points: int

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("nl") and self.name_nl:
            return self.name_nl
        return self.name


# Used until staff configure their own levels in the admin.
DEFAULT_LEVELS = [
    Level("Newcomer", "Nieuwkomer", 0),
    Level("Helper", "Helper", 50),
    Level("Expert", "Expert", 200),
    Level("Master", "Meester", 1000),
]


@dataclass(frozen=True)
class Badge:
    label: object
    description: object


BADGES = {
    "first_answer": Badge(_("First answer"), _("Answered a question.")),
    "first_accepted": Badge(_("Solver"), _("Had an answer accepted.")),
    "accepted_10": Badge(_("Problem solver"), _("Ten accepted answers.")),
    "helpful_25": Badge(_("Helping hand"), _("25 helpful votes.")),
    "verified": Badge(_("Brand verified"), _("An answer verified by the brand.")),
}

_COUNTER = {
    ReputationReason.ACCEPTED: ("accepted_count", 1),
    ReputationReason.UNACCEPTED: ("accepted_count", -1),
    ReputationReason.HELPFUL: ("helpful_count", 1),
    ReputationReason.UNHELPFUL: ("helpful_count", -1),
    ReputationReason.VERIFIED: ("verified_count", 1),
    ReputationReason.UNVERIFIED: ("verified_count", -1),
}


def levels() -> list[Level]:
    configured = [
        Level(row.name, row.name_nl, row.min_points)
        for row in ExpertLevel.objects.order_by("min_points")
    ]
    return configured or DEFAULT_LEVELS


def level_for(points: int, all_levels: list[Level] | None = None) -> Level:
    all_levels = all_levels or levels()
    current = all_levels[0]
    for level in all_levels:
        if points >= level.min_points:
            current = level
    return current


def programme_settings() -> ExpertProgrammeSettings:
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return ExpertProgrammeSettings()
    return ExpertProgrammeSettings.for_site(site)


def reputation_points(reason: str, programme: ExpertProgrammeSettings) -> int:
    return {
        ReputationReason.ACCEPTED: programme.points_accepted,
        ReputationReason.UNACCEPTED: -programme.points_accepted,
        ReputationReason.HELPFUL: programme.points_helpful,
        ReputationReason.UNHELPFUL: -programme.points_helpful,
        ReputationReason.VERIFIED: programme.points_verified,
        ReputationReason.UNVERIFIED: -programme.points_verified,
    }[reason]


def reputation_change(
    *, user, points: int, reason: str, answer=None, actor=None
) -> ReputationEvent:
    """Write one ledger line and move the totals by the same amount."""
    with transaction.atomic():
        event = ReputationEvent.objects.create(
            user=user,
            points=points,
            reason=reason,
            answer=answer,
            question_id=answer.question_id if answer else None,
            focus_area_id=answer.question.focus_area_id if answer else None,
            actor=actor,
        )
        Reputation.objects.get_or_create(user=user)
        counter, step = _COUNTER[reason]
        Reputation.objects.filter(user=user).update(
            points=F("points") + points, **{counter: F(counter) + step}
        )
        # Read after the update (the row is locked until commit), so two
        # concurrent changes never both see the same "before".
        new_points = Reputation.objects.filter(user=user).values_list(
            "points", flat=True
        )[0]
    _after_change(user=user, old_points=new_points - points, new_points=new_points)
    return event


def reputation_granted(*, user, answer, reasons: tuple[str, str], actor=None) -> int:
    """What a grant and its reversals on this answer net to now, so a reversal
    takes back exactly what was given, whatever the settings say today."""
    qs = ReputationEvent.objects.filter(user=user, answer=answer, reason__in=reasons)
    if actor is not None:
        qs = qs.filter(actor=actor)
    return qs.aggregate(s=Sum("points"))["s"] or 0


def _after_change(*, user, old_points: int, new_points: int) -> None:
    all_levels = levels()
    old, new = level_for(old_points, all_levels), level_for(new_points, all_levels)
    if new.min_points > old.min_points:
        from .tasks import notify_level_up

        enqueue(notify_level_up, user.pk, new.min_points)
    badges_award(user=user)


def badges_award(*, user) -> list[str]:
    """Give every milestone badge the member has earned and not yet received."""
    from .models import Answer

    rep = Reputation.objects.filter(user=user).first()
    earned = set()
    if Answer.objects.filter(author=user, is_hidden=False).exists():
        earned.add("first_answer")
    if rep:
        if rep.accepted_count >= 1:
            earned.add("first_accepted")
        if rep.accepted_count >= 10:
            earned.add("accepted_10")
        if rep.helpful_count >= 25:
            earned.add("helpful_25")
        if rep.verified_count >= 1:
            earned.add("verified")
    have = set(BadgeAward.objects.filter(user=user).values_list("badge", flat=True))
    new = sorted(earned - have)
    BadgeAward.objects.bulk_create(
        [BadgeAward(user=user, badge=b, awarded_at=timezone.now()) for b in new],
        ignore_conflicts=True,
    )
    return new


def ledger_total(user) -> int:
    return (
        ReputationEvent.objects.filter(user=user).aggregate(s=Sum("points"))["s"] or 0
    )
