"""The public reply to a mention (issue 6, "Public reply").

`composer_context` builds what templates/listening/inbox/reply_composer.html
shows beside a mention: reply suggestions from FAQ pages, verified expert
answers and earlier replies (portal.semantic), the tone of voice, the
network's character limit, and whether the reply can be posted from here.

`mention_reply` takes the composer's form:

- action=post: post through the network (Mastodon, Bluesky) on this explicit
  click, then record the reply with the id it got there;
- action=confirm: staff replied by hand; record it as manual.

A failed post records nothing and keeps the text (in the session, shown again
by the composer). A one-time form token, held in the cache, stops a double
submit from posting twice; an identical reply to the same mention within a
minute is refused as well.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import semantic

from . import webcare
from .connectors.base import private_addresses, safe_url
from .connectors.reply import (
    POSTING_NETWORKS,
    ReplyError,
    can_post,
    character_limit,
    reply_post,
)
from .models import Mention, MentionLink, MentionReply, ReplyChannel, ReplyKind

logger = logging.getLogger(__name__)

SESSION_DRAFT = "listening_reply_draft"
SUGGESTIONS_PER_SOURCE = 3
SUGGESTION_CHARS = 2000
DUPLICATE_WINDOW = timedelta(seconds=60)
TOKEN_TTL = 24 * 60 * 60
HIDDEN_FIELDS = ("kind", "link", "next")


# --- the composer --------------------------------------------------------------


SOCIAL_NETWORKS = ("mastodon", "bluesky", "reddit", "x")


def _network_label(mention) -> str:
    """Where the reply goes: the network, or for feeds, uploads and webhooks
    (which carry posts from anywhere) the post's own site."""
    source = mention.source
    if source.kind in SOCIAL_NETWORKS:
        return source.get_kind_display()
    from urllib.parse import urlsplit

    host = urlsplit(mention.url or "").hostname or ""
    return host.removeprefix("www.") or source.name


def composer_context(mention, user, initial_text: str = "", **extra) -> dict:
    """What the reply composer shows for `mention` (with its source loaded).

    `extra` becomes hidden form fields: kind (answer, invitation, loop),
    link (the MentionLink of a loop reply) and next (where to go after).
    """
    cfg = webcare.webcare_settings()
    source = mention.source
    network = source.kind
    if not initial_text and network == "mastodon" and mention.author_handle:
        # Mastodon notifies only the accounts a post mentions.
        initial_text = f"{mention.author_handle} "
    hidden = {"kind": ReplyKind.ANSWER}
    for name in HIDDEN_FIELDS:
        value = extra.get(name)
        if value is not None and value != "":
            hidden[name] = str(getattr(value, "pk", value))
    return {
        "mention": mention,
        # A loop update is drafted for each linked post (a page can hold
        # dozens): no per-post semantic search there.
        "suggestions": []
        if hidden["kind"] == ReplyKind.LOOP
        else reply_suggestions(mention),
        "tone_of_voice": cfg.tone_of_voice,
        "guidelines_url": _page_url(cfg.guidelines_page),
        "initial_text": initial_text,
        "network": network,
        "network_label": _network_label(mention),
        "can_post": network in POSTING_NETWORKS and can_post(source),
        "post_url": safe_url(mention.url),
        "char_limit": character_limit(network),
        "kind": hidden["kind"],
        # Several composers can share a page (closing the loop): unique ids.
        "uid": f"{mention.pk}-{hidden['kind']}-{hidden.get('link', 0)}",
        "hidden": sorted(hidden.items()),
        "token": secrets.token_urlsafe(16),
        "action_url": reverse("listening_inbox:reply", args=[mention.pk]),
    }


def _page_url(page) -> str:
    if page is None or not page.live:
        return ""
    return page.get_url() or ""


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def _similar(text: str, kind: str, *, k: int, filters: dict) -> list:
    try:
        return semantic.similar(text, kinds=[kind], k=k, filters=filters)
    except LookupError:  # the kind's app is not installed
        return []
    except Exception:
        # Suggestions help; they must never stop staff from replying.
        logger.exception("listening: reply suggestions (%s) failed", kind)
        return []


