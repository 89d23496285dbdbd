"""Who hears about what happens in expertcare. Called from tasks, after commit.

Each notification is keyed by (kind, event id, recipient), so a retried task
never notifies anyone twice. Texts are written in the recipient's language.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from portal.core.text import plain_text
from portal.notifications.models import Notification
from portal.notifications.services import notification_send

from .models import (
    Answer,
    CaseMessage,
    ExpertApplication,
    PrivateCase,
    Question,
    RoutingRound,
)

Category = Notification.Category


def _send_once(user, *, kind: str, title, body: str = "", url, category) -> bool:
    if Notification.objects.filter(kind=kind, recipient=user).exists():
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        title_text = str(title() if callable(title) else title)
        link = url() if callable(url) else url
    return (
        notification_send(
            recipient=user,
            kind=kind,
            title=title_text[:200],
            body=body[:500],
            url=link,
            category=category,
        )
        is not None
    )


def _staff():
    return get_user_model().objects.filter(is_staff=True, is_active=True)


def _case_url(question: Question) -> str:
    from .selectors import questions_index_url

    return f"{questions_index_url()}{question.pk}/private/"


def routed_notify(*, round_id: int) -> int:
    round_ = (
        RoutingRound.objects.select_related("question")
        .prefetch_related("decisions__expert__user")
        .filter(pk=round_id)
        .first()
    )
    if round_ is None:
        return 0
    question = round_.question
    sent = 0
    for decision in round_.decisions.all():
        user = decision.expert.user
        sent += _send_once(
            user,
            kind=f"experts.routed:{question.pk}",
            title=lambda: (
                _("A question for you: “%(title)s”") % {"title": question.title}
            ),
            body=plain_text(question.body_html)[:300],
            url=question.get_absolute_url,
            category=Category.MENTION,
        )
    return sent


def answer_notify(*, answer_id: int) -> int:
    answer = (
        Answer.objects.select_related("question__author", "author")
        .filter(pk=answer_id)
        .first()
    )
    if answer is None or answer.author_id == answer.question.author_id:
        return 0
    question = answer.question
    return int(
        _send_once(
            question.author,
            kind=f"experts.answer:{answer.pk}",
            title=lambda: (
                _("%(name)s answered your question “%(title)s”")
                % {"name": answer.author.public_name, "title": question.title}
            ),
            body=plain_text(answer.body_html)[:300],
            url=answer.get_absolute_url,
            category=Category.REPLY,
        )
    )


def accepted_notify(*, answer_id: int) -> int:
    answer = (
        Answer.objects.select_related("question", "author")
        .filter(pk=answer_id, is_accepted=True)
        .first()
    )
    if answer is None or answer.author_id == answer.question.author_id:
        return 0
    return int(
        _send_once(
            answer.author,
            kind=f"experts.accepted:{answer.pk}",
            title=lambda: (
                _("Your answer to “%(title)s” was accepted")
                % {"title": answer.question.title}
            ),
            url=answer.get_absolute_url,
            category=Category.STATUS,
        )
    )


def verified_notify(*, answer_id: int) -> int:
    answer = (
        Answer.objects.select_related("question", "author")
        .filter(pk=answer_id, verified_at__isnull=False)
        .first()
    )
    if answer is None:
        return 0
    return int(
        _send_once(
            answer.author,
            kind=f"experts.verified:{answer.pk}",
            title=lambda: (
                _("The brand verified your answer to “%(title)s”")
                % {"title": answer.question.title}
            ),
            url=answer.get_absolute_url,
            category=Category.STATUS,
        )
    )


def level_up_notify(*, user_id: int, min_points: int) -> int:
    from .reputation import levels

    user = get_user_model().objects.filter(pk=user_id).first()
    level = next((lv for lv in levels() if lv.min_points == min_points), None)
    if user is None or level is None:
        return 0

    def title():
        return _("You reached a new level: %(level)s") % {"level": level.label}

    from django.urls import reverse

    return int(
        _send_once(
            user,
            kind=f"experts.level:{min_points}",
            title=title,
            url=lambda: reverse("accounts:profile", kwargs={"username": user.username}),
            category=Category.STATUS,
        )
    )


def staff_application_notify(*, application_id: int) -> int:
    application = (
        ExpertApplication.objects.select_related("user")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return 0
    return sum(
        _send_once(
            staff,
            kind=f"experts.application:{application.pk}",
            title=lambda: (
                _("%(name)s applied to become an expert")
                % {"name": application.user.public_name}
            ),
            body=application.motivation[:300],
            url="/admin/expertcare/applications/",
            category=Category.SYSTEM,
        )
        for staff in _staff()
    )


def application_decided_notify(*, application_id: int) -> int:
    application = (
        ExpertApplication.objects.select_related("user")
        .filter(pk=application_id)
        .first()
    )
    if application is None or application.status not in ("approved", "declined"):
        return 0
    from .selectors import questions_index_url

    approved = application.status == "approved"
    return int(
        _send_once(
            application.user,
            kind=f"experts.decided:{application.pk}",
            title=lambda: (
                _("Welcome to the expert team!")
                if approved
                else _("About your expert application")
            ),
            body=application.decision_note,
            url=lambda: questions_index_url() + "experts/me/",
            category=Category.SYSTEM,
        )
    )


def staff_overdue_notify(*, question_id: int) -> int:
    question = Question.objects.filter(pk=question_id).first()
    if question is None or question.first_answered_at is not None:
        return 0
    return sum(
        _send_once(
            staff,
            kind=f"experts.overdue:{question.pk}",
            title=lambda: (
                _("Unanswered past its target: “%(title)s”") % {"title": question.title}
            ),
            url="/admin/expertcare/queue/",
            category=Category.SYSTEM,
        )
        for staff in _staff()
    )


def case_opened_notify(*, case_id: int) -> int:
    case = (
        PrivateCase.objects.select_related("question__author")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return 0
    question = case.question
    return int(
        _send_once(
            question.author,
            kind=f"experts.case:{case.pk}",
            title=lambda: _("We continue your question in private"),
            body="",
            url=lambda: _case_url(question),
            category=Category.REPLY,
        )
    )


def case_message_notify(*, message_id: int) -> int:
    message = (
        CaseMessage.objects.select_related(
            "case__question__author", "case__opened_by", "author"
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return 0
    question = message.case.question
    if message.author_id == question.author_id:
        recipients = (
            [message.case.opened_by] if message.case.opened_by else list(_staff())
        )
    else:
        recipients = [question.author]
    return sum(
        _send_once(
            user,
            kind=f"experts.case_message:{message.pk}",
            title=lambda: _("New message about your private case"),
            body=plain_text(message.body_html)[:300],
            url=lambda: _case_url(question),
            category=Category.REPLY,
        )
        for user in recipients
        if user is not None and user.pk != message.author_id
    )
