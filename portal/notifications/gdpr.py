from typing import Any

from .models import Notification


def export(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "url": n.url,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None,
        }
        for n in Notification.objects.filter(recipient=user)
    ]


def erase(user: Any) -> None:
    Notification.objects.filter(recipient=user).delete()
