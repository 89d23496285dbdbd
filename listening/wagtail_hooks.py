"""The listening console in the Wagtail admin: sources with their health,
trackers, and the mentions they found (read-only; they change only through
services)."""

from datetime import timedelta

from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.widgets import Button
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    InspectView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from .models import Mention, Source, Tracker


class MentionPolicy(ModelPermissionPolicy):
    """Mentions are what the sources found: staff read them, never type them."""

    def user_has_permission(self, user, action):
        if action in ("add", "change"):
            return False
        return super().user_has_permission(user, action)


register_permission_policy(Mention, MentionPolicy(Mention), exact_class=True)


class SourceViewSet(SnippetViewSet):
    model = Source
    icon = "site"
    menu_label = _("Sources")
    url_prefix = "listening/sources"
    list_display = [
        "name",
        "kind",
        BooleanColumn("enabled", label=capfirst(_("enabled")), sort_key="enabled"),
        "last_run_at",
        "last_success_at",
        Column(
            "consecutive_failures",
            label=capfirst(_("failures in a row")),
            sort_key="consecutive_failures",
        ),
        "fetched_total",
        "rate_limited_until",
    ]
    list_filter = {"kind": ["exact"], "enabled": ["exact"]}
    search_fields = ["name", "url"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "name",
        "kind",
        "url",
        "enabled",
        "interval_minutes",
        "last_run_at",
        "last_success_at",
        "last_error",
        "last_error_at",
        "consecutive_failures",
        "fetched_total",
        "rate_limited_until",
    ]
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("url"),
        FieldPanel("config"),
        MultiFieldPanel(
            [FieldPanel("enabled"), FieldPanel("interval_minutes")],
            heading=_("Polling"),
        ),
    ]


class TrackerViewSet(SnippetViewSet):
    model = Tracker
    icon = "search"
    menu_label = _("Trackers")
    url_prefix = "listening/trackers"
    list_display = [
        "name",
        "kind",
        "languages",
        BooleanColumn("is_active", label=capfirst(_("active")), sort_key="is_active"),
    ]
    list_filter = {"kind": ["exact"], "is_active": ["exact"]}
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        MultiFieldPanel(
            [
                FieldPanel("any_terms"),
                FieldPanel("all_terms"),
                FieldPanel("none_terms"),
                FieldPanel("phrases"),
            ],
            heading=_("Query"),
        ),
        MultiFieldPanel(
            [FieldPanel("languages"), FieldPanel("source_kinds")],
            heading=_("Filters"),
        ),
        FieldPanel("is_active"),
    ]


# Staff correct intent and sentiment (listening/correction_views.py) from the
# mention's inspect page or its row in the list.
def _correct_url(mention_id: int) -> str:
    return reverse("listening_corrections:correct", args=[mention_id])


def _correct_link(mention: Mention) -> str:
    return format_html('<a href="{}">{}</a>', _correct_url(mention.pk), _("Correct"))


class MentionInspectView(InspectView):
    @cached_property
    def header_more_buttons(self):
        return [
            *super().header_more_buttons,
            Button(
                _("Correct labels"),
                url=_correct_url(self.object.pk),
                icon_name="edit",
                priority=5,
            ),
        ]

    # Times in the staff member's time zone, yes/no for flags and a dash for
    # what is not known, like the rest of the admin.
    def get_field_display_value(self, field_name, field):
        value = getattr(self.object, field_name, None)
        if field_name in self.DATETIME_FIELDS:
            return date_format(localtime(value), "DATETIME_FORMAT") if value else "—"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if value is None or value == "":
            return "—"
        return super().get_field_display_value(field_name, field)

    DATETIME_FIELDS = ("posted_at", "fetched_at", "engaged_at", "pseudonymised_at")


class MentionViewSet(SnippetViewSet):
    model = Mention
    icon = "openquote"
    menu_label = _("Mentions")
    url_prefix = "listening/mentions"
    list_display = [
        "__str__",
        "source",
        "language",
        "sentiment_label",
        "intent",
        BooleanColumn("is_lead", label=capfirst(_("sales lead")), sort_key="is_lead"),
        "influence",
        "posted_at",
        Column("correct", label=_("Labels"), accessor=_correct_link),
    ]
    list_filter = {
        "source": ["exact"],
        "language": ["exact"],
        "trackers": ["exact"],
        "sentiment_label": ["exact"],
        "intent": ["exact"],
        "is_lead": ["exact"],
        "is_competitor": ["exact"],
    }
    search_fields = ["text", "author_handle"]
    inspect_view_enabled = True
    inspect_view_class = MentionInspectView
    inspect_view_fields = [
        "text",
        "author_handle",
        "author_name",
        "author_url",
        "author_followers",
        "url",
        "source",
        "trackers",
        "language",
        "posted_at",
        "fetched_at",
        "sentiment_label",
        "sentiment_score",
        "intent",
        "is_lead",
        "is_competitor",
        "influence",
        "engaged_at",
        "pseudonymised_at",
    ]
    list_per_page = 50

    def get_queryset(self, request):
        return Mention.objects.select_related("source")


