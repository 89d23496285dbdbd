"""Expertcare: expert customers answer their peers' questions.

The expert programme (applications, profiles), questions and answers, the
routing record, private support cases and the reputation ledger.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from portal.core.models import TimeStampedModel


@register_setting(icon="group")
class ExpertProgrammeSettings(BaseSiteSetting):
    """How the expert programme runs on this site."""

    guidelines_page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("expert guidelines page"),
        help_text=_("Applicants must accept this page before they can apply."),
    )
    auto_qualify = models.BooleanField(
        _("approve qualified applicants automatically"),
        default=False,
        help_text=_(
            "Members who reach the reputation threshold with enough accepted "
            "answers in a focus area are approved without waiting for staff. "
            "They still apply and accept the guidelines themselves."
        ),
    )
    auto_qualify_points = models.PositiveIntegerField(
        _("reputation threshold"), default=100
    )
    auto_qualify_accepted_answers = models.PositiveIntegerField(
        _("accepted answers needed in the focus area"), default=3
    )
    experts_per_question = models.PositiveSmallIntegerField(
        _("experts asked per question"),
        default=3,
        help_text=_("How many experts a new question is routed to at once."),
    )
    default_daily_cap = models.PositiveSmallIntegerField(
        _("default daily cap per expert"), default=3
    )
    points_accepted = models.PositiveSmallIntegerField(
        _("points for an accepted answer"), default=15
    )
    points_helpful = models.PositiveSmallIntegerField(
        _("points for a helpful vote"), default=5
    )
    points_verified = models.PositiveSmallIntegerField(
        _("points for a verified answer"), default=20
    )

    panels = [
        FieldPanel("guidelines_page"),
        MultiFieldPanel(
            [
                FieldPanel("auto_qualify"),
                FieldPanel("auto_qualify_points"),
                FieldPanel("auto_qualify_accepted_answers"),
            ],
            heading=_("Automatic qualification"),
        ),
        MultiFieldPanel(
            [FieldPanel("experts_per_question"), FieldPanel("default_daily_cap")],
            heading=_("Routing"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("points_accepted"),
                FieldPanel("points_helpful"),
                FieldPanel("points_verified"),
            ],
            heading=_("Reputation"),
        ),
    ]

    class Meta:
        verbose_name = _("expert programme")


class ExpertLevel(models.Model):
    """A named level reached at a number of reputation points."""

    name = models.CharField(_("name"), max_length=40)
    name_nl = models.CharField(_("name (Dutch)"), max_length=40, blank=True)
    min_points = models.PositiveIntegerField(_("from points"), unique=True)

    class Meta:
        ordering = ["min_points"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self) -> str:
        return f"{self.name} ({self.min_points}+)"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ExpertApplication(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="expert_applications",
        verbose_name=_("member"),
    )
    focus_areas = models.ManyToManyField(
        "pages.FocusArea", related_name="+", verbose_name=_("focus areas")
    )
    motivation = models.TextField(_("motivation"), max_length=1000)
    guidelines_accepted_at = models.DateTimeField(_("accepted the guidelines at"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(
        _("note to the member"), max_length=500, blank=True
    )
    auto_qualified = models.BooleanField(_("approved automatically"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("expert application")
        verbose_name_plural = _("expert applications")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="one_pending_application_per_member",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="app_status")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"


class ExpertStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    LEFT = "left", _("Left the programme")
    REMOVED = "removed", _("Removed by staff")


class ExpertProfile(TimeStampedModel):
    """A member who opted in to answer peers. One per member, kept after
    leaving so their history stays attributed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="expert_profile",
        verbose_name=_("member"),
    )
    focus_areas = models.ManyToManyField(
        "pages.FocusArea", related_name="experts", verbose_name=_("focus areas")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExpertStatus.choices,
        default=ExpertStatus.ACTIVE,
    )
    headline = models.CharField(_("headline"), max_length=120, blank=True)
    joined_at = models.DateTimeField(_("expert since"), default=timezone.now)
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    quiet_hours_start = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet until"), null=True, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Amsterdam"
    )
    daily_cap = models.PositiveSmallIntegerField(
        _("questions per day at most"), default=3
    )

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        indexes = [models.Index(fields=["status"], name="expert_status")]

    def __str__(self) -> str:
        return self.user.public_name

    @property
    def is_current(self) -> bool:
        """In the programme (active or paused): shows the badge."""
        return self.status in (ExpertStatus.ACTIVE, ExpertStatus.PAUSED)

    def is_available(self, now=None) -> bool:
        from .routing import expert_availability

        return expert_availability(self, now=now) is None

    def get_absolute_url(self) -> str:
        from .selectors import questions_index_url

        return f"{questions_index_url()}experts/{self.user.username}/"


