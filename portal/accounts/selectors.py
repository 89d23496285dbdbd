from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import User


def member_public_get(*, username: str) -> User:
    """A member whose profile anyone may see: active and not erased."""
    return get_object_or_404(
        User.objects.filter(is_active=True, is_erased=False), username=username
    )


def member_list_active() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_erased=False)