class ListeningGroup(SnippetViewSetGroup):
    items = (SourceViewSet, TrackerViewSet, MentionViewSet)
    menu_icon = "site"
    menu_label = _("Listening")
    menu_name = "listening"
    # Plain admin views (e.g. privacy requests) join this submenu via the hook.
    submenu_hook = "register_listening_menu_item"


register_snippet(ListeningGroup)


# Privacy requests (listening/privacy_views.py): export or erase a handle.
class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_active and request.user.is_staff


@hooks.register("register_listening_menu_item")
def _privacy_menu_item():
    return StaffMenuItem(
        _("Privacy requests"),
        reverse("listening_privacy:requests"),
        name="listening-privacy",
        icon_name="lock",
        order=900,
    )


@hooks.register("register_admin_urls")
def _privacy_admin_urls():
    from . import privacy_views

    urls = [path("", privacy_views.privacy_requests, name="requests")]
    return [
        path(
            "listening/privacy/",
            include((urls, "listening_privacy"), namespace="listening_privacy"),
        )
    ]


@hooks.register("register_admin_urls")
def _correction_admin_urls():
    from . import correction_views

    urls = [
        path(
            "<int:mention_id>/",
            correction_views.mention_correct_labels,
            name="correct",
        )
    ]
    return [
        path(
            "listening/corrections/",
            include((urls, "listening_corrections"), namespace="listening_corrections"),
        )
    ]


# Imports (listening/import_views.py): upload an export, follow its progress.
@hooks.register("register_listening_menu_item")
def _imports_menu_item():
    return StaffMenuItem(
        _("Imports"),
        reverse("listening_imports:index"),
        name="listening-imports",
        icon_name="upload",
        order=800,
    )


@hooks.register("register_admin_urls")
def _import_admin_urls():
    from . import import_views

    urls = [
        path("", import_views.imports_list, name="index"),
        path("<int:job_id>/", import_views.import_detail, name="detail"),
    ]
    return [
        path(
            "listening/imports/",
            include((urls, "listening_imports"), namespace="listening_imports"),
        )
    ]


# The webcare inbox (listening/inbox_urls.py): triage, reply, link, invite.
@hooks.register("register_listening_menu_item")
def _inbox_menu_item():
    return StaffMenuItem(
        _("Inbox"),
        reverse("listening_inbox:index"),
        name="listening-inbox",
        icon_name="mail",
        order=10,
    )


@hooks.register("register_admin_urls")
def _inbox_admin_urls():
    from . import inbox_urls

    return [
        path(
            "listening/inbox/",
            include(
                (inbox_urls.urlpatterns, "listening_inbox"), namespace="listening_inbox"
            ),
        )
    ]


# Spike alerts (listening/spikes.py, listening/spike_views.py): in the Insight
# menu, and the unacknowledged ones of the last week on the admin dashboard.
@hooks.register("register_admin_urls")
def _spike_admin_urls():
    from . import spike_views

    urls = [
        path("", spike_views.spike_list, name="index"),
        path("<int:alert_id>/", spike_views.spike_detail, name="detail"),
        path(
            "<int:alert_id>/acknowledge/",
            spike_views.spike_acknowledge_view,
            name="acknowledge",
        ),
    ]
    return [
        path(
            "listening/spikes/",
            include((urls, "listening_spikes"), namespace="listening_spikes"),
        )
    ]


@hooks.register("register_insight_menu_item")
def _spikes_menu_item():
    return StaffMenuItem(
        _("Spike alerts"),
        reverse("listening_spikes:index"),
        name="insight-spikes",
        icon_name="warning",
        order=90,
    )


class SpikeAlertsPanel(Component):
    """Unacknowledged spike alerts of the last week (one query; nothing shown
    when there are none)."""

    name = "listening_spike_alerts"
    template_name = "listening/spikes/panel.html"
    order = 90
    DAYS = 7
    SHOWN = 10

    def get_context_data(self, parent_context):
        from .models import SpikeAlert

        since = timezone.now() - timedelta(days=self.DAYS)
        alerts = list(
            SpikeAlert.objects.filter(
                acknowledged_at__isnull=True, created_at__gte=since
            )
            .select_related("tracker")
            .only(
                "pk",
                "kind",
                "window_start",
                "observed",
                "expected",
                "tracker__name",
            )
            .order_by("-created_at")[: self.SHOWN]
        )
        return {"alerts": alerts, "request": parent_context.get("request")}


@hooks.register("construct_homepage_panels")
def _spike_alerts_panel(request, panels):
    if request.user.is_active and request.user.is_staff:
        panels.append(SpikeAlertsPanel())
