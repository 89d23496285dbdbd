"""The expertcare staff console in the Wagtail admin.

Applications, experts, questions and private cases are read-only listings:
every change goes through a service from the staff screens in admin_views.py
(URLs under /admin/expertcare/, namespace ``experts_admin``). Levels are plain
configuration and get full create/edit/delete.
"""

from django.db.models import IntegerField, Value
from django.db.models.functions import Coalesce
from django.middleware.csrf import get_token
from django.urls import include, path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column, StatusFlagColumn
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_views
from .models import (
    ApplicationStatus,
    ExpertApplication,
    ExpertLevel,
    ExpertProfile,
    ExpertStatus,
    PrivateCase,
    Question,
)

MENU_HOOK = "register_expertcare_menu_item"


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Staff may list and inspect, never add, edit or delete here: the
    records change only through services (approve, pause, escalate, ...)."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)


for _model in (ExpertApplication, ExpertProfile, Question, PrivateCase):
    register_permission_policy(_model, ReadOnlyPolicy(_model), exact_class=True)


def _areas(obj) -> str:
    return ", ".join(area.name for area in obj.focus_areas.all())


class LinksColumn(Column):
    """A cell of admin links; subclasses return (url, label) pairs."""

    def links(self, instance):
        return []

    def get_value(self, instance):
        return format_html_join(" · ", '<a href="{}">{}</a>', self.links(instance))


class ApplicationActionsColumn(LinksColumn):
    def links(self, instance):
        url = reverse("experts_admin:application", args=[instance.pk])
        if instance.status == ApplicationStatus.PENDING:
            return [(url, _("Approve / Decline"))]
        return [(url, _("View"))]


class ExpertActionsColumn(Column):
    """Pause, reactivate or remove, as small POST forms."""

    cell_template_name = "experts/admin/expert_actions_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["csrf_token"] = get_token(request) if request else ""
        context["action_url"] = reverse(
            "experts_admin:expert_status", args=[instance.pk]
        )
        context["can_pause"] = instance.status == ExpertStatus.ACTIVE
        context["can_reactivate"] = instance.status in (
            ExpertStatus.PAUSED,
            ExpertStatus.REMOVED,
        )
        context["can_remove"] = instance.is_current
        return context


class QuestionActionsColumn(LinksColumn):
    def links(self, instance):
        return [
            (reverse("experts_admin:question", args=[instance.pk]), _("Console")),
        ]


class CaseActionsColumn(LinksColumn):
    def links(self, instance):
        return [(reverse("experts_admin:case", args=[instance.pk]), _("Open case"))]


class ApplicationViewSet(SnippetViewSet):
    model = ExpertApplication
    icon = "form"
    menu_label = _("Applications")
    url_prefix = "expertcare/applications"
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "user",
        Column("focus_areas", label=_("Focus areas"), accessor=_areas),
        "status",
        "created_at",
        ApplicationActionsColumn("actions", label=_("Actions")),
    ]
    list_filter = {"status": ["exact"]}
    list_per_page = 50
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return ExpertApplication.objects.select_related("user").prefetch_related(
            "focus_areas"
        )


class ExpertViewSet(SnippetViewSet):
    model = ExpertProfile
    icon = "user"
    menu_label = _("Experts")
    url_prefix = "expertcare/experts"
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "user",
        "status",
        Column("focus_areas", label=_("Focus areas"), accessor=_areas),
        "daily_cap",
        Column("points", label=_("Points"), sort_key="points"),
        ExpertActionsColumn("actions", label=_("Actions")),
    ]
    list_filter = {"status": ["exact"], "focus_areas": ["exact"]}
    list_per_page = 50
    ordering = ["-joined_at"]

    def get_queryset(self, request):
        return (
            ExpertProfile.objects.select_related("user")
            .prefetch_related("focus_areas")
            .annotate(
                points=Coalesce(
                    "user__reputation__points", Value(0), output_field=IntegerField()
                )
            )
        )


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("Questions")
    url_prefix = "expertcare/questions"
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "title",
        "focus_area",
        "status",
        "answer_count",
        "created_at",
        "first_answer_due_at",
        StatusFlagColumn("is_overdue", label=_("Overdue"), true_label=_("Overdue")),
        QuestionActionsColumn("actions", label=_("Actions")),
    ]
    list_filter = {
        "status": ["exact"],
        "focus_area": ["exact"],
        "is_private": ["exact"],
        "is_hidden": ["exact"],
    }
    search_fields = ["title", "body"]
    list_per_page = 50
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return Question.objects.select_related("focus_area").defer("body", "body_html")


