import logging
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from portal.core.reports import public_figure, public_figures

from .sections import home_section_provider

logger = logging.getLogger(__name__)

# Public pages are read far more often than the numbers change, and some
# figures aggregate large tables: ten minutes old is fresh enough for "how
# are we doing", and it keeps an anonymous crowd off the database.
LIVE_FIGURE_CACHE_SECONDS = 10 * 60


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    image = ImageChooserBlock(required=False)
    button_text = blocks.CharBlock(required=False, max_length=40)
    button_link = blocks.CharBlock(
        required=False, max_length=255, help_text=_("A path such as /en/ideas/")
    )

    class Meta:
        icon = "title"
        template = "pages/blocks/hero.html"


class CommunitySectionBlock(blocks.StructBlock):
    """A live list filled by a community app (ideas, questions, experts)."""

    heading = blocks.CharBlock(max_length=80)
    limit = blocks.IntegerBlock(default=5, min_value=1, max_value=20)
    empty_text = blocks.CharBlock(max_length=200, required=False)
    link_text = blocks.CharBlock(max_length=40, required=False)
    link = blocks.CharBlock(max_length=255, required=False)

    section_key = ""

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        provider = home_section_provider(self.section_key)
        request = (parent_context or {}).get("request")
        context["items"] = (
            list(provider.items(request=request, limit=value["limit"]))
            if provider
            else []
        )
        context["item_template"] = provider.item_template if provider else ""
        context["section_key"] = self.section_key
        return context

    class Meta:
        template = "pages/blocks/community_section.html"


class LatestIdeasBlock(CommunitySectionBlock):
    section_key = "latest_ideas"

    class Meta:
        icon = "pick"
        label = _("Latest ideas")


class OpenQuestionsBlock(CommunitySectionBlock):
    section_key = "open_questions"

    class Meta:
        icon = "help"
        label = _("Open questions")


class TopExpertsBlock(CommunitySectionBlock):
    section_key = "top_experts"

    class Meta:
        icon = "user"
        label = _("Top experts")


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False)
    button_text = blocks.CharBlock(max_length=40)
    button_link = blocks.CharBlock(max_length=255)

    class Meta:
        icon = "pick"
        template = "pages/blocks/call_to_action.html"


class FaqItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=255)
    answer = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])
    keywords = blocks.CharBlock(
        required=False,
        max_length=255,
        help_text=_(
            "Extra words people use for this question; helps reply suggestions."
        ),
    )

    class Meta:
        icon = "help"
        template = "pages/blocks/faq_item.html"


def public_figure_choices() -> list[tuple[str, Any]]:
    """The registered public figures, read when the editor's form is built.

    A callable (not a list) so that figures registered by apps in their
    ``AppConfig.ready`` appear, and so the migration stores a reference
    instead of a frozen list of keys.
    """
    return [(figure.key, figure.label) for figure in public_figures()]


def live_figure_cache_key(key: str, language: str | None = None) -> str:
    return f"pages:live-figure:v1:{key}:{language or get_language() or ''}"


def live_figure(key: str) -> dict[str, Any] | None:
    """One public figure as display strings, cached per figure and language.

    The number comes from the figure's registered ``compute`` (the code the
    staff reports use). Unknown keys (an app removed a figure an editor had
    chosen) and failing computations give None: a public page leaves the
    figure out rather than failing. Failures are logged and not cached.
    """
    registered = public_figure(key)
    if registered is None:
        return None
    cache_key = live_figure_cache_key(key)
    shown = cache.get(cache_key)
    if shown is None:
        try:
            figure = registered.compute()
        except Exception:
            logger.exception("Public figure %s failed to compute", key)
            return None
        shown = {
            "key": key,
            "label": str(registered.label),
            "display": figure.display,
            "help": str(registered.help or figure.help or ""),
            "computed_at": timezone.now(),
        }
        cache.set(cache_key, shown, LIVE_FIGURE_CACHE_SECONDS)
    return shown


def live_figures(keys: list[str]) -> tuple[list[dict[str, Any]], datetime | None]:
    """The figures to show (in the editor's order, unknown keys skipped, no
    repeats) and the moment the oldest of them was computed: the "as of"."""
    shown: list[dict[str, Any]] = []
    seen: set[str] = set()
    for key in keys:
        if not key or key in seen:
            continue
        seen.add(key)
        figure = live_figure(key)
        if figure is not None:
            shown.append(figure)
    as_of = min((f["computed_at"] for f in shown), default=None)
    return shown, as_of


class LiveFiguresBlock(blocks.StructBlock):
    """Live numbers for the community: the brand's public accountability.

    Editors pick figures from the registry (``register_public_figure``); the
    values are computed by the same functions as the staff reports.
    """

    heading = blocks.CharBlock(max_length=120)
    intro = blocks.TextBlock(required=False, max_length=600)
    figures = blocks.ListBlock(
        blocks.ChoiceBlock(choices=public_figure_choices, label=_("Figure")),
        min_num=1,
        max_num=8,
        label=_("Figures"),
    )

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        figures, as_of = live_figures([str(key) for key in value["figures"]])
        context["figures"] = figures
        context["as_of"] = as_of
        return context

    class Meta:
        icon = "order"
        label = _("Live figures")
        template = "pages/blocks/live_figures.html"


HOME_BLOCKS = [
    ("hero", HeroBlock()),
    (
        "text",
        blocks.RichTextBlock(
            features=["h2", "h3", "bold", "italic", "link", "ol", "ul"]
        ),
    ),
    ("latest_ideas", LatestIdeasBlock()),
    ("open_questions", OpenQuestionsBlock()),
    ("top_experts", TopExpertsBlock()),
    ("call_to_action", CallToActionBlock()),
    ("live_figures", LiveFiguresBlock()),
]

BODY_BLOCKS = [
    (
        "heading",
        blocks.CharBlock(
            form_classname="title", max_length=120, template="pages/blocks/heading.html"
        ),
    ),
    (
        "text",
        blocks.RichTextBlock(
            features=["h2", "h3", "bold", "italic", "link", "ol", "ul", "blockquote"]
        ),
    ),
    ("image", ImageChooserBlock(template="pages/blocks/image.html")),
    ("quote", blocks.BlockQuoteBlock()),
    ("call_to_action", CallToActionBlock()),
    ("live_figures", LiveFiguresBlock()),
]
