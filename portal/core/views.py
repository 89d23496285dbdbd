"""Views that belong to no feature."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views import defaults


def bench_bare(request: HttpRequest) -> HttpResponse:
    """The site shell with nothing in it: the baseline for bench/*.py.

    Routed only when settings.BENCH_VIEWS is true (see portal/urls.py), so a
    benchmark can compare a page against Django rendering base.html alone.
    """
    return render(request, "bench/bare.html")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, except under /api/: there a JSON body shaped like
    DRF's, because an API client (and the OpenAPI schema) expects JSON even
    for a URL that matches no route, such as /api/v1/ideas/abc/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
