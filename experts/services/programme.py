"""The expert programme: apply, decide, pause, quiet hours, leave."""

from datetime import datetime, time

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.outbox import enqueue
from portal.core.text import clean_single_line

from ..models import (
    Answer,
    ApplicationStatus,
    ExpertApplication,
    ExpertProfile,
    ExpertStatus,
    Reputation,
)
from ..reputation import programme_settings
from .errors import ExpertcareError, PermissionDenied, ValidationError

MOTIVATION_MIN, MOTIVATION_MAX = 20, 1000
MAX_DAILY_CAP = 50


def _require_staff(user) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied(_("Only staff can do this."))


def expert_profile_current(user) -> ExpertProfile | None:
    """The member's expert profile while they are in the programme."""
    if not user.is_authenticated:
        return None
    profile = ExpertProfile.objects.filter(user=user).first()
    return profile if profile and profile.is_current else None


def application_qualifies(*, user, focus_areas) -> bool:
    """Whether the member has earned automatic approval in every chosen area."""
    programme = programme_settings()
    rep = Reputation.objects.filter(user=user).first()
    if rep is None or rep.points < programme.auto_qualify_points:
        return False
    accepted = dict(
        Answer.objects.filter(
            author=user,
            is_accepted=True,
            question__focus_area__in=focus_areas,
        )
        .values_list("question__focus_area")
        .annotate(n=Count("pk"))
    )
    return all(
        accepted.get(area.pk, 0) >= programme.auto_qualify_accepted_answers
        for area in focus_areas
    )


@transaction.atomic
def expert_apply(
    *, user, focus_areas, motivation: str, accepts_guidelines: bool, opts_in: bool
) -> ExpertApplication:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to apply."))
    errors = {}
    focus_areas = list(focus_areas)
    motivation = (motivation or "").replace("\x00", "").strip()
    if not focus_areas:
        errors["focus_areas"] = _("Choose at least one focus area.")
    if len(motivation) < MOTIVATION_MIN:
        errors["motivation"] = _(
            "Tell us in at least %(n)d characters why you want to help."
        ) % {"n": MOTIVATION_MIN}
    elif len(motivation) > MOTIVATION_MAX:
        errors["motivation"] = _("Keep it under %(n)d characters.") % {
            "n": MOTIVATION_MAX
        }
    if not accepts_guidelines:
        errors["accepts_guidelines"] = _("Please accept the expert guidelines.")
    if not opts_in:
        errors["opts_in"] = _("Please confirm that you want to answer questions.")
    if errors:
        raise ValidationError(errors)
    if expert_profile_current(user):
        raise ExpertcareError(_("You are already an expert."))
    try:
        with transaction.atomic():
            application = ExpertApplication.objects.create(
                user=user,
                motivation=motivation,
                guidelines_accepted_at=timezone.now(),
            )
    except IntegrityError:
        raise ExpertcareError(
            _("Your earlier application is still waiting for review.")
        ) from None
    application.focus_areas.set(focus_areas)
    programme = programme_settings()
    removed = ExpertProfile.objects.filter(
        user=user, status=ExpertStatus.REMOVED
    ).exists()
    # Staff removed this member once: only staff may let them back in.
    if (
        not removed
        and programme.auto_qualify
        and application_qualifies(user=user, focus_areas=focus_areas)
    ):
        _approve(application, by=None, auto=True)
    else:
        from ..tasks import notify_staff_application

        enqueue(notify_staff_application, application.pk)
    return application


def _approve(application: ExpertApplication, *, by, auto: bool = False) -> None:
    now = timezone.now()
    application.status = ApplicationStatus.APPROVED
    application.decided_by = by
    application.decided_at = now
    application.auto_qualified = auto
    application.save(
        update_fields=["status", "decided_by", "decided_at", "auto_qualified"]
    )
    profile, created = ExpertProfile.objects.get_or_create(
        user=application.user,
        defaults={"daily_cap": programme_settings().default_daily_cap},
    )
    profile.status = ExpertStatus.ACTIVE
    profile.left_at = None
    profile.paused_until = None
    if not created:
        profile.joined_at = now
    profile.save()
    profile.focus_areas.set(application.focus_areas.all())
    from ..tasks import notify_application_decided

    enqueue(notify_application_decided, application.pk)


