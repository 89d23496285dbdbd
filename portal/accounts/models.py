from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def avatar_upload_to(instance: "User", filename: str) -> str:
    # The member's id, not their name, goes into the path.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"avatars/{instance.pk or 'new'}/avatar.{ext}"


class SignupSource(models.TextChoices):
    DIRECT = "direct", _("Signed up on the site")
    INVITATION = "invitation", _("Invitation from social media")
    SOCIAL = "social", _("Social log-in")
    STAFF = "staff", _("Added by staff")


class User(AbstractUser):
    """A person on the site: member, expert or staff.

    Personal data lives here so that erasing an account is one place to clean.
    Contributions point at this row, so pseudonymising it keeps vote totals and
    discussions intact while the person disappears.
    """

    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    bio = models.TextField(_("bio"), max_length=1000, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to follow your browser."),
    )
    is_erased = models.BooleanField(_("erased"), default=False, editable=False)
    banned_at = models.DateTimeField(_("banned at"), null=True, blank=True)
    ban_reason = models.CharField(_("reason for the ban"), max_length=300, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    # How the member arrived (the community report's "new members by
    # source"); empty for accounts older than this field.
    signup_source = models.CharField(
        _("joined through"),
        max_length=12,
        choices=SignupSource.choices,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # The community report's new members (count and per-source chart):
            # read from the index alone instead of scanning every account.
            models.Index(
                fields=["date_joined"],
                include=["is_staff", "signup_source"],
                name="user_joined_source",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        if self.is_erased:
            return str(_("Former member"))
        return self.display_name or self.username

    def get_full_name(self) -> str:
        # Comments and emails use this; members choose how they are shown.
        return self.public_name

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"username": self.username})


class NotificationPreferences(models.Model):
    """How a member wants to hear from the site, per channel."""

    class Digest(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly digest")
        NEVER = "never", _("Never")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    email_enabled = models.BooleanField(_("email notifications"), default=True)
    email_frequency = models.CharField(
        _("email frequency"),
        max_length=10,
        choices=Digest.choices,
        default=Digest.IMMEDIATE,
    )
    onsite_enabled = models.BooleanField(_("on-site notifications"), default=True)
    notify_replies = models.BooleanField(_("replies to my posts"), default=True)
    notify_status_changes = models.BooleanField(
        _("status changes on what I follow"), default=True
    )
    notify_mentions = models.BooleanField(_("when someone mentions me"), default=True)
    newsletter = models.BooleanField(_("community news"), default=False)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"
