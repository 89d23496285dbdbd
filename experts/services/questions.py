"""Asking, answering, accepting, helpful votes, verification, conversion."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.outbox import enqueue
from portal.core.text import clean_single_line, markdown_to_safe_html

from ..models import (
    Answer,
    HelpfulVote,
    Question,
    QuestionStatus,
    ReputationReason,
    VerificationEvent,
)
from ..reputation import (
    programme_settings,
    reputation_change,
    reputation_granted,
    reputation_points,
)
from .errors import ExpertcareError, PermissionDenied, ValidationError
from .programme import expert_profile_current

TITLE_MIN, TITLE_MAX = 10, 160
BODY_MIN, BODY_MAX = 20, 10000
ANSWER_MIN, ANSWER_MAX = 10, 10000


def _require_member(user, message: str) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(message)


def _clean_body(text: str) -> str:
    return (text or "").replace("\x00", "").strip()


def validate_question_text(*, title: str, body: str) -> tuple[str, str]:
    title, body = clean_single_line(title), _clean_body(body)
    errors = {}
    if len(title) < TITLE_MIN:
        errors["title"] = _("Ask your question in at least %(n)d characters.") % {
            "n": TITLE_MIN
        }
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(n)d characters.") % {"n": TITLE_MAX}
    if len(body) < BODY_MIN:
        errors["body"] = _("Give some details in at least %(n)d characters.") % {
            "n": BODY_MIN
        }
    elif len(body) > BODY_MAX:
        errors["body"] = _("Keep the details under %(n)d characters.") % {"n": BODY_MAX}
    if errors:
        raise ValidationError(errors)
    return title, body


def first_answer_target(focus_area) -> timedelta:
    if focus_area is not None:
        return timedelta(hours=focus_area.target_hours())
    from portal.pages.selectors import community_settings_get

    return timedelta(hours=community_settings_get().first_answer_target_hours)


def _reindex(kind: str, object_id: int) -> None:
    from portal import semantic

    semantic.enqueue_index(kind=kind, object_id=object_id)


@transaction.atomic
def question_ask(
    *, author, title: str, body: str, focus_area=None, language: str = ""
) -> Question:
    """A member asks; the best-matched available experts hear about it."""
    _require_member(author, _("Log in to ask a question."))
    title, body = validate_question_text(title=title, body=body)
    now = timezone.now()
    codes = {code for code, _name in settings.LANGUAGES}
    question = Question.objects.create(
        title=title,
        body=body,
        body_html=markdown_to_safe_html(body),
        author=author,
        focus_area=focus_area,
        language=language if language in codes else "",
        last_activity_at=now,
        first_answer_due_at=now + first_answer_target(focus_area),
    )
    _reindex("question", question.pk)
    from ..routing import question_route

    question_route(question=question)
    return question


@transaction.atomic
def answer_post(
    *, question: Question, author, body: str, official: bool = False
) -> Answer:
    """Anyone signed in may answer; experts' answers carry their badge and
    staff may answer officially."""
    _require_member(author, _("Log in to answer."))
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not question.accepts_answers:
        raise ExpertcareError(_("This question no longer takes answers."))
    if official and not author.is_staff:
        raise PermissionDenied(_("Only staff can answer officially."))
    body = _clean_body(body)
    if len(body) < ANSWER_MIN:
        raise ValidationError(
            {"body": _("Write at least %(n)d characters.") % {"n": ANSWER_MIN}}
        )
    if len(body) > ANSWER_MAX:
        raise ValidationError(
            {"body": _("Keep your answer under %(n)d characters.") % {"n": ANSWER_MAX}}
        )
    now = timezone.now()
    by_expert = expert_profile_current(author) is not None
    answer = Answer.objects.create(
        question=question,
        author=author,
        body=body,
        body_html=markdown_to_safe_html(body),
        by_expert=by_expert,
        is_official=official,
    )
    fields = ["answer_count", "last_activity_at"]
    question.answer_count = F("answer_count") + 1
    question.last_activity_at = now
    if question.first_answered_at is None and author.pk != question.author_id:
        question.first_answered_at = now
        question.first_answer_seconds = int((now - question.created_at).total_seconds())
        question.first_answer_by_expert = by_expert and not author.is_staff
        fields += [
            "first_answered_at",
            "first_answer_seconds",
            "first_answer_by_expert",
        ]
    if question.status == QuestionStatus.OPEN and author.pk != question.author_id:
        question.status = QuestionStatus.ANSWERED
        fields.append("status")
    question.save(update_fields=fields)
    question.refresh_from_db(fields=["answer_count"])
    from ..reputation import badges_award
    from ..tasks import notify_answer

    badges_award(user=author)
    enqueue(notify_answer, answer.pk)
    _reindex("answer", answer.pk)
    return answer


def _can_accept(question: Question, user) -> None:
    _require_member(user, _("Log in first."))
    if user.pk != question.author_id and not user.is_staff:
        raise PermissionDenied(_("Only the person who asked can accept an answer."))


@transaction.atomic
def answer_accept(*, answer: Answer, by) -> Answer:
    """Accept one answer. Points are granted once per question: accepting
    another answer first takes back the points of the one before."""
    question = Question.objects.select_for_update().get(pk=answer.question_id)
    _can_accept(question, by)
    if not question.accepts_answers:
        raise ExpertcareError(_("This question no longer takes answers."))
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    if answer.is_hidden:
        raise ExpertcareError(_("This answer is hidden."))
    if answer.is_accepted:
        return answer
    if question.accepted_answer_id:
        _unaccept(question, by)
    programme = programme_settings()
    answer.is_accepted = True
    answer.accepted_at = timezone.now()
    answer.save(update_fields=["is_accepted", "accepted_at"])
    question.accepted_answer = answer
    question.status = QuestionStatus.SOLVED
    question.last_activity_at = answer.accepted_at
    question.save(update_fields=["accepted_answer", "status", "last_activity_at"])
    if answer.author_id != question.author_id:  # accepting yourself earns nothing
        reputation_change(
            user=answer.author,
            points=reputation_points(ReputationReason.ACCEPTED, programme),
            reason=ReputationReason.ACCEPTED,
            answer=answer,
            actor=by,
        )
    from ..tasks import notify_accepted

    enqueue(notify_accepted, answer.pk)
    _reindex("answer", answer.pk)
    _reindex("question", question.pk)
    return answer


def _unaccept(question: Question, by) -> None:
    previous = Answer.objects.select_for_update().get(pk=question.accepted_answer_id)
    previous.is_accepted = False
    previous.accepted_at = None
    previous.save(update_fields=["is_accepted", "accepted_at"])
    question.accepted_answer = None
    question.status = (
        QuestionStatus.ANSWERED if question.first_answered_at else QuestionStatus.OPEN
    )
    question.save(update_fields=["accepted_answer", "status"])
    granted = reputation_granted(
        user=previous.author,
        answer=previous,
        reasons=(ReputationReason.ACCEPTED, ReputationReason.UNACCEPTED),
    )
    if granted > 0:
        reputation_change(
            user=previous.author,
            points=-granted,
            reason=ReputationReason.UNACCEPTED,
            answer=previous,
            actor=by,
        )
    _reindex("answer", previous.pk)
    _reindex("question", question.pk)


@transaction.atomic
def answer_unaccept(*, answer: Answer, by) -> Answer:
    question = Question.objects.select_for_update().get(pk=answer.question_id)
    _can_accept(question, by)
    if question.accepted_answer_id != answer.pk:
        return answer
    _unaccept(question, by)
    answer.refresh_from_db()
    return answer


def answer_helpful(*, answer: Answer, user) -> bool:
    """Vote an answer helpful. False if the member already had. Your own
    answers cannot be voted on, so nobody can vote themselves up."""
    _require_member(user, _("Log in to vote."))
    if answer.author_id == user.pk:
        raise ExpertcareError(_("You cannot vote on your own answer."))
    if answer.is_hidden or not answer.question.accepts_answers:
        raise ExpertcareError(_("Votes on this answer are closed."))
    try:
        with transaction.atomic():
            HelpfulVote.objects.create(answer=answer, user=user)
            Answer.objects.filter(pk=answer.pk).update(
                helpful_count=F("helpful_count") + 1
            )
            reputation_change(
                user=answer.author,
                points=reputation_points(
                    ReputationReason.HELPFUL, programme_settings()
                ),
                reason=ReputationReason.HELPFUL,
                answer=answer,
                actor=user,
            )
    except IntegrityError:
        return False
    return True


def answer_unhelpful(*, answer: Answer, user) -> bool:
    _require_member(user, _("Log in to vote."))
    if not answer.question.accepts_answers:
        raise ExpertcareError(_("Votes on this answer are closed."))
    with transaction.atomic():
        deleted, _count = HelpfulVote.objects.filter(answer=answer, user=user).delete()
        if deleted:
            Answer.objects.filter(pk=answer.pk).update(
                helpful_count=Greatest(F("helpful_count") - 1, Value(0))
            )
            granted = reputation_granted(
                user=answer.author,
                answer=answer,
                reasons=(ReputationReason.HELPFUL, ReputationReason.UNHELPFUL),
                actor=user,
            )
            if granted > 0:
                reputation_change(
                    user=answer.author,
                    points=-granted,
                    reason=ReputationReason.UNHELPFUL,
                    answer=answer,
                    actor=user,
                )
    return bool(deleted)


@transaction.atomic
def answer_verify(
    *, answer: Answer, by, verified: bool = True, note: str = ""
) -> Answer:
    """Staff mark an answer as verified by the brand, or withdraw that."""
    if not (by.is_authenticated and by.is_staff):
        raise PermissionDenied(_("Only staff can verify answers."))
    answer = (
        Answer.objects.select_for_update().select_related("question").get(pk=answer.pk)
    )
    if verified == answer.is_verified:
        return answer
    if verified and answer.is_hidden:
        raise ExpertcareError(_("A hidden answer cannot be verified."))
    if verified and answer.author_id == by.pk:
        raise ExpertcareError(_("Ask a colleague to verify your own answer."))
    answer.verified_at = timezone.now() if verified else None
    answer.verified_by = by if verified else None
    answer.save(update_fields=["verified_at", "verified_by"])
    VerificationEvent.objects.create(
        answer=answer, by=by, verified=verified, note=clean_single_line(note)[:300]
    )
    if verified:
        points = reputation_points(ReputationReason.VERIFIED, programme_settings())
    else:
        points = -reputation_granted(
            user=answer.author,
            answer=answer,
            reasons=(ReputationReason.VERIFIED, ReputationReason.UNVERIFIED),
        )
    if points:
        reputation_change(
            user=answer.author,
            points=points,
            reason=ReputationReason.VERIFIED
            if verified
            else ReputationReason.UNVERIFIED,
            answer=answer,
            actor=by,
        )
    if verified:
        from ..tasks import notify_verified

        enqueue(notify_verified, answer.pk)
    _reindex("answer", answer.pk)
    return answer


@transaction.atomic
def answer_set_hidden(*, answer: Answer, by, hidden: bool) -> Answer:
    """Staff hide an answer; an accepted answer loses its acceptance first."""
    if not (by.is_authenticated and by.is_staff):
        raise PermissionDenied(_("Only staff can do this."))
    answer = Answer.objects.get(pk=answer.pk)
    if hidden and answer.is_accepted:
        answer_unaccept(answer=answer, by=by)
    if hidden and answer.is_verified:
        answer_verify(answer=answer, by=by, verified=False, note="hidden")
    Answer.objects.filter(pk=answer.pk).update(is_hidden=hidden)
    answer.refresh_from_db()
    _question_answers_refresh(answer.question_id)
    _reindex("answer", answer.pk)
    return answer


def _question_answers_refresh(question_id: int) -> None:
    """Recount a question's visible answers and its first answer, so hiding
    a spam answer puts the question back in the queue and under the sweep."""
    question = Question.objects.select_for_update().get(pk=question_id)
    visible = Answer.objects.filter(question=question, is_hidden=False)
    first = (
        visible.exclude(author_id=question.author_id)
        .select_related("author")
        .order_by("created_at", "pk")
        .first()
    )
    question.answer_count = visible.count()
    if first is None:
        question.first_answered_at = None
        question.first_answer_seconds = None
        question.first_answer_by_expert = None
    else:
        question.first_answered_at = first.created_at
        question.first_answer_seconds = int(
            (first.created_at - question.created_at).total_seconds()
        )
        question.first_answer_by_expert = first.by_expert and not first.author.is_staff
    if question.status in (QuestionStatus.OPEN, QuestionStatus.ANSWERED):
        question.status = QuestionStatus.ANSWERED if first else QuestionStatus.OPEN
    question.save(
        update_fields=[
            "answer_count",
            "first_answered_at",
            "first_answer_seconds",
            "first_answer_by_expert",
            "status",
        ]
    )


@transaction.atomic
def question_convert_to_idea(*, question: Question, by):
    """Staff turn a question into an idea that keeps its author, text and a
    link back; the question then points to the idea."""
    from ideas.services import idea_submit

    if not (by.is_authenticated and by.is_staff):
        raise PermissionDenied(_("Only staff can turn a question into an idea."))
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.converted_idea_id:
        return question.converted_idea
    if question.is_private:
        raise ExpertcareError(_("A private case cannot become a public idea."))
    link = _("[This started as a question](%(url)s).") % {
        "url": question.get_absolute_url()
    }
    from ideas.services.submit import BODY_MAX as IDEA_BODY_MAX

    room = IDEA_BODY_MAX - len(link) - 4
    idea = idea_submit(
        author=question.author,
        title=question.title[:140],
        body=f"{question.body[:room]}\n\n{link}",
        focus_area=question.focus_area,
        language=question.language,
    )
    question.converted_idea = idea
    question.status = QuestionStatus.CONVERTED
    question.save(update_fields=["converted_idea", "status"])
    _reindex("question", question.pk)
    return idea


def question_set_hidden(*, question: Question, by, hidden: bool) -> Question:
    if not (by.is_authenticated and by.is_staff):
        raise PermissionDenied(_("Only staff can do this."))
    Question.objects.filter(pk=question.pk).update(is_hidden=hidden)
    question.refresh_from_db()
    _reindex("question", question.pk)
    for answer_id in Answer.objects.filter(question=question).values_list(
        "pk", flat=True
    ):
        _reindex("answer", answer_id)
    return question
