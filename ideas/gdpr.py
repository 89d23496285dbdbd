from typing import Any

from .models import Idea, IdeaFlag, IdeaFollow, Vote


def export(user: Any) -> dict[str, Any]:
    return {
        "ideas": [
            {
                "id": i.pk,
                "title": i.title,
                "body": i.body,
                "status": i.status,
                "created_at": i.created_at.isoformat(),
            }
            for i in Idea.objects.filter(author=user)
        ],
        "votes": [
            {"idea": v.idea_id, "at": v.created_at.isoformat()}
            for v in Vote.objects.filter(user=user)
        ],
        "follows": list(
            IdeaFollow.objects.filter(user=user).values_list("idea_id", flat=True)
        ),
    }


def erase(user: Any) -> None:
    # Ideas and votes stay, signed by the pseudonymised account, so totals and
    # discussions keep their meaning. What only served the person goes.
    IdeaFollow.objects.filter(user=user).delete()
    IdeaFlag.objects.filter(user=user).delete()
