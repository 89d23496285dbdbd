"""Private support: a sensitive question leaves public view."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.outbox import enqueue
from portal.core.text import markdown_to_safe_html

from ..models import Answer, CaseMessage, PrivateCase, Question, QuestionStatus
from ..redaction import redact
from .errors import ExpertcareError, PermissionDenied, ValidationError


def _require_staff(user) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied(_("Only staff can do this."))


def case_visible_to(question: Question, user) -> bool:
    return user.is_authenticated and (user.is_staff or user.pk == question.author_id)


@transaction.atomic
def question_make_private(*, question: Question, by, reason: str) -> PrivateCase:
    """Move a question to private support. The public page keeps a neutral
    notice and the redacted title and text; the originals stay with the case,
    visible only to staff and the asker. Answers are redacted the same way."""
    _require_staff(by)
    if reason not in PrivateCase.Reason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.is_private:
        raise ExpertcareError(_("This question is already a private case."))
    if question.converted_idea_id:
        raise ExpertcareError(
            _("This question became an idea; hide or edit the idea instead.")
        )
    title, title_counts = redact(question.title)
    body, body_counts = redact(question.body)
    counts = {
        k: title_counts.get(k, 0) + body_counts.get(k, 0)
        for k in {*title_counts, *body_counts}
    }
    case = PrivateCase.objects.create(
        question=question,
        reason=reason,
        opened_by=by,
        original_title=question.title,
        original_body=question.body,
        redactions=counts,
    )
    question.title = title[:160]
    question.body = body
    question.body_html = markdown_to_safe_html(body)
    question.is_private = True
    question.status = QuestionStatus.PRIVATE
    question.save(update_fields=["title", "body", "body_html", "is_private", "status"])
    answer_ids = []
    for answer in Answer.objects.filter(question=question):
        answer_ids.append(answer.pk)
        text, _counts = redact(answer.body)
        if text != answer.body:
            answer.body = text
            answer.body_html = markdown_to_safe_html(text)
            answer.save(update_fields=["body", "body_html"])
    _redact_copies(question=question, answer_ids=answer_ids)
    from portal import semantic

    semantic.enqueue_index(kind="question", object_id=question.pk)
    for answer_id in answer_ids:
        semantic.enqueue_index(kind="answer", object_id=answer_id)
    from ..tasks import notify_case_opened

    enqueue(notify_case_opened, case.pk)
    return case


def _redact_copies(*, question: Question, answer_ids: list[int]) -> None:
    """Personal data also lives in copies: comments on the answers and the
    notifications that quoted the question. Redact those too."""
    from django.contrib.contenttypes.models import ContentType
    from django_comments_xtd.models import XtdComment

    from portal.notifications.models import Notification

    comments = XtdComment.objects.filter(
        content_type=ContentType.objects.get_for_model(Answer),
        object_pk__in=[str(pk) for pk in answer_ids],
    )
    for comment in comments:
        text, counts = redact(comment.comment)
        if counts:
            comment.comment = text
            comment.save(update_fields=["comment"])
    kinds = [f"experts.routed:{question.pk}", f"experts.overdue:{question.pk}"]
    for answer_id in answer_ids:
        kinds += [
            f"experts.answer:{answer_id}",
            f"experts.accepted:{answer_id}",
            f"experts.verified:{answer_id}",
        ]
    for notification in Notification.objects.filter(kind__in=kinds):
        title, _t = redact(notification.title)
        body, _b = redact(notification.body)
        notification.title, notification.body = title[:200], body
        notification.save(update_fields=["title", "body"])


def case_message_post(*, case: PrivateCase, author, body: str) -> CaseMessage:
    if not case_visible_to(case.question, author):
        raise PermissionDenied(_("This case is private."))
    if case.closed_at:
        raise ExpertcareError(_("This case is resolved."))
    body = (body or "").replace("\x00", "").strip()
    if not 2 <= len(body) <= 10000:
        raise ValidationError(
            {"body": _("Write a message of up to 10,000 characters.")}
        )
    message = CaseMessage.objects.create(
        case=case, author=author, body=body, body_html=markdown_to_safe_html(body)
    )
    from ..tasks import notify_case_message

    enqueue(notify_case_message, message.pk)
    return message


@transaction.atomic
def case_resolve(*, case: PrivateCase, by, public_summary: str = "") -> PrivateCase:
    """Close the case, optionally with a public summary (redacted too)."""
    _require_staff(by)
    summary, _counts = redact((public_summary or "").replace("\x00", "").strip())
    case.closed_at = case.closed_at or timezone.now()
    case.public_summary = summary[:3000]
    case.public_summary_html = markdown_to_safe_html(case.public_summary)
    case.save(update_fields=["closed_at", "public_summary", "public_summary_html"])
    return case
