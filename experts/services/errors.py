from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["ExpertcareError", "PermissionDenied", "ValidationError"]


class ExpertcareError(ValidationError):
    """The state of a question, answer or expert does not allow this action.

    Views show the message as it is, so it is written for the member.
    """