def reply_suggestions(mention) -> list[dict]:
    """Drafts for the reply: FAQ entries, verified expert answers, and
    earlier answers staff gave, each the most similar to the mention first.

    Each is {"source", "label", "text", "url"}; the index only finds them,
    the database decides what is still live, verified and visible.
    """
    text = mention.text or ""
    suggestions: list[dict] = []
    suggestions += _faq_suggestions(text)
    suggestions += _answer_suggestions(text, mention.language)
    suggestions += _reply_suggestions(text, mention.pk)
    return suggestions


def _faq_suggestions(text: str) -> list[dict]:
    from .semantic_docs import faq_decode, faq_pages, html_to_text

    hits = _similar(text, "faq", k=SUGGESTIONS_PER_SOURCE, filters={"visible": True})
    if not hits:
        return []
    positions = [faq_decode(hit.object_id) for hit in hits]
    pages = {page.pk: page for page in faq_pages({p for p, _pos in positions})}
    result = []
    for page_id, position in positions:
        page = pages.get(page_id)
        entries = page.faq_entries() if page else []
        if position >= len(entries):
            continue
        entry = entries[position]
        page_url = page.get_full_url() or ""
        result.append(
            {
                "source": "faq",
                "label": _("FAQ “%(page)s”: %(question)s")
                % {"page": page.title, "question": entry["question"]},
                "text": html_to_text(entry["answer_html"])[:SUGGESTION_CHARS],
                "url": f"{page_url}#faq-{entry['id']}" if page_url else "",
            }
        )
    return result


def _answer_suggestions(text: str, language: str) -> list[dict]:
    from experts.models import Answer
    from experts.selectors import questions_index_url

    from .semantic_docs import html_to_text

    hits = _similar(
        text,
        "answer",
        k=SUGGESTIONS_PER_SOURCE,
        filters={"verified": True, "visible": True},
    )
    if not hits:
        return []
    answers = Answer.objects.filter(
        pk__in=[hit.object_id for hit in hits],
        verified_at__isnull=False,
        is_hidden=False,
        question__is_hidden=False,
        question__is_private=False,
    ).select_related("question")
    by_pk = {answer.pk: answer for answer in answers}
    lang = (language or "").split("-")[0]
    index_url = questions_index_url(
        language=lang if lang in dict(settings.LANGUAGES) else None
    )
    result = []
    for hit in hits:
        answer = by_pk.get(hit.object_id)
        if answer is None:
            continue
        question = answer.question
        result.append(
            {
                "source": "answer",
                "label": _("Verified answer to “%(question)s”")
                % {"question": question.title},
                "text": html_to_text(answer.body_html)[:SUGGESTION_CHARS],
                "url": _absolute(index_url + question.path_segment),
            }
        )
    return result


def _reply_suggestions(text: str, mention_id: int) -> list[dict]:
    hits = _similar(
        text,
        "reply",
        k=SUGGESTIONS_PER_SOURCE + 1,
        filters={"reply_kind": ReplyKind.ANSWER},
    )
    ids = [hit.object_id for hit in hits if hit.meta.get("mention_id") != mention_id]
    if not ids:
        return []
    replies = MentionReply.objects.filter(
        pk__in=ids[:SUGGESTIONS_PER_SOURCE], kind=ReplyKind.ANSWER
    ).select_related("replied_by")
    by_pk = {reply.pk: reply for reply in replies}
    result = []
    for pk in ids[:SUGGESTIONS_PER_SOURCE]:
        reply = by_pk.get(pk)
        if reply is None:
            continue
        who = reply.replied_by.public_name if reply.replied_by else _("a colleague")
        result.append(
            {
                "source": "reply",
                "label": _("Earlier reply by %(who)s, %(date)s")
                % {
                    "who": who,
                    "date": timezone.localtime(reply.created_at).strftime("%Y-%m-%d"),
                },
                "text": reply.text[:SUGGESTION_CHARS],
                "url": "",
            }
        )
    return result


