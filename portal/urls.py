from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from health_check.views import HealthCheckView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.views.account import LoginView as WagtailLoginView
from wagtail.documents import urls as wagtaildocs_urls

from listening.webhook import webhook_receive
from portal.accounts.admin_login import admin_login_locked_out
from portal.accounts.api import MeView
from portal.core.comments import comments_api_disabled, rate_limited_comment_post
from portal.pages import views as page_views
from portal.pages.api import FocusAreaListView

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("me/", MeView.as_view(), name="me"),
    path("focus-areas/", FocusAreaListView.as_view(), name="focus_areas"),
    path("ideas/", include("ideas.api_urls")),
    # questions/, answers/ and experts/
    path("", include("experts.api_urls")),
    # mentions/, sources/ and trackers/ (staff only)
    path("", include("listening.api_urls")),
]

# JSON under /api/, the site's own page elsewhere (portal/core/views.py).
handler404 = "portal.core.views.page_not_found"

urlpatterns = [
    # Both admin logins lock out after ADMIN_LOGIN_RATE failed attempts per IP
    # and per username (portal/accounts/admin_login.py); before their includes
    # so that these win.
    path("django-admin/login/", admin_login_locked_out(admin.site.login)),
    path("django-admin/", admin.site.urls),
    path("admin/login/", admin_login_locked_out(WagtailLoginView.as_view())),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include((api_v1, "api"))),
    # Server-to-server pushes, authenticated by HMAC (listening/webhook.py).
    path(
        "hooks/listening/<int:source_id>/",
        webhook_receive,
        name="listening_webhook",
    ),
    path(
        "health/",
        HealthCheckView.as_view(
            checks=[
                "health_check.checks.Cache",
                "health_check.checks.Database",
                "health_check.checks.Storage",
            ]
        ),
        name="health",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
    # Posting a comment is rate limited per member; the rest is xtd's own.
    path("comments/post/", rate_limited_comment_post, name="comments-post-comment"),
    re_path(r"^comments/api/", comments_api_disabled),
    # comments-xtd gives each of its page views a ".json"-style twin that the
    # views cannot take (a server error); only its JSON API used them.
    re_path(r"^comments/.+\.[a-z0-9]+/?$", comments_api_disabled),
    path("comments/", include("django_comments_xtd.urls")),
]

urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("", include("portal.accounts.urls")),
    path("notifications/", include("portal.notifications.urls")),
    path("search/", page_views.search, name="search"),
    # invite/<token>/ and optout/: consent-first invitations (no login).
    path("", include("listening.public_urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

if settings.SERVE_MEDIA:
    # Uploaded avatars and images. At scale, put MEDIA behind the proxy or
    # object storage instead (docs/operations.md).
    urlpatterns.insert(
        0,
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    )

if settings.BENCH_VIEWS:
    # The baseline that bench/ideas_list_bench.py compares pages against.
    from portal.core.views import bench_bare

    urlpatterns.insert(0, path("bench/bare/", bench_bare, name="bench_bare"))
