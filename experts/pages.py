"""The questions section of the site: one editor-owned page, many routes."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Page


class QuestionsIndexPage(RoutablePageMixin, Page):
    intro = models.TextField(_("intro"), blank=True, max_length=600)
    ask_intro = models.TextField(
        _("text above the question form"), blank=True, max_length=600
    )
    experts_intro = models.TextField(
        _("text on the experts page"), blank=True, max_length=600
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("ask_intro"),
        FieldPanel("experts_intro"),
    ]
    max_count_per_parent = 1
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("questions index page")

    # Views live in experts/views.py; each takes (request, page, ...).
    def _view(self, name):
        from . import views

        return getattr(views, name)

    @path("")
    def index_route(self, request):
        return self._view("question_index")(request, self)

    @path("ask/")
    def ask_route(self, request):
        return self._view("question_ask_view")(request, self)

    @path("similar/")
    def similar_route(self, request):
        return self._view("question_similar_view")(request, self)

    @path("<int:question_id>/")
    @path("<int:question_id>-<slug:slug>/")
    def detail_route(self, request, question_id, slug=None):
        return self._view("question_detail_view")(request, self, question_id, slug=slug)

    @path("<int:question_id>/answer/")
    def answer_route(self, request, question_id):
        return self._view("answer_post_view")(request, self, question_id)

    @path("<int:question_id>/private/")
    def private_route(self, request, question_id):
        return self._view("private_case_view")(request, self, question_id)

    @path("answers/<int:answer_id>/accept/")
    def accept_route(self, request, answer_id):
        return self._view("answer_accept_view")(request, self, answer_id)

    @path("answers/<int:answer_id>/helpful/")
    def helpful_route(self, request, answer_id):
        return self._view("answer_helpful_view")(request, self, answer_id)

    @path("answers/<int:answer_id>/verify/")
    def verify_route(self, request, answer_id):
        return self._view("answer_verify_view")(request, self, answer_id)

    @path("experts/")
    def experts_route(self, request):
        return self._view("expert_directory")(request, self)

    @path("experts/apply/")
    def apply_route(self, request):
        return self._view("expert_apply_view")(request, self)

    @path("experts/me/")
    def expert_settings_route(self, request):
        return self._view("expert_settings_view")(request, self)

    @path("experts/<str:username>/")
    def expert_profile_route(self, request, username):
        return self._view("expert_profile_view")(request, self, username)
