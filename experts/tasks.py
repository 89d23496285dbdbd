"""Thin tasks: ids in, one service call out. All are idempotent."""

from celery import shared_task

from portal.core.tasks import RETRYING_TASK

from . import notifications

_OPTIONS = RETRYING_TASK


@shared_task(name="experts.notify_routed", **_OPTIONS)
def notify_routed(round_id: int) -> int:
    return notifications.routed_notify(round_id=round_id)


@shared_task(name="experts.notify_answer", **_OPTIONS)
def notify_answer(answer_id: int) -> int:
    return notifications.answer_notify(answer_id=answer_id)


@shared_task(name="experts.notify_accepted", **_OPTIONS)
def notify_accepted(answer_id: int) -> int:
    return notifications.accepted_notify(answer_id=answer_id)


@shared_task(name="experts.notify_verified", **_OPTIONS)
def notify_verified(answer_id: int) -> int:
    return notifications.verified_notify(answer_id=answer_id)


@shared_task(name="experts.notify_level_up", **_OPTIONS)
def notify_level_up(user_id: int, min_points: int) -> int:
    return notifications.level_up_notify(user_id=user_id, min_points=min_points)


@shared_task(name="experts.notify_staff_application", **_OPTIONS)
def notify_staff_application(application_id: int) -> int:
    return notifications.staff_application_notify(application_id=application_id)


@shared_task(name="experts.notify_application_decided", **_OPTIONS)
def notify_application_decided(application_id: int) -> int:
    return notifications.application_decided_notify(application_id=application_id)


@shared_task(name="experts.notify_staff_overdue", **_OPTIONS)
def notify_staff_overdue(question_id: int) -> int:
    return notifications.staff_overdue_notify(question_id=question_id)


@shared_task(name="experts.notify_case_opened", **_OPTIONS)
def notify_case_opened(case_id: int) -> int:
    return notifications.case_opened_notify(case_id=case_id)


@shared_task(name="experts.notify_case_message", **_OPTIONS)
def notify_case_message(message_id: int) -> int:
    return notifications.case_message_notify(message_id=message_id)


@shared_task(name="experts.sla_sweep", **_OPTIONS)
def sla_sweep() -> dict:
    """Re-route questions at half their target, escalate them at the full one."""
    from .services import experts_resume_due
    from .services import sla_sweep as sweep

    resumed = experts_resume_due()
    return {**sweep(), "resumed": resumed}