class PrivateCaseViewSet(SnippetViewSet):
    model = PrivateCase
    icon = "lock"
    menu_label = _("Private cases")
    url_prefix = "expertcare/cases"
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "question",
        "reason",
        "opened_by",
        "created_at",
        "closed_at",
        CaseActionsColumn("actions", label=_("Actions")),
    ]
    list_filter = {"reason": ["exact"], "closed_at": ["isnull"]}
    list_per_page = 50
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return PrivateCase.objects.select_related("question", "opened_by").defer(
            "original_body", "question__body", "question__body_html"
        )


class LevelViewSet(SnippetViewSet):
    model = ExpertLevel
    icon = "tasks"
    menu_label = _("Levels")
    url_prefix = "expertcare/levels"
    list_display = ["name", "name_nl", "min_points"]
    ordering = ["min_points"]
    panels = [FieldPanel("name"), FieldPanel("name_nl"), FieldPanel("min_points")]


class ExpertcareGroup(SnippetViewSetGroup):
    items = (
        ApplicationViewSet,
        ExpertViewSet,
        QuestionViewSet,
        PrivateCaseViewSet,
        LevelViewSet,
    )
    menu_icon = "group"
    menu_label = _("Expertcare")
    menu_name = "expertcare"
    submenu_hook = MENU_HOOK


register_snippet(ExpertcareGroup)


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_active and request.user.is_staff


@hooks.register(MENU_HOOK)
def _queue_menu_item():
    return StaffMenuItem(
        _("Queue"),
        reverse("experts_admin:queue"),
        name="expertcare-queue",
        icon_name="time",
        order=0,
    )


@hooks.register("register_admin_urls")
def _expertcare_admin_urls():
    urls = [
        path("queue/", admin_views.queue, name="queue"),
        path(
            "applications/<int:application_id>/decide/",
            admin_views.application_decide,
            name="application",
        ),
        path(
            "experts/<int:profile_id>/status/",
            admin_views.expert_status,
            name="expert_status",
        ),
        path(
            "questions/<int:question_id>/",
            admin_views.question_console,
            name="question",
        ),
        path(
            "questions/<int:question_id>/route/",
            admin_views.question_reroute,
            name="question_route",
        ),
        path(
            "questions/<int:question_id>/private/",
            admin_views.question_escalate,
            name="question_private",
        ),
        path(
            "questions/<int:question_id>/idea/",
            admin_views.question_to_idea,
            name="question_idea",
        ),
        path(
            "questions/<int:question_id>/hide/",
            admin_views.question_hide,
            name="question_hide",
        ),
        path(
            "answers/<int:answer_id>/verify/",
            admin_views.answer_verify,
            name="answer_verify",
        ),
        path(
            "answers/<int:answer_id>/hide/",
            admin_views.answer_hide,
            name="answer_hide",
        ),
        path("cases/<int:case_id>/", admin_views.case_detail, name="case"),
        path(
            "cases/<int:case_id>/resolve/",
            admin_views.case_resolve,
            name="case_resolve",
        ),
    ]
    return [
        path(
            "expertcare/",
            include((urls, "experts_admin"), namespace="experts_admin"),
        )
    ]
