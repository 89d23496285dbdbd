"""The invitations report: the consent ledger's conversion funnel and opt-outs.

The population is the invitations *offered* in the period (``created_at``),
followed as far as each got (opened → joined → contributed, or declined,
or opted out), whenever that happened. So the funnel of a recent period
still grows as invitees act; an older period's is settled.

Opt-outs are counted twice, on purpose:

- the **opt-out rate** is the share of the period's invitations whose
  invitee opted out (``Invitation.opted_out_at``): how the invitations land;
- **opt-outs recorded** counts every ``OptOut`` created in the period,
  including people who used the public opt-out page without ever being
  invited, and staff entries: how many people asked never to be invited.

``invitation_funnel`` is shared with the inbox's conversion page
(``listening.inbox_views.invitation_conversion``); all reads are aggregate
queries over tables that grow by hand-drafted invitations, so they stay small.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core.reports import (
    Chart,
    Figure,
    Heading,
    Period,
    Series,
    Table,
    day_start,
    register_section,
    series_by_bucket,
    share,
)

from ..models import ConsentEvent, ConsentEventKind, Invitation, OptOut

SLUG = "invitations"

# The consent checks write "code" or "code: detail" as a refusal's reason.
REFUSAL_LABELS = {
    "opted_out": _("Opted out"),
    "invited_before": _("Invited before"),
    "sensitive": _("Emotional or sensitive post"),
    "no_author": _("No author to invite"),
}


def _created_between(since: date | None, until: date | None) -> Q:
    """``created_at`` within whole local days, both inclusive; open-ended
    when a bound is missing."""
    created = Q()
    if since:
        created &= Q(created_at__gte=day_start(since))
    if until:
        created &= Q(created_at__lt=day_start(until + timedelta(days=1)))
    return created


def _percent(part: int, whole: int) -> int | None:
    return round(part * 100 / whole) if whole else None


def invitation_counts(created: Q) -> dict[str, int]:
    """How far the invitations offered in ``created`` got, in one query."""
    return Invitation.objects.filter(created).aggregate(
        offered=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        joined=Count("pk", filter=Q(joined_at__isnull=False)),
        contributed=Count("pk", filter=Q(contributed_at__isnull=False)),
        declined=Count("pk", filter=Q(declined_at__isnull=False)),
        opted_out=Count("pk", filter=Q(opted_out_at__isnull=False)),
    )


def funnel_steps(counts: dict[str, int]) -> list[dict]:
    """The funnel's rows from ``invitation_counts``: each step with its
    ``percent`` of the step it follows (declining and opting out follow
    opening), rounded to a whole percent, and that step's label and key."""
    offered_l, opened_l = gettext("Offered"), gettext("Opened")
    steps = [
        ("offered", offered_l, None),
        ("opened", opened_l, ("offered", offered_l)),
        ("joined", gettext("Joined"), ("opened", opened_l)),
        ("contributed", gettext("Contributed"), ("joined", gettext("Joined"))),
        ("declined", gettext("Declined (“not now”)"), ("opened", opened_l)),
        (
            "opted_out",
            gettext("Opted out (“never ask me again”)"),
            ("opened", opened_l),
        ),
    ]
    funnel = []
    for key, label, base in steps:
        row = {"key": key, "label": label, "count": counts[key]}
        if base:
            row["percent"] = _percent(counts[key], counts[base[0]])
            row["of"] = base[1]
            row["of_key"] = base[0]
        funnel.append(row)
    return funnel


def invitation_funnel(*, since: date | None = None, until: date | None = None) -> dict:
    """Invitations offered in the period and how far each got, plus the
    refusals and overrides recorded in the ledger in the same period
    (``since``/``until``: local days, both inclusive, either may be open)."""
    created = _created_between(since, until)
    counts = invitation_counts(created)
    funnel = funnel_steps(counts)
    return {"funnel": funnel, "counts": counts, **consent_refusals(created)}


def consent_refusals(created: Q) -> dict:
    """Offers the consent checks refused in ``created``, by reason, and the
    sensitivity overrides staff made (two queries)."""
    events = ConsentEvent.objects.filter(created)
    code = Case(
        When(
            reason__contains=":",
            then=Substr("reason", 1, StrIndex("reason", Value(":")) - 1),
        ),
        default=F("reason"),
        output_field=CharField(),
    )
    refusals = [
        {
            "code": row["code"],
            "label": REFUSAL_LABELS.get(row["code"], row["code"] or "—"),
            "count": row["n"],
        }
        for row in events.filter(kind=ConsentEventKind.REFUSED)
        .annotate(code=code)
        .values("code")
        .annotate(n=Count("pk"))
        .order_by("-n", "code")
    ]
    totals = events.aggregate(
        refused=Count("pk", filter=Q(kind=ConsentEventKind.REFUSED)),
        overrides=Count("pk", filter=Q(kind=ConsentEventKind.OVERRIDE)),
    )
    return {"refusals": refusals, **totals}


