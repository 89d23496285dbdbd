from django.urls import path

from . import api, import_api, webcare_api

urlpatterns = [
    path("mentions/", api.MentionListView.as_view(), name="mentions"),
    path("mentions/<int:pk>/", api.MentionDetailView.as_view(), name="mention"),
    path(
        "mentions/<int:pk>/correct/",
        api.MentionCorrectView.as_view(),
        name="mention_correct",
    ),
    path(
        "mentions/<int:pk>/assign/",
        webcare_api.MentionAssignView.as_view(),
        name="mention_assign",
    ),
    path(
        "mentions/<int:pk>/reply/",
        webcare_api.MentionReplyView.as_view(),
        name="mention_reply",
    ),
    path(
        "mentions/<int:pk>/link/",
        webcare_api.MentionLinkView.as_view(),
        name="mention_link",
    ),
    path(
        "mentions/<int:pk>/invite/",
        webcare_api.MentionInviteView.as_view(),
        name="mention_invite",
    ),
    path(
        "mentions/import/",
        import_api.MentionImportView.as_view(),
        name="mention_import",
    ),
    path(
        "mentions/imports/<int:job_id>/",
        import_api.ImportJobDetailView.as_view(),
        name="mention_import_job",
    ),
    path("optouts/", api.OptOutView.as_view(), name="optouts"),
    path("sources/", api.SourceListView.as_view(), name="sources"),
    path("trackers/", api.TrackerListView.as_view(), name="trackers"),
]
