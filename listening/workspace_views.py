"""Placeholder: being built (issue 6)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404


@staff_member_required
def _todo(request, *args, **kwargs):
    raise Http404


mention_workspace = mention_link_view = mention_invite_view = idea_loop = _todo
