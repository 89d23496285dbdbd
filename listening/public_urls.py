"""Public, language-prefixed pages of listening (see portal/urls.py)."""

from django.urls import path

from . import invite_views

urlpatterns = [
    path("invite/<str:token>/", invite_views.invite_landing, name="listening_invite"),
    path("optout/", invite_views.optout, name="listening_optout"),
]
