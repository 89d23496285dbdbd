"""POST /api/v1/mentions/import/ and GET /api/v1/mentions/imports/{id}/."""

import json
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from listening.models import ImportJob, Mention, Source, Tracker
from tests.experts.conftest import make_expert

pytestmark = pytest.mark.django_db

URL = "/api/v1/mentions/import/"
UPLOADS = Path(__file__).resolve().parent.parent / "data" / "listening" / "uploads"


@pytest.fixture
def vonk(db):
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


def _file(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    if data is None:
        data = (UPLOADS / name).read_bytes()
    return SimpleUploadedFile(name, data)


def _post(client, name, data=None, **fields):
    return client.post(URL, {"file": _file(name, data), **fields})


def _csv(rows: int) -> bytes:
    lines = ["id,text"] + [
        f"r{i},{'Vonk storing' if i % 2 else 'Trein'} {i}" for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


# -- permissions -----------------------------------------------------------------


def test_anonymous_callers_get_401(client, vonk):
    assert _post(client, "sprout.csv", preset="sprout").status_code == 401
    assert client.get("/api/v1/mentions/imports/1/").status_code == 401
    assert not Mention.objects.exists()


def test_members_get_403(member_client, vonk):
    assert _post(member_client, "sprout.csv", preset="sprout").status_code == 403
    assert member_client.get("/api/v1/mentions/imports/1/").status_code == 403
    assert not Mention.objects.exists()


def test_experts_are_not_staff(client, vonk):
    client.force_login(make_expert().user)
    assert _post(client, "sprout.csv", preset="sprout").status_code == 403
    assert not Mention.objects.exists()


def test_staff_import_a_small_file_and_get_the_report(staff_client, vonk):
    response = _post(staff_client, "sprout.csv", preset="sprout")

    assert response.status_code == 200
    body = response.json()
    assert body["imported"] == 2
    assert (
        body["rows"]
        == body["imported"]
        + body["unmatched"]
        + body["rejected_total"]
        + body["duplicates"]
    )
    assert set(body) >= {"rejected", "warnings", "rejected_total", "duplicates"}
    source = Source.objects.get(name="Uploads")
    assert source.kind == "upload"
    assert source.mentions.count() == 2
    assert not ImportJob.objects.exists()


def test_the_endpoints_are_in_the_schema_with_a_multipart_body(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    post = schema["paths"][URL]["post"]
    body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["$ref"].endswith("/ImportRequest")
    fields = schema["components"]["schemas"]["ImportRequest"]
    assert fields["properties"]["file"]["format"] == "binary"
    assert set(fields["required"]) == {"file", "preset"}
    assert {"200", "202", "400"} <= set(post["responses"])
    assert "/api/v1/mentions/imports/{job_id}/" in schema["paths"]


# -- bad input ---------------------------------------------------------------------


def test_an_unknown_preset_is_400(staff_client, vonk):
    response = _post(staff_client, "sprout.csv", preset="hootsuite")
    assert response.status_code == 400
    assert "preset" in response.json()
    assert not Source.objects.exists()


def test_broken_quoting_rejects_rows_with_reasons_and_keeps_the_rest(
    staff_client, vonk
):
    response = _post(staff_client, "broken_quoting.csv", preset="generic")

    assert response.status_code == 200
    body = response.json()
    assert (body["rows"], body["imported"], body["rejected_total"]) == (8, 3, 5)
    reasons = {item["row"]: item["reason"] for item in body["rejected"]}
    assert reasons[3].startswith("Broken quoting")


def test_missing_columns_are_400_and_nothing_is_stored(staff_client, vonk):
    response = _post(staff_client, "missing_column.csv", preset="generic")

    assert response.status_code == 400
    assert "no column for text" in response.json()["file"][0]
    assert not Source.objects.exists()
    assert not Mention.objects.exists()


def test_json_that_is_not_an_array_is_400(staff_client, vonk):
    response = _post(staff_client, "not_array.json", preset="generic")
    assert response.status_code == 400
    assert not Mention.objects.exists()
    assert not Source.objects.exists()


def test_json_elements_of_the_wrong_shape_are_rejected_per_row(staff_client, vonk):
    data = json.dumps(
        [{"id": "j1", "text": "Vonk werkt"}, ["not", "an", "object"], "text", 7]
    ).encode()
    response = _post(staff_client, "export.json", data, preset="generic")

    assert response.status_code == 200
    body = response.json()
    assert (body["imported"], body["rejected_total"]) == (1, 3)
    assert all(item["reason"] for item in body["rejected"])


def test_oversized_fields_reject_only_their_row(staff_client, vonk):
    huge = "Vonk " * 5_000  # 25,000 characters: over the 20,000 limit
    data = f'id,text\nbig,"{huge}"\nok,Vonk is fijn\n'.encode()
    response = _post(staff_client, "export.csv", data, preset="generic")

    assert response.status_code == 200
    body = response.json()
    assert (body["imported"], body["rejected_total"]) == (1, 1)
    assert Mention.objects.get().external_id == "ok"


def test_an_empty_file_is_400(staff_client, vonk):
    response = _post(staff_client, "export.csv", b"", preset="generic")
    assert response.status_code == 400
    assert not Source.objects.exists()


def test_an_unknown_extension_needs_a_format(staff_client, vonk):
    data = b"id,text\n1,Vonk\n"
    response = _post(staff_client, "export.dat", data, preset="generic")
    assert response.status_code == 400
    assert "format" in response.json()
    response = _post(staff_client, "export.dat", data, preset="generic", format="csv")
    assert response.status_code == 200
    assert response.json()["imported"] == 1


def test_a_polled_source_cannot_receive_files(staff_client, vonk):
    feed = Source.objects.create(name="Feed", kind="rss", url="https://x.test/f")
    response = _post(staff_client, "sprout.csv", preset="sprout", source=str(feed.pk))
    assert response.status_code == 400
    response = _post(staff_client, "sprout.csv", preset="sprout", source="Feed")
    assert response.status_code == 400
    response = _post(staff_client, "sprout.csv", preset="sprout", source="99999")
    assert response.status_code == 400
    assert not Mention.objects.exists()


def test_source_by_id_or_new_name(staff_client, vonk):
    mine = Source.objects.create(name="Q4 export", kind="upload")
    response = _post(staff_client, "sprout.csv", preset="sprout", source=str(mine.pk))
    assert response.status_code == 200
    assert mine.mentions.count() == 2
    response = _post(staff_client, "generic.ndjson", preset="generic", source="Dump")
    assert response.status_code == 200
    assert Source.objects.get(name="Dump").kind == "upload"


def test_the_same_file_twice_stores_nothing_new(staff_client, vonk):
    first = _post(staff_client, "talkwalker.json", preset="talkwalker").json()
    second = _post(staff_client, "talkwalker.json", preset="talkwalker").json()

    assert first["imported"] == 2
    assert (second["imported"], second["duplicates"]) == (0, first["imported"])
    assert second["unmatched"] == first["unmatched"]
    assert Mention.objects.count() == 2


# -- big files: a background job ------------------------------------------------


def test_a_big_file_becomes_a_job_answered_202(
    staff_client, staff, vonk, settings, django_capture_on_commit_callbacks
):
    settings.LISTENING_IMPORT_SYNC_MAX_BYTES = 100
    data = _csv(50)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(staff_client, "big.csv", data, preset="generic")

    assert response.status_code == 202
    body = response.json()
    job = ImportJob.objects.get()
    assert response["Location"] == f"/api/v1/mentions/imports/{job.pk}/"
    assert body["id"] == job.pk
    assert (body["status"], body["size"], body["original_name"]) == (
        "queued",
        len(data),
        "big.csv",
    )
    assert job.created_by == staff

    # Eager in tests: the job ran on commit.
    polled = staff_client.get(response["Location"])
    assert polled.status_code == 200
    state = polled.json()
    assert state["status"] == "done"
    assert state["progress"] == 1.0
    assert (state["rows_done"], state["imported"], state["unmatched"]) == (50, 25, 25)
    assert Mention.objects.count() == 25


def test_a_big_unreadable_file_is_400_and_no_job_is_stored(
    staff_client, vonk, settings
):
    settings.LISTENING_IMPORT_SYNC_MAX_BYTES = 10
    response = _post(staff_client, "missing_column.csv", preset="generic")
    assert response.status_code == 400
    assert not ImportJob.objects.exists()
    assert not Source.objects.exists()


def test_job_detail_shows_the_report_and_counts_queries(
    staff_client, vonk, settings, django_assert_max_num_queries
):
    settings.LISTENING_IMPORT_SYNC_MAX_BYTES = 10
    response = _post(staff_client, "broken_quoting.csv", preset="generic")
    job = ImportJob.objects.get(pk=response.json()["id"])
    from listening.imports import import_job_run

    import_job_run(job_id=job.pk)
    with django_assert_max_num_queries(4):
        body = staff_client.get(f"/api/v1/mentions/imports/{job.pk}/").json()
    assert body["status"] == "done"
    assert body["rejected_total"] == 5
    assert body["rejected"][0]["reason"]
    assert staff_client.get("/api/v1/mentions/imports/999999/").status_code == 404
