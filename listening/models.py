"""Listening: sources polled for public mentions, trackers that match them,
and the mentions themselves with what enrichment found."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.models import TimeStampedModel


class SourceKind(models.TextChoices):
    RSS = "rss", _("RSS or Atom feed")
    MASTODON = "mastodon", _("Mastodon")
    BLUESKY = "bluesky", _("Bluesky")
    REDDIT = "reddit", _("Reddit")
    X = "x", _("X")
    UPLOAD = "upload", _("File upload")
    WEBHOOK = "webhook", _("Webhook")


class Source(TimeStampedModel):
    """One place mentions come from, polled on its own interval."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=SourceKind.choices)
    url = models.URLField(_("address"), max_length=500, blank=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    interval_minutes = models.PositiveIntegerField(
        _("poll every (minutes)"), default=15
    )
    # Where the next poll starts (for a feed: ETag, Last-Modified and the ids
    # already seen); advanced in the same transaction as the stored mentions.
    cursor = models.JSONField(default=dict, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    fetched_total = models.PositiveIntegerField(_("mentions fetched"), default=0)
    rate_limited_until = models.DateTimeField(
        _("rate limited until"), null=True, blank=True
    )
    alerted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        indexes = [models.Index(fields=["enabled", "last_run_at"], name="source_due")]

    def __str__(self) -> str:
        return self.name


class TrackerKind(models.TextChoices):
    BRAND = "brand", _("Our brand")
    COMPETITOR = "competitor", _("Competitor")
    TOPIC = "topic", _("Topic")


class Tracker(TimeStampedModel):
    """What to listen for: a brand, a competitor or a topic."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=TrackerKind.choices)
    any_terms = models.TextField(
        _("any of these words"), blank=True, help_text=_("One per line.")
    )
    all_terms = models.TextField(
        _("all of these words"), blank=True, help_text=_("One per line.")
    )
    none_terms = models.TextField(
        _("none of these words"), blank=True, help_text=_("One per line.")
    )
    phrases = models.TextField(
        _("exact phrases"), blank=True, help_text=_("One per line.")
    )
    languages = models.CharField(
        _("languages"),
        max_length=60,
        blank=True,
        help_text=_("Comma-separated codes, e.g. “en,nl”. Empty: any language."),
    )
    source_kinds = models.CharField(
        _("sources"),
        max_length=120,
        blank=True,
        help_text=_("Comma-separated kinds, e.g. “rss,mastodon”. Empty: all."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tracker")
        verbose_name_plural = _("trackers")

    def __str__(self) -> str:
        return self.name

    def query(self):
        from .enrichment.trackers import TrackerQuery

        def lines(text: str) -> tuple[str, ...]:
            return tuple(t.strip() for t in text.splitlines() if t.strip())

        def csv(text: str) -> tuple[str, ...]:
            return tuple(t.strip() for t in text.split(",") if t.strip())

        return TrackerQuery(
            tracker_id=self.pk,
            any_terms=lines(self.any_terms),
            all_terms=lines(self.all_terms),
            none_terms=lines(self.none_terms),
            phrases=lines(self.phrases),
            languages=csv(self.languages),
            source_kinds=csv(self.source_kinds),
        )


class SentimentLabel(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class Intent(models.TextChoices):
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    IDEA = "idea", _("Idea or suggestion")
    PRAISE = "praise", _("Praise")
    LEAD = "lead", _("Sales lead")
    OTHER = "other", _("Other")


class Mention(models.Model):
    """One public post that matched at least one tracker."""

    source = models.ForeignKey(
        Source,
        on_delete=models.CASCADE,
        related_name="mentions",
        verbose_name=_("source"),
    )
    external_id = models.CharField(_("id at the source"), max_length=255)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    author_handle = models.CharField(_("author"), max_length=255, blank=True)
    author_name = models.CharField(_("author's name"), max_length=255, blank=True)
    author_url = models.URLField(_("author's profile"), max_length=1000, blank=True)
    author_followers = models.PositiveIntegerField(
        _("followers"), null=True, blank=True
    )
    text = models.TextField(_("text"), max_length=20000)
    language = models.CharField(_("language"), max_length=10, blank=True)
    language_confidence = models.FloatField(null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"), auto_now_add=True)
    raw = models.JSONField(default=dict, blank=True)
    trackers = models.ManyToManyField(Tracker, related_name="mentions", blank=True)
    # Reposts and copies share a key; reports count each cluster once.
    cluster_key = models.CharField(max_length=32, db_index=True)
    # Enrichment (listening/enrichment/); staff corrections come later.
    sentiment_score = models.FloatField(_("sentiment"), null=True, blank=True)
    sentiment_label = models.CharField(
        _("sentiment"), max_length=10, choices=SentimentLabel.choices, blank=True
    )
    intent = models.CharField(
        _("intent"), max_length=10, choices=Intent.choices, blank=True
    )
    intent_confidence = models.FloatField(null=True, blank=True)
    is_lead = models.BooleanField(_("sales lead"), default=False)
    is_competitor = models.BooleanField(_("mentions a competitor"), default=False)
    influence = models.FloatField(_("influence"), default=0.0)

    class Meta:
        ordering = ["-posted_at", "-pk"]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="mention_unique_per_source"
            )
        ]
        indexes = [
            models.Index(fields=["-posted_at"], name="mention_posted"),
            models.Index(fields=["language", "-posted_at"], name="mention_language"),
            models.Index(fields=["intent", "-posted_at"], name="mention_intent"),
            models.Index(
                fields=["sentiment_label", "-posted_at"], name="mention_sentiment"
            ),
        ]

    def __str__(self) -> str:
        text = self.text[:80]
        return f"{self.author_handle}: {text}" if self.author_handle else text
