"""Views for the questions and experts pages. They validate, call one service
and render; every page works without JavaScript and htmx adds live parts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from portal.pages.selectors import focus_area_list

from . import selectors, services
from .forms import (
    AnswerForm,
    CaseMessageForm,
    CaseResolveForm,
    ExpertApplyForm,
    ExpertFilterForm,
    ExpertLeaveForm,
    ExpertPauseForm,
    ExpertPreferencesForm,
    QuestionAskForm,
    QuestionFilterForm,
)
from .models import Answer, ApplicationStatus, Question
from .reputation import level_for, levels, programme_settings

PAGE_SIZE = 20
EXPERTS_PAGE_SIZE = 30
LEADERBOARD_SIZE = 10


def _limited(request: HttpRequest, group: str, rate: str) -> bool:
    return is_ratelimited(
        request, group=group, key="user_or_ip", rate=rate, method="POST", increment=True
    )


def _context(page, **extra) -> dict:
    return {"page": page, "index_url": page.url, **extra}


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's errors on the form: field errors next to their field,
    the rest at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _first_message(error: Exception) -> str:
    found = getattr(error, "messages", None)
    return found[0] if found else str(error)


def _question_url(page, question: Question, anchor: str = "") -> str:
    return page.url + question.path_segment + (f"#{anchor}" if anchor else "")


def _can_see_question(question: Question, user) -> bool:
    return not question.is_hidden or (
        user.is_authenticated and (user.is_staff or user.pk == question.author_id)
    )


def _question_or_404(request: HttpRequest, question_id: int) -> Question:
    question = selectors.question_detail(question_id=question_id)
    if question is None or not _can_see_question(question, request.user):
        raise Http404
    return question


def _answer_or_404(request: HttpRequest, answer_id: int) -> Answer:
    """An answer the member may act on: visible, on a question they can see."""
    user = request.user
    answer = Answer.objects.select_related("question").filter(pk=answer_id).first()
    if answer is None or (answer.is_hidden and not user.is_staff):
        raise Http404
    question = answer.question
    if not _can_see_question(question, user):
        raise Http404
    if question.is_private and not services.case_visible_to(question, user):
        raise Http404
    return answer


def _comment_counts(answers: list[Answer]) -> dict[int, int]:
    """Public comment counts for all answers in one query (the comment tree
    itself is rendered per answer by django-comments-xtd)."""
    if not answers:
        return {}
    import django_comments
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    rows = (
        django_comments.get_model()
        .objects.filter(
            content_type=ContentType.objects.get_for_model(Answer),
            object_pk__in=[str(a.pk) for a in answers],
            site__pk=settings.SITE_ID,
            is_public=True,
            is_removed=False,
        )
        .values("object_pk")
        .annotate(n=Count("pk"))
    )
    return {int(row["object_pk"]): row["n"] for row in rows}


# Questions ------------------------------------------------------------------


def question_index(request: HttpRequest, page) -> HttpResponse:
    areas = list(focus_area_list(request=request))
    form = QuestionFilterForm(request.GET or None, focus_areas=areas)
    filters = form.cleaned()
    questions = selectors.question_list(**filters)
    page_obj = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    template = (
        "experts/includes/question_list.html" if request.htmx else "experts/index.html"
    )
    return render(
        request,
        template,
        _context(
            page,
            form=form,
            questions=page_obj,
            filters=filters,
            querystring=querystring.urlencode(),
        ),
    )


def question_ask_view(request: HttpRequest, page) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    areas = list(focus_area_list(request=request))
    form = QuestionAskForm(
        request.POST if request.method == "POST" else None, focus_areas=areas
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if _limited(request, "experts.ask", settings.EXPERTS_ASK_RATE):
                form.add_error(
                    None, _("You have asked a lot of questions at once. Try later.")
                )
                status = 429
            else:
                try:
                    question = services.question_ask(
                        author=request.user,
                        title=form.cleaned_data["title"],
                        body=form.cleaned_data["body"],
                        focus_area=form.area(),
                        language=getattr(request, "LANGUAGE_CODE", ""),
                    )
                except ValidationError as error:
                    _add_errors(form, error)
                else:
                    messages.success(
                        request,
                        _("Your question is online. We let our experts know."),
                    )
                    return HttpResponseRedirect(_question_url(page, question))
    return render(request, "experts/ask.html", _context(page, form=form), status=status)


def question_similar_view(request: HttpRequest, page) -> HttpResponse:
    text = (request.GET.get("title") or request.GET.get("q") or "")[:300]
    questions = (
        selectors.question_similar(text=text, k=5) if len(text.strip()) >= 4 else []
    )
    return render(
        request,
        "experts/includes/similar.html",
        _context(page, questions=questions, text=text),
    )


def _render_detail(
    request: HttpRequest, page, question: Question, *, answer_form=None, status=200
) -> HttpResponse:
    user = request.user
    is_asker = user.is_authenticated and user.pk == question.author_id
    case = getattr(question, "private_case", None) if question.is_private else None
    answers = []
    if not question.is_private:
        answers = selectors.answer_list(
            question=question, user=user, staff=user.is_staff
        )
        counts = _comment_counts(answers)
        for answer in answers:
            answer.comment_count = counts.get(answer.pk, 0)
    if answer_form is None and question.accepts_answers and user.is_authenticated:
        answer_form = AnswerForm(staff=user.is_staff)
    return render(
        request,
        "experts/detail.html",
        _context(
            page,
            question=question,
            case=case,
            answers=answers,
            answer_form=answer_form,
            is_asker=is_asker,
            can_accept=question.accepts_answers and (is_asker or user.is_staff),
            can_see_case=services.case_visible_to(question, user),
        ),
        status=status,
    )


def question_detail_view(
    request: HttpRequest, page, question_id: int, slug: str | None = None
) -> HttpResponse:
    question = _question_or_404(request, question_id)
    if slug is not None and slug != question.slug:
        # Old slugs may carry what redaction removed from the title.
        return HttpResponseRedirect(_question_url(page, question), status=301)
    return _render_detail(request, page, question)


@require_POST
def answer_post_view(request: HttpRequest, page, question_id: int) -> HttpResponse:
    question = _question_or_404(request, question_id)
    if not request.user.is_authenticated:
        return redirect_to_login(_question_url(page, question))
    form = AnswerForm(request.POST, staff=request.user.is_staff)
    status = 400
    if form.is_valid():
        if _limited(request, "experts.answer", settings.EXPERTS_ANSWER_RATE):
            form.add_error(None, _("You are answering very fast. Try again later."))
            status = 429
        else:
            try:
                answer = services.answer_post(
                    question=question,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    official=form.cleaned_data.get("official", False),
                )
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    # The question's state, not the text: nothing to fix in the form.
                    messages.error(request, _first_message(error))
                    return HttpResponseRedirect(_question_url(page, question))
                _add_errors(form, error)
            else:
                messages.success(request, _("Thank you for your answer!"))
                return HttpResponseRedirect(
                    _question_url(page, question, f"answer-{answer.pk}")
                )
    return _render_detail(request, page, question, answer_form=form, status=status)


@require_POST
def answer_accept_view(request: HttpRequest, page, answer_id: int) -> HttpResponse:
    answer = _answer_or_404(request, answer_id)
    if not request.user.is_authenticated:
        return redirect_to_login(_question_url(page, answer.question))
    try:
        if request.POST.get("action") == "unaccept":
            services.answer_unaccept(answer=answer, by=request.user)
            messages.info(request, _("The answer is no longer marked as accepted."))
        else:
            services.answer_accept(answer=answer, by=request.user)
            messages.success(request, _("You accepted this answer. Thank you!"))
    except ValidationError as error:
        messages.error(request, _first_message(error))
    return HttpResponseRedirect(
        _question_url(page, answer.question, f"answer-{answer.pk}")
    )


@require_POST
def answer_helpful_view(request: HttpRequest, page, answer_id: int) -> HttpResponse:
    answer = _answer_or_404(request, answer_id)
    if not request.user.is_authenticated:
        login = redirect_to_login(_question_url(page, answer.question))
        if request.htmx:
            return HttpResponse(status=401, headers={"HX-Redirect": login.url})
        return login
    error = ""
    error_status = 409
    marked = request.POST.get("action") != "unhelpful"
    if _limited(request, "experts.helpful", settings.EXPERTS_HELPFUL_RATE):
        error = _("You are voting very fast. Please wait a moment.")
        error_status = 429
    else:
        try:
            if marked:
                services.answer_helpful(answer=answer, user=request.user)
            else:
                services.answer_unhelpful(answer=answer, user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            error = _first_message(exc)
    answer.refresh_from_db(fields=["helpful_count"])
    answer.marked_helpful = marked if not error else not marked
    if request.htmx:
        return render(
            request,
            "experts/includes/helpful_button.html",
            _context(page, answer=answer, helpful_error=error),
            status=error_status if error else 200,
        )
    if error:
        messages.error(request, error)
    return HttpResponseRedirect(
        _question_url(page, answer.question, f"answer-{answer.pk}")
    )


@require_POST
def answer_verify_view(request: HttpRequest, page, answer_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(page.url)
    if not request.user.is_staff:
        raise PermissionDenied(_("Only staff can verify answers."))
    answer = _answer_or_404(request, answer_id)
    verified = request.POST.get("action") != "withdraw"
    try:
        services.answer_verify(answer=answer, by=request.user, verified=verified)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        if verified:
            messages.success(request, _("The answer is marked as verified."))
        else:
            messages.info(request, _("The verification is withdrawn."))
    return HttpResponseRedirect(
        _question_url(page, answer.question, f"answer-{answer.pk}")
    )


def private_case_view(request: HttpRequest, page, question_id: int) -> HttpResponse:
    question = selectors.question_detail(question_id=question_id)
    case = getattr(question, "private_case", None) if question else None
    if case is None:
        raise Http404
    user = request.user
    if not user.is_authenticated:
        # The public page already says the question moved to private support;
        # the asker may follow an email link while logged out.
        return redirect_to_login(request.get_full_path())
    if not services.case_visible_to(question, user):
        raise Http404
    message_form = CaseMessageForm(auto_id="id_message_%s")
    resolve_form = CaseResolveForm(
        auto_id="id_resolve_%s", initial={"public_summary": case.public_summary}
    )
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action")
        if action == "resolve":
            resolve_form = CaseResolveForm(request.POST, auto_id="id_resolve_%s")
            if resolve_form.is_valid():
                services.case_resolve(
                    case=case,
                    by=user,
                    public_summary=resolve_form.cleaned_data["public_summary"],
                )
                messages.success(request, _("The case is resolved."))
                return HttpResponseRedirect(request.path)
        elif action == "message":
            message_form = CaseMessageForm(request.POST, auto_id="id_message_%s")
            if message_form.is_valid() and _limited(
                request, "experts.case_message", settings.EXPERTS_ANSWER_RATE
            ):
                message_form.add_error(
                    None, _("You are sending a lot of messages. Try again later.")
                )
            elif message_form.is_valid():
                try:
                    services.case_message_post(
                        case=case, author=user, body=message_form.cleaned_data["body"]
                    )
                except ValidationError as error:
                    _add_errors(message_form, error)
                else:
                    messages.success(request, _("Your message is sent."))
                    return HttpResponseRedirect(request.path + "#messages-end")
        else:
            messages.error(request, _("Unknown action."))
    answers = selectors.answer_list(question=question, user=user, staff=user.is_staff)
    return render(
        request,
        "experts/private_case.html",
        _context(
            page,
            question=question,
            case=case,
            answers=answers,
            case_messages=list(case.messages.select_related("author")),
            redaction_count=sum((case.redactions or {}).values()),
            message_form=message_form,
            resolve_form=resolve_form,
        ),
        status=status,
    )


# Experts --------------------------------------------------------------------


def expert_directory(request: HttpRequest, page) -> HttpResponse:
    areas = list(focus_area_list(request=request))
    # Always bound, so the period select shows the period the board uses.
    params = {"period": "month", **request.GET.dict()}
    form = ExpertFilterForm(params, focus_areas=areas)
    filters = form.cleaned()
    experts = selectors.expert_list(focus_area=filters["focus_area"])
    page_obj = Paginator(experts, EXPERTS_PAGE_SIZE).get_page(request.GET.get("page"))
    all_levels = levels()
    for profile in page_obj:
        rep = getattr(profile.user, "reputation", None)
        profile.points = rep.points if rep else 0
        profile.level = level_for(profile.points, all_levels)
    area = filters["focus_area_object"]
    leaders = selectors.leaderboard(
        focus_area_id=area.pk if area else None,
        period=filters["period"],
        limit=LEADERBOARD_SIZE,
    )
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "experts/directory.html",
        _context(
            page,
            form=form,
            experts=page_obj,
            leaders=leaders,
            filters=filters,
            querystring=querystring.urlencode(),
            my_profile=services.expert_profile_current(request.user),
        ),
    )


def expert_apply_view(request: HttpRequest, page) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if services.expert_profile_current(user) is not None:
        return HttpResponseRedirect(page.url + "experts/me/")
    pending = selectors.application_pending_for(user=user)
    areas = list(focus_area_list(request=request))
    form = ExpertApplyForm(
        request.POST if request.method == "POST" else None, focus_areas=areas
    )
    status = 200
    if request.method == "POST":
        status = 400
        if pending is not None:
            messages.info(request, _("Your application is still waiting for review."))
            return HttpResponseRedirect(request.path)
        if form.is_valid():
            try:
                application = services.expert_apply(
                    user=user,
                    focus_areas=form.areas(),
                    motivation=form.cleaned_data["motivation"],
                    accepts_guidelines=form.cleaned_data["accepts_guidelines"],
                    opts_in=form.cleaned_data["opts_in"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if application.status == ApplicationStatus.APPROVED:
                    messages.success(request, _("Welcome to the expert programme!"))
                    return HttpResponseRedirect(page.url + "experts/me/")
                messages.success(
                    request, _("Thank you! Our team will review your application.")
                )
                return HttpResponseRedirect(request.path)
    guidelines = programme_settings().guidelines_page
    return render(
        request,
        "experts/apply.html",
        _context(
            page,
            form=form,
            pending=pending,
            guidelines_url=guidelines.url if guidelines else "",
        ),
        status=status,
    )


SETTINGS_FORMS = {
    "pause": (ExpertPauseForm, "id_pause_%s"),
    "preferences": (ExpertPreferencesForm, "id_prefs_%s"),
    "leave": (ExpertLeaveForm, "id_leave_%s"),
}


def _settings_form(action: str, areas, data=None, initial=None):
    form_class, auto_id = SETTINGS_FORMS[action]
    kwargs = {"focus_areas": areas} if action == "preferences" else {}
    return form_class(data, auto_id=auto_id, initial=initial, **kwargs)


def _settings_save(action: str, form, user) -> str:
    """Call the service for one settings form; returns the success message."""
    data = form.cleaned_data
    if action == "pause":
        services.expert_pause(user=user, until=form.until())
        return _("You are paused. We send you no questions until you resume.")
    if action == "preferences":
        services.expert_preferences_update(
            user=user,
            quiet_hours_start=data.get("quiet_hours_start"),
            quiet_hours_end=data.get("quiet_hours_end"),
            daily_cap=data["daily_cap"],
            timezone_name=data["timezone"],
            headline=data.get("headline", ""),
            focus_areas=form.areas(),
        )
        return _("Your expert settings are saved.")
    services.expert_leave(user=user)
    return _("You left the expert programme. Thank you for all your help!")


def expert_settings_view(request: HttpRequest, page) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    profile = services.expert_profile_current(user)
    if profile is None:
        return HttpResponseRedirect(page.url + "experts/apply/")
    areas = list(focus_area_list(request=request))
    initial = {
        "headline": profile.headline,
        "focus_areas": [a.slug for a in profile.focus_areas.all()],
        "daily_cap": profile.daily_cap,
        "quiet_hours_start": profile.quiet_hours_start,
        "quiet_hours_end": profile.quiet_hours_end,
        "timezone": profile.timezone,
    }
    forms = {
        "pause": _settings_form("pause", areas),
        "preferences": _settings_form("preferences", areas, initial=initial),
        "leave": _settings_form("leave", areas),
    }
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action", "")
        if action == "resume":
            services.expert_resume(user=user)
            messages.success(request, _("Welcome back! You receive questions again."))
            return HttpResponseRedirect(request.path)
        if action in SETTINGS_FORMS:
            form = forms[action] = _settings_form(action, areas, data=request.POST)
            if form.is_valid():
                try:
                    message = _settings_save(action, form, user)
                except ValidationError as error:
                    _add_errors(form, error)
                else:
                    messages.success(request, message)
                    target = page.url + "experts/" if action == "leave" else ""
                    return HttpResponseRedirect(target or request.path)
        else:
            messages.error(request, _("Unknown action."))
    return render(
        request,
        "experts/settings.html",
        _context(
            page,
            profile=profile,
            pause_form=forms["pause"],
            preferences_form=forms["preferences"],
            leave_form=forms["leave"],
        ),
        status=status,
    )


def expert_profile_view(request: HttpRequest, page, username: str) -> HttpResponse:
    member = (
        get_user_model()
        .objects.filter(username=username, is_active=True)
        .select_related("expert_profile")
        .first()
    )
    profile = getattr(member, "expert_profile", None) if member else None
    if profile is None or not profile.is_current:
        raise Http404
    return render(
        request,
        "experts/profile.html",
        _context(
            page,
            member=member,
            profile=profile,
            areas=list(profile.focus_areas.all()),
            stats=selectors.expert_stats(user=member),
            recent_answers=selectors.member_recent_answers(user=member),
        ),
    )
