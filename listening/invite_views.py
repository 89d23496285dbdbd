"""Public pages of the consent-first invitation (no login needed).

/<lang>/invite/<token>/ is the landing page of a drafted invitation: what the
community is, why this person was invited (their own post quoted), and three
choices: join, not now, never ask me again. A forged, expired, unknown or
used link gets a friendly page and grants nothing.

/<lang>/optout/ takes a handle and a network and answers the same whether or
not the handle is known. Posting is rate limited per address.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from . import consent
from .models import OptOutVia, SourceKind

# Where "Join" leaves the invitation for the signup flow to pick up (issue 6
# still has to turn the post into a draft idea or question on signup).
SESSION_KEY = "listening_invitation"
TOKEN_STATUS = {"forged": 404, "unknown": 404, "expired": 410, "used": 410}
HANDLE_MAX_CHARS = 255


def _token_error(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "listening/invite/invalid.html",
        {"message": consent.TOKEN_MESSAGES[reason], "reason": reason},
        status=TOKEN_STATUS[reason],
    )


@require_http_methods(["GET", "POST"])
def invite_landing(request: HttpRequest, token: str) -> HttpResponse:
    invitation, reason = consent.invitation_from_token(token)
    if invitation is None:
        return _token_error(request, reason)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "join":
            request.session[SESSION_KEY] = invitation.pk
            return redirect("account_signup")
        if action == "decline":
            consent.invitation_decline(invitation)
            return render(request, "listening/invite/done.html", {"action": action})
        if action == "optout":
            consent.invitation_optout(invitation)
            return render(request, "listening/invite/done.html", {"action": action})
    else:
        consent.invitation_open(invitation)
    return render(
        request,
        "listening/invite/landing.html",
        {"invitation": invitation, "mention": invitation.mention},
    )


class OptOutForm(forms.Form):
    handle = forms.CharField(
        label=_("Your handle or username"),
        max_length=HANDLE_MAX_CHARS,
        help_text=_("For example @sanne@mastodon.social or @sanne.bsky.social."),
    )
    network = forms.ChoiceField(
        label=_("Network"),
        required=False,
        choices=[("", _("Any network")), *SourceKind.choices],
    )

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"]
        if not consent.handle_normalise(handle):
            raise forms.ValidationError(_("Enter your handle."))
        return handle


@require_http_methods(["GET", "POST"])
def optout(request: HttpRequest) -> HttpResponse:
    form = OptOutForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if is_ratelimited(
            request,
            group="listening.optout",
            key="ip",
            rate=settings.LISTENING_OPTOUT_RATE,
            method="POST",
            increment=True,
        ):
            form.add_error(None, _("Too many requests. Please try again later."))
            status = 429
        elif form.is_valid():
            consent.optout_record(
                handle=form.cleaned_data["handle"],
                network=form.cleaned_data["network"],
                via=OptOutVia.LINK,
            )
            # The same page whether or not the handle was known.
            return render(request, "listening/invite/optout_done.html")
    return render(
        request,
        "listening/invite/optout.html",
        {"form": form, "action": reverse("listening_optout")},
        status=status,
    )
