from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.text import clean_single_line, markdown_to_safe_html

from ..models import Idea, IdeaStatus, StatusChange
from .common import enqueue_reindex, trending_score
from .errors import PermissionDenied, ValidationError
from .follow import idea_follow

TITLE_MIN, TITLE_MAX = 8, 140
BODY_MIN, BODY_MAX = 20, 10000


def validate_idea_text(*, title: str, body: str) -> tuple[str, str]:
    title = clean_single_line(title)
    body = (body or "").replace("\x00", "").strip()
    errors = {}
    if len(title) < TITLE_MIN:
        errors["title"] = _("Give your idea a title of at least %(n)d characters.") % {
            "n": TITLE_MIN
        }
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(n)d characters.") % {"n": TITLE_MAX}
    if len(body) < BODY_MIN:
        errors["body"] = _("Describe your idea in at least %(n)d characters.") % {
            "n": BODY_MIN
        }
    elif len(body) > BODY_MAX:
        errors["body"] = _("Keep the description under %(n)d characters.") % {
            "n": BODY_MAX
        }
    if errors:
        raise ValidationError(errors)
    return title, body


@transaction.atomic
def idea_submit(
    *,
    author,
    title: str,
    body: str,
    focus_area=None,
    tags: list[str] | None = None,
    image=None,
    language: str = "",
) -> Idea:
    if not author.is_authenticated or not author.is_active:
        raise PermissionDenied(_("Log in to share an idea."))
    title, body = validate_idea_text(title=title, body=body)
    now = timezone.now()
    codes = {code for code, _name in settings.LANGUAGES}
    idea = Idea.objects.create(
        title=title,
        body=body,
        body_html=markdown_to_safe_html(body),
        author=author,
        focus_area=focus_area,
        image=image or "",
        language=language if language in codes else "",
        status=IdeaStatus.NEW,
        status_changed_at=now,
        last_activity_at=now,
        trending_score=trending_score(votes=0, created_at=now),
    )
    clean_tags = sorted({clean_single_line(t).lower()[:40] for t in tags or [] if t})
    if clean_tags:
        idea.tags.set(clean_tags[:8])
        idea.save()
    StatusChange.objects.create(
        idea=idea, from_status="", to_status=IdeaStatus.NEW, changed_by=author
    )
    idea_follow(idea=idea, user=author)
    enqueue_reindex(idea.pk)
    return idea
