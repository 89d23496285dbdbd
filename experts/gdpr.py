"""What expertcare holds about a member: export it, or erase what only served them."""

from typing import Any

from django.utils import timezone

from .models import (
    Answer,
    CaseMessage,
    ExpertApplication,
    ExpertProfile,
    ExpertStatus,
    PrivateCase,
    Question,
    ReputationEvent,
)


def export(user: Any) -> dict[str, Any]:
    profile = ExpertProfile.objects.filter(user=user).first()
    return {
        "questions": [
            {
                "id": q.pk,
                "title": q.title,
                "body": q.body,
                "status": q.status,
                "created_at": q.created_at.isoformat(),
            }
            for q in Question.objects.filter(author=user)
        ],
        "private_cases": [
            {
                "question": c.question_id,
                "original_title": c.original_title,
                "original_body": c.original_body,
                "messages": [
                    {"from_me": m.author_id == user.pk, "body": m.body}
                    for m in c.messages.all()
                ],
            }
            for c in PrivateCase.objects.filter(question__author=user)
        ],
        "answers": [
            {
                "id": a.pk,
                "question": a.question_id,
                "body": a.body,
                "accepted": a.is_accepted,
                "created_at": a.created_at.isoformat(),
            }
            for a in Answer.objects.filter(author=user)
        ],
        "expert_profile": {
            "status": profile.status,
            "headline": profile.headline,
            "focus_areas": [a.slug for a in profile.focus_areas.all()],
            "daily_cap": profile.daily_cap,
        }
        if profile
        else None,
        "expert_applications": [
            {"motivation": a.motivation, "status": a.status}
            for a in ExpertApplication.objects.filter(user=user)
        ],
        "reputation": [
            {"points": e.points, "reason": e.reason, "at": e.created_at.isoformat()}
            for e in ReputationEvent.objects.filter(user=user)
        ],
    }


def erase(user: Any) -> None:
    # Questions and answers stay, signed by the pseudonymised account, so the
    # answers keep helping others. What only served the person goes: their
    # expert profile details, applications and the private case originals.
    ExpertApplication.objects.filter(user=user).delete()
    ExpertProfile.objects.filter(user=user).update(
        status=ExpertStatus.LEFT,
        left_at=timezone.now(),
        headline="",
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    for case in PrivateCase.objects.filter(question__author=user).select_related(
        "question"
    ):
        case.original_title = case.question.title
        case.original_body = case.question.body
        case.save(update_fields=["original_title", "original_body"])
    CaseMessage.objects.filter(author=user).update(body="", body_html="")
