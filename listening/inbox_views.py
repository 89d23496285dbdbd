"""The webcare inbox in the Wagtail admin (Listening → Inbox, issue 6).

- `inbox`: a dense, sortable, filterable table of mentions with their SLA
  clock. Pages are fetched as page size + 1 rows, so no COUNT runs over the
  whole table (the inbox must stay fast at 1M mentions).
- `inbox_bulk`, `mention_assign_view`, `mention_status_view`: POST only;
  they call `webcare.mention_assign` / `mention_set_status` and go back to
  the inbox URL they came from (`next`, checked against this host).
- `invitation_conversion`: the invitation funnel from the consent ledger,
  in aggregate queries only (`listening.reports.invitations.invitation_funnel`,
  shared with the invitations report, which adds charts and CSV).

Keyboard shortcuts live in static/listening/inbox.js; everything also works
without JavaScript through the filter form, the links and the bulk form.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    Prefetch,
)
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_POST

from portal.core.text import db_id

from .inbox import InboxFilterForm, inbox_queryset, sla_state, staff_users
from .models import Mention, MentionStatus, Tracker
from .reports.invitations import invitation_funnel
from .webcare import BULK_MAX, mention_assign, mention_set_status, webcare_settings

PAGE_SIZE = 50
# Offset pages beyond this are refused: filter instead of paging that far.
PAGE_MAX = 1000
TEXT_CHARS = 160

# Sortable columns in the order they appear: query-string key, header label.
# The SLA clock comes first after the text: it is what triage looks at, and
# it stays in view on a laptop screen.
COLUMNS = [
    ("due", gettext_lazy("SLA")),
    ("author", gettext_lazy("Author")),
    ("source", gettext_lazy("Source")),
    ("language", gettext_lazy("Language")),
    ("sentiment", gettext_lazy("Sentiment")),
    ("intent", gettext_lazy("Intent")),
    ("influence", gettext_lazy("Influence")),
    ("status", gettext_lazy("Status")),
    ("assignee", gettext_lazy("Assigned to")),
    ("posted", gettext_lazy("Posted")),
]
# The first click on these sorts high to low / newest first.
DESCENDING_FIRST = {"posted", "influence"}

BULK_ACTIONS = {
    "assign_me": gettext_lazy("Assign to me"),
    "assign": gettext_lazy("Assign to…"),
    "unassign": gettext_lazy("Unassign"),
    "close": gettext_lazy("Close"),
    "ignore": gettext_lazy("Ignore"),
    "reopen": gettext_lazy("Reopen"),
}
SINGLE_STATUSES = (MentionStatus.CLOSED, MentionStatus.IGNORED, MentionStatus.NEW)


def _staff_only(request: HttpRequest) -> None:
    # Wagtail's admin URL wrapper already sends visitors to the login page;
    # the inbox is for active staff on top of admin access.
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied


def _inbox_url() -> str:
    return reverse("listening_inbox:index")


def _next_url(request: HttpRequest) -> str:
    """Where to go after a POST: `next` when it stays on this site."""
    candidate = request.POST.get("next") or ""
    # A path on this site only: redirect() would take anything else without
    # a slash for a URL name to reverse, and a stray ":" crashed that.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return _inbox_url()


def _staff_list():
    # public_name needs display_name and is_erased; load them up front.
    return list(staff_users().only("pk", "username", "display_name", "is_erased"))


def _staff_member(value: str):
    pk = db_id(value)
    if pk is None:
        return None
    return staff_users().filter(pk=pk).first()


# --- the list ---------------------------------------------------------------


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return _("%(n)d h") % {"n": hours}
    return _("%(n)d d") % {"n": hours // 24}


def _sla_clock(mention: Mention, now: datetime) -> tuple[str, str]:
    """(state, label) for the SLA column."""
    state = sla_state(mention, now=now)
    if state == "due":
        return state, _("due in %(t)s") % {"t": _duration(mention.due_at - now)}
    if state == "overdue":
        return state, _("Overdue by %(t)s") % {"t": _duration(now - mention.due_at)}
    if state in ("met", "missed"):
        if mention.first_response_seconds is not None:
            took = timedelta(seconds=mention.first_response_seconds)
        else:
            took = mention.first_response_at - mention.fetched_at
        verdict = (
            pgettext("response-time target", "met")
            if state == "met"
            else pgettext("response-time target", "missed")
        )
        return state, _("answered in %(t)s (%(verdict)s)") % {
            "t": _duration(took),
            "verdict": verdict,
        }
    return "", ""


def _query(params: QueryDict, **changes) -> str:
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _sort_headers(params: QueryDict, current: str) -> list[dict]:
    headers = []
    for key, label in COLUMNS:
        if current == key:
            target, state = f"-{key}", "ascending"
        elif current == f"-{key}":
            target, state = key, "descending"
        else:
            target = f"-{key}" if key in DESCENDING_FIRST else key
            state = ""
        headers.append(
            {
                "key": key,
                "label": label,
                "state": state,
                "url": _query(params, sort=target, page=None),
            }
        )
    return headers


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), PAGE_MAX)


def _filter_form(request: HttpRequest, staff: list) -> InboxFilterForm:
    form = InboxFilterForm(request.GET, user=request.user)
    choices = [
        ("", _("Anyone")),
        ("me", _("Me")),
        ("none", _("Nobody")),
        *[(str(user.pk), user.public_name) for user in staff],
    ]
    form.fields["assignee"].widget = forms.Select(choices=choices)
    form.fields["tracker"].empty_label = _("Any")
    form.fields["source"].empty_label = _("Any")
    form.fields["status"].widget.attrs["size"] = 4
    form.fields["sort"].widget = forms.HiddenInput()
    return form


def inbox(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    staff = _staff_list()
    form = _filter_form(request, staff)
    page = _page_number(request.GET.get("page"))
    now = timezone.now()
    rows: list[Mention] = []
    has_next = False
    sort = ""
    if form.is_valid():
        sort = form.cleaned_data["sort"]
        qs = (
            inbox_queryset(form.cleaned_data, user=request.user, now=now)
            .select_related("source", "assignee")
            .prefetch_related(
                Prefetch("trackers", queryset=Tracker.objects.only("pk", "name"))
            )
            .defer("raw")
        )
        offset = (page - 1) * PAGE_SIZE
        rows = list(qs[offset : offset + PAGE_SIZE + 1])
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        for mention in rows:
            mention.sla_state, mention.sla_label = _sla_clock(mention, now)
    params = request.GET
    cfg = webcare_settings()
    guidelines = cfg.guidelines_page
    context = {
        "form": form,
        "rows": rows,
        "headers": _sort_headers(params, sort),
        "page": page,
        "previous_url": _query(params, page=page - 1 if page > 2 else None)
        if page > 1
        else "",
        "next_url": _query(params, page=page + 1)
        if has_next and page < PAGE_MAX
        else "",
        "staff": staff,
        "bulk_actions": BULK_ACTIONS.items(),
        "bulk_max": BULK_MAX,
        "guidelines_url": guidelines.get_url(request) if guidelines else "",
        "text_chars": TEXT_CHARS,
        "here": request.get_full_path(),
    }
    return render(
        request,
        "listening/inbox/index.html",
        context,
        status=400 if form.errors else 200,
    )


# --- actions ----------------------------------------------------------------


def _report(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, _("Only staff can work in the inbox."))


def _bulk_ids(request: HttpRequest) -> list[int] | None:
    raw = request.POST.getlist("ids")
    if not raw:
        messages.error(request, _("Select at least one mention first."))
        return None
    if not all(db_id(value) for value in raw):
        messages.error(request, _("The selection was not valid; try again."))
        return None
    ids = sorted({db_id(value) for value in raw})
    if len(ids) > BULK_MAX:
        messages.error(
            request,
            _("Select at most %(n)d mentions at once.") % {"n": BULK_MAX},
        )
        return None
    return ids


@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    back = _next_url(request)
    action = request.POST.get("action") or ""
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose what to do with the selected mentions."))
        return redirect(back)
    ids = _bulk_ids(request)
    if ids is None:
        return redirect(back)
    user = request.user
    try:
        if action in ("assign", "assign_me", "unassign"):
            if action == "assign":
                assignee = _staff_member(request.POST.get("assignee") or "")
                if assignee is None:
                    messages.error(
                        request, _("Choose a staff member to assign the mentions to.")
                    )
                    return redirect(back)
            else:
                assignee = user if action == "assign_me" else None
            count = mention_assign(mentions=ids, assignee=assignee, by=user)
            if assignee is None:
                text = ngettext(
                    "%(count)d mention unassigned.",
                    "%(count)d mentions unassigned.",
                    count,
                )
            else:
                text = ngettext(
                    "%(count)d mention assigned to %(name)s.",
                    "%(count)d mentions assigned to %(name)s.",
                    count,
                )
            name = assignee.public_name if assignee else ""
            messages.success(request, text % {"count": count, "name": name})
        else:
            status = {
                "close": MentionStatus.CLOSED,
                "ignore": MentionStatus.IGNORED,
                "reopen": MentionStatus.NEW,
            }[action]
            count = mention_set_status(mentions=ids, status=status, by=user)
            texts = {
                "close": ngettext(
                    "%(count)d mention closed.", "%(count)d mentions closed.", count
                ),
                "ignore": ngettext(
                    "%(count)d mention ignored.", "%(count)d mentions ignored.", count
                ),
                "reopen": ngettext(
                    "%(count)d mention reopened.", "%(count)d mentions reopened.", count
                ),
            }
            messages.success(request, texts[action] % {"count": count})
    except (ValidationError, PermissionDenied) as exc:
        _report(request, exc)
    return redirect(back)


@require_POST
def mention_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    mention = get_object_or_404(Mention.objects.only("pk"), pk=pk)
    back = _next_url(request)
    value = (request.POST.get("assignee") or "").strip()
    if value == "me":
        assignee = request.user
    elif value == "none":
        assignee = None
    else:
        assignee = _staff_member(value)
        if assignee is None:
            messages.error(request, _("Mentions can only be assigned to staff."))
            return redirect(back)
    try:
        mention_assign(mentions=[mention], assignee=assignee, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _report(request, exc)
        return redirect(back)
    if assignee is None:
        messages.success(request, _("Mention %(pk)d unassigned.") % {"pk": pk})
    else:
        messages.success(
            request,
            _("Mention %(pk)d assigned to %(name)s.")
            % {"pk": pk, "name": assignee.public_name},
        )
    return redirect(back)


@require_POST
def mention_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    mention = get_object_or_404(Mention.objects.only("pk"), pk=pk)
    back = _next_url(request)
    status = request.POST.get("status") or ""
    if status not in SINGLE_STATUSES:
        messages.error(request, _("Choose close, ignore or reopen."))
        return redirect(back)
    try:
        mention_set_status(mentions=[mention], status=status, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _report(request, exc)
        return redirect(back)
    texts = {
        MentionStatus.CLOSED: _("Mention %(pk)d closed."),
        MentionStatus.IGNORED: _("Mention %(pk)d ignored."),
        MentionStatus.NEW: _("Mention %(pk)d reopened."),
    }
    messages.success(request, texts[status] % {"pk": pk})
    return redirect(back)


# --- invitation conversion --------------------------------------------------
# The funnel itself lives with the invitations report
# (listening/reports/invitations.py), which charts it per period.


class ConversionRangeForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=gettext_lazy("Until (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


def invitation_conversion(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = ConversionRangeForm(request.GET or None)
    since = until = None
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    context = {
        "form": form,
        "since": since,
        "until": until,
        **invitation_funnel(since=since, until=until),
    }
    return render(
        request,
        "listening/inbox/conversion.html",
        context,
        status=400 if form.errors else 200,
    )
