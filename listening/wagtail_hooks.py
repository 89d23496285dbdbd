"""The listening console in the Wagtail admin: sources with their health,
trackers, and the mentions they found (read-only; they change only through
services)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

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
        "enabled",
        "last_run_at",
        "last_success_at",
        "consecutive_failures",
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
    list_display = ["name", "kind", "languages", "is_active"]
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
        "is_lead",
        "influence",
        "posted_at",
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
    list_per_page = 50

    def get_queryset(self, request):
        return Mention.objects.select_related("source")


class ListeningGroup(SnippetViewSetGroup):
    items = (SourceViewSet, TrackerViewSet, MentionViewSet)
    menu_icon = "site"
    menu_label = _("Listening")
    menu_name = "listening"


register_snippet(ListeningGroup)
