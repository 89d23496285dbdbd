"""Lockout for the two admin login forms (Wagtail's and Django's).

allauth rate limits the member login (ACCOUNT_RATE_LIMITS), but the admin
login views are Wagtail's and Django's own and have no limit. Failed attempts
are counted per client IP and per username with django-ratelimit; once
either count reaches ADMIN_LOGIN_RATE, the form is refused with 429 until the
window has passed, even with the right password.
https://django-ratelimit.readthedocs.io/en/stable/usage.html#core-methods
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

GROUP = "admin.login"


def _username_key(group: str, request: HttpRequest) -> str:
    return (request.POST.get("username") or "").strip().lower()


def _locked_out(request: HttpRequest) -> bool:
    """Whether the IP or the username has used up its failed attempts."""
    for key in ("ip", _username_key):
        usage = get_usage(
            request,
            group=GROUP,
            key=key,
            rate=settings.ADMIN_LOGIN_RATE,
            method="POST",
            increment=False,
        )
        if usage and usage["count"] >= usage["limit"]:
            return True
    return False


def _count_failure(request: HttpRequest) -> None:
    for key in ("ip", _username_key):
        get_usage(
            request,
            group=GROUP,
            key=key,
            rate=settings.ADMIN_LOGIN_RATE,
            method="POST",
            increment=True,
        )


def admin_login_locked_out(view: Callable[..., HttpResponse]) -> Callable:
    """Wrap an admin login view with the failed-attempt lockout."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        if _locked_out(request):
            return render(
                request,
                "429.html",
                {
                    "message": _(
                        "Too many failed login attempts. Please wait a few "
                        "minutes and try again."
                    )
                },
                status=429,
            )
        response = view(request, *args, **kwargs)
        # A successful login redirects; a failed one shows the form again.
        if response.status_code == 200:
            _count_failure(request)
        return response

    return wrapped
