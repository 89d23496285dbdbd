"""Privacy requests in the Wagtail admin (Listening → Privacy requests).

Staff export or erase everything stored about one author's handle and see
the log of earlier requests. Handles travel only in POST bodies (never in a
URL, so they stay out of access logs) and the log shows masked hints.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import privacy
from .models import PrivacyRequest, PrivacyRequestKind

LOG_PER_PAGE = 50


class PrivacyRequestForm(forms.Form):
    handle = forms.CharField(
        label=gettext_lazy("Handle"),
        max_length=255,
        help_text=gettext_lazy(
            "As the person gave it, e.g. “@name@mastodon.social”, "
            "“name.bsky.social”, “@name” on X or “u/name” on Reddit. Case and "
            "a leading “@” do not matter."
        ),
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Request"),
        choices=PrivacyRequestKind.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "How the request reached you, e.g. a ticket number. No handles."
        ),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that erasing deletes these mentions for good and "
            "leaves this author out of every future fetch."
        ),
        required=False,
    )

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"]
        if not privacy.handle_normalise(handle):
            raise forms.ValidationError(_("Enter a handle."))
        return handle

    def clean(self):
        cleaned = super().clean()
        erase = cleaned.get("action") == PrivacyRequestKind.ERASE
        if erase and not cleaned.get("confirm") and not self.data.get("preview"):
            self.add_error("confirm", _("Check the preview, then confirm the erasure."))
        return cleaned


def _staff_only(request: HttpRequest) -> None:
    # The admin URL already requires Wagtail admin access; privacy requests
    # are for staff on top of that.
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied


def _preview(handle: str) -> dict:
    by_source = list(
        privacy.handle_mentions(handle)
        .values("source__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "source__name")
    )
    return {
        "total": sum(row["n"] for row in by_source),
        "sources": by_source,
        "hint": privacy.handle_mask(handle),
    }


def privacy_requests(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    # Bound on every POST, even an empty one (cleaned_data is read below).
    form = PrivacyRequestForm(request.POST if request.method == "POST" else None)
    preview = None
    if request.method == "POST" and form.is_valid():
        handle = form.cleaned_data["handle"]
        action = form.cleaned_data["action"]
        note = form.cleaned_data["note"]
        if request.POST.get("preview"):
            preview = _preview(handle)
        elif action == PrivacyRequestKind.EXPORT:
            data = privacy.handle_export(handle=handle, user=request.user, note=note)
            response = JsonResponse(
                data, json_dumps_params={"ensure_ascii": False, "indent": 2}
            )
            filename = f"listening-export-{timezone.localdate():%Y-%m-%d}.json"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            response["Cache-Control"] = "no-store"
            return response
        else:
            erased = privacy.handle_erase(handle=handle, user=request.user, note=note)
            messages.success(
                request,
                ngettext(
                    "Erased %(count)d mention by %(hint)s. Their posts will be "
                    "left out from now on.",
                    "Erased %(count)d mentions by %(hint)s. Their posts will be "
                    "left out from now on.",
                    erased,
                )
                % {"count": erased, "hint": privacy.handle_mask(handle)},
            )
            return redirect("listening_privacy:requests")
    elif request.method == "POST" and form.cleaned_data.get("handle"):
        # Erasing without the confirmation: show what it would remove.
        preview = _preview(form.cleaned_data["handle"])
    log = Paginator(
        PrivacyRequest.objects.select_related("requested_by").only(
            "kind",
            "handle_hint",
            "mentions",
            "note",
            "created_at",
            "requested_by__username",
            "requested_by__display_name",
            "requested_by__is_erased",
        ),
        LOG_PER_PAGE,
    ).get_page(request.GET.get("p"))
    return render(
        request,
        "listening/admin/privacy_requests.html",
        {"form": form, "preview": preview, "log": log},
    )
