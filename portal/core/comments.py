"""Comment moderation shared by every app that has threaded comments.

An app enables comments on a model with `comments_enable(Model)`; the
moderator then applies the community's rules to each new comment. See
https://django-comments-xtd.readthedocs.io/en/latest/tutorial.html#moderation
"""

import re

from django.conf import settings
from django_comments.moderation import AlreadyModerated
from django_comments_xtd.moderation import XtdCommentModerator, moderator

LINK = re.compile(r"https?://", re.IGNORECASE)


class CommunityCommentModerator(XtdCommentModerator):
    """Members only; link-heavy or blocked-word comments wait for a moderator;
    removal suggestions (flags) email the site managers."""

    email_notification = False
    enable_field = None
    removal_suggestion_notification = True

    def allow(self, comment, content_object, request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if getattr(content_object, "comments_closed", False):
            return False
        return super().allow(comment, content_object, request)

    def moderate(self, comment, content_object, request) -> bool:
        text = comment.comment or ""
        max_links = getattr(settings, "COMMENTS_MAX_LINKS_BEFORE_MODERATION", 2)
        if len(LINK.findall(text)) > max_links:
            return True
        blocked = getattr(settings, "COMMENTS_BLOCKED_WORDS", [])
        lowered = text.lower()
        if any(word.lower() in lowered for word in blocked):
            return True
        return super().moderate(comment, content_object, request)


def comments_enable(model) -> None:
    """Turn on moderated, threaded comments for `model`. Safe to call twice."""
    try:
        moderator.register(model, CommunityCommentModerator)
    except AlreadyModerated:
        pass


def rate_limited_comment_post(request, *args, **kwargs):
    """django-comments' post view behind a per-member rate limit."""
    from django.shortcuts import render
    from django_comments.views.comments import post_comment
    from django_ratelimit.core import is_ratelimited

    if request.method == "POST" and is_ratelimited(
        request,
        group="comments.post",
        key="user_or_ip",
        rate=settings.COMMENTS_POST_RATE,
        method="POST",
        increment=True,
    ):
        from django.utils.translation import gettext

        message = gettext("You are commenting very fast. Please wait a minute.")
        return render(request, "429.html", {"message": message}, status=429)
    return post_comment(request, *args, **kwargs)


def comment_flag_received(*, comment) -> bool:
    """Hide a comment once enough members have reported it; staff review it in
    the Django admin ("Comments") and can publish it again. Returns whether the
    comment is hidden now."""
    from django_comments.models import CommentFlag

    reports = comment.flags.filter(flag=CommentFlag.SUGGEST_REMOVAL).count()
    if comment.is_public and reports >= settings.COMMENTS_FLAGS_TO_HIDE:
        comment.is_public = False
        comment.save(update_fields=["is_public"])
    return not comment.is_public


def comments_api_disabled(request, *args, **kwargs):
    """django-comments-xtd's JSON API lists every public comment on any object,
    whatever the object's own visibility (a hidden idea, a private case). Our
    pages render comments on the server, so the API stays switched off."""
    from django.http import HttpResponseNotFound

    return HttpResponseNotFound()
