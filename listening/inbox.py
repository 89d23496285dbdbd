"""The webcare inbox's reads: filters, sorting and the SLA clock (issue 6).

`InboxFilterForm` validates the query string (the admin inbox and
`GET /api/v1/mentions/` share it); `inbox_queryset` turns it into one
queryset. Every filter maps to an indexed column (see Mention.Meta.indexes);
bench/inbox_bench.py measures every combination on 1M rows.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core.text import db_id

from .models import (
    OPEN_MENTION_STATUSES,
    Intent,
    Mention,
    MentionStatus,
    SentimentLabel,
    Source,
    Tracker,
)

# Sortable columns: the name in the query string → the model field.
SORTS = {
    "posted": "posted_at",
    "due": "due_at",
    "influence": "influence",
    "sentiment": "sentiment_score",
    "intent": "intent",
    "language": "language",
    "status": "status",
    "author": "author_handle",
    # By id, not by name: an index on the mention table serves these, a sort
    # on a joined column would sort the whole table (bench/inbox_bench.py).
    "source": "source_id",
    "assignee": "assignee_id",
    "fetched": "fetched_at",
}
DEFAULT_SORT = "due"
AGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# Without a status filter the inbox shows what still needs someone.
DEFAULT_STATUSES = [*OPEN_MENTION_STATUSES]
ALL = "all"


ANY = _("Any")


def _choices(choices):
    return [("", ANY), *choices]


class InboxFilterForm(forms.Form):
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(ALL, _("All")), *MentionStatus.choices],
    )
    tracker = forms.ModelChoiceField(
        label=_("Tracker"), required=False, queryset=Tracker.objects.all()
    )
    source = forms.ModelChoiceField(
        label=_("Source"), required=False, queryset=Source.objects.all()
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=_choices([("en", _("English")), ("nl", _("Dutch"))]),
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), required=False, choices=_choices(SentimentLabel.choices)
    )
    intent = forms.ChoiceField(
        label=_("Intent"), required=False, choices=_choices(Intent.choices)
    )
    influence = forms.FloatField(
        label=_("Influence at least"), required=False, min_value=0, max_value=100
    )
    assignee = forms.CharField(label=_("Assigned to"), required=False, max_length=20)
    age = forms.ChoiceField(
        label=_("Age"),
        required=False,
        choices=_choices(
            [
                ("1h", _("Last hour")),
                ("24h", _("Last 24 hours")),
                ("7d", _("Last 7 days")),
                ("30d", _("Last 30 days")),
            ]
        ),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    lead = forms.BooleanField(label=_("Sales leads only"), required=False)
    idea = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    sort = forms.CharField(required=False, max_length=20)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_assignee(self):
        value = (self.cleaned_data.get("assignee") or "").strip()
        if value in ("", "me", "none"):
            return value
        if db_id(value) is None:
            raise forms.ValidationError(_("Use a staff member's id, “me” or “none”."))
        return value

    def clean_sort(self):
        value = self.cleaned_data.get("sort") or ""
        if value.lstrip("-") not in ("", *SORTS):
            raise forms.ValidationError(
                _("Sort by one of: %(choices)s.") % {"choices": ", ".join(SORTS)}
            )
        return value or DEFAULT_SORT


def staff_users():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("username")
        .only("pk", "username", "first_name", "last_name")
    )


def inbox_queryset(data: dict, *, user=None, now=None) -> QuerySet[Mention]:
    """Mentions for the validated filters in `data` (InboxFilterForm's
    cleaned_data), sorted; ties broken by id so pages are stable."""
    now = now or timezone.now()
    qs = Mention.objects.all()
    # Mentions linked to an idea are no longer open: that view shows them all.
    statuses = data.get("status") or ([ALL] if data.get("idea") else DEFAULT_STATUSES)
    if ALL not in statuses:
        qs = qs.filter(status__in=statuses)
    if data.get("tracker"):
        through = Mention.trackers.through
        qs = qs.filter(
            Exists(
                through.objects.filter(
                    mention_id=OuterRef("pk"), tracker_id=data["tracker"].pk
                )
            )
        )
    if data.get("source"):
        qs = qs.filter(source=data["source"])
    if data.get("language"):
        qs = qs.filter(language=data["language"])
    if data.get("sentiment"):
        qs = qs.filter(sentiment_label=data["sentiment"])
    if data.get("intent"):
        qs = qs.filter(intent=data["intent"])
    if data.get("influence") is not None:
        qs = qs.filter(influence__gte=data["influence"])
    assignee = data.get("assignee") or ""
    if assignee == "me" and user is not None:
        qs = qs.filter(assignee=user)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif db_id(assignee):
        qs = qs.filter(assignee_id=db_id(assignee))
    if data.get("age"):
        qs = qs.filter(posted_at__gte=now - AGES[data["age"]])
    if data.get("overdue"):
        qs = qs.filter(
            status__in=OPEN_MENTION_STATUSES,
            first_response_at__isnull=True,
            due_at__lt=now,
        )
    if data.get("lead"):
        qs = qs.filter(is_lead=True)
    if data.get("idea"):
        qs = qs.filter(links__idea_id=data["idea"])
    sort = data.get("sort") or DEFAULT_SORT
    field = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    order = [f"-{field}", "-pk"] if descending else [field, "pk"]
    return qs.order_by(*order)


def sla_state(mention: Mention, now=None) -> str:
    """ "met", "missed", "overdue", "due" (running) or "" (no clock)."""
    now = now or timezone.now()
    if mention.due_at is None:
        return ""
    if mention.first_response_at is not None:
        return "met" if mention.first_response_at <= mention.due_at else "missed"
    if mention.status not in OPEN_MENTION_STATUSES:
        return ""
    return "overdue" if mention.due_at < now else "due"
