"""Listening: sources polled for public mentions, trackers that match them,
and the mentions themselves with what enrichment found."""

from django.conf import settings
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


class MentionStatus(models.TextChoices):
    """Where a mention stands in the webcare inbox."""

    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    RESPONDED = "responded", _("Responded")
    LINKED = "linked", _("Linked")
    INVITED = "invited", _("Invited")
    CLOSED = "closed", _("Closed")
    IGNORED = "ignored", _("Ignored")


# Mentions still waiting for someone: the SLA clock runs only for these.
OPEN_MENTION_STATUSES = (MentionStatus.NEW, MentionStatus.ASSIGNED)


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
    language_confidence = models.FloatField(
        _("language confidence"), null=True, blank=True
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"), auto_now_add=True)
    raw = models.JSONField(default=dict, blank=True)
    trackers = models.ManyToManyField(Tracker, related_name="mentions", blank=True)
    # Reposts and copies share a key; reports count each cluster once.
    cluster_key = models.CharField(max_length=32, db_index=True)
    # Enrichment (listening/enrichment/); staff corrections come later.
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
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
    # Staff acted on it (corrected a label; later: replied, linked, invited).
    # Engaged mentions are kept; the rest expire (LISTENING_RETENTION_DAYS).
    engaged_at = models.DateTimeField(_("engaged at"), null=True, blank=True)
    # Author data replaced by a pseudonym when the mention expired.
    pseudonymised_at = models.DateTimeField(
        _("pseudonymised at"), null=True, blank=True
    )
    # Webcare inbox (listening/webcare.py).
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=MentionStatus.choices,
        default=MentionStatus.NEW,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The response-time target (WebcareSettings, per intent), fixed when the
    # mention arrives and moved when staff correct its intent.
    due_at = models.DateTimeField(_("respond before"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(
        _("time to first response (seconds)"), null=True, blank=True
    )
    # Who gave that first response: the care report's "per staff member".
    first_response_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first response by"),
    )

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
            models.Index(fields=["author_handle"], name="mention_author"),
            models.Index(
                fields=["fetched_at"],
                name="mention_expiring",
                condition=models.Q(
                    engaged_at__isnull=True, pseudonymised_at__isnull=True
                ),
            ),
            # The webcare inbox (listening/inbox.py) shows 50 rows sorted by
            # any column, ties broken by id, with no COUNT: a first page is
            # fast only when an index yields rows in that order, so PostgreSQL
            # stops after 51 matches instead of sorting every match. One per
            # sortable column for all mentions ("status=all" and the closed
            # statuses; source and assignee once the inbox sorts them by the
            # foreign key, see docs/performance.md, "Webcare inbox")…
            models.Index(fields=["due_at", "id"], name="mention_sort_due"),
            models.Index(fields=["influence", "id"], name="mention_sort_influence"),
            models.Index(
                fields=["sentiment_score", "id"], name="mention_sort_sentiment"
            ),
            models.Index(fields=["intent", "id"], name="mention_sort_intent"),
            models.Index(fields=["language", "id"], name="mention_sort_language"),
            models.Index(fields=["status", "id"], name="mention_sort_status"),
            models.Index(fields=["fetched_at", "id"], name="mention_sort_fetched"),
            # The care rollup (listening.rollup) finds the mentions answered
            # or moved to another status since its watermark with these.
            # Partial: an index on "no response yet" would tempt the planner
            # away from the open-status indexes (mention_open_*).
            models.Index(
                fields=["first_response_at"],
                name="mention_first_response",
                condition=models.Q(first_response_at__isnull=False),
            ),
            models.Index(
                fields=["status_changed_at"],
                name="mention_status_changed",
                condition=models.Q(status_changed_at__isnull=False),
            ),
            models.Index(fields=["source", "id"], name="mention_sort_source"),
            models.Index(fields=["assignee", "id"], name="mention_sort_assignee"),
            # …a status with its assignees in order (a status and "sort by
            # assignee" would otherwise walk every unassigned mention first;
            # also "assigned to me" in the open statuses)…
            models.Index(
                fields=["status", "assignee", "id"], name="mention_status_assignee"
            ),
            # …and the same orders within the open statuses, the inbox's
            # default: small (a few % of the rows), and they keep selective
            # filters on the open queue from walking the closed mentions.
            *(
                models.Index(
                    fields=[field, "id"],
                    name=f"mention_open_{name}",
                    condition=models.Q(status__in=["new", "assigned"]),
                )
                for name, field in (
                    ("due", "due_at"),
                    ("posted", "posted_at"),
                    ("influence", "influence"),
                    ("sentiment", "sentiment_score"),
                    ("intent", "intent"),
                    ("language", "language"),
                    ("author", "author_handle"),
                    ("fetched", "fetched_at"),
                )
            ),
            # Sales leads are rare (about 2%): "leads only" walks this one by
            # due date, and with other filters btree checks them on the index
            # entries, so only matching mentions are read. (Migration 0008
            # also adds extended statistics for correlated filters.)
            models.Index(
                fields=[
                    "due_at",
                    "id",
                    "intent",
                    "sentiment_label",
                    "language",
                    "status",
                    "source",
                    "influence",
                ],
                name="mention_lead",
                condition=models.Q(is_lead=True),
            ),
        ]

    def __str__(self) -> str:
        text = self.text[:80]
        return f"{self.author_handle}: {text}" if self.author_handle else text


class CorrectionField(models.TextChoices):
    INTENT = "intent", _("Intent")
    SENTIMENT = "sentiment", _("Sentiment")


class MentionCorrection(models.Model):
    """A staff member corrected a label; the few-shot classifier learns from
    the latest correction per mention and field."""

    mention = models.ForeignKey(
        Mention, on_delete=models.CASCADE, related_name="corrections"
    )
    field = models.CharField(max_length=10, choices=CorrectionField.choices)
    previous = models.CharField(max_length=10, blank=True)
    value = models.CharField(max_length=10)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("label correction")
        verbose_name_plural = _("label corrections")
        indexes = [
            models.Index(fields=["field", "-created_at"], name="correction_field")
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.previous} → {self.value}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """An uploaded export being imported in the background.

    The worker commits `rows_done` with every batch, so a job whose worker
    died resumes after the last committed row.
    """

    source = models.ForeignKey(
        Source,
        on_delete=models.CASCADE,
        related_name="imports",
        verbose_name=_("source"),
    )
    file = models.FileField(_("file"), upload_to="listening/imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    format = models.CharField(_("format"), max_length=10)
    preset = models.CharField(_("column mapping"), max_length=30)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default="queued"
    )
    bytes_done = models.PositiveBigIntegerField(default=0)
    rows_done = models.PositiveBigIntegerField(_("rows read"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    unmatched = models.PositiveIntegerField(_("matched no tracker"), default=0)
    rejected_total = models.PositiveIntegerField(_("rejected"), default=0)
    # {"rejected": [{"row": n, "reason": "..."}], "warnings": [...]}, capped.
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="import_status")
        ]

    def __str__(self) -> str:
        return self.original_name or f"import {self.pk}"


class PrivacyRequestKind(models.TextChoices):
    EXPORT = "export", _("Export")
    ERASE = "erase", _("Erase")


class PrivacyRequest(models.Model):
    """Someone asked for their handle's data to be exported or erased.

    The handle itself is not kept after an erasure: only a keyed hash, so
    future fetches can leave that author out (an erasure lasts), and a masked
    hint for the log.
    """

    kind = models.CharField(
        _("kind"), max_length=10, choices=PrivacyRequestKind.choices
    )
    handle_hash = models.CharField(max_length=64, db_index=True)
    handle_hint = models.CharField(_("handle"), max_length=64, blank=True)
    mentions = models.PositiveIntegerField(_("mentions"), default=0)
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")

    def __str__(self) -> str:
        return f"{self.kind} {self.handle_hint}"


# --- consent ledger (issue 6) ------------------------------------------------
# Nothing here stores a handle in clear text: only the keyed hash of its
# normal form (listening.privacy.handle_hash).


class Person(models.Model):
    """One human behind one or more social handles."""

    created_at = models.DateTimeField(auto_now_add=True)
    # The member account this person joined with (via an invitation).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"person {self.pk}"


class PersonHandle(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="handles")
    handle_hash = models.CharField(max_length=64, unique=True)
    network = models.CharField(
        _("network"), max_length=12, choices=SourceKind.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("handle")
        verbose_name_plural = _("handles")

    def __str__(self) -> str:
        return f"{self.network}:{self.handle_hash[:8]}"


class OptOutVia(models.TextChoices):
    LINK = "link", _("Opt-out link")
    API = "api", _("API")
    STAFF = "staff", _("Staff")


class OptOut(models.Model):
    """A handle that must never be invited. Opt-outs last forever: neither
    retention nor erasure removes them."""

    handle_hash = models.CharField(max_length=64, unique=True)
    via = models.CharField(_("via"), max_length=8, choices=OptOutVia.choices)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")

    def __str__(self) -> str:
        return f"opt-out {self.handle_hash[:8]}"


class InvitationStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    OPENED = "opened", _("Opened")
    JOINED = "joined", _("Joined")
    CONTRIBUTED = "contributed", _("Contributed")
    DECLINED = "declined", _("Declined")
    OPTED_OUT = "opted_out", _("Opted out")


class Invitation(models.Model):
    """A drafted, personal invitation for the person behind a mention.

    Nothing is sent: staff post the drafted reply themselves.
    """

    mention = models.ForeignKey(
        Mention,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="invitations"
    )
    handle_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InvitationStatus.choices,
        default=InvitationStatus.OFFERED,
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    override_reason = models.TextField(_("override reason"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    reply_text = models.TextField(_("drafted reply"), blank=True)
    nonce = models.CharField(max_length=32, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("offered at"), auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    contributed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.status})"


class ConsentEventKind(models.TextChoices):
    OFFERED = "offered", _("Offered")
    REFUSED = "refused", _("Refused")
    OVERRIDE = "override", _("Override")
    OPENED = "opened", _("Opened")
    JOINED = "joined", _("Joined")
    CONTRIBUTED = "contributed", _("Contributed")
    DECLINED = "declined", _("Declined")
    OPTED_OUT = "opted_out", _("Opted out")


class ConsentEvent(models.Model):
    """The append-only consent ledger: rows are added, never changed."""

    kind = models.CharField(max_length=12, choices=ConsentEventKind.choices)
    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    handle_hash = models.CharField(max_length=64, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d}"


# --- webcare: replies, links to the community, drafts of joined people -------


class ReplyChannel(models.TextChoices):
    POSTED = "posted", _("Posted through the network")
    MANUAL = "manual", _("Posted by hand, confirmed")


class ReplyKind(models.TextChoices):
    ANSWER = "answer", _("Answer")
    INVITATION = "invitation", _("Invitation")
    LOOP = "loop", _("Closing the loop")


class MentionReply(models.Model):
    """A public reply staff gave to a mention: who, when and what."""

    mention = models.ForeignKey(
        Mention, on_delete=models.CASCADE, related_name="replies"
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=ReplyKind.choices, default=ReplyKind.ANSWER
    )
    text = models.TextField(_("text"), max_length=5000)
    channel = models.CharField(_("channel"), max_length=8, choices=ReplyChannel.choices)
    external_id = models.CharField(_("id at the network"), max_length=255, blank=True)
    external_url = models.URLField(_("link"), max_length=1000, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replied by"),
    )
    created_at = models.DateTimeField(_("replied at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        indexes = [models.Index(fields=["replied_by", "-created_at"], name="reply_by")]

    def __str__(self) -> str:
        return self.text[:80]


class MentionLink(models.Model):
    """A mention linked to an idea ("heard on social") or a question."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="links")
    idea = models.ForeignKey(
        "ideas.Idea",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="social_links",
    )
    question = models.ForeignKey(
        "experts.Question",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="social_links",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The idea changed status after the link; staff were asked to tell the
    # poster (the "close the loop" prompt) and did so at loop_closed_at.
    loop_status = models.CharField(max_length=20, blank=True)
    loop_prompted_at = models.DateTimeField(null=True, blank=True)
    loop_closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("link to the community")
        verbose_name_plural = _("links to the community")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(idea__isnull=False, question__isnull=True)
                    | models.Q(idea__isnull=True, question__isnull=False)
                ),
                name="mention_link_one_target",
            ),
            models.UniqueConstraint(
                fields=["mention", "idea"], name="mention_link_idea_once"
            ),
            models.UniqueConstraint(
                fields=["mention", "question"], name="mention_link_question_once"
            ),
        ]

    def __str__(self) -> str:
        return f"mention {self.mention_id} → {self.idea_id or self.question_id}"


class DraftKind(models.TextChoices):
    IDEA = "idea", _("Idea")
    QUESTION = "question", _("Question")


class ContributionDraft(models.Model):
    """The invited person's own post, waiting for them to edit and publish
    it as an idea or a question. Nobody else sees it."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, related_name="draft"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DraftKind.choices)
    title = models.CharField(_("title"), max_length=160, blank=True)
    body = models.TextField(_("text"), max_length=10000, blank=True)
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    idea = models.ForeignKey(
        "ideas.Idea", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    question = models.ForeignKey(
        "experts.Question",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")

    def __str__(self) -> str:
        return self.title or f"draft {self.pk}"


from .pages import WebcareGuidelinesPage, WebcareSettings  # noqa: E402, F401

# --- insight: the daily rollup behind the listening reports, spike alerts ----


class MentionDaily(models.Model):
    """Mentions per day and dimension, rebuilt by ``listening.rollup_refresh``.

    ``day`` is the local date (``TIME_ZONE``) of ``posted_at``, or of
    ``fetched_at`` when the network gave no date. A mention that matches two
    trackers is counted in both trackers' rows; the rows with ``tracker=None``
    count every mention once (tracked or not), so totals never double count.
    ``clusters`` counts only the first mention of each near-duplicate cluster
    (``cluster_key``), so a copied post counts once.
    """

    day = models.DateField()
    tracker = models.ForeignKey(
        Tracker, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    source_kind = models.CharField(max_length=12)
    language = models.CharField(max_length=10, blank=True)
    intent = models.CharField(max_length=12, blank=True)
    sentiment_label = models.CharField(max_length=10, blank=True)
    mentions = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)
    sentiment_sum = models.FloatField(default=0.0)
    sentiment_n = models.PositiveIntegerField(default=0)
    leads = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day", "tracker"], name="mention_daily_day"),
            models.Index(fields=["tracker", "day"], name="mention_daily_tracker"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.tracker_id or '*'} {self.mentions}"


class RollupState(models.Model):
    """How far a rollup has read: mentions fetched after ``watermark`` (and
    mentions changed since, see ``listening.rollup``) are still to be counted."""

    name = models.CharField(max_length=40, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class SpikeKind(models.TextChoices):
    VOLUME = "volume", _("Mention volume")
    NEGATIVE = "negative", _("Negative sentiment")


class SpikeAlert(models.Model):
    """A significant rise in volume or negative posts for one tracker."""

    tracker = models.ForeignKey(
        Tracker,
        on_delete=models.CASCADE,
        related_name="spike_alerts",
        verbose_name=_("tracker"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SpikeKind.choices)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    observed = models.PositiveIntegerField(_("observed"))
    expected = models.FloatField(_("expected"))
    p_value = models.FloatField(_("chance under the baseline"))
    # Why: top terms (with their lift), authors, languages, sources and the
    # ids of the mentions behind the spike. Written once by the detector.
    explanation = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )

    class Meta:
        ordering = ["-window_start", "-pk"]
        verbose_name = _("spike alert")
        verbose_name_plural = _("spike alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["tracker", "kind", "window_start"], name="spike_unique_window"
            )
        ]
        indexes = [models.Index(fields=["-created_at"], name="spike_created")]

    def __str__(self) -> str:
        return f"{self.tracker} {self.kind} {self.window_start:%Y-%m-%d %H:%M}"


class CareDaily(models.Model):
    """The care report's counts per day and dimension, rebuilt by
    ``listening.rollup_refresh`` (see ``listening.rollup``).

    ``day`` is the local date (``TIME_ZONE``) of ``fetched_at``: the care
    report's population is the mentions that *arrived* in a period.
    ``responder_id`` is ``first_response_by``; ``assignee_id`` the assignee of
    a mention nobody answered first (``first_response_by`` empty), so the
    staff filter and "assigned, unanswered" work on the rows. Plain integers,
    not foreign keys: counts stay when a user goes, and the report looks the
    names up anyway. Whether an open mention is overdue depends on *now*, so
    it is not counted here (the report reads it live)."""

    day = models.DateField()
    intent = models.CharField(max_length=10, blank=True)
    source_kind = models.CharField(max_length=12)
    responder_id = models.BigIntegerField(null=True, blank=True)
    assignee_id = models.BigIntegerField(null=True, blank=True)
    arrived = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)
    unanswered = models.PositiveIntegerField(default=0)
    sla_met = models.PositiveIntegerField(default=0)
    sla_missed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="care_daily_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.intent or '-'} {self.arrived}"


class CareResponse(models.Model):
    """The first-response times behind the care report's percentiles: how many
    mentions (``n``) that arrived on ``day`` were first answered after exactly
    ``seconds``, per dimension. A narrow copy of about one row per answered
    mention, so a year's percentiles read a small table instead of the wide
    mention rows; rebuilt with ``CareDaily``."""

    day = models.DateField()
    intent = models.CharField(max_length=10, blank=True)
    source_kind = models.CharField(max_length=12)
    responder_id = models.BigIntegerField(null=True, blank=True)
    # As in CareDaily: the assignee when nobody is recorded as first responder
    # (older replies), for the staff filter.
    assignee_id = models.BigIntegerField(null=True, blank=True)
    seconds = models.PositiveIntegerField()
    n = models.PositiveIntegerField(default=1)
    # Precomputed so a year's histogram groups on plain columns: the
    # logarithmic bin of ``seconds`` (listening.rollup.care_bin) and the
    # Monday and first of the month of ``day`` (the report's buckets).
    bin = models.PositiveSmallIntegerField(default=0)
    week = models.DateField()
    month = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="care_response_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.seconds}s x{self.n}"