# --- recording a reply ---------------------------------------------------------


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=webcare.REPLY_MAX_CHARS,
        error_messages={"required": gettext_lazy("Write the reply first.")},
    )
    action = forms.ChoiceField(
        choices=[
            ("post", gettext_lazy("Post the reply")),
            ("confirm", gettext_lazy("I replied")),
        ]
    )
    kind = forms.ChoiceField(choices=ReplyKind.choices, required=False)
    link = forms.IntegerField(required=False, min_value=1)
    token = forms.CharField(required=False, max_length=64)
    next = forms.CharField(required=False, max_length=2000)


def _error_message(error: ReplyError) -> str:
    """Staff read the connector's failure in their own language."""
    messages_by_code = {
        "unsupported": _(
            "Replies on this network cannot be posted from here. Copy the "
            "text, reply on the network and confirm."
        ),
        "credentials": _(
            "This source has no posting credentials (Mastodon: an access "
            "token; Bluesky: a handle and an app password). Nothing was posted."
        ),
        "too_long": _("The reply is too long for this network."),
        "empty": _("Write the reply first."),
        "no_id": _(
            "The id of this post at the network is unknown, so the reply "
            "cannot be threaded. Reply by hand and confirm."
        ),
        "unauthorized": _(
            "The network refused our credentials (HTTP 401). Check the "
            "source's settings. Nothing was posted."
        ),
        "not_found": _("The post is no longer there. Nothing was posted."),
        "rate_limited": _(
            "The network asks us to slow down. Try again in a few minutes. "
            "Nothing was posted."
        ),
        "timeout": _(
            "The network did not answer in time. Check the thread before "
            "trying again: the reply may have arrived."
        ),
        "unreachable": _("The network could not be reached. Nothing was posted."),
        "refused": _("The network refused the reply. Nothing was posted."),
    }
    message = messages_by_code.get(error.code, _("Posting the reply failed."))
    if error.detail:
        message = f"{message} ({error.detail})"
    return message


def _next_url(request: HttpRequest, mention: Mention, link=None) -> str:
    """`next` when it points to this site, else the loop page (closing the
    loop on an idea) or the mention's workspace."""
    target = request.POST.get("next") or ""
    # A path on this site only: redirect() would take anything else without
    # a slash for a URL name to reverse, and a stray ":" crashed that.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return target
    if link is not None and link.idea_id:
        return reverse("listening_inbox:loop", args=[link.idea_id])
    return reverse("listening_inbox:mention", args=[mention.pk])


def _keep_draft(request: HttpRequest, mention: Mention) -> None:
    """Keep what staff wrote; the composer shows it again."""
    request.session[SESSION_DRAFT] = {
        "mention": mention.pk,
        "text": (request.POST.get("text") or "")[: webcare.REPLY_MAX_CHARS * 2],
        "kind": request.POST.get("kind") or ReplyKind.ANSWER,
    }


def _drop_draft(request: HttpRequest, mention: Mention) -> None:
    draft = request.session.get(SESSION_DRAFT)
    if isinstance(draft, dict) and draft.get("mention") == mention.pk:
        del request.session[SESSION_DRAFT]


def _refuse(request: HttpRequest, mention: Mention, *errors: str) -> HttpResponse:
    _keep_draft(request, mention)
    for error in errors:
        messages.error(request, error)
    return redirect(_next_url(request, mention))


def _recent_duplicate(mention: Mention, text: str) -> bool:
    since = timezone.now() - DUPLICATE_WINDOW
    return MentionReply.objects.filter(
        mention=mention, text=text, created_at__gte=since
    ).exists()


def _invitation_reply_refusal(mention) -> str:
    """An invitation reply needs an invitation that is still open (not
    expired, declined or opted out in the meantime), and goes out once."""
    from django.utils import timezone

    from .models import Invitation, InvitationStatus

    open_invitation = Invitation.objects.filter(
        mention=mention,
        status__in=[InvitationStatus.OFFERED, InvitationStatus.OPENED],
        expires_at__gt=timezone.now(),
    ).exists()
    if not open_invitation:
        return _(
            "There is no open invitation for this post any more (it expired, "
            "or the person declined or opted out). Nothing was sent."
        )
    if mention.replies.filter(kind=ReplyKind.INVITATION).exists():
        return _("The invitation was already posted. Nothing was sent.")
    return ""


