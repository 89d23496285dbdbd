"""Public, language-prefixed pages of listening (see portal/urls.py)."""

from django.urls import path

from . import invite_views

urlpatterns = [
    # Before the token route, which would take "drafts" for a token.
    path("invite/drafts/", invite_views.drafts, name="listening_drafts"),
    path("invite/drafts/<int:pk>/", invite_views.draft_edit, name="listening_draft"),
    path("invite/<str:token>/", invite_views.invite_landing, name="listening_invite"),
    path("optout/", invite_views.optout, name="listening_optout"),
]