class Reputation(models.Model):
    """A member's running totals; always equal to the sum of their ledger."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reputation",
    )
    points = models.IntegerField(default=0)
    accepted_count = models.IntegerField(default=0)
    helpful_count = models.IntegerField(default=0)
    verified_count = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["-points"], name="reputation_points")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.points}"


class ReputationReason(models.TextChoices):
    ACCEPTED = "accepted", _("Answer accepted")
    UNACCEPTED = "unaccepted", _("Acceptance withdrawn")
    HELPFUL = "helpful", _("Helpful vote")
    UNHELPFUL = "unhelpful", _("Helpful vote withdrawn")
    VERIFIED = "verified", _("Verified by the brand")
    UNVERIFIED = "unverified", _("Verification withdrawn")


class ReputationEvent(models.Model):
    """One line in the reputation ledger. Never edited; reversals are new lines."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    points = models.IntegerField()
    reason = models.CharField(max_length=12, choices=ReputationReason.choices)
    answer = models.ForeignKey(
        "experts.Answer", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    question = models.ForeignKey(
        "experts.Question", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    focus_area = models.ForeignKey(
        "pages.FocusArea", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="rep_user_time"),
            models.Index(fields=["focus_area", "created_at"], name="rep_area_time"),
            models.Index(fields=["created_at"], name="rep_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.points:+d} {self.reason}"


class BadgeAward(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges"
    )
    badge = models.CharField(max_length=40)
    awarded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["awarded_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "badge"], name="one_badge_each")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.badge}"

    @property
    def label(self) -> str:
        from .reputation import BADGES

        badge = BADGES.get(self.badge)
        return str(badge.label) if badge else self.badge


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    SOLVED = "solved", _("Solved")
    PRIVATE = "private", _("Moved to private support")
    CONVERTED = "converted", _("Turned into an idea")


PUBLIC_QUESTION = Q(is_hidden=False)


class Question(TimeStampedModel):
    title = models.CharField(_("title"), max_length=160)
    body = models.TextField(_("question"), max_length=10000)
    body_html = models.TextField(editable=False, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("asked by"),
    )
    focus_area = models.ForeignKey(
        "pages.FocusArea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("focus area"),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuestionStatus.choices,
        default=QuestionStatus.OPEN,
    )
    accepted_answer = models.OneToOneField(
        "experts.Answer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answer_count = models.PositiveIntegerField(_("answers"), default=0)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    # The response-time target, fixed when the question is asked.
    first_answer_due_at = models.DateTimeField(_("first answer due"))
    first_answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    first_answer_seconds = models.PositiveIntegerField(
        _("time to first answer (seconds)"), null=True, blank=True
    )
    first_answer_by_expert = models.BooleanField(null=True, blank=True)
    rerouted_at = models.DateTimeField(_("re-routed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to staff"), null=True, blank=True)
    is_private = models.BooleanField(_("private case"), default=False)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    converted_idea = models.ForeignKey(
        "ideas.Idea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("turned into idea"),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="question_status_new"),
            models.Index(
                fields=["status", "-last_activity_at"], name="question_status_active"
            ),
            models.Index(fields=["focus_area", "status"], name="question_area_status"),
            models.Index(
                fields=["first_answered_at", "created_at"],
                name="question_unanswered",
                condition=Q(first_answered_at__isnull=True),
            ),
            # The community report's active members over long periods: "did
            # this member ask in the period" is one index probe.
            models.Index(fields=["author", "created_at"], name="question_author_time"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or "question"

    @property
    def path_segment(self) -> str:
        return f"{self.pk}-{self.slug}/"

    @property
    def is_unanswered(self) -> bool:
        return self.first_answered_at is None

    @property
    def is_overdue(self) -> bool:
        return self.first_answered_at is None and timezone.now() > (
            self.first_answer_due_at
        )

    @property
    def accepts_answers(self) -> bool:
        return (
            not self.is_private
            and not self.is_hidden
            and self.status
            in (
                QuestionStatus.OPEN,
                QuestionStatus.ANSWERED,
                QuestionStatus.SOLVED,
            )
        )

    @property
    def comments_closed(self) -> bool:
        return not self.accepts_answers

    def get_absolute_url(self) -> str:
        from .selectors import questions_index_url

        return questions_index_url() + self.path_segment


class Answer(TimeStampedModel):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="answers",
        verbose_name=_("author"),
    )
    body = models.TextField(_("answer"), max_length=10000)
    body_html = models.TextField(editable=False, blank=True)
    by_expert = models.BooleanField(_("by an expert"), default=False)
    is_official = models.BooleanField(_("official answer"), default=False)
    is_accepted = models.BooleanField(_("accepted"), default=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    is_hidden = models.BooleanField(_("hidden"), default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            models.Index(fields=["question", "created_at"], name="answer_question"),
            models.Index(fields=["author", "is_accepted"], name="answer_author"),
            # Active members over long periods (see question_author_time).
            models.Index(fields=["author", "created_at"], name="answer_author_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_accepted=True),
                name="one_accepted_answer_per_question",
            )
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk} on {self.question_id}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def comments_closed(self) -> bool:
        return self.is_hidden or not self.question.accepts_answers

    def get_absolute_url(self) -> str:
        return f"{self.question.get_absolute_url()}#answer-{self.pk}"


class HelpfulVote(models.Model):
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="helpful_votes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "user"], name="one_helpful_vote_per_member"
            )
        ]
        indexes = [
            # Active members over long periods (see question_author_time).
            models.Index(fields=["user", "created_at"], name="helpful_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} found {self.answer_id} helpful"


class VerificationEvent(models.Model):
    """Who verified or withdrew verification of an answer, and when."""

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="verifications"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verified = models.BooleanField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.answer_id} verified={self.verified}"


class RoutingRound(models.Model):
    """One routing pass for a question: who was considered and who was asked."""

    class Trigger(models.TextChoices):
        NEW = "new", _("New question")
        REROUTE = "reroute", _("Unanswered at half the target")
        MANUAL = "manual", _("Staff")

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="routing_rounds"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    candidates = models.PositiveIntegerField(default=0)
    # Counts of experts left out and why: {"paused": 2, "quiet_hours": 1, ...}
    skipped = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.question_id} ({self.trigger})"


class RoutingDecision(models.Model):
    """An expert a question was sent to, with the reasons for the choice."""

    round = models.ForeignKey(
        RoutingRound, on_delete=models.CASCADE, related_name="decisions"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="routing_decisions"
    )
    expert = models.ForeignKey(
        ExpertProfile, on_delete=models.CASCADE, related_name="routing_decisions"
    )
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    reasons = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "expert"], name="route_each_expert_once"
            )
        ]
        indexes = [
            models.Index(fields=["expert", "created_at"], name="route_expert_time")
        ]

    def __str__(self) -> str:
        return f"{self.question_id} → {self.expert_id}"


class PrivateCase(TimeStampedModel):
    """A question taken out of public view and continued by staff in private."""

    class Reason(models.TextChoices):
        ACCOUNT = "account", _("Account data")
        HEALTH = "health", _("Health")
        MONEY = "money", _("Money")
        ANGER = "anger", _("Strong emotions")
        OTHER = "other", _("Other")

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="private_case"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    original_title = models.CharField(max_length=160)
    original_body = models.TextField()
    redactions = models.JSONField(default=dict)
    closed_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    public_summary = models.TextField(_("public summary"), blank=True, max_length=3000)
    public_summary_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("private case")
        verbose_name_plural = _("private cases")

    def __str__(self) -> str:
        return f"#{self.question_id}: {self.question.title}"


class CaseMessage(models.Model):
    case = models.ForeignKey(
        PrivateCase, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(max_length=10000)
    body_html = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Message {self.pk} on case {self.case_id}"


from .pages import QuestionsIndexPage  # noqa: E402, F401  (Wagtail finds pages here)
