from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["IdeaActionError", "PermissionDenied", "ValidationError"]


class IdeaActionError(ValidationError):
    """A member asked for something the idea's state does not allow.

    Views show the message as it is, so it is written for the member.
    """
