"""Admin URLs of the webcare inbox, under /admin/listening/inbox/ (namespace
"listening_inbox"). Staff only: every view checks it."""

from django.urls import path

from . import inbox_views, reply_views, workspace_views

urlpatterns = [
    path("", inbox_views.inbox, name="index"),
    path("bulk/", inbox_views.inbox_bulk, name="bulk"),
    path("conversion/", inbox_views.invitation_conversion, name="conversion"),
    path("<int:pk>/", workspace_views.mention_workspace, name="mention"),
    path("<int:pk>/assign/", inbox_views.mention_assign_view, name="assign"),
    path("<int:pk>/status/", inbox_views.mention_status_view, name="status"),
    path("<int:pk>/reply/", reply_views.mention_reply, name="reply"),
    path("<int:pk>/link/", workspace_views.mention_link_view, name="link"),
    path("<int:pk>/invite/", workspace_views.mention_invite_view, name="invite"),
    path("loop/<int:idea_pk>/", workspace_views.idea_loop, name="loop"),
]
