from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from .blocks import BODY_BLOCKS, HOME_BLOCKS, FaqItemBlock

MAX_FOCUS_AREAS = 8


class HomePage(Page):
    """The front door of the community, built from blocks editors arrange."""

    intro = models.CharField(_("intro"), max_length=255, blank=True)
    body = StreamField(HOME_BLOCKS, blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")


class StandardPage(Page):
    """Guidelines, tone of voice, about: content the brand's editors own."""

    intro = models.TextField(_("intro"), blank=True, max_length=600)
    body = StreamField(BODY_BLOCKS, blank=True, use_json_field=True)
    show_in_footer = models.BooleanField(_("show in footer"), default=False)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    promote_panels = [*Page.promote_panels, FieldPanel("show_in_footer")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    class Meta:
        verbose_name = _("standard page")


class FaqPage(Page):
    """Questions and answers. Later features use the answers as reply templates."""

    intro = models.TextField(_("intro"), blank=True, max_length=600)
    items = StreamField([("faq", FaqItemBlock())], blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("items")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("items"),
    ]

    class Meta:
        verbose_name = _("FAQ page")

    def faq_entries(self) -> list[dict[str, str]]:
        """The question/answer pairs as plain data, for reply suggestions."""
        entries = []
        for block in self.items:
            value = block.value
            entries.append(
                {
                    "id": block.id,
                    "question": value["question"],
                    "answer_html": str(value["answer"]),
                    "keywords": value.get("keywords", ""),
                }
            )
        return entries


@register_setting(icon="cog")
class CommunitySettings(ClusterableModel, BaseSiteSetting):
    """What makes this site the brand's own: name, focus areas, SLA targets."""

    brand_name = models.CharField(_("brand name"), max_length=80, default="Seed")
    tagline = models.CharField(_("tagline"), max_length=160, blank=True)
    tagline_nl = models.CharField(_("tagline (Dutch)"), max_length=160, blank=True)
    support_email = models.EmailField(_("support email"), blank=True)
    first_answer_target_hours = models.PositiveIntegerField(
        _("target time to a first answer (hours)"),
        default=24,
        help_text=_("For questions in focus areas without a target of their own."),
    )
    complaint_response_target_minutes = models.PositiveIntegerField(
        _("target time to respond to a complaint (minutes)"), default=60
    )
    mention_response_target_hours = models.PositiveIntegerField(
        _("target time to respond to other mentions (hours)"), default=24
    )
    official_response_target_days = models.PositiveIntegerField(
        _("target time to an official response on an idea (days)"), default=14
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("brand_name"),
                FieldPanel("tagline"),
                FieldPanel("tagline_nl"),
                FieldPanel("support_email"),
            ],
            heading=_("Brand"),
        ),
        InlinePanel(
            "focus_areas",
            heading=_("Focus areas"),
            label=_("Focus area"),
            max_num=MAX_FOCUS_AREAS,
            help_text=_("The few key topics everything on the site is sorted by."),
        ),
        MultiFieldPanel(
            [
                FieldPanel("first_answer_target_hours"),
                FieldPanel("complaint_response_target_minutes"),
                FieldPanel("mention_response_target_hours"),
                FieldPanel("official_response_target_days"),
            ],
            heading=_("Response-time targets (SLA)"),
        ),
    ]

    class Meta:
        verbose_name = _("community settings")

    @property
    def localized_tagline(self) -> str:
        if (get_language() or "").startswith("nl") and self.tagline_nl:
            return self.tagline_nl
        return self.tagline


class FocusArea(Orderable):
    """One of the brand's few key topics. Ideas, questions, experts and
    mentions are categorised by these."""

    settings = ParentalKey(
        CommunitySettings, on_delete=models.CASCADE, related_name="focus_areas"
    )
    name = models.CharField(_("name"), max_length=60)
    name_nl = models.CharField(_("name (Dutch)"), max_length=60, blank=True)
    slug = models.SlugField(_("slug"), max_length=60)
    description = models.CharField(_("description"), max_length=255, blank=True)
    first_answer_target_hours = models.PositiveIntegerField(
        _("target time to a first answer (hours)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the site-wide target."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("name_nl"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("first_answer_target_hours"),
        FieldPanel("is_active"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("focus area")
        constraints = [
            models.UniqueConstraint(
                fields=["settings", "slug"], name="focus_area_unique_slug_per_site"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("nl") and self.name_nl:
            return self.name_nl
        return self.name

    def clean(self) -> None:
        if self.first_answer_target_hours == 0:
            raise ValidationError(
                {"first_answer_target_hours": _("Use at least one hour.")}
            )

    def target_hours(self) -> int:
        return self.first_answer_target_hours or self.settings.first_answer_target_hours
