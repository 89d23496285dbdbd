from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.outbox import enqueue
from portal.core.text import markdown_to_safe_html

from ..models import Idea, IdeaStatus, StatusChange
from .common import enqueue_reindex
from .errors import IdeaActionError, PermissionDenied


@transaction.atomic
def idea_respond(
    *,
    idea: Idea,
    by,
    status: str | None = None,
    response: str = "",
    admits_mistake: bool = False,
) -> StatusChange:
    """Staff move an idea to a new status and/or answer it officially.

    Every call leaves a public entry in the idea's history. Followers hear
    about it after the commit.
    """
    if not by.is_staff:
        raise PermissionDenied(_("Only staff can respond officially."))
    idea = Idea.objects.select_for_update().get(pk=idea.pk)
    new_status = status or idea.status
    if new_status not in IdeaStatus.values:
        raise IdeaActionError(_("Unknown status."))
    if new_status == IdeaStatus.MERGED:
        raise IdeaActionError(_("Use merge to mark an idea as a duplicate."))
    if idea.status == IdeaStatus.MERGED:
        raise IdeaActionError(_("Undo the merge before changing this idea."))
    response = (response or "").replace("\x00", "").strip()[:5000]
    if new_status == idea.status and not response:
        raise IdeaActionError(_("Change the status or write a response."))
    if admits_mistake and not response:
        raise IdeaActionError(_("Say what went wrong in the response."))
    change = StatusChange.objects.create(
        idea=idea,
        from_status=idea.status,
        to_status=new_status,
        changed_by=by,
        response=response,
        response_html=markdown_to_safe_html(response),
        admits_mistake=admits_mistake,
    )
    fields = ["last_activity_at"]
    idea.last_activity_at = timezone.now()
    if new_status != idea.status:
        idea.status = new_status
        idea.status_changed_at = idea.last_activity_at
        fields += ["status", "status_changed_at"]
    if response and not idea.has_official_response:
        idea.has_official_response = True
        fields.append("has_official_response")
    idea.save(update_fields=fields)

    from ..tasks import notify_followers

    enqueue(notify_followers, change.pk)
    enqueue_reindex(idea.pk)
    return change
