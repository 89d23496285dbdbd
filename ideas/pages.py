"""The ideas section of the site: one editor-owned page, many routes."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Page

from . import views


class IdeasIndexPage(RoutablePageMixin, Page):
    intro = models.TextField(_("intro"), blank=True, max_length=600)
    submit_intro = models.TextField(
        _("text above the submit form"), blank=True, max_length=600
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("submit_intro"),
    ]
    max_count_per_parent = 1
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("ideas index page")

    @path("")
    def index_view(self, request):
        return views.idea_index(request, self)

    @path("new/")
    def submit_view(self, request):
        return views.idea_submit_view(request, self)

    @path("similar/")
    def similar_view(self, request):
        return views.idea_similar_view(request, self)

    @path("in-action/")
    def in_action_view(self, request):
        return views.ideas_in_action(request, self)

    @path("roadmap/")
    def roadmap_view(self, request):
        return views.roadmap(request, self)

    @path("feed/")
    def feed_view(self, request):
        return views.feed_new(request, self)

    @path("feed/status/")
    def status_feed_view(self, request):
        return views.feed_status(request, self)

    @path("<int:idea_id>/")
    @path("<int:idea_id>-<slug:slug>/")
    def detail_view(self, request, idea_id, slug=None):
        return views.idea_detail_view(request, self, idea_id)

    @path("<int:idea_id>/vote/")
    def vote_view(self, request, idea_id):
        return views.idea_vote_view(request, self, idea_id)

    @path("<int:idea_id>/follow/")
    def follow_view(self, request, idea_id):
        return views.idea_follow_view(request, self, idea_id)

    @path("<int:idea_id>/flag/")
    def flag_view(self, request, idea_id):
        return views.idea_flag_view(request, self, idea_id)
