"""Public pages of the consent-first invitation (no login needed).

/<lang>/invite/<token>/ is the landing page of a drafted invitation: what the
community is, why this person was invited (their own post quoted), and three
choices: join, not now, never ask me again. A forged, expired, unknown or
used link gets a friendly page and grants nothing.

/<lang>/optout/ takes a handle and a network and answers the same whether or
not the handle is known. Posting is rate limited per address.

"Join" keeps the invitation in the session and sends the person to sign up
(or, when they are logged in already, joins at once); listening/signals.py
turns the post into their draft on sign-up or login (listening/join.py).
/<lang>/invite/drafts/ lists the member's drafts and /<lang>/invite/drafts/<pk>/
edits, publishes or discards one: only its owner sees it, anyone else gets a
404, staff included.
"""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from . import consent, join
from .models import ContributionDraft, DraftKind, OptOutVia, SourceKind

# Where "Join" leaves the invitation for the sign-up flow to pick up.
SESSION_KEY = join.SESSION_INVITATION
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
            if request.user.is_authenticated:
                try:
                    draft = join.invitation_join(
                        invitation=invitation, user=request.user
                    )
                except (PermissionDenied, ValidationError):  # used meanwhile
                    return _token_error(request, "used")
                return redirect(join.draft_url(draft))
            request.session[SESSION_KEY] = join.join_session_value(invitation)
            return redirect("account_signup")
        if action == "decline":
            consent.invitation_decline(invitation)
            return render(request, "listening/invite/done.html", {"action": action})
        if action == "optout":
            consent.invitation_optout(invitation)
            return render(request, "listening/invite/done.html", {"action": action})
    elif not is_link_preview(request):
        consent.invitation_open(invitation)
    response = render(
        request,
        "listening/invite/landing.html",
        {"invitation": invitation, "mention": invitation.mention},
    )
    # A personal page: never in a search engine or a shared cache.
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


# Networks fetch every posted link for its preview card; such a fetch is not
# the person opening their invitation.
LINK_PREVIEW_AGENTS = re.compile(
    r"bot|crawl|spider|preview|mastodon|http\.rb|bluesky|cardyb|facebookexternal"
    r"|whatsapp|telegram|slack|discord|embedly|iframely|python-httpx|curl|wget",
    re.IGNORECASE,
)


def is_link_preview(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "")
    return bool(LINK_PREVIEW_AGENTS.search(agent))


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


# --- the member's drafts -----------------------------------------------------


class DraftForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Share it as"),
        choices=DraftKind.choices,
        widget=forms.RadioSelect,
    )
    # Checked by the ideas or questions rules when published, not on save.
    title = forms.CharField(
        label=_("Title"), required=False, max_length=join.TITLE_MAX + 40
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=join.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("You can use Markdown."),
    )


def _own_draft(request: HttpRequest, pk: int) -> ContributionDraft:
    """The draft, if it is the member's own; a 404 for anyone else."""
    draft = (
        ContributionDraft.objects.select_related("invitation__mention")
        .filter(pk=pk, owner=request.user)
        .first()
    )
    if draft is None:
        raise Http404
    return draft


def _add_errors(form: DraftForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@login_required
@require_http_methods(["GET"])
def drafts(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "listening/invite/drafts.html",
        {"drafts": list(join.drafts_for(request.user)[:100])},
    )


@login_required
@require_http_methods(["GET", "POST"])
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _own_draft(request, pk)
    if draft.published_at:
        published = draft.idea or draft.question
        if published is None:
            raise Http404
        return HttpResponseRedirect(published.get_absolute_url())
    initial = {"kind": draft.kind, "title": draft.title, "body": draft.body}
    form = DraftForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "discard":
            join.draft_discard(draft=draft, user=request.user)
            messages.success(request, gettext("Your draft was thrown away."))
            return redirect("listening_drafts")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "publish":
                    published = join.draft_publish(
                        draft=draft,
                        user=request.user,
                        title=data["title"],
                        body=data["body"],
                        kind=data["kind"],
                    )
                    messages.success(
                        request,
                        gettext("Thank you! Your question is online.")
                        if data["kind"] == DraftKind.QUESTION
                        else gettext("Thank you! Your idea is online."),
                    )
                    return HttpResponseRedirect(published.get_absolute_url())
                join.draft_update(
                    draft=draft,
                    user=request.user,
                    title=data["title"],
                    body=data["body"],
                    kind=data["kind"],
                )
                messages.success(request, gettext("Your draft is saved."))
                return redirect(join.draft_url(draft))
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                _add_errors(form, error)
        status = 400
    mention = draft.invitation.mention if draft.invitation else None
    if mention is not None and mention.pseudonymised_at:
        mention = None
    return render(
        request,
        "listening/invite/draft.html",
        {"draft": draft, "form": form, "mention": mention},
        status=status,
    )
