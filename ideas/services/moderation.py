from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from portal.core.text import markdown_to_safe_html

from ..models import Idea, IdeaFlag, IdeaRevision
from .common import enqueue_reindex
from .errors import IdeaActionError, PermissionDenied
from .submit import validate_idea_text


def idea_flag(*, idea: Idea, user, reason: str) -> bool:
    """Report an idea. Enough reports hide it until staff have looked."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to report an idea."))
    if reason not in IdeaFlag.Reason.values:
        raise IdeaActionError(_("Choose a reason."))
    if idea.author_id == user.pk:
        raise IdeaActionError(_("You cannot report your own idea."))
    try:
        with transaction.atomic():
            IdeaFlag.objects.create(idea=idea, user=user, reason=reason)
            Idea.objects.filter(pk=idea.pk).update(flag_count=F("flag_count") + 1)
            Idea.objects.filter(
                pk=idea.pk,
                is_hidden=False,
                flag_count__gte=settings.IDEAS_FLAGS_TO_HIDE,
            ).update(is_hidden=True, hidden_reason="Reported by members; under review")
    except IntegrityError:
        return False
    enqueue_reindex(idea.pk)
    return True


def idea_set_hidden(*, idea: Idea, by, hidden: bool, reason: str = "") -> Idea:
    if not by.is_staff:
        raise PermissionDenied(_("Only staff can hide ideas."))
    idea.is_hidden = hidden
    idea.hidden_reason = reason[:200] if hidden else ""
    fields = ["is_hidden", "hidden_reason"]
    if not hidden:
        # Reviewed: earlier reports are settled.
        from django.utils import timezone

        IdeaFlag.objects.filter(idea=idea, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        idea.flag_count = 0
        fields.append("flag_count")
    idea.save(update_fields=fields)
    enqueue_reindex(idea.pk)
    return idea


def idea_set_locked(*, idea: Idea, by, locked: bool) -> Idea:
    if not by.is_staff:
        raise PermissionDenied(_("Only staff can lock ideas."))
    idea.is_locked = locked
    idea.save(update_fields=["is_locked"])
    return idea


@transaction.atomic
def idea_edit(*, idea: Idea, by, title: str, body: str, focus_area=None) -> Idea:
    """Edit an idea, keeping what it said before. Authors may edit their own
    idea while it is new; staff may edit any idea."""
    is_author = by.pk == idea.author_id
    if not by.is_staff and not (is_author and idea.status == "new"):
        raise PermissionDenied(_("You cannot edit this idea."))
    title, body = validate_idea_text(title=title, body=body)
    IdeaRevision.objects.create(idea=idea, editor=by, title=idea.title, body=idea.body)
    idea.title, idea.body = title, body
    idea.body_html = markdown_to_safe_html(body)
    fields = ["title", "body", "body_html", "updated_at"]
    if focus_area is not None:
        idea.focus_area = focus_area
        fields.append("focus_area")
    idea.save(update_fields=fields)
    enqueue_reindex(idea.pk)
    return idea
