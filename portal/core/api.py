"""What every app's REST API shares: a permission and the mapping of service
errors (Django's ValidationError and PermissionDenied) to DRF responses."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadOrMember(BasePermission):
    """Anyone may read; writing needs a signed-in member."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )


def raise_drf(exc: Exception):
    """Re-raise a service error as the DRF error with the same meaning:
    PermissionDenied → 403, ValidationError → 400 with its field messages."""
    if isinstance(exc, DjangoPermissionDenied):
        raise PermissionDenied(str(exc)) from exc
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError(detail) from exc
    raise exc
