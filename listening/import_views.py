"""Imports in the Wagtail admin (Listening → Imports).

Staff upload an export (file, column mapping, format, source name); it
becomes an ImportJob that a worker imports (`listening.imports`). The job
page shows a progress bar from the bytes read and the rows read, refreshed
by htmx every 2 seconds while the job is queued or running, and the final
report with the rejected rows and their reasons. Without JavaScript the page
shows the state at load time and a refresh link.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .connectors.upload import FORMATS, PRESETS
from .imports import DEFAULT_SOURCE, ImportFormatError, import_job_create
from .models import ImportJob, ImportStatus, Source, SourceKind

JOBS_PER_PAGE = 25
SHOWN_REASONS = 200
POLL_SECONDS = 2


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "A CSV, JSON (an array of objects) or NDJSON export of a listening "
            "tool. Large files are read in the background."
        ),
    )
    preset = forms.ChoiceField(
        label=gettext_lazy("Column mapping"),
        # Tool names stay as they are; only "generic" is a word to translate.
        choices=[
            (name, gettext_lazy("Generic") if name == "generic" else name.capitalize())
            for name in sorted(PRESETS)
        ],
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", gettext_lazy("From the file name"))]
        + [(name, name.upper()) for name in FORMATS],
    )
    source = forms.CharField(
        label=gettext_lazy("Source name"),
        required=False,
        max_length=120,
        initial=DEFAULT_SOURCE,
        help_text=gettext_lazy(
            "The upload source the mentions belong to; a new name creates one."
        ),
    )

    def clean_source(self) -> str:
        name = (self.cleaned_data.get("source") or "").strip() or DEFAULT_SOURCE
        if Source.objects.filter(name=name).exclude(kind=SourceKind.UPLOAD).exists():
            raise forms.ValidationError(_("A source of another kind has this name."))
        return name


def _staff_only(request: HttpRequest) -> None:
    # The admin URL already requires Wagtail admin access; imports are for
    # staff on top of that.
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied


def _progress(job: ImportJob) -> dict:
    if job.status == ImportStatus.DONE:
        percent = 100
    elif job.size:
        percent = min(100, int(job.bytes_done * 100 / job.size))
    else:
        percent = 0
    return {
        "percent": percent,
        "active": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
    }


def imports_list(request: HttpRequest) -> HttpResponse:
    """The upload form and the jobs, newest first."""
    _staff_only(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                job = import_job_create(
                    upload=data["file"],
                    preset=data["preset"],
                    format=data["format"] or None,
                    source=data["source"],
                    created_by=request.user,
                )
        except ImportFormatError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(
                request,
                _("“%(name)s” is being imported.") % {"name": job.original_name},
            )
            return redirect("listening_imports:detail", job_id=job.pk)
    jobs = ImportJob.objects.select_related("source", "created_by")
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("p"))
    for job in page:
        job.progress = _progress(job)
    return render(
        request,
        "listening/imports/index.html",
        {"form": form, "page": page},
        status=400 if form.errors else 200,
    )


def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """One job: progress while it runs, then its report."""
    _staff_only(request)
    job = get_object_or_404(
        ImportJob.objects.select_related("source", "created_by"), pk=job_id
    )
    report = job.report if isinstance(job.report, dict) else {}
    context = {
        "job": job,
        "progress": _progress(job),
        "rejected": (report.get("rejected") or [])[:SHOWN_REASONS],
        "warnings": (report.get("warnings") or [])[:SHOWN_REASONS],
        "warnings_total": report.get("warnings_total") or 0,
        "poll_seconds": POLL_SECONDS,
    }
    # htmx polls for the status part only.
    template = (
        "listening/imports/_status.html"
        if request.headers.get("HX-Request")
        else "listening/imports/detail.html"
    )
    return render(request, template, context)
