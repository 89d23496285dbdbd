"""Writes on accounts: profile, preferences, data export and erasure."""

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import gdpr
from .models import NotificationPreferences, User

logger = logging.getLogger(__name__)

ERASED_NAME = "Former member"


def notification_preferences_get(*, user: User) -> NotificationPreferences:
    prefs, _ = NotificationPreferences.objects.get_or_create(user=user)
    return prefs


def profile_update(
    *,
    user: User,
    display_name: str,
    bio: str,
    language: str,
    avatar: Any = None,
    clear_avatar: bool = False,
) -> User:
    user.display_name = display_name.strip()
    user.bio = bio.strip()
    user.language = language
    if clear_avatar and user.avatar:
        user.avatar.delete(save=False)
        user.avatar = ""
    elif avatar:
        if user.avatar:
            user.avatar.delete(save=False)
        user.avatar = avatar
    user.save()
    return user


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything the site holds about `user`, as JSON-serialisable data."""
    prefs = notification_preferences_get(user=user)
    data: dict[str, Any] = {
        "format": "seed-personal-data/1",
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "display_name": user.display_name,
            "bio": user.bio,
            "language": user.language,
            "avatar": user.avatar.url if user.avatar else None,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "is_staff": user.is_staff,
        },
        "notification_preferences": {
            "email_enabled": prefs.email_enabled,
            "email_frequency": prefs.email_frequency,
            "onsite_enabled": prefs.onsite_enabled,
            "notify_replies": prefs.notify_replies,
            "notify_status_changes": prefs.notify_status_changes,
            "notify_mentions": prefs.notify_mentions,
            "newsletter": prefs.newsletter,
        },
    }
    for section, exporter in sorted(gdpr.exporters().items()):
        data[section] = exporter(user)
    return data


@transaction.atomic
def user_erase(*, user: User) -> User:
    """Delete a member's personal data and pseudonymise what they contributed.

    The row stays (as "Former member") so that votes, answers and threads keep
    their totals and their shape; every registered eraser removes or
    anonymises the personal parts first.
    """
    for name, eraser in sorted(gdpr.erasers().items()):
        logger.info("Erasing %s for user %s", name, user.pk)
        eraser(user)
    if user.avatar:
        user.avatar.delete(save=False)
    NotificationPreferences.objects.filter(user=user).delete()
    user.username = f"former-{uuid.uuid4().hex[:12]}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.display_name = ""
    user.bio = ""
    user.avatar = ""
    user.language = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.is_erased = True
    user.erased_at = timezone.now()
    # A new unusable password also invalidates every open session.
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return user


def member_ban(*, user: User, by: User, reason: str) -> User:
    """Stop a member from signing in or posting. Their posts stay visible;
    staff hide individual posts where needed."""
    if not by.is_staff:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Only staff can ban members."))
    if user.is_staff:
        from django.core.exceptions import ValidationError

        raise ValidationError(_("Staff accounts cannot be banned here."))
    user.banned_at = timezone.now()
    user.ban_reason = reason.strip()[:300]
    user.is_active = False
    user.save(update_fields=["banned_at", "ban_reason", "is_active"])
    logger.info("Member %s banned by %s", user.pk, by.pk)
    return user


def member_unban(*, user: User, by: User) -> User:
    if not by.is_staff:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Only staff can lift a ban."))
    user.banned_at = None
    user.ban_reason = ""
    user.is_active = not user.is_erased
    user.save(update_fields=["banned_at", "ban_reason", "is_active"])
    return user
