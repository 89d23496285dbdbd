"""Placeholder: being built (issue 6)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404


@staff_member_required
def _todo(request, *args, **kwargs):
    raise Http404


mention_reply = _todo


def composer_context(mention, user, initial_text: str = "", **extra) -> dict:
    return {}
