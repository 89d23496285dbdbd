from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("settings/profile/", views.profile_edit, name="profile_edit"),
    path(
        "settings/notifications/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("settings/privacy/", views.privacy, name="privacy"),
    path("settings/privacy/export/", views.data_export, name="data_export"),
    path("settings/privacy/delete/", views.account_delete, name="account_delete"),
    path("members/<str:username>/", views.profile_public, name="profile"),
]
