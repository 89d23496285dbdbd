"""What every app's REST API shares: a permission and the mapping of service
errors (Django's ValidationError and PermissionDenied) to DRF responses."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from rest_framework import pagination
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticatedOrReadOnly

# Anyone may read; writing needs a signed-in member. DRF's own class rather
# than a look-alike, because drf-spectacular only documents reads as open to
# anonymous callers (an empty security requirement) for the classes it knows.
ReadOrMember = IsAuthenticatedOrReadOnly


def raise_drf(exc: Exception):
    """Re-raise a service error as the DRF error with the same meaning:
    PermissionDenied → 403, ValidationError → 400 with its field messages."""
    if isinstance(exc, DjangoPermissionDenied):
        raise PermissionDenied(str(exc)) from exc
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError(detail) from exc
    raise exc


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, except that an empty ?page= is an invalid page
    (404, as ?page=abc is) instead of silently the first one, so a client's
    bug shows. https://www.django-rest-framework.org/api-guide/pagination/"""

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message)
        return super().paginate_queryset(queryset, request, view=view)


def query_choice(request, name: str, choices, default: str = "") -> str:
    """A query parameter that must be one of `choices`; absent or empty gives
    `default`, anything else is a 400 naming the parameter (a list filter
    that silently ignored a typo would answer a different question)."""
    value = request.query_params.get(name, "")
    if value == "":
        return default
    if value not in choices:
        raise ValidationError(
            {
                name: [
                    gettext("“%(value)s” is not one of: %(choices)s.")
                    % {"value": value[:50], "choices": ", ".join(choices)}
                ]
            }
        )
    return value
