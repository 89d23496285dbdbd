"""Staff screens in the Wagtail admin: respond, merge, undo a merge, ban."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.services import member_ban

from . import selectors, services
from .models import Idea, IdeaMerge, IdeaStatus

staff_required = user_passes_test(lambda u: u.is_active and u.is_staff)


class RespondForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[(v, lbl) for v, lbl in IdeaStatus.choices if v != IdeaStatus.MERGED],
    )
    response = forms.CharField(
        label=gettext_lazy("Official response"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=5000,
        help_text=gettext_lazy("Shown publicly with a staff badge. Markdown allowed."),
    )
    admits_mistake = forms.BooleanField(
        label=gettext_lazy("We got this wrong: publish as an open admission"),
        required=False,
    )


class MergeForm(forms.Form):
    target = forms.IntegerField(
        label=gettext_lazy("Merge into idea number"),
        min_value=1,
        help_text=gettext_lazy("The original idea that keeps the votes."),
    )


class BanForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


def _errors_to_messages(request, exc: Exception) -> None:
    for message in getattr(exc, "messages", [str(exc)]):
        messages.error(request, message)


@staff_required
def respond(request, idea_id: int):
    idea = get_object_or_404(Idea, pk=idea_id)
    form = RespondForm(request.POST or None, initial={"status": idea.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.idea_respond(idea=idea, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("Your response is published."))
            return redirect("wagtailsnippets_ideas_idea:list")
    history = idea.history.select_related("changed_by")
    revisions = idea.revisions.select_related("editor")[:20]
    return render(
        request,
        "ideas/admin/respond.html",
        {"idea": idea, "form": form, "history": history, "revisions": revisions},
    )


@staff_required
def merge(request, idea_id: int):
    source = get_object_or_404(Idea, pk=idea_id)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = Idea.objects.filter(pk=form.cleaned_data["target"]).first()
        if target is None:
            form.add_error("target", _("There is no idea with that number."))
        else:
            try:
                services.idea_merge(source=source, target=target, by=request.user)
            except (ValidationError, PermissionDenied) as exc:
                _errors_to_messages(request, exc)
            else:
                messages.success(
                    request,
                    _("Merged into “%(title)s”. You can undo this under Merges.")
                    % {"title": target.title},
                )
                return redirect("ideas_admin:merges")
    candidates = selectors.idea_similar(
        text=f"{source.title}\n{source.body[:500]}",
        k=6,
        exclude_id=source.pk,
        min_relative_score=0.0,
    )
    return render(
        request,
        "ideas/admin/merge.html",
        {"idea": source, "form": form, "candidates": candidates},
    )


@staff_required
def merges(request):
    items = IdeaMerge.objects.select_related(
        "source", "target", "merged_by", "undone_by"
    )[:200]
    return render(request, "ideas/admin/merges.html", {"merges": items})


@staff_required
def merge_undo(request, merge_id: int):
    item = get_object_or_404(IdeaMerge, pk=merge_id)
    if request.method == "POST":
        try:
            services.idea_merge_undo(merge=item, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("The merge was undone."))
    return redirect("ideas_admin:merges")


@staff_required
def ban_author(request, idea_id: int):
    idea = get_object_or_404(Idea.objects.select_related("author"), pk=idea_id)
    form = BanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_ban(
                user=idea.author, by=request.user, reason=form.cleaned_data["reason"]
            )
            services.idea_set_hidden(
                idea=idea, by=request.user, hidden=True, reason=_("Author banned")
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("The member is banned and the idea hidden."))
            return redirect("wagtailsnippets_ideas_idea:list")
    return render(request, "ideas/admin/ban.html", {"idea": idea, "form": form})


@staff_required
def toggle(request, idea_id: int, what: str):
    idea = get_object_or_404(Idea, pk=idea_id)
    if request.method == "POST":
        if what == "hide":
            services.idea_set_hidden(
                idea=idea, by=request.user, hidden=not idea.is_hidden
            )
        elif what == "lock":
            services.idea_set_locked(
                idea=idea, by=request.user, locked=not idea.is_locked
            )
        messages.success(request, _("Saved."))
    return redirect("wagtailsnippets_ideas_idea:list")
