from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from .sections import home_section_provider


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
]
