"""Views that belong to no feature."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bench_bare(request: HttpRequest) -> HttpResponse:
    """The site shell with nothing in it: the baseline for bench/*.py.

    Routed only when settings.BENCH_VIEWS is true (see portal/urls.py), so a
    benchmark can compare a page against Django rendering base.html alone.
    """
    return render(request, "bench/bare.html")
