"""Atom feeds of new ideas and of status changes (django.contrib.syndication)."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from portal.core.text import plain_text

from .models import StatusChange
from .selectors import idea_queryset_public

FEED_SIZE = 30


class NewIdeasFeed(Feed):
    feed_type = Atom1Feed

    def __init__(self, page):
        super().__init__()
        self.page = page

    def title(self) -> str:
        return _("New ideas")

    def link(self) -> str:
        return self.page.url

    def subtitle(self) -> str:
        return _("The latest ideas shared by the community")

    def items(self):
        return (
            idea_queryset_public()
            .select_related("author")
            .order_by("-created_at")[:FEED_SIZE]
        )

    def item_title(self, item) -> str:
        return item.title

    def item_description(self, item) -> str:
        return plain_text(item.body_html)[:1000]

    def item_link(self, item) -> str:
        return self.page.url + item.path_segment

    def item_author_name(self, item) -> str:
        return item.author.public_name

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at


class StatusChangesFeed(NewIdeasFeed):
    def title(self) -> str:
        return _("Idea status updates")

    def subtitle(self) -> str:
        return _("Official responses and status changes on ideas")

    def items(self):
        return (
            StatusChange.objects.filter(
                idea__is_hidden=False, idea__merged_into__isnull=True
            )
            .exclude(from_status="")
            .select_related("idea", "changed_by")
            .order_by("-created_at")[:FEED_SIZE]
        )

    def item_title(self, item) -> str:
        return f"{item.idea.title}: {item.get_to_status_display()}"

    def item_description(self, item) -> str:
        return plain_text(item.response_html)[:1000]

    def item_link(self, item) -> str:
        return self.page.url + item.idea.path_segment + f"#update-{item.pk}"

    def item_author_name(self, item) -> str:
        return item.changed_by.public_name if item.changed_by else ""

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.created_at
