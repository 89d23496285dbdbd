"""The mention workspace in the webcare inbox (issue 6), under
/admin/listening/inbox/:

- `mention_workspace` (GET <pk>/): one mention with everything staff need to
  act on it: its labels and SLA clock, what was done so far (replies, links,
  invitations), suggestions to link it to, the reply composer, and the
  consent-first invitation;
- `mention_link_view` (POST <pk>/link/): link it to an idea or a question,
  then open the composer with a reply that points there;
- `mention_invite_view` (POST <pk>/invite/): ask the consent ledger for an
  invitation; a refusal is shown with its reason, and only a "sensitive" one
  can be overridden, with a written reason;
- `idea_loop` (GET loop/<idea_pk>/): close the loop with everyone whose post
  was linked to an idea that changed status.

Nothing here posts anything: the drafted texts go into the reply composer
(listening/reply_views.py), where staff post or confirm them themselves.
Staff only (active + is_staff); the writes are the services in
listening/webcare.py and listening/consent.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from experts.models import Question
from ideas.models import PUBLIC_IDEA, Idea, IdeaStatus
from portal.core.text import db_id

from . import consent, reply_views, webcare
from .inbox import sla_state, staff_users
from .models import (
    OPEN_MENTION_STATUSES,
    Invitation,
    InvitationStatus,
    Mention,
    MentionLink,
    ReplyKind,
)

logger = logging.getLogger(__name__)

SUGGESTIONS = 5
SEARCH_MAX = 10
SEARCH_MAX_CHARS = 100
OVERRIDE_REASON_MAX = 2000
# Invitations whose link still works: their drafted text may still be posted.
OPEN_INVITATION_STATUSES = (InvitationStatus.OFFERED, InvitationStatus.OPENED)


def _staff_only(request: HttpRequest) -> None:
    # The admin URL already requires Wagtail admin access; the inbox is for
    # staff on top of that.
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied


def _mention(pk: int) -> Mention:
    return get_object_or_404(
        Mention.objects.select_related("source", "assignee").defer("raw"), pk=pk
    )


def _workspace_url(mention: Mention) -> str:
    return reverse("listening_inbox:mention", args=[mention.pk])


def _web_url(url: str) -> str:
    """Only http(s) links become hrefs: imported data is not trusted."""
    return url if url and url.lower().startswith(("https://", "http://")) else ""


def absolute_url(path: str) -> str:
    if path.startswith(("https://", "http://")):
        return path  # Wagtail gives full URLs when there are several sites
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


# --- drafted replies, in the poster's language ---------------------------------


def _addressed(mention: Mention, text: str) -> str:
    # Mastodon notifies only the accounts a reply mentions (as the composer
    # does for an empty reply).
    if mention.source.kind == "mastodon" and mention.author_handle:
        return f"{mention.author_handle} {text}"
    return text


def link_reply_text(link: MentionLink, mention: Mention) -> str:
    """A reply that points the poster to the idea (to vote) or the question
    (for the answer) their post was linked to."""
    with translation.override(consent.reply_language(mention)):
        if link.idea_id:
            text = _(
                "Thanks for sharing this! Others in our community asked for "
                "the same, and you can vote for it here: %(url)s"
            ) % {"url": absolute_url(link.idea.get_absolute_url())}
        else:
            text = _(
                "Good question! It was asked in our community too, and here is "
                "the answer: %(url)s"
            ) % {"url": absolute_url(link.question.get_absolute_url())}
    return _addressed(mention, text)


def loop_reply_text(idea: Idea, mention: Mention) -> str:
    """Tell the poster what became of the idea their post was linked to."""
    with translation.override(consent.reply_language(mention)):
        text = _(
            "Update: the idea you wrote about, “%(title)s”, is now %(status)s: %(url)s"
        ) % {
            "title": idea.title,
            "status": str(idea.get_status_display()).lower(),
            "url": absolute_url(idea.get_absolute_url()),
        }
    return _addressed(mention, text)


# --- linking -------------------------------------------------------------------


class MentionLinkForm(forms.Form):
    """Exactly one of an idea or a question, by id; only public ones."""

    idea = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    question = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        idea_id, question_id = cleaned.get("idea"), cleaned.get("question")
        if self.errors:
            return cleaned
        if bool(idea_id) == bool(question_id):
            raise forms.ValidationError(_("Choose one idea or one question."))
        if idea_id:
            found = (
                Idea.objects.filter(pk=idea_id)
                .only("pk", "title", "status", "is_hidden")
                .first()
            )
            if found is None:
                raise forms.ValidationError(_("That idea does not exist."))
            if found.is_hidden or found.status == IdeaStatus.MERGED:
                raise forms.ValidationError(
                    _(
                        "“%(title)s” is hidden or merged into another idea, so "
                        "it cannot be linked. Link the idea it was merged into."
                    )
                    % {"title": found.title}
                )
            cleaned["target"] = found
        else:
            found = (
                Question.objects.filter(pk=question_id)
                .only("pk", "title", "is_hidden", "is_private")
                .first()
            )
            if found is None:
                raise forms.ValidationError(_("That question does not exist."))
            if found.is_hidden or found.is_private:
                raise forms.ValidationError(
                    _(
                        "“%(title)s” is hidden or a private case, so it cannot "
                        "be linked."
                    )
                    % {"title": found.title}
                )
            cleaned["target"] = found
        return cleaned


def _similar_ids(text: str, kind: str) -> list[int]:
    from portal import semantic

    try:
        hits = semantic.similar(
            text, kinds=[kind], k=SUGGESTIONS, filters={"visible": True}
        )
    except Exception:  # suggestions help; a broken index must not stop webcare
        logger.exception("listening: no %s suggestions for a mention", kind)
        return []
    return [hit.object_id for hit in hits]


def _in_order(objects, ids: list[int]) -> list:
    by_id = {obj.pk: obj for obj in objects}
    return [by_id[pk] for pk in ids if pk in by_id]


def link_suggestions(mention: Mention) -> tuple[list[Idea], list[Question]]:
    """The most similar public ideas and questions, one query each."""
    idea_ids = _similar_ids(mention.text, "idea")
    question_ids = _similar_ids(mention.text, "question")
    ideas = (
        Idea.objects.filter(PUBLIC_IDEA, pk__in=idea_ids).only(
            "pk", "title", "status", "vote_count"
        )
        if idea_ids
        else []
    )
    questions = (
        Question.objects.filter(
            pk__in=question_ids, is_hidden=False, is_private=False
        ).only("pk", "title", "status", "answer_count")
        if question_ids
        else []
    )
    return _in_order(ideas, idea_ids), _in_order(questions, question_ids)


def link_search(term: str) -> tuple[list[Idea], list[Question]]:
    """Public ideas and questions by id or by a word in the title."""
    term = " ".join((term or "").split())[:SEARCH_MAX_CHARS]
    if not term:
        return [], []
    match = Q(title__icontains=term)
    number = term.lstrip("#")
    if db_id(number):
        match |= Q(pk=db_id(number))
    ideas = list(
        Idea.objects.filter(PUBLIC_IDEA)
        .filter(match)
        .only("pk", "title", "status", "vote_count")
        .order_by("-vote_count", "-pk")[:SEARCH_MAX]
    )
    questions = list(
        Question.objects.filter(is_hidden=False, is_private=False)
        .filter(match)
        .only("pk", "title", "status", "answer_count")
        .order_by("-last_activity_at", "-pk")[:SEARCH_MAX]
    )
    return ideas, questions


# --- invitations ---------------------------------------------------------------


class OverrideForm(forms.Form):
    override_reason = forms.CharField(
        label=gettext_lazy("Why invite anyway?"),
        required=False,
        max_length=OVERRIDE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Written down in the consent ledger with your name. Think of how "
            "the person will read an invitation right after this post."
        ),
    )


@dataclass
class InviteState:
    """What the invitation panel shows after an offer was refused."""

    refusal: consent.Refusal | None = None
    form: OverrideForm | None = None


def _is_open(invitation: Invitation) -> bool:
    return (
        invitation.status in OPEN_INVITATION_STATUSES
        and invitation.expires_at > timezone.now()
    )


# --- the workspace ---------------------------------------------------------------


def _next_mention(mention: Mention, user) -> Mention | None:
    """The most urgent other open mention that is free or already mine."""
    return (
        Mention.objects.filter(status__in=OPEN_MENTION_STATUSES)
        .filter(Q(assignee__isnull=True) | Q(assignee=user))
        .exclude(pk=mention.pk)
        .order_by(F("due_at").asc(nulls_last=True), "pk")
        .only("pk", "author_handle", "text", "due_at")
        .first()
    )


def _draft_for(request: HttpRequest, mention: Mention, links, invitations) -> dict:
    """What the composer starts with, as the query string asks: a reply after
    a link (?compose=link&link=<id>) or the drafted invitation
    (?compose=invitation). Empty by default."""
    compose = request.GET.get("compose", "")
    if compose == "link":
        link_id = request.GET.get("link", "")
        link = next((x for x in links if str(x.pk) == link_id), None)
        if link is not None:
            return {"initial_text": link_reply_text(link, mention)}
    if compose == "invitation":
        invitation = next((i for i in invitations if i.is_open), None)
        if invitation is not None and invitation.reply_text:
            return {
                "initial_text": invitation.reply_text,
                "kind": ReplyKind.INVITATION,
            }
    return {}


def _workspace(
    request: HttpRequest,
    mention: Mention,
    *,
    invite: InviteState | None = None,
    status: int = 200,
) -> HttpResponse:
    replies = list(mention.replies.select_related("replied_by").order_by("created_at"))
    for reply in replies:
        reply.web_url = _web_url(reply.external_url)
    links = list(
        mention.links.select_related("idea", "question", "linked_by").order_by(
            "created_at", "pk"
        )
    )
    invitations = list(
        mention.invitations.select_related("offered_by").order_by("created_at", "pk")
    )
    for invitation in invitations:
        invitation.is_open = _is_open(invitation)
    linked_ideas = {link.idea_id for link in links if link.idea_id}
    linked_questions = {link.question_id for link in links if link.question_id}
    ideas, questions = link_suggestions(mention)
    find = request.GET.get("find", "")
    found_ideas, found_questions = link_search(find)
    draft = _draft_for(request, mention, links, invitations)
    cfg = webcare.webcare_settings()
    guidelines = cfg.guidelines_page if cfg.guidelines_page_id else None
    context = {
        "mention": mention,
        "mention_url": _web_url(mention.url),
        "author_url": _web_url(mention.author_url),
        "trackers": list(mention.trackers.only("pk", "name").order_by("name")),
        "sla": sla_state(mention),
        "is_open": mention.status in OPEN_MENTION_STATUSES,
        "replies": replies,
        "links": links,
        "linked_ideas": linked_ideas,
        "linked_questions": linked_questions,
        "invitations": invitations,
        "invite": invite or InviteState(),
        "suggested_ideas": ideas,
        "suggested_questions": questions,
        "find": find,
        "found_ideas": found_ideas,
        "found_questions": found_questions,
        "guidelines_url": guidelines.url if guidelines and guidelines.live else "",
        "next_mention": _next_mention(mention, request.user),
        "colleagues": list(
            staff_users()
            .exclude(pk=request.user.pk)
            .only("pk", "username", "display_name", "is_erased")
        ),
        "here": _workspace_url(mention),
        "draft": draft,
        "composer": reply_views.composer_context(
            mention, request.user, next=_workspace_url(mention), **draft
        ),
    }
    return render(request, "listening/inbox/workspace.html", context, status=status)


def mention_workspace(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    return _workspace(request, _mention(pk))


def mention_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    mention = _mention(pk)
    if request.method != "POST":
        return redirect(_workspace_url(mention))
    form = MentionLinkForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [_("Choose what to link.")]:
            messages.error(request, error)
        return redirect(_workspace_url(mention))
    target = form.cleaned_data["target"]
    kind = "idea" if isinstance(target, Idea) else "question"
    try:
        link = webcare.mention_link(mention=mention, by=request.user, **{kind: target})
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_workspace_url(mention))
    if kind == "idea":
        text = _("Linked to the idea “%(title)s”.")
    else:
        text = _("Linked to the question “%(title)s”.")
    messages.success(
        request,
        (text % {"title": target.title})
        + " "
        + _("A reply that points there is ready in the composer."),
    )
    return redirect(f"{_workspace_url(mention)}?compose=link&link={link.pk}")


def mention_invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    mention = _mention(pk)
    if request.method != "POST":
        return redirect(_workspace_url(mention))
    form = OverrideForm(request.POST)
    if not form.is_valid():  # a reason longer than the ledger keeps
        refusal = consent.invitation_check(mention=mention) or consent.Refusal(
            "sensitive"
        )
        return _workspace(
            request, mention, invite=InviteState(refusal, form), status=400
        )
    reason = form.cleaned_data["override_reason"]
    result = consent.invitation_offer(
        mention=mention, user=request.user, override_reason=reason
    )
    if isinstance(result, consent.Refusal):
        if result.code == "invited_before" and mention.invitations.exists():
            messages.info(
                request,
                _("An invitation was already drafted for this post; see below."),
            )
            return redirect(_workspace_url(mention))
        if result.overridable and "override_reason" in request.POST and not reason:
            form.add_error("override_reason", _("Write why you override this refusal."))
        messages.warning(request, result.message)
        return _workspace(request, mention, invite=InviteState(result, form))
    messages.success(
        request,
        _(
            "Invitation drafted. Nothing has been sent: post the reply in the "
            "composer yourself."
        ),
    )
    return redirect(f"{_workspace_url(mention)}?compose=invitation")


# --- closing the loop --------------------------------------------------------------


def idea_loop(request: HttpRequest, idea_pk: int) -> HttpResponse:
    _staff_only(request)
    idea = get_object_or_404(
        Idea.objects.only("pk", "title", "status", "is_hidden", "merged_into_id"),
        pk=idea_pk,
    )
    here = reverse("listening_inbox:loop", args=[idea.pk])
    items = []
    for link in webcare.links_for_loop(idea):
        mention = link.mention
        closed = link.loop_closed_at is not None
        draft = "" if closed else loop_reply_text(idea, mention)
        items.append(
            {
                "link": link,
                "mention": mention,
                "mention_url": _web_url(mention.url),
                "closed": closed,
                "draft": draft,
                "composer": None
                if closed
                else reply_views.composer_context(
                    mention,
                    request.user,
                    initial_text=draft,
                    kind=ReplyKind.LOOP,
                    link=link.pk,
                    next=f"{here}#loop-link-{link.pk}",
                ),
            }
        )
    return render(
        request,
        "listening/inbox/loop.html",
        {
            "idea": idea,
            "idea_url": idea.get_absolute_url(),
            "items": items,
            "open_count": sum(1 for item in items if not item["closed"]),
        },
    )
