"""Webcare settings and the guidelines page (issue 6, "rules and guidelines").

`WebcareSettings` (Settings → Webcare in the admin) holds the per-intent
response-time targets, the invitation texts in English and Dutch, the
sensitivity rules and the invitation limits. `WebcareGuidelinesPage` holds the
team's guidelines: how to respond, tone of voice, emotional reactions. The
inbox links to it; only staff can read it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page

# Placeholders the invitation texts may use; the two links are required, so
# every drafted invitation carries an opt-out.
INVITE_PLACEHOLDERS = ("{handle}", "{invite_url}", "{optout_url}")
INVITE_REQUIRED = ("{invite_url}", "{optout_url}")
INVITE_VALID_DAYS_MAX = 365
# Short enough for a Bluesky reply (300 characters) with both links, a
# handle and a 30-character domain.
DEFAULT_INVITE_TEXT_EN = (
    "Hi {handle}, thanks for sharing! In our community, customers help shape "
    "what we do. Care to join? {invite_url} Not interested? {optout_url}"
)
DEFAULT_INVITE_TEXT_NL = (
    "Hoi {handle}, bedankt voor het delen! In onze community denken klanten "
    "mee over wat we doen. Doe je mee? {invite_url} Geen interesse? {optout_url}"
)


def _default_max_per_person() -> int:
    return settings.LISTENING_INVITE_MAX_PER_PERSON


def _default_sentiment_floor() -> float:
    return settings.LISTENING_INVITE_SENTIMENT_FLOOR


def _default_invite_days() -> int:
    return settings.LISTENING_INVITE_DAYS


def _default_cooldown_days() -> int:
    return settings.LISTENING_INVITE_COOLDOWN_DAYS


def _minutes(label, default):
    return models.PositiveIntegerField(
        label, default=default, help_text=_("Minutes after the mention arrives.")
    )


@register_setting(icon="openquote")
class WebcareSettings(BaseSiteSetting):
    guidelines_page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("webcare guidelines page"),
        help_text=_("Linked from the inbox and the reply composer."),
    )
    tone_of_voice = models.TextField(
        _("tone of voice, in short"),
        blank=True,
        max_length=2000,
        default=(
            "Personal and warm, never defensive. Use the person's name, "
            "admit what went wrong, and say what happens next."
        ),
        help_text=_("Shown beside the reply box."),
    )
    sla_complaint = _minutes(_("complaints: respond within"), 60)
    sla_question = _minutes(_("questions: respond within"), 24 * 60)
    sla_idea = _minutes(_("ideas: respond within"), 24 * 60)
    sla_praise = _minutes(_("praise: respond within"), 24 * 60)
    sla_lead = _minutes(_("sales leads: respond within"), 24 * 60)
    sla_other = _minutes(_("everything else: respond within"), 24 * 60)
    invite_text_en = models.TextField(
        _("invitation reply (English)"),
        default=DEFAULT_INVITE_TEXT_EN,
        max_length=1000,
        help_text=_(
            "Must contain {invite_url} and {optout_url}; may contain {handle}."
        ),
    )
    invite_text_nl = models.TextField(
        _("invitation reply (Dutch)"),
        default=DEFAULT_INVITE_TEXT_NL,
        max_length=1000,
        help_text=_(
            "Must contain {invite_url} and {optout_url}; may contain {handle}."
        ),
    )
    invite_max_per_person = models.PositiveSmallIntegerField(
        _("invitations per person, ever"),
        default=_default_max_per_person,
        help_text=_("Across all of a person's handles. The default is one."),
    )
    invite_cooldown_days = models.PositiveIntegerField(
        _("days between invitations to one person"),
        default=_default_cooldown_days,
        help_text=_("Only matters when more than one invitation is allowed."),
    )
    invite_valid_days = models.PositiveSmallIntegerField(
        _("invitation links are valid for (days)"), default=_default_invite_days
    )
    sentiment_floor = models.FloatField(
        _("block invitations at or below this sentiment"),
        default=_default_sentiment_floor,
        help_text=_("From -1 (very negative) to 1. Staff can override with a reason."),
    )
    block_sensitive_topics = models.BooleanField(
        _("block invitations on sensitive subjects"),
        default=True,
        help_text=_("Illness, death, grief, debt, divorce, abuse and the like."),
    )
    sensitive_terms = models.TextField(
        _("more sensitive words"),
        blank=True,
        help_text=_(
            "One per line, in any language. Posts with these words count as sensitive."
        ),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("guidelines_page"), FieldPanel("tone_of_voice")],
            heading=_("Guidelines"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("sla_complaint"),
                FieldPanel("sla_question"),
                FieldPanel("sla_idea"),
                FieldPanel("sla_praise"),
                FieldPanel("sla_lead"),
                FieldPanel("sla_other"),
            ],
            heading=_("Response-time targets"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("invite_text_en"),
                FieldPanel("invite_text_nl"),
                FieldPanel("invite_max_per_person"),
                FieldPanel("invite_cooldown_days"),
                FieldPanel("invite_valid_days"),
            ],
            heading=_("Invitations"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("sentiment_floor"),
                FieldPanel("block_sensitive_topics"),
                FieldPanel("sensitive_terms"),
            ],
            heading=_("Sensitivity rules"),
        ),
    ]

    class Meta:
        verbose_name = _("webcare")

    def clean(self):
        super().clean()
        errors = {}
        for field in ("invite_text_en", "invite_text_nl"):
            text = getattr(self, field) or ""
            missing = [p for p in INVITE_REQUIRED if p not in text]
            if missing:
                errors[field] = _("The text must contain %(placeholders)s.") % {
                    "placeholders": " ".join(missing)
                }
                continue
            try:
                text.format(handle="", invite_url="", optout_url="")
            except (KeyError, IndexError, ValueError):
                errors[field] = _(
                    "Use only these placeholders: %(placeholders)s. Write a "
                    "brace as {{ or }}."
                ) % {"placeholders": " ".join(INVITE_PLACEHOLDERS)}
        for intent in ("complaint", "question", "idea", "praise", "lead", "other"):
            if getattr(self, f"sla_{intent}") < 1:
                errors[f"sla_{intent}"] = _("At least one minute.")
        if not 1 <= self.invite_valid_days <= INVITE_VALID_DAYS_MAX:
            errors["invite_valid_days"] = _("Choose from 1 to %(n)d days.") % {
                "n": INVITE_VALID_DAYS_MAX
            }
        if not -1 <= self.sentiment_floor <= 1:
            errors["sentiment_floor"] = _("Choose a value from -1 to 1.")
        if self.invite_max_per_person < 1:
            errors["invite_max_per_person"] = _(
                "At least one; to stop invitations, do not offer them."
            )
        if errors:
            raise ValidationError(errors)

    def sla_minutes(self, intent: str) -> int:
        return getattr(self, f"sla_{intent}", None) or self.sla_other

    def invite_text(self, language: str) -> str:
        return self.invite_text_nl if language == "nl" else self.invite_text_en

    def extra_sensitive_terms(self) -> list[str]:
        return [t.strip() for t in self.sensitive_terms.splitlines() if t.strip()]


class WebcareGuidelinesPage(Page):
    """How the team responds on social media. Staff only: anyone else gets a
    404, even when the page is published."""

    intro = models.TextField(_("intro"), blank=True, max_length=600)
    body = RichTextField(_("guidelines"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    subpage_types: list[str] = []
    # Left out of public site search (portal.pages.views.search), menus and
    # the sitemap-like listings that honour it.
    staff_only = True

    class Meta:
        verbose_name = _("webcare guidelines page")

    def serve(self, request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            raise Http404
        response = super().serve(request, *args, **kwargs)
        add_never_cache_headers(response)  # never in a shared cache
        return response
