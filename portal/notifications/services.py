"""Sending notifications. Apps call `notification_send`; the member's
preferences decide where it shows up and how email is batched."""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal.core.outbox import enqueue

from .models import Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"

_CATEGORY_PREFERENCE = {
    Notification.Category.REPLY: "notify_replies",
    Notification.Category.STATUS: "notify_status_changes",
    Notification.Category.MENTION: "notify_mentions",
}


def _preferences(user):
    from portal.accounts.services import notification_preferences_get

    return notification_preferences_get(user=user)


def notification_send(
    *,
    recipient,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    category: str = Notification.Category.SYSTEM,
) -> Notification | None:
    """Create a notification if the recipient wants it; email on commit."""
    if not recipient.is_active or getattr(recipient, "is_erased", False):
        return None
    prefs = _preferences(recipient)
    pref_field = _CATEGORY_PREFERENCE.get(category)
    if pref_field and not getattr(prefs, pref_field):
        return None
    wants_email = bool(
        prefs.email_enabled and prefs.email_frequency != "never" and recipient.email
    )
    if not prefs.onsite_enabled and not wants_email:
        return None
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        category=category,
        title=title[:200],
        body=body[:2000],
        url=url[:500],
        show_onsite=prefs.onsite_enabled,
        email_due=wants_email,
    )
    if wants_email and prefs.email_frequency == "immediate":
        from .tasks import deliver_email

        enqueue(deliver_email, notification.pk)
    return notification


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def unsubscribe_token_make(*, user) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user.pk))


def unsubscribe_token_user_id(*, token: str) -> int | None:
    try:
        return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def email_unsubscribe(*, user) -> None:
    prefs = _preferences(user)
    prefs.email_enabled = False
    prefs.save(update_fields=["email_enabled"])


def _send(user, notifications: list[Notification], *, digest: bool) -> None:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    token = unsubscribe_token_make(user=user)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "notifications": notifications,
            "digest": digest,
            "base_url": base,
            "unsubscribe_url": base
            + reverse("notifications:unsubscribe", args=[token]),
        }
        subject = (
            translation.gettext("Your community digest")
            if digest
            else notifications[0].title
        )
        text = render_to_string("notifications/email.txt", context)
    # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that
    # POSTs to the link, which turns email off without signing in.
    message = EmailMessage(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()


def notification_email_deliver(*, notification_id: int) -> bool:
    """Email one notification once. Safe to retry: a sent one is skipped."""
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, email_due=True, emailed_at__isnull=True)
            .first()
        )
        if n is None or not n.recipient.email:
            return False
        _send(n.recipient, [n], digest=False)
        n.emailed_at = timezone.now()
        n.save(update_fields=["emailed_at"])
    return True


def notification_digest_deliver(*, frequency: str) -> int:
    """Send one digest per member on `frequency` with unsent notifications."""
    from portal.accounts.models import User

    sent = 0
    users = User.objects.filter(
        is_active=True,
        notification_preferences__email_enabled=True,
        notification_preferences__email_frequency=frequency,
        notifications__email_due=True,
        notifications__emailed_at__isnull=True,
    ).distinct()
    for user in users.iterator():
        with transaction.atomic():
            pending = list(
                Notification.objects.select_for_update()
                .filter(recipient=user, email_due=True, emailed_at__isnull=True)
                .order_by("created_at")[:50]
            )
            if not pending:
                continue
            _send(user, pending, digest=True)
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
                emailed_at=timezone.now()
            )
            sent += 1
    return sent