@transaction.atomic
def expert_application_decide(
    *, application: ExpertApplication, by, approve: bool, note: str = ""
) -> ExpertApplication:
    _require_staff(by)
    application = ExpertApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.PENDING:
        raise ExpertcareError(_("This application was already decided."))
    application.decision_note = clean_single_line(note)[:500]
    application.save(update_fields=["decision_note"])
    if approve:
        _approve(application, by=by)
    else:
        application.status = ApplicationStatus.DECLINED
        application.decided_by = by
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "decided_by", "decided_at"])
        from ..tasks import notify_application_decided

        enqueue(notify_application_decided, application.pk)
    return application


def _own_profile(user) -> ExpertProfile:
    profile = expert_profile_current(user)
    if profile is None:
        raise PermissionDenied(_("Only experts can do this."))
    return profile


def expert_pause(*, user, until: datetime | None = None) -> ExpertProfile:
    profile = _own_profile(user)
    if until is not None and until <= timezone.now():
        raise ValidationError({"paused_until": _("Choose a date in the future.")})
    profile.status = ExpertStatus.PAUSED
    profile.paused_until = until
    profile.save(update_fields=["status", "paused_until", "updated_at"])
    return profile


def expert_resume(*, user) -> ExpertProfile:
    profile = _own_profile(user)
    profile.status = ExpertStatus.ACTIVE
    profile.paused_until = None
    profile.save(update_fields=["status", "paused_until", "updated_at"])
    return profile


def expert_preferences_update(
    *,
    user,
    quiet_hours_start: time | None,
    quiet_hours_end: time | None,
    daily_cap: int,
    timezone_name: str = "",
    headline: str = "",
    focus_areas=None,
) -> ExpertProfile:
    from zoneinfo import available_timezones

    profile = _own_profile(user)
    errors = {}
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        errors["quiet_hours_end"] = _("Give both a start and an end, or neither.")
    if not 1 <= int(daily_cap) <= MAX_DAILY_CAP:
        errors["daily_cap"] = _("Choose between 1 and %(n)d.") % {"n": MAX_DAILY_CAP}
    if timezone_name and timezone_name not in available_timezones():
        errors["timezone"] = _("Unknown time zone.")
    if focus_areas is not None and not list(focus_areas):
        errors["focus_areas"] = _("Keep at least one focus area.")
    if errors:
        raise ValidationError(errors)
    profile.quiet_hours_start = quiet_hours_start
    profile.quiet_hours_end = quiet_hours_end
    profile.daily_cap = int(daily_cap)
    profile.headline = clean_single_line(headline)[:120]
    if timezone_name:
        profile.timezone = timezone_name
    profile.save()
    if focus_areas is not None:
        profile.focus_areas.set(focus_areas)
    return profile


def expert_leave(*, user) -> ExpertProfile:
    """Leave at once: no more routing, no badge. History stays attributed."""
    profile = _own_profile(user)
    profile.status = ExpertStatus.LEFT
    profile.left_at = timezone.now()
    profile.paused_until = None
    profile.save(update_fields=["status", "left_at", "paused_until", "updated_at"])
    return profile


def expert_set_status(*, profile: ExpertProfile, by, status: str) -> ExpertProfile:
    """Staff pause, reactivate or remove an expert."""
    _require_staff(by)
    if status not in ExpertStatus.values or status == ExpertStatus.LEFT:
        raise ExpertcareError(_("Unknown status."))
    profile = ExpertProfile.objects.get(pk=profile.pk)
    if profile.status == ExpertStatus.LEFT:
        # Leaving is the member's own choice; only they can come back (apply).
        raise ExpertcareError(_("This member left the programme themselves."))
    profile.status = status
    profile.paused_until = None
    if status == ExpertStatus.REMOVED:
        profile.left_at = timezone.now()
    profile.save(update_fields=["status", "paused_until", "left_at", "updated_at"])
    return profile


def experts_resume_due(*, now: datetime | None = None) -> int:
    """Reactivate experts whose pause has ended (periodic)."""
    now = now or timezone.now()
    return ExpertProfile.objects.filter(
        Q(status=ExpertStatus.PAUSED), Q(paused_until__lte=now)
    ).update(status=ExpertStatus.ACTIVE, paused_until=None, updated_at=now)
