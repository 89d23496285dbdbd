"""A member's listening data for "download my data" and "delete my account":
the drafts they got when they joined through an invitation, and whether
their account is linked to a person in the consent ledger.

Erasure deletes the drafts and unlinks the account; the ledger keeps only
hashed handles and opt-outs, which last (an opt-out must outlive the
account, or the person could be invited again)."""

from typing import Any

from .models import ContributionDraft, Person


def export(user: Any) -> dict[str, Any]:
    return {
        "drafts": [
            {
                "id": d.pk,
                "kind": d.kind,
                "title": d.title,
                "body": d.body,
                "created_at": d.created_at.isoformat(),
                "published_at": d.published_at.isoformat() if d.published_at else None,
            }
            for d in ContributionDraft.objects.filter(owner=user)
        ],
        "joined_through_an_invitation": Person.objects.filter(user=user).exists(),
    }


def erase(user: Any) -> None:
    ContributionDraft.objects.filter(owner=user).delete()
    Person.objects.filter(user=user).update(user=None)
