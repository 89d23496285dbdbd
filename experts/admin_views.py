"""Staff screens in the Wagtail admin: the queue, the question console,
private cases, application decisions and expert status.

Every change is a POST that calls one service; services raise
ValidationError or PermissionDenied, shown to staff as messages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from wagtail.admin import messages as admin_messages

from . import selectors, services
from .admin_forms import (
    CaseReplyForm,
    CaseResolveForm,
    DecisionForm,
    EscalateForm,
    ExpertStatusForm,
    HiddenForm,
    OfficialAnswerForm,
    VerifyForm,
)
from .models import (
    Answer,
    ApplicationStatus,
    ExpertApplication,
    ExpertProfile,
    PrivateCase,
    Question,
    RoutingRound,
)
from .routing import question_route

staff_required = user_passes_test(lambda u: u.is_active and u.is_staff)

QUEUE_PER_PAGE = 50
BAD_FORM = gettext_lazy("That request was incomplete. Please try again.")
# Why experts were left out of a routing round (experts.routing.expert_availability).
SKIP_REASONS = {
    "left": gettext_lazy("left or removed"),
    "paused": gettext_lazy("paused"),
    "quiet_hours": gettext_lazy("in quiet hours"),
    "daily_cap": gettext_lazy("reached their daily cap"),
}


def _errors_to_messages(request, exc: Exception) -> None:
    for message in getattr(exc, "messages", [str(exc)]):
        messages.error(request, message)


def _console(question_id: int):
    return redirect("experts_admin:question", question_id)


def _case_of(question: Question) -> PrivateCase | None:
    try:
        return question.private_case
    except PrivateCase.DoesNotExist:
        return None


@staff_required
def queue(request):
    """Unanswered questions, oldest first, overdue ones highlighted."""
    now = timezone.now()
    questions = selectors.staff_queue(now=now).annotate(
        asked=Count("routing_decisions", distinct=True)
    )
    page = Paginator(questions, QUEUE_PER_PAGE).get_page(request.GET.get("p"))
    return render(
        request,
        "experts/admin/queue.html",
        {
            "page": page,
            "now": now,
            "overdue_count": selectors.staff_queue(now=now)
            .filter(first_answer_due_at__lte=now)
            .count(),
        },
    )


@staff_required
def application_decide(request, application_id: int):
    application = get_object_or_404(
        ExpertApplication.objects.select_related("user", "decided_by"),
        pk=application_id,
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                services.expert_application_decide(
                    application=application,
                    by=request.user,
                    approve=approve,
                    note=form.cleaned_data["note"],
                )
            except (ValidationError, PermissionDenied) as exc:
                _errors_to_messages(request, exc)
            else:
                name = application.user.public_name
                messages.success(
                    request,
                    _("%(name)s is now an expert.") % {"name": name}
                    if approve
                    else _("The application of %(name)s was declined.")
                    % {"name": name},
                )
                return redirect("wagtailsnippets_experts_expertapplication:list")
        else:
            messages.error(request, _("Choose approve or decline."))
    return render(
        request,
        "experts/admin/application.html",
        {
            "application": application,
            "areas": list(application.focus_areas.all()),
            "form": form,
            "is_pending": application.status == ApplicationStatus.PENDING,
            "stats": selectors.expert_stats(user=application.user),
            "recent_answers": selectors.member_recent_answers(user=application.user),
        },
    )


@staff_required
@require_POST
def expert_status(request, profile_id: int):
    profile = get_object_or_404(
        ExpertProfile.objects.select_related("user"), pk=profile_id
    )
    form = ExpertStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    else:
        try:
            services.expert_set_status(
                profile=profile, by=request.user, status=form.cleaned_data["status"]
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(
                request,
                _("%(name)s is now: %(status)s.")
                % {
                    "name": profile.user.public_name,
                    "status": profile.get_status_display(),
                },
            )
    return redirect("wagtailsnippets_experts_expertprofile:list")


@staff_required
def question_console(request, question_id: int):
    """Everything staff need about one question, and the official answer form."""
    question = selectors.question_detail(question_id=question_id)
    if question is None:
        raise Http404
    form = OfficialAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answer = services.answer_post(
                question=question,
                author=request.user,
                body=form.cleaned_data["body"],
                official=True,
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("Your official answer is published."))
            return redirect(
                reverse("experts_admin:question", args=[question.pk])
                + f"#answer-{answer.pk}"
            )
    rounds = selectors.question_routing(question=question)
    for round_ in rounds:
        round_.skipped_list = [
            (SKIP_REASONS.get(reason, reason), count)
            for reason, count in sorted((round_.skipped or {}).items())
        ]
    return render(
        request,
        "experts/admin/question.html",
        {
            "question": question,
            "case": _case_of(question),
            "answers": selectors.answer_list(
                question=question, user=request.user, staff=True
            ),
            "rounds": rounds,
            "form": form,
            "escalate_form": EscalateForm(),
        },
    )


@staff_required
@require_POST
def question_reroute(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    if not question.accepts_answers:
        messages.error(request, _("This question no longer takes answers."))
        return _console(question.pk)
    round_ = question_route(question=question, trigger=RoutingRound.Trigger.MANUAL)
    asked = round_.decisions.count()
    if asked:
        messages.success(
            request,
            ngettext("Sent to %(n)d more expert.", "Sent to %(n)d more experts.", asked)
            % {"n": asked},
        )
    else:
        messages.warning(
            request, _("No other expert is available for this question right now.")
        )
    return _console(question.pk)


@staff_required
@require_POST
def question_escalate(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason to make this question private."))
        return _console(question.pk)
    try:
        case = services.question_make_private(
            question=question, by=request.user, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
        return _console(question.pk)
    messages.success(
        request,
        _(
            "The question is now a private case. Personal data was removed from "
            "the public text."
        ),
    )
    return redirect("experts_admin:case", case.pk)


@staff_required
@require_POST
def question_to_idea(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    try:
        idea = services.question_convert_to_idea(question=question, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
    else:
        admin_messages.success(
            request,
            _("The question is now the idea “%(title)s”.") % {"title": idea.title},
            buttons=[
                admin_messages.button(
                    reverse("ideas_admin:respond", args=[idea.pk]), _("Open the idea")
                )
            ],
        )
    return _console(question.pk)


@staff_required
@require_POST
def question_hide(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    form = HiddenForm(request.POST)
    if form.is_valid():
        hidden = form.cleaned_data["hidden"]
        try:
            services.question_set_hidden(
                question=question, by=request.user, hidden=hidden
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(
                request,
                _("The question is hidden.")
                if hidden
                else _("The question is shown again."),
            )
    else:
        messages.error(request, BAD_FORM)
    return _console(question.pk)


@staff_required
@require_POST
def answer_verify(request, answer_id: int):
    answer = get_object_or_404(Answer, pk=answer_id)
    form = VerifyForm(request.POST)
    if form.is_valid():
        verified = form.cleaned_data["verified"]
        try:
            services.answer_verify(
                answer=answer,
                by=request.user,
                verified=verified,
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(
                request,
                _("The answer is verified by the brand.")
                if verified
                else _("The verification was withdrawn."),
            )
    else:
        messages.error(request, BAD_FORM)
    return redirect(
        reverse("experts_admin:question", args=[answer.question_id])
        + f"#answer-{answer.pk}"
    )


@staff_required
@require_POST
def answer_hide(request, answer_id: int):
    answer = get_object_or_404(Answer, pk=answer_id)
    form = HiddenForm(request.POST)
    if form.is_valid():
        hidden = form.cleaned_data["hidden"]
        try:
            services.answer_set_hidden(answer=answer, by=request.user, hidden=hidden)
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(
                request,
                _("The answer is hidden.")
                if hidden
                else _("The answer is shown again."),
            )
    else:
        messages.error(request, BAD_FORM)
    return redirect(
        reverse("experts_admin:question", args=[answer.question_id])
        + f"#answer-{answer.pk}"
    )


@staff_required
def case_detail(request, case_id: int):
    """The private conversation with the member, and the resolve form."""
    case = get_object_or_404(
        PrivateCase.objects.select_related(
            "question__author", "question__focus_area", "opened_by"
        ),
        pk=case_id,
    )
    form = CaseReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_message_post(
                case=case, author=request.user, body=form.cleaned_data["body"]
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("Your reply is sent to the member."))
            return redirect("experts_admin:case", case.pk)
    return render(
        request,
        "experts/admin/case.html",
        {
            "case": case,
            "question": case.question,
            "thread": case.messages.select_related("author"),
            "form": form,
            "resolve_form": CaseResolveForm(
                initial={"public_summary": case.public_summary}
            ),
        },
    )


@staff_required
@require_POST
def case_resolve(request, case_id: int):
    case = get_object_or_404(PrivateCase.objects.select_related("question"), pk=case_id)
    form = CaseResolveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("experts_admin:case", case.pk)
    try:
        services.case_resolve(
            case=case,
            by=request.user,
            public_summary=form.cleaned_data["public_summary"],
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, _("The case is resolved."))
    return redirect("experts_admin:case", case.pk)
