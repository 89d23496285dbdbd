"""What the foundation itself holds about a person: allauth addresses and
social accounts, MFA authenticators, API tokens and comments."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django_comments_xtd.models import XtdComment
from rest_framework.authtoken.models import Token

from . import gdpr


def _export_emails(user: Any) -> list[dict[str, Any]]:
    return [
        {"email": a.email, "verified": a.verified, "primary": a.primary}
        for a in EmailAddress.objects.filter(user=user)
    ]


def _export_social(user: Any) -> list[dict[str, Any]]:
    return [
        {"provider": a.provider, "uid": a.uid, "date_joined": a.date_joined.isoformat()}
        for a in SocialAccount.objects.filter(user=user)
    ]


def _export_comments(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "on": f"{c.content_type.app_label}.{c.content_type.model}:{c.object_pk}",
            "comment": c.comment,
            "submitted_at": c.submit_date.isoformat(),
            "is_public": c.is_public,
        }
        for c in XtdComment.objects.filter(user=user).select_related("content_type")
    ]


def _erase_credentials(user: Any) -> None:
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()


def _erase_comments(user: Any) -> None:
    # The words stay in the thread so replies keep their context; who wrote
    # them does not.
    XtdComment.objects.filter(user=user).update(
        user_name="Former member", user_email="", user_url="", ip_address=None
    )


def register() -> None:
    gdpr.register_exporter("email_addresses", _export_emails)
    gdpr.register_exporter("social_accounts", _export_social)
    gdpr.register_exporter("comments", _export_comments)
    gdpr.register_eraser("credentials", _erase_credentials)
    gdpr.register_eraser("comments", _erase_comments)
