"""Spike alerts in the Wagtail admin (Insight → Spike alerts), under
/admin/listening/spikes/ (namespace "listening_spikes").

The list shows every alert, newest first; an alert's page explains it (the
summary sentence, terms, authors, languages, sources, the mentions behind it
and a link to the listening report for that tracker and those days) and lets
staff acknowledge it. Staff only: every view checks it. Detection and
acknowledging are in ``listening.spikes``.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.core.reports import local_tz

from .models import Mention, SentimentLabel, SpikeAlert
from .spikes import language_name, source_label, spike_acknowledge, spike_summary

ALERTS_PER_PAGE = 50


def _staff_only(request: HttpRequest) -> None:
    # Wagtail's admin URL wrapper already sends visitors to the login page;
    # spike alerts are for active staff on top of admin access.
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied


def _percent(part: int, total: int) -> float | None:
    return round(part * 100 / total, 1) if total else None


def spike_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    open_only = request.GET.get("state") == "open"
    qs = SpikeAlert.objects.select_related("tracker", "acknowledged_by").defer(
        "explanation"
    )
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    page = Paginator(qs.order_by("-window_start", "-pk"), ALERTS_PER_PAGE).get_page(
        request.GET.get("p")
    )
    return render(
        request,
        "listening/spikes/index.html",
        {"page": page, "open_only": open_only},
    )


def report_url(alert: SpikeAlert) -> str:
    """The listening report for the alert's tracker and local days."""
    tz = local_tz()  # the reports' days are local days in TIME_ZONE
    since = timezone.localdate(alert.window_start, timezone=tz)
    last = alert.window_end - timedelta(microseconds=1)  # the end is exclusive
    until = timezone.localdate(last, timezone=tz)
    query = urlencode(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "trackers": alert.tracker_id,
        }
    )
    return reverse("insight:report", args=["listening"]) + "?" + query


def spike_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    _staff_only(request)
    alert = get_object_or_404(
        SpikeAlert.objects.select_related("tracker", "acknowledged_by"), pk=alert_id
    )
    data = alert.explanation or {}
    ids = [i for i in data.get("mentions", []) if isinstance(i, int)]
    # Expired mentions are deleted: show the ones that remain, in stored order.
    found = Mention.objects.select_related("source").defer("raw").in_bulk(ids)
    mentions = [found[i] for i in ids if i in found]

    languages = data.get("languages", [])
    total = sum(row["posts"] for row in languages)
    sources = data.get("sources", [])
    sentiment = data.get("sentiment", {})
    sentiment_rows = [
        {
            "label": label.label,
            "posts": sentiment.get(label.value, 0),
            "percent": _percent(sentiment.get(label.value, 0), total),
        }
        for label in SentimentLabel
    ]
    if sentiment.get(""):
        sentiment_rows.append(
            {
                "label": _("Not scored"),
                "posts": sentiment[""],
                "percent": _percent(sentiment[""], total),
            }
        )
    context = {
        "alert": alert,
        "summary": spike_summary(alert),
        "ratio": round(alert.observed / alert.expected, 1) if alert.expected else None,
        "minutes": data.get("minutes"),
        "baseline_days": data.get("baseline_days"),
        "baseline_mentions": data.get("baseline_mentions"),
        "terms": data.get("terms", []),
        "authors": data.get("authors", []),
        "languages": [
            {
                "name": language_name(row["code"]),
                "posts": row["posts"],
                "percent": _percent(row["posts"], total),
            }
            for row in languages
        ],
        "sources": [
            {
                "name": row.get("name") or source_label(row),
                "network": source_label(row),
                "posts": row["posts"],
                "percent": _percent(row["posts"], total),
            }
            for row in sources
        ],
        "sentiment": sentiment_rows,
        "mentions": mentions,
        "missing_mentions": len(ids) - len(mentions),
        "report_url": report_url(alert),
    }
    return render(request, "listening/spikes/detail.html", context)


@require_POST
def spike_acknowledge_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    _staff_only(request)
    alert = get_object_or_404(SpikeAlert.objects.only("pk"), pk=alert_id)
    if spike_acknowledge(alert=alert, user=request.user):
        messages.success(request, _("Spike alert acknowledged."))
    else:
        messages.info(request, _("This alert was already acknowledged."))
    return redirect("listening_spikes:detail", alert_id=alert.pk)
