import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import AccountDeleteForm, NotificationPreferencesForm, ProfileForm


def profile_public(request: HttpRequest, username: str) -> HttpResponse:
    member = selectors.member_public_get(username=username)
    return render(request, "accounts/profile_public.html", {"member": member})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, request.FILES or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=user,
            display_name=form.cleaned_data["display_name"],
            bio=form.cleaned_data["bio"],
            language=form.cleaned_data["language"],
            avatar=form.cleaned_data.get("avatar"),
            clear_avatar=form.cleaned_data.get("clear_avatar", False),
        )
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile_edit")
    return render(request, "accounts/profile_edit.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    prefs = services.notification_preferences_get(user=request.user)
    form = NotificationPreferencesForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("accounts:notification_preferences")
    return render(request, "accounts/notification_preferences.html", {"form": form})


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(user=request.user)
    return render(request, "accounts/privacy.html", {"delete_form": form})


@login_required
@require_POST
def data_export(request: HttpRequest) -> HttpResponse:
    data = services.user_data_export(user=request.user)
    stamp = timezone.now().strftime("%Y%m%d")
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="seed-my-data-{stamp}.json"'
    )
    return response


@login_required
@require_POST
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(
            request, "accounts/privacy.html", {"delete_form": form}, status=400
        )
    user = request.user
    logout(request)
    services.user_erase(user=user)
    messages.info(
        request,
        _("Your account was deleted. Thank you for being part of the community."),
    )
    return redirect("/")
