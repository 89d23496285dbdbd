from django.urls import path

from . import api

urlpatterns = [
    path("", api.IdeaListView.as_view(), name="ideas"),
    path("similar/", api.IdeaSimilarView.as_view(), name="ideas_similar"),
    path("<int:idea_id>/", api.IdeaDetailView.as_view(), name="idea"),
    path("<int:idea_id>/vote/", api.IdeaVoteView.as_view(), name="idea_vote"),
    path("<int:idea_id>/status/", api.IdeaStatusView.as_view(), name="idea_status"),
    path("<int:idea_id>/merge/", api.IdeaMergeView.as_view(), name="idea_merge"),
]
