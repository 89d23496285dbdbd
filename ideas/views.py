"""Views for the ideas pages. They validate, call one service and render."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from portal.pages.selectors import focus_area_list

from . import feeds, selectors, services
from .forms import IdeaFilterForm, IdeaFlagForm, IdeaSubmitForm
from .models import IdeaStatus

PAGE_SIZE = 20
LIST_COUNT_SECONDS = 20


class CachedCountPaginator(Paginator):
    """Counting 100k public ideas costs more than fetching a page of them;
    the total for a given filter may be 20 seconds old."""

    def __init__(self, *args, count_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return cache.get_or_set(
            self.count_key, lambda: self.object_list.count(), LIST_COUNT_SECONDS
        )


def _limited(request: HttpRequest, group: str, rate: str) -> bool:
    return is_ratelimited(
        request, group=group, key="user_or_ip", rate=rate, method="POST", increment=True
    )


def _context(page, **extra) -> dict:
    return {"page": page, "index_url": page.url, **extra}


def idea_index(request: HttpRequest, page) -> HttpResponse:
    areas = list(focus_area_list(request=request))
    form = IdeaFilterForm(request.GET or None, focus_areas=areas)
    filters = form.cleaned() if request.GET else {"sort": "trending"}
    ideas = selectors.idea_list(user=request.user, **filters)
    count_key = (
        "ideas:count:"
        + hashlib.blake2b(
            repr(sorted(filters.items())).encode(), digest_size=12
        ).hexdigest()
    )
    page_obj = CachedCountPaginator(ideas, PAGE_SIZE, count_key=count_key).get_page(
        request.GET.get("page")
    )
    querystring = request.GET.copy()
    querystring.pop("page", None)
    template = "ideas/includes/idea_list.html" if request.htmx else "ideas/index.html"
    return render(
        request,
        template,
        _context(
            page,
            form=form,
            ideas=page_obj,
            filters=filters,
            querystring=querystring.urlencode(),
        ),
    )


def idea_detail_view(request: HttpRequest, page, idea_id: int) -> HttpResponse:
    idea = selectors.idea_detail(idea_id=idea_id, user=request.user)
    if idea is None:
        raise Http404
    if idea.merged_into_id:
        return HttpResponseRedirect(
            page.url + idea.merged_into.path_segment, status=301
        )
    user = request.user
    if idea.is_hidden and not (user.is_staff or user.pk == idea.author_id):
        raise Http404
    responses = [c for c in idea.history.all() if c.response]
    return render(
        request,
        "ideas/detail.html",
        _context(
            page,
            idea=idea,
            history=list(idea.history.all()),
            responses=responses,
            flag_form=IdeaFlagForm(),
            **_heard_on_social(idea, user),
        ),
    )


SOCIAL_LINKS_SHOWN = 50


def _heard_on_social(idea, user) -> dict:
    """External demand: the social posts staff linked to this idea. The
    count is public; the posts themselves only for staff. Read through the
    link table that listening writes (`social_links`); ideas never imports
    listening."""
    links = idea.social_links.all()
    if not user.is_staff:
        return {"social_count": links.count(), "social_links": []}
    shown = list(
        links.select_related("mention__source").order_by("-mention__posted_at")[
            :SOCIAL_LINKS_SHOWN
        ]
    )
    count = len(shown) if len(shown) < SOCIAL_LINKS_SHOWN else links.count()
    for link in shown:
        # Imported addresses: only http(s) becomes a link (no javascript:).
        url = link.mention.url or ""
        link.web_url = url if url.lower().startswith(("https://", "http://")) else ""
    return {"social_count": count, "social_links": shown}


def idea_submit_view(request: HttpRequest, page) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    areas = list(focus_area_list(request=request))
    form = IdeaSubmitForm(
        request.POST or None, request.FILES or None, focus_areas=areas
    )
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        if _limited(request, "ideas.submit", settings.IDEAS_SUBMIT_RATE):
            form.add_error(
                None, _("You have shared a lot of ideas at once. Try again later.")
            )
            status = 429
        else:
            try:
                idea = services.idea_submit(
                    author=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    focus_area=form.focus_area_object(),
                    tags=form.cleaned_data["tags"],
                    image=form.cleaned_data.get("image"),
                    language=getattr(request, "LANGUAGE_CODE", ""),
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("Thank you! Your idea is online."))
                return HttpResponseRedirect(page.url + idea.path_segment)
    return render(
        request, "ideas/submit.html", _context(page, form=form), status=status
    )


def idea_similar_view(request: HttpRequest, page) -> HttpResponse:
    text = (request.GET.get("title") or request.GET.get("q") or "")[:300]
    ideas = selectors.idea_similar(text=text, k=5) if len(text.strip()) >= 4 else []
    if ideas and request.user.is_authenticated:
        voted = set(
            request.user.idea_votes.filter(idea__in=ideas).values_list(
                "idea_id", flat=True
            )
        )
        for idea in ideas:
            idea.has_voted = idea.pk in voted
    return render(
        request, "ideas/includes/similar.html", _context(page, ideas=ideas, text=text)
    )


@require_POST
def idea_vote_view(request: HttpRequest, page, idea_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.htmx:
            return HttpResponse(status=401, headers={"HX-Redirect": _login_url(page)})
        return redirect_to_login(page.url + f"{idea_id}/")
    idea = selectors.idea_detail(idea_id=idea_id, user=request.user)
    if idea is None:
        raise Http404
    error = ""
    error_status = 409
    if _limited(request, "ideas.vote", settings.IDEAS_VOTE_RATE):
        error = _("You are voting very fast. Please wait a moment.")
        error_status = 429
    else:
        try:
            if request.POST.get("action") == "unvote":
                services.idea_unvote(idea=idea, user=request.user)
            else:
                services.idea_vote(idea=idea, user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            error = exc.messages[0] if hasattr(exc, "messages") else str(exc)
    idea = selectors.idea_detail(idea_id=idea_id, user=request.user)
    if request.htmx:
        return render(
            request,
            "ideas/includes/vote_button.html",
            _context(page, idea=idea, vote_error=error),
            status=200 if not error else error_status,
        )
    if error:
        messages.error(request, error)
    return HttpResponseRedirect(_safe_next(request) or page.url + idea.path_segment)


@require_POST
def idea_follow_view(request: HttpRequest, page, idea_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(page.url + f"{idea_id}/")
    idea = selectors.idea_detail(idea_id=idea_id, user=request.user)
    if idea is None or idea.is_hidden:
        raise Http404
    if request.POST.get("action") == "unfollow":
        services.idea_unfollow(idea=idea, user=request.user)
        messages.info(request, _("You no longer follow this idea."))
    else:
        services.idea_follow(idea=idea, user=request.user)
        messages.success(request, _("You follow this idea now."))
    return HttpResponseRedirect(page.url + idea.path_segment)


@require_POST
def idea_flag_view(request: HttpRequest, page, idea_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(page.url + f"{idea_id}/")
    idea = selectors.idea_detail(idea_id=idea_id, user=request.user)
    if idea is None:
        raise Http404
    form = IdeaFlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why you report this idea."))
    else:
        try:
            services.idea_flag(
                idea=idea, user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Thank you. Our team will take a look."))
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    return HttpResponseRedirect(page.url + idea.path_segment)


def ideas_in_action(request: HttpRequest, page) -> HttpResponse:
    ideas = selectors.idea_list(
        user=request.user, sort="updated", statuses=[IdeaStatus.LAUNCHED]
    )
    page_obj = Paginator(ideas, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ideas/in_action.html", _context(page, ideas=page_obj))


def roadmap(request: HttpRequest, page) -> HttpResponse:
    return render(
        request,
        "ideas/roadmap.html",
        _context(page, columns=selectors.roadmap_columns(user=request.user)),
    )


def feed_new(request: HttpRequest, page) -> HttpResponse:
    return feeds.NewIdeasFeed(page)(request)


def feed_status(request: HttpRequest, page) -> HttpResponse:
    return feeds.StatusChangesFeed(page)(request)


def _login_url(page) -> str:
    from django.urls import reverse

    return f"{reverse('account_login')}?next={page.url}"


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return ""