@require_POST
def mention_reply(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    mention = get_object_or_404(
        Mention.objects.select_related("source").defer("raw"), pk=pk
    )
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request,
            mention,
            *[error for errors in form.errors.values() for error in errors],
        )
    data = form.cleaned_data
    text = data["text"].replace("\x00", "").strip()
    action = data["action"]
    kind = data["kind"] or ReplyKind.ANSWER
    link = None
    if kind == ReplyKind.LOOP:
        link = MentionLink.objects.filter(pk=data["link"] or 0, mention=mention).first()
        if link is None:
            return _refuse(request, mention, _("Choose the link whose loop you close."))
    if kind == ReplyKind.INVITATION:
        refusal = _invitation_reply_refusal(mention)
        if refusal:
            return _refuse(request, mention, refusal)
    network = mention.source.kind
    if action == "post":
        if not (network in POSTING_NETWORKS and can_post(mention.source)):
            return _refuse(
                request,
                mention,
                _(
                    "This reply cannot be posted from here. Copy the text, "
                    "reply on the network and confirm."
                ),
            )
        limit = character_limit(network)
        if len(text) > limit:
            return _refuse(
                request,
                mention,
                _(
                    "A reply on %(network)s holds at most %(limit)d characters; "
                    "this one has %(count)d."
                )
                % {
                    "network": mention.source.get_kind_display(),
                    "limit": limit,
                    "count": len(text),
                },
            )

    # One form, one reply: the token is taken before anything is sent, so a
    # second click (or a resubmitted page) finds it gone.
    token_key = f"listening:reply-token:{data['token']}" if data["token"] else ""
    if token_key and not cache.add(token_key, mention.pk, TOKEN_TTL):
        messages.warning(
            request, _("This reply was already sent; it was not sent again.")
        )
        return redirect(_next_url(request, mention))
    if _recent_duplicate(mention, text):
        messages.warning(
            request,
            _(
                "The same reply to this post was recorded less than a minute "
                "ago; it was not sent again."
            ),
        )
        _drop_draft(request, mention)
        return redirect(_next_url(request, mention))

    reply_fields: dict = {"channel": ReplyChannel.MANUAL}
    if action == "post":
        try:
            with private_addresses(settings.LISTENING_ALLOW_PRIVATE_ADDRESSES):
                # Mastodon keeps the token as an idempotency key for an hour:
                # a retried request returns the status it already created.
                posted = reply_post(mention, text, idempotency_key=data["token"])
        except ReplyError as exc:
            logger.warning("listening: reply to mention %s failed: %s", pk, exc)
            # Nothing was sent: the form may retry. After a Bluesky timeout
            # the post may have landed, and Bluesky has no idempotency key:
            # that form stays used (the message says to check the thread).
            if token_key and not (exc.code == "timeout" and network == "bluesky"):
                cache.delete(token_key)
            return _refuse(request, mention, _error_message(exc))
        reply_fields = {
            "channel": ReplyChannel.POSTED,
            "external_id": posted.external_id,
            "external_url": posted.url,
        }
    try:
        if link is not None:
            reply = webcare.loop_close(link=link, by=user, text=text, **reply_fields)
        else:
            reply = webcare.reply_record(
                mention=mention, by=user, text=text, kind=kind, **reply_fields
            )
    except ValidationError as exc:
        if token_key and action != "post":
            cache.delete(token_key)
        return _refuse(request, mention, *exc.messages)
    semantic.enqueue_index(kind="reply", object_id=reply.pk)
    _drop_draft(request, mention)
    if reply.channel == ReplyChannel.POSTED:
        messages.success(
            request,
            _("Reply posted on %(network)s.")
            % {"network": mention.source.get_kind_display()},
        )
    else:
        messages.success(request, _("Reply recorded."))
    return redirect(_next_url(request, mention, link))
