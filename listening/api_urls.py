from django.urls import path

from . import api

urlpatterns = [
    path("mentions/", api.MentionListView.as_view(), name="mentions"),
    path("sources/", api.SourceListView.as_view(), name="sources"),
    path("trackers/", api.TrackerListView.as_view(), name="trackers"),
]
