"""Listening → Imports in the Wagtail admin."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from listening.models import ImportJob, Mention, Source, Tracker

pytestmark = pytest.mark.django_db

INDEX = "/admin/listening/imports/"


@pytest.fixture
def vonk(db):
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


def _job(status="queued", **fields) -> ImportJob:
    source, _ = Source.objects.get_or_create(name="Uploads", kind="upload")
    data = b"id,text\n1,Vonk\n"
    job = ImportJob(
        source=source,
        original_name="export.csv",
        format="csv",
        preset="generic",
        size=1000,
        status=status,
        **fields,
    )
    job.file.save("export.csv", ContentFile(data), save=False)
    job.save()
    return job


def _upload(client, data=b"id,text\nr1,Vonk storing\nr2,Trein\n,no id\n", **fields):
    return client.post(
        INDEX,
        {
            "file": SimpleUploadedFile(fields.pop("name", "export.csv"), data),
            "preset": "generic",
            "format": "",
            "source": "",
            **fields,
        },
    )


def test_visitors_and_members_are_kept_out(client, member_client):
    job = _job()
    for url in (INDEX, f"{INDEX}{job.pk}/"):
        assert client.get(url).status_code == 302
        assert member_client.get(url).status_code in (302, 403)
    assert _upload(client).status_code == 302
    assert _upload(member_client).status_code in (302, 403)
    assert ImportJob.objects.count() == 1


def test_staff_see_the_form_and_the_jobs(staff_client, django_assert_max_num_queries):
    for _n in range(3):
        _job(rows_done=10)
    with django_assert_max_num_queries(12):
        response = staff_client.get(INDEX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert html.count("export.csv") >= 3
    assert 'name="preset"' in html and 'name="format"' in html


def test_imports_are_in_the_listening_menu(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert INDEX in html


def test_upload_creates_a_job_that_runs_on_commit_and_shows_its_report(
    staff_client, staff, vonk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(staff_client, source="Q4 export")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}{job.pk}/"
    assert job.created_by == staff
    assert job.source.name == "Q4 export"

    page = staff_client.get(response["Location"])
    html = page.content.decode()
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.imported, job.unmatched, job.rejected_total) == (1, 1, 1)
    assert 'data-status="done"' in html
    assert "hx-trigger" not in html  # no polling once done
    assert 'value="100"' in html
    assert "No id." in html
    assert Mention.objects.count() == 1


def test_upload_needs_csrf(client, staff, vonk):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert _upload(strict).status_code == 403
    assert not ImportJob.objects.exists()


def test_unreadable_upload_shows_the_reason_and_stores_nothing(staff_client, vonk):
    response = _upload(staff_client, data=b"id,body\n1,Vonk\n")
    assert response.status_code == 400
    assert "no column for text" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not Source.objects.exists()
    response = _upload(staff_client, name="export.dat")
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_a_polled_source_name_is_refused(staff_client, vonk):
    Source.objects.create(name="Feed", kind="rss", url="https://x.test/f")
    response = _upload(staff_client, source="Feed")
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("status", "polls"),
    [("queued", True), ("running", True), ("done", False), ("failed", False)],
)
def test_job_page_renders_every_status(
    staff_client, status, polls, django_assert_max_num_queries
):
    now = timezone.now()
    job = _job(
        status=status,
        bytes_done=400,
        rows_done=12,
        imported=7,
        rejected_total=2,
        report={
            "rejected": [{"row": 3, "reason": "No text."}],
            "warnings_total": 0,
            "warnings": [],
        },
        error="The file is empty." if status == "failed" else "",
        heartbeat_at=now if status == "running" else None,
        finished_at=now - timedelta(seconds=1)
        if status in ("done", "failed")
        else None,
    )
    url = f"{INDEX}{job.pk}/"
    with django_assert_max_num_queries(10):
        html = staff_client.get(url).content.decode()
    assert f'data-status="{status}"' in html
    assert ('hx-trigger="every 2s"' in html) is polls
    assert "htmx.min.js" in html
    assert "No text." in html
    if status == "failed":
        assert "The file is empty." in html
    expected = "100" if status == "done" else "40"
    assert f'value="{expected}"' in html

    # htmx asks for the status part alone.
    part = staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith("<section")
    assert "<html" not in part


def test_missing_job_is_404(staff_client):
    assert staff_client.get(f"{INDEX}999999/").status_code == 404
