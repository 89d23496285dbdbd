"""The ideas staff console in the Wagtail admin."""

from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_views, services
from .admin_forms import IdeaAdminForm
from .models import Idea, IdeaStatus, VoteBurst


class ActionsColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("ideas_admin:respond", args=[instance.pk]),
            _("Respond"),
            reverse("ideas_admin:merge", args=[instance.pk]),
            _("Merge"),
            instance.get_absolute_url(),
            _("View"),
        )


class IdeaViewSet(SnippetViewSet):
    model = Idea
    icon = "pick"
    menu_label = _("Ideas")
    base_form_class = IdeaAdminForm
    list_display = [
        "title",
        "status",
        "focus_area",
        "vote_count",
        "flag_count",
        "created_at",
        ActionsColumn("actions", label=_("Actions")),
    ]
    list_filter = {
        "status": ["exact"],
        "focus_area": ["exact"],
        "is_hidden": ["exact"],
        "is_locked": ["exact"],
        "has_official_response": ["exact"],
        "flag_count": ["gte"],
        "created_at": ["gte", "lte"],
    }
    search_fields = ["title", "body"]
    list_per_page = 50
    ordering = ["-created_at"]
    panels = [
        FieldPanel("title"),
        FieldPanel("body"),
        FieldPanel("focus_area"),
        FieldPanel("tags"),
        FieldPanel("image"),
        MultiFieldPanel(
            [
                FieldPanel("is_hidden"),
                FieldPanel("hidden_reason"),
                FieldPanel("is_locked"),
            ],
            heading=_("Moderation"),
        ),
    ]

    def get_queryset(self, request):
        return Idea.objects.select_related("focus_area")


class VoteBurstViewSet(SnippetViewSet):
    model = VoteBurst
    icon = "warning"
    menu_label = _("Vote bursts")
    list_display = ["idea", "new_account_votes", "window_minutes", "created_at"]
    inspect_view_enabled = True
    panels = [FieldPanel("reviewed_at")]


class IdeasGroup(SnippetViewSetGroup):
    items = (IdeaViewSet, VoteBurstViewSet)
    menu_icon = "pick"
    menu_label = _("Ideas")
    menu_name = "ideas"


register_snippet(IdeasGroup)


@hooks.register("register_bulk_action")
class ChangeStatusBulkAction(SnippetBulkAction):
    display_name = _("Change status")
    action_type = "change_status"
    aria_label = _("Change the status of the selected ideas")
    template_name = "ideas/admin/bulk_status.html"
    action_priority = 20
    form_class = admin_views.RespondForm
    models = [Idea]

    def check_perm(self, obj) -> bool:
        return self.request.user.is_staff

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "user": self.request.user,
            "status": self.cleaned_form.cleaned_data["status"],
            "response": self.cleaned_form.cleaned_data["response"],
            "admits_mistake": self.cleaned_form.cleaned_data["admits_mistake"],
        }

    @classmethod
    def execute_action(
        cls, objects, user=None, status="", response="", admits_mistake=False, **kwargs
    ):
        changed = 0
        for idea in objects:
            if idea.status == status and not response:
                continue
            if idea.status == IdeaStatus.MERGED:
                continue
            services.idea_respond(
                idea=idea,
                by=user,
                status=status,
                response=response,
                admits_mistake=admits_mistake,
            )
            changed += 1
        return changed, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return _("%(n)d ideas updated.") % {"n": num_parent_objects}


@hooks.register("register_admin_urls")
def _ideas_admin_urls():
    return [
        path(
            "ideas-console/",
            include(
                (
                    [
                        path(
                            "<int:idea_id>/respond/",
                            admin_views.respond,
                            name="respond",
                        ),
                        path("<int:idea_id>/merge/", admin_views.merge, name="merge"),
                        path("<int:idea_id>/ban/", admin_views.ban_author, name="ban"),
                        path(
                            "<int:idea_id>/<str:what>/toggle/",
                            admin_views.toggle,
                            name="toggle",
                        ),
                        path("merges/", admin_views.merges, name="merges"),
                        path(
                            "merges/<int:merge_id>/undo/",
                            admin_views.merge_undo,
                            name="merge_undo",
                        ),
                    ],
                    "ideas_admin",
                ),
                namespace="ideas_admin",
            ),
        )
    ]
