import re

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from wagtail.contrib.search_promotions.models import Query
from wagtail.models import Locale, Page, get_page_models

MAX_QUERY_LENGTH = 200


def _staff_only_types() -> tuple:
    """Page types that declare `staff_only = True` (such as the webcare
    guidelines) never show up in public search, even when published."""
    return tuple(m for m in get_page_models() if getattr(m, "staff_only", False))


def search(request: HttpRequest) -> HttpResponse:
    """Site-wide search over published pages in the visitor's language."""
    query = (request.GET.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    query = "".join(ch for ch in query if ch.isprintable())
    results_page = None
    if query:
        pages = Page.objects.live().public().not_type(*_staff_only_types())
        pages = pages.specific()
        locale = Locale.objects.filter(language_code=get_language()).first()
        if locale:
            pages = pages.filter(locale=locale)
        # Words only: the SQLite full-text backend fails on quotes and
        # operators in a query (fts5: syntax error), and no backend matches
        # on punctuation anyway.
        terms = " ".join(re.findall(r"\w+", query))
        results = pages.search(terms) if terms else pages.none()
        Query.get(query).add_hit()
        paginator = Paginator(results, 10)
        try:
            results_page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            results_page = paginator.page(1)
        except EmptyPage:
            results_page = paginator.page(paginator.num_pages)
    return render(
        request, "pages/search.html", {"query": query, "results": results_page}
    )
