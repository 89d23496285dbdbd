from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.models import TimeStampedModel


class Notification(TimeStampedModel):
    """One thing a member should hear about, on the site and/or by email."""

    class Category(models.TextChoices):
        REPLY = "reply", _("Reply")
        STATUS = "status", _("Status change")
        MENTION = "mention", _("Mention")
        SYSTEM = "system", _("Account and site")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=60)
    category = models.CharField(
        _("category"), max_length=10, choices=Category.choices, default=Category.SYSTEM
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, max_length=2000)
    url = models.CharField(_("link"), max_length=500, blank=True)
    show_onsite = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_due = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
            models.Index(fields=["email_due", "emailed_at"], name="notif_email_due"),
            # Tasks look up (kind, recipient) so a retry never notifies twice.
            models.Index(fields=["kind", "recipient"], name="notif_kind_recipient"),
        ]

    def __str__(self) -> str:
        return self.title
