"""The response-time target: re-route at half, escalate to staff at the full
target. Run periodically (experts.sla_sweep); safe to run any number of times,
because each step stamps the question before it acts."""

from django.db import transaction
from django.utils import timezone

from portal.core.outbox import enqueue

from ..models import Question, QuestionStatus, RoutingRound


def _unanswered():
    return Question.objects.filter(
        first_answered_at__isnull=True,
        status=QuestionStatus.OPEN,
        is_private=False,
        is_hidden=False,
    )


def sla_sweep(*, now=None) -> dict[str, int]:
    from ..routing import question_route
    from ..tasks import notify_staff_overdue

    now = now or timezone.now()
    rerouted = escalated = 0
    # Half the target has passed when now >= created + (due - created) / 2,
    # i.e. 2 * now >= created + due.
    halfway = (
        _unanswered()
        .filter(rerouted_at__isnull=True, first_answer_due_at__gt=now)
        .only("pk", "created_at", "first_answer_due_at")
    )
    for question in halfway.iterator():
        if now - question.created_at < (question.first_answer_due_at - now):
            continue
        with transaction.atomic():
            claimed = Question.objects.filter(
                pk=question.pk, rerouted_at__isnull=True
            ).update(rerouted_at=now)
            if claimed:
                question_route(
                    question=Question.objects.get(pk=question.pk),
                    trigger=RoutingRound.Trigger.REROUTE,
                )
                rerouted += 1
    overdue = _unanswered().filter(
        escalated_at__isnull=True, first_answer_due_at__lte=now
    )
    for question_id in list(overdue.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            claimed = Question.objects.filter(
                pk=question_id, escalated_at__isnull=True
            ).update(escalated_at=now)
            if claimed:
                enqueue(notify_staff_overdue, question_id)
                escalated += 1
    return {"rerouted": rerouted, "escalated": escalated}
