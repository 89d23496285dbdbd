"""Ideas: what customers propose, vote on and discuss, and how the brand answers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase

from portal.core.models import TimeStampedModel


class IdeaStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    LAUNCHED = "launched", _("Launched")
    DECLINED = "declined", _("Declined")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = [
    IdeaStatus.NEW,
    IdeaStatus.UNDER_REVIEW,
    IdeaStatus.PLANNED,
    IdeaStatus.IN_PROGRESS,
]
ROADMAP_STATUSES = [IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS]
VOTABLE_STATUSES = OPEN_STATUSES


# Ideas anyone may see in lists: not hidden, not merged into another idea.
PUBLIC_IDEA = Q(is_hidden=False) & ~Q(status=IdeaStatus.MERGED)


class TaggedIdea(TaggedItemBase):
    content_object = ParentalKey(
        "ideas.Idea", on_delete=models.CASCADE, related_name="tagged_items"
    )


class Idea(ClusterableModel, TimeStampedModel):
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("description"), max_length=10000)
    body_html = models.TextField(editable=False, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ideas",
        verbose_name=_("author"),
    )
    focus_area = models.ForeignKey(
        "pages.FocusArea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
        verbose_name=_("focus area"),
    )
    tags = ClusterTaggableManager(
        through=TaggedIdea, blank=True, verbose_name=_("tags")
    )
    image = models.ImageField(_("image"), upload_to="ideas/%Y/%m/", blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=IdeaStatus.choices, default=IdeaStatus.NEW
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    follower_count = models.PositiveIntegerField(default=0)
    trending_score = models.FloatField(default=0.0)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_ideas",
    )
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    is_locked = models.BooleanField(
        _("locked"), default=False, help_text=_("No new votes or comments.")
    )
    flag_count = models.PositiveIntegerField(_("flags"), default=0)
    has_official_response = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        indexes = [
            models.Index(
                fields=["status", "-trending_score"], name="idea_status_trending"
            ),
            models.Index(fields=["status", "-vote_count"], name="idea_status_votes"),
            models.Index(fields=["status", "-created_at"], name="idea_status_new"),
            models.Index(
                fields=["status", "-last_activity_at"], name="idea_status_active"
            ),
            models.Index(fields=["focus_area", "status"], name="idea_focus_status"),
            models.Index(fields=["is_hidden", "flag_count"], name="idea_moderation"),
            # Active members over long periods (see vote_user_time).
            models.Index(fields=["author", "created_at"], name="idea_author_time"),
            # The community report's cohort (ideas submitted in a period): every
            # column its counts, funnel and joins need, so PostgreSQL reads the
            # period's slice of this index instead of scanning the wide table.
            models.Index(
                fields=["created_at"],
                include=[
                    "id",
                    "is_hidden",
                    "status",
                    "has_official_response",
                    "focus_area",
                ],
                name="idea_report_cohort",
            ),
            # The public list ("all statuses") filters on exactly this
            # condition and orders by one of these columns, so these partial
            # indexes let PostgreSQL read the first page straight off an index
            # instead of sorting every public idea.
            *[
                models.Index(
                    fields=[f"-{column}", "-id"],
                    name=f"idea_public_{short}",
                    condition=PUBLIC_IDEA,
                )
                for column, short in [
                    ("trending_score", "trending"),
                    ("vote_count", "votes"),
                    ("created_at", "new"),
                    ("last_activity_at", "active"),
                ]
            ],
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=IdeaStatus.MERGED) | Q(merged_into__isnull=False),
                name="idea_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")),
                name="idea_not_merged_into_self",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or "idea"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def comments_closed(self) -> bool:
        return self.is_locked or self.is_hidden or self.status == IdeaStatus.MERGED

    @property
    def can_vote(self) -> bool:
        return (
            self.status in VOTABLE_STATUSES
            and not self.is_hidden
            and not self.is_locked
        )

    @property
    def path_segment(self) -> str:
        return f"{self.pk}-{self.slug}/"

    def get_absolute_url(self) -> str:
        from .selectors import ideas_index_url

        return ideas_index_url() + self.path_segment


class Vote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_votes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="one_vote_per_member")
        ]
        indexes = [
            models.Index(fields=["idea", "-created_at"], name="vote_idea_recent"),
            # The community report's active members: who voted in a period,
            # read from the index alone (PostgreSQL; SQLite skips it).
            models.Index(
                fields=["created_at"], include=["user"], name="vote_created_user"
            ),
            # Active members over long periods: "did this member vote in the
            # period" is one index probe instead of reading all their votes.
            models.Index(fields=["user", "created_at"], name="vote_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.idea_id}"


class IdeaFollow(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["idea", "user"], name="one_follow_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.idea_id}"


class StatusChange(TimeStampedModel):
    """One step in an idea's public history, with the brand's official word."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(
        max_length=20, choices=IdeaStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=IdeaStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    response = models.TextField(_("official response"), blank=True, max_length=5000)
    response_html = models.TextField(editable=False, blank=True)
    admits_mistake = models.BooleanField(
        _("we got this wrong"),
        default=False,
        help_text=_("An open admission that the brand made a mistake."),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["idea", "created_at"], name="status_idea_time"),
            # Community report, time at each stage: the history in window
            # order (idea, time, pk) with the statuses, so the cohort is
            # merge-joined and nothing is sorted before the LEAD window.
            models.Index(
                fields=["idea", "created_at", "id"],
                include=["to_status", "from_status"],
                name="status_idea_window",
            ),
            # Ideas launched in a period: the launches, straight off the index.
            models.Index(
                fields=["to_status", "created_at"],
                include=["idea", "from_status"],
                name="status_to_time",
            ),
            # Time to an official response: only the history rows that are
            # official responses (about a fifth), as ``responded_ideas``
            # filters them.
            models.Index(
                fields=["idea", "created_at"],
                name="status_response",
                condition=~Q(response="")
                & ~(Q(to_status="merged") | Q(from_status="merged")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.from_status} → {self.to_status}"

    @property
    def is_status_change(self) -> bool:
        return self.from_status != self.to_status


class IdeaFlag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        ABUSE = "abuse", _("Rude or abusive")
        PERSONAL = "personal", _("Shares personal data")
        OTHER = "other", _("Something else")

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="one_flag_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} flagged {self.idea_id}: {self.reason}"


class IdeaRevision(models.Model):
    """What an idea said before someone edited it."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    title = models.CharField(max_length=140)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Revision of {self.idea_id} at {self.created_at:%Y-%m-%d %H:%M}"


class IdeaMerge(TimeStampedModel):
    """A duplicate folded into an original, with what moved, so it can be undone."""

    source = models.ForeignKey(
        Idea, on_delete=models.CASCADE, related_name="merges_out"
    )
    target = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="merges_in")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source_status = models.CharField(max_length=20, choices=IdeaStatus.choices)
    moved_vote_user_ids = models.JSONField(default=list)
    shared_vote_user_ids = models.JSONField(default=list)
    moved_follower_ids = models.JSONField(default=list)
    moved_comment_ids = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class VoteBurst(TimeStampedModel):
    """Many votes from brand-new accounts on one idea in a short time."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="vote_bursts")
    new_account_votes = models.PositiveIntegerField()
    window_minutes = models.PositiveIntegerField()
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


from .pages import IdeasIndexPage  # noqa: E402, F401  (Wagtail finds page models here)
