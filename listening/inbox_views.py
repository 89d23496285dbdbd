"""Placeholder: being built (issue 6)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404


@staff_member_required
def _todo(request, *args, **kwargs):
    raise Http404


inbox = inbox_bulk = invitation_conversion = _todo
mention_assign_view = mention_status_view = _todo