def _in_period(period: Period) -> Q:
    return Q(created_at__gte=period.start_at, created_at__lt=period.end_at)


# --- sections -------------------------------------------------------------------


def headline(period: Period, filters: dict) -> list[Figure]:
    previous = period.previous()
    now = invitation_counts(_in_period(period))
    before = invitation_counts(_in_period(previous))
    opt_outs = OptOut.objects.aggregate(
        now=Count("pk", filter=_in_period(period)),
        before=Count("pk", filter=_in_period(previous)),
    )
    return [
        Figure(
            "invitations-offered",
            _("Invitations offered"),
            now["offered"],
            previous=before["offered"],
        ),
        Figure(
            "invitations-joined-rate",
            _("Joined, of offered"),
            share(now["joined"], now["offered"]),
            "%",
            previous=share(before["joined"], before["offered"]),
            help=_("Of the invitations offered in the period."),
        ),
        Figure(
            "invitations-contributed",
            _("Contributed"),
            now["contributed"],
            previous=before["contributed"],
            help=_("Invitees who posted their idea or question."),
        ),
        Figure(
            "invitations-opt-out-rate",
            _("Opt-out rate"),
            share(now["opted_out"], now["offered"]),
            "%",
            previous=share(before["opted_out"], before["offered"]),
            lower_is_better=True,
            help=_("Invitations offered in the period whose invitee opted out."),
        ),
        Figure(
            "invitations-opt-outs",
            _("Opt-outs recorded"),
            opt_outs["now"],
            previous=opt_outs["before"],
            lower_is_better=True,
            help=_(
                "Everyone who asked never to be invited in the period, also "
                "through the public opt-out page without an invitation."
            ),
        ),
    ]


def funnel(period: Period, filters: dict) -> list:
    counts = invitation_counts(_in_period(period))
    steps = funnel_steps(counts)
    labels = [step["label"] for step in steps]
    return [
        Heading(
            "invitations-funnel-heading",
            _("Funnel"),
            _(
                "Invitations offered in the period and how far each one got, "
                "whenever that happened. Declining and opting out are shares "
                "of the invitations that were opened."
            ),
        ),
        Chart(
            "invitations-funnel",
            _("From offer to contribution"),
            "bar",
            labels,
            [Series(_("Invitations"), [step["count"] for step in steps])],
            label_header=_("Step"),
        ),
        Table(
            "invitations-funnel-table",
            _("Conversion per step"),
            [
                _("Step"),
                _("Invitations"),
                _("Step before"),
                _("Conversion from the step before (%)"),
                _("Of all offered (%)"),
            ],
            [
                [
                    step["label"],
                    step["count"],
                    step.get("of", ""),
                    share(step["count"], counts[step["of_key"]])
                    if "of_key" in step
                    else None,
                    share(step["count"], counts["offered"]),
                ]
                for step in steps
            ],
        ),
    ]


def over_time(period: Period, filters: dict) -> list:
    def per_bucket(model) -> list:
        rows = (
            model.objects.filter(_in_period(period))
            .order_by()
            .annotate(bucket=period.trunc("created_at"))
            .values("bucket")
            .annotate(n=Count("pk"))
            .values_list("bucket", "n")
        )
        return series_by_bucket(period, rows)

    return [
        Chart(
            "invitations-over-time",
            _("Invitations offered and opt-outs recorded"),
            "line",
            period.labels(),
            [
                Series(_("Invitations offered"), per_bucket(Invitation)),
                Series(_("Opt-outs recorded"), per_bucket(OptOut)),
            ],
            description=_(
                "Opt-outs recorded include those through the public opt-out "
                "page, without an invitation."
            ),
        )
    ]


def refusals(period: Period, filters: dict) -> list:
    data = consent_refusals(_in_period(period))
    rows = data["refusals"]
    return [
        Chart(
            "invitations-refusals",
            _("Offers refused by the consent checks, by reason"),
            "hbar",
            [str(row["label"]) for row in rows],
            [Series(_("Refusals"), [row["count"] for row in rows])],
            label_header=_("Reason"),
        ),
        Heading(
            "invitations-ledger",
            _("The consent ledger"),
            _(
                "The consent ledger records every step of every invitation, "
                "append-only: rows are added, never changed. Offers refused by "
                "the consent checks in the period: %(refused)d. Sensitivity "
                "refusals staff overrode, each with a written reason: "
                "%(overrides)d. Nothing is posted automatically: an offered "
                "invitation is a drafted reply that staff post themselves."
            )
            % {"refused": data["refused"], "overrides": data["overrides"]},
        ),
    ]


def register() -> None:
    register_section(SLUG, headline, order=10, headline=True)
    register_section(SLUG, funnel, order=10)
    register_section(SLUG, over_time, order=20)
    register_section(SLUG, refusals, order=30)
