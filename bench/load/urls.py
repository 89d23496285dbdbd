"""The site's URLs plus the load bench's bare view."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def tiny(request: HttpRequest) -> HttpResponse:
    """The baseline: a few bytes through the full middleware stack (sessions,
    auth, locale, CSRF, security headers, CSP), no template, no query beyond
    what the middleware does for an anonymous visitor."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/tiny/", tiny, name="bench_tiny"), *portal_urlpatterns]
