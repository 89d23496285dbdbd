import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from listening import imports
from listening.connectors import upload
from listening.connectors.upload import ImportFormatError, parse_rows
from listening.imports import mentions_import
from listening.models import Mention, Source, Tracker

UPLOADS = Path(__file__).resolve().parent.parent / "data" / "listening" / "uploads"


@pytest.fixture
def vonk(db):
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


def _import(name, *, preset, format, source="Upload", **kwargs):
    with (UPLOADS / name).open("rb") as stream:
        return mentions_import(
            source=source, stream=stream, format=format, preset=preset, **kwargs
        )


def _rows(data: bytes, *, format="csv", preset="generic"):
    return list(parse_rows(io.BytesIO(data), format=format, preset=preset))


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


GENERIC_HEADER = (
    "id,url,author,author_name,author_url,followers,text,language,posted_at"
)

GENERIC = {"format": "csv", "preset": "generic"}
JSON = {"format": "json", "preset": "generic"}


# -- presets -----------------------------------------------------------------


def test_brandwatch_export_skips_the_report_preamble_and_maps_columns(vonk):
    report = _import("brandwatch.csv", preset="brandwatch", format="csv")

    assert (report.rows, report.imported, report.unmatched) == (3, 2, 1)
    assert report.rejected_total == 0
    tweet = Mention.objects.get(external_id="1860000000000000001")
    assert tweet.author_handle == "lisa_k"
    assert tweet.author_name == "Lisa Kramer"
    assert tweet.author_followers == 1204
    assert tweet.language == "nl"
    assert tweet.url == "https://x.com/lisa_k/status/1860000000000000001"
    assert tweet.posted_at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)
    assert list(tweet.trackers.all()) == [vonk]
    forum = Mention.objects.get(external_id="bw-forum-88")
    assert forum.language == "en"
    assert forum.author_followers is None


def test_talkwalker_json_maps_nested_author_and_millisecond_dates(vonk):
    report = _import("talkwalker.json", preset="talkwalker", format="json")

    assert (report.rows, report.imported, report.unmatched) == (3, 2, 1)
    reddit = Mention.objects.get(external_id__contains="vonk_storing")
    assert reddit.author_handle == "sanne_r"
    assert reddit.author_name == "Sanne"
    assert reddit.author_url == "https://www.reddit.com/user/sanne_r/"
    assert reddit.author_followers == 57
    assert reddit.posted_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert reddit.text.startswith("Vonk storing? Heeft iemand")
    assert reddit.language == "nl"


def test_meltwater_utf16_tab_export_uses_tweet_id_or_else_the_url(vonk):
    report = _import("meltwater.csv", preset="meltwater", format="csv")

    assert (report.rows, report.imported, report.unmatched) == (3, 2, 1)
    tweet = Mention.objects.get(external_id="1860000000000000777")
    assert tweet.author_handle == "daan_nl"
    assert tweet.author_followers == 860
    assert tweet.language == "nl"
    assert tweet.posted_at == datetime(2026, 11, 20, 14, 15, tzinfo=UTC)
    news = Mention.objects.get(
        external_id="https://www.example-news.co.uk/business/vonk-hub"
    )
    assert news.language == "en"
    assert news.author_name == "Jane Reporter"


def test_sprout_export_maps_us_dates_and_language_names(vonk):
    report = _import("sprout.csv", preset="sprout", format="csv")

    assert (report.rows, report.imported, report.unmatched) == (3, 2, 1)
    post = Mention.objects.get(external_id="17890000000000001")
    assert post.author_handle == "jeroen.laadt"
    assert post.author_followers == 3410
    assert post.language == "nl"
    assert post.posted_at == datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    question = Mention.objects.get(external_id="1234567890_987654321")
    assert question.language == "en"


def test_generic_ndjson_rejects_non_objects_and_invalid_lines_and_keeps_the_rest(
    vonk,
):
    report = _import("generic.ndjson", preset="generic", format="ndjson")

    assert (report.rows, report.imported, report.unmatched) == (5, 2, 1)
    assert [row for row, _reason in report.rejected] == [2, 3]
    assert "Not a JSON object" in report.rejected[0][1]
    assert "Invalid JSON" in report.rejected[1][1]
    tom = Mention.objects.get(external_id="g-4")
    assert tom.author_followers == 2500
    assert Mention.objects.get(external_id="g-1").posted_at == datetime(
        2026, 11, 22, 7, 0, tzinfo=UTC
    )


def test_unknown_preset_is_refused():
    with pytest.raises(ImportFormatError, match="Unknown preset"):
        _rows(b"id,text\r\n1,x\r\n", preset="hootsuite")


# -- bad input ---------------------------------------------------------------


def test_csv_with_broken_quoting_keeps_the_other_rows_and_reports_the_bad_one(vonk):
    report = _import("broken_quoting.csv", preset="generic", format="csv")

    stored = set(Mention.objects.values_list("external_id", flat=True))
    assert stored == {"q-1", "q-3", "q-5"}
    assert report.imported == 3
    reasons = dict(report.rejected)
    assert "Broken quoting" in reasons[3]
    assert report.rejected_total == 5


def test_each_rejected_csv_row_has_its_reason():
    with (UPLOADS / "broken_quoting.csv").open("rb") as stream:
        rows = {row: (m, reason) for row, m, reason in parse_rows(stream, **GENERIC)}

    assert "not a number" in rows[5][1]
    assert rows[6][0] is not None and "Unreadable date" in rows[6][1]
    assert rows[6][0].posted_at is None
    assert "10 columns; the header has 9" in rows[7][1]
    assert rows[8] == (None, "No id.")
    assert rows[9] == (None, "No text.")


def test_missing_required_column_raises_before_anything_is_stored(vonk):
    with pytest.raises(ImportFormatError, match="no column for text"):
        _import("missing_column.csv", preset="generic", format="csv")
    assert not Mention.objects.exists()
    assert not Source.objects.exists()


def test_wrong_preset_for_json_fails_at_the_first_object(vonk):
    with pytest.raises(ImportFormatError, match="right preset"):
        _import("talkwalker.json", preset="generic", format="json")


def test_json_that_is_not_an_array_is_refused():
    with pytest.raises(ImportFormatError, match="array of objects"):
        _rows(b'{"id": "1", "text": "Vonk"}', format="json")


def test_empty_file_is_refused():
    for fmt in ("csv", "json", "ndjson"):
        with pytest.raises(ImportFormatError, match="empty"):
            _rows(b"  \n", format=fmt)


def test_truncated_json_array_keeps_the_elements_before_the_break():
    with (UPLOADS / "truncated.json").open("rb") as stream:
        rows = list(parse_rows(stream, format="json", preset="generic"))

    assert rows[0][1].external_id == "j-1"
    assert rows[1][1:] == (None, "Not a JSON object (found a number).")
    assert rows[2][0] == 3 and rows[2][1] is None
    assert "ends in the middle" in rows[2][2]


def test_invalid_json_element_ends_the_array_with_a_reason():
    rows = _rows(b'[{"id": "1", "text": "Vonk"}, {"id": nope}, {"id": "3"}]', **JSON)
    assert rows[0][1].external_id == "1"
    assert len(rows) == 2
    assert "the rest of the file was not read" in rows[1][2]


def test_json_elements_cut_by_read_chunks_are_reassembled():
    items = [
        {"id": f"n{i}", "text": f"Vonk post {i} " + "x" * (i % 97), "followers": i}
        for i in range(3000)
    ]
    data = json.dumps(items).encode()
    assert len(data) > 3 * upload.READ_CHARS

    rows = _rows(data, **JSON)

    assert [m.external_id for _row, m, _r in rows] == [f"n{i}" for i in range(3000)]
    assert [m.author_followers for _row, m, _r in rows] == list(range(3000))


def test_cp1252_csv_is_decoded(vonk):
    report = _import("cp1252.csv", preset="generic", format="csv")

    assert report.imported == 1
    mention = Mention.objects.get(external_id="c-1")
    assert mention.text.startswith("Café Vonk")
    assert "één" in mention.text
    assert mention.author_name == "René Müller"


def test_utf8_csv_with_a_stray_cp1252_byte_far_down_still_imports():
    filler = [f"f{i},Vonk filler row {i}" for i in range(3000)]
    data = _csv("id,text", "u,Vonk ✓ naïef", *filler) + "z,Vonk caf\xe9\r\n".encode(
        "cp1252"
    )
    assert len(data) > upload.SNIFF_BYTES

    rows = _rows(data)

    assert rows[0][1].text == "Vonk ✓ naïef"
    assert rows[-1][1].text == "Vonk café"
    assert all(m is not None for _row, m, _r in rows)


def test_semicolon_separated_csv_is_read():
    rows = _rows(_csv("id;text;followers", "s-1;Vonk, maar dan goedkoper;1.204"))
    assert rows[0][1].text == "Vonk, maar dan goedkoper"
    assert rows[0][1].author_followers == 1204


def test_script_html_and_control_characters_are_sanitised(vonk):
    _import("hostile.csv", preset="generic", format="csv")

    first = Mention.objects.get(external_id="h-1")
    assert first.text == "Vonk rocks done"
    assert first.url == ""  # javascript: is not a link
    second = Mention.objects.get(external_id="h-2")
    assert second.text == "Vonk evil bidi and controls"
    assert second.author_url == ""


def test_oversized_text_is_rejected_not_truncated():
    long_text = "Vonk " + "lang " * 4_100  # 20,505 characters
    rows = _rows(_csv("id,text", f"big,{long_text}", "ok,Vonk short"))

    assert rows[0][1] is None
    assert "longer than 20000 characters" in rows[0][2]
    assert rows[1][1].external_id == "ok"


def test_markup_heavy_text_under_the_limit_after_cleaning_is_kept():
    text = "<b>Vonk</b> " * 2_000  # 24,000 characters, 10,000 once cleaned
    rows = _rows(_csv("id,text", f'm,"{text}"'))
    assert rows[0][1].text.startswith("Vonk Vonk")


def test_field_over_the_csv_field_limit_is_rejected_and_the_next_row_lands():
    huge = '"' + "a" * 200_000 + '"'
    rows = _rows(_csv("id,text", f"big,{huge}", "ok,Vonk after"))

    assert rows[0][1] is None and "A field is longer" in rows[0][2]
    assert rows[1][1].external_id == "ok"


def test_overlong_ndjson_line_is_rejected_and_the_next_line_lands(monkeypatch):
    monkeypatch.setattr(upload, "MAX_LINE_CHARS", 1_000)
    long_line = json.dumps({"id": "long", "text": "Vonk " * 400})
    data = "\n".join([long_line, json.dumps({"id": "ok", "text": "Vonk"})]).encode()

    rows = _rows(data, format="ndjson")

    assert rows[0][:2] == (1, None) and "longer than 1000" in rows[0][2]
    assert rows[1][0] == 2 and rows[1][1].external_id == "ok"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1204", 1204), ("1,204", 1204), ("1.204.000", 1204000), ("2.5K", 2500)]
    + [("1200.0", 1200), ("3M", 3_000_000)],
)
def test_follower_counts_in_export_notations_are_read(value, expected):
    rows = _rows(_csv("id,text,followers", f'1,Vonk,"{value}"'))
    assert rows[0][1].author_followers == expected


@pytest.mark.parametrize("value", ["lots", "-5", "1.5", "12abc"])
def test_follower_count_that_is_not_a_number_rejects_the_row(value):
    rows = _rows(_csv("id,text,followers", f"1,Vonk,{value}"))
    assert rows[0][1] is None and "not a number" in rows[0][2]


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-20T09:14:03Z",
        "2026-11-20T10:14:03+01:00",
        "2026-11-20 09:14:03",
        "1795166043",
        "1795166043000",
    ],
)
def test_dates_in_iso_and_unix_notations_are_read_as_utc(value):
    rows = _rows(_csv("id,text,posted_at", f"1,Vonk,{value}"))
    assert rows[0][1].posted_at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)
    assert rows[0][2] == ""


# -- idempotency, reports, sources ---------------------------------------------


def test_importing_the_same_file_twice_imports_nothing_new(vonk):
    first = _import("brandwatch.csv", preset="brandwatch", format="csv")
    second = _import("brandwatch.csv", preset="brandwatch", format="csv")

    assert first.imported == 2
    assert (second.imported, second.duplicates, second.unmatched) == (0, 2, 1)
    assert Mention.objects.count() == 2
    assert Source.objects.filter(name="Upload", kind="upload").count() == 1


def test_the_same_id_twice_in_one_file_is_stored_once(vonk):
    data = _csv("id,text", "d-1,Vonk once", "d-1,Vonk once", "d-2,Vonk two")
    report = mentions_import(
        source="Upload", stream=io.BytesIO(data), format="csv", preset="generic"
    )
    assert (report.imported, report.duplicates) == (2, 1)


def test_same_id_in_a_later_batch_counts_as_a_duplicate(vonk):
    data = _csv("id,text", "d-1,Vonk once", "d-2,Vonk two", "d-1,Vonk once")
    report = mentions_import(
        source="Upload",
        stream=io.BytesIO(data),
        format="csv",
        preset="generic",
        batch_size=2,
    )
    assert (report.imported, report.duplicates) == (2, 1)


def test_import_into_a_named_source_records_its_run(vonk):
    _import("sprout.csv", preset="sprout", format="csv", source="Sprout Q4")
    source = Source.objects.get(name="Sprout Q4")
    assert source.kind == "upload"
    assert source.last_success_at is not None
    assert source.mentions.count() == 2


def test_import_into_a_polled_source_is_refused(vonk):
    feed = Source.objects.create(name="Feed", kind="rss", url="http://x.test/f")
    with pytest.raises(ValueError, match="not an upload source"):
        mentions_import(
            source=feed, stream=io.BytesIO(b""), format="csv", preset="generic"
        )


def test_report_keeps_the_first_reasons_and_counts_them_all(vonk, monkeypatch):
    monkeypatch.setattr(imports, "KEPT_REASONS", 5)
    data = _csv("id,text", *[f",no id {i}" for i in range(12)], "ok,Vonk")

    report = mentions_import(
        source="Upload", stream=io.BytesIO(data), format="csv", preset="generic"
    )

    assert report.rejected_total == 12
    assert len(report.rejected) == 5
    assert report.imported == 1
    assert report.as_dict()["rejected"][0] == {"row": 2, "reason": "No id."}


# -- streaming -----------------------------------------------------------------


class _CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def _big_csv(rows: int) -> bytes:
    lines = [GENERIC_HEADER]
    for i in range(rows):
        text = "Vonk" if i % 2 else "Trein"
        lines.append(f"r{i},,,,,{i},{text} {i},,2026-11-2{i % 10}T10:00:00Z")
    return _csv(*lines)


def test_parse_rows_reads_the_file_as_it_goes():
    stream = _CountingStream(_big_csv(20_000))
    rows = parse_rows(stream, **GENERIC)

    first = next(rows)

    assert first[1].external_id == "r0"
    assert stream.bytes_read < len(stream.getvalue()) / 4


def test_large_csv_streams_into_the_database_in_bounded_batches(vonk, monkeypatch):
    batches = []
    real = imports.mention_upsert_batch

    def spy(*, source, raw_mentions, cursor=None):
        batches.append(len(raw_mentions))
        return real(source=source, raw_mentions=raw_mentions, cursor=cursor)

    monkeypatch.setattr(imports, "mention_upsert_batch", spy)
    progress = []
    data = _big_csv(20_000)

    report = mentions_import(
        source="Upload",
        stream=io.BytesIO(data),
        format="csv",
        preset="generic",
        batch_size=1000,
        progress=progress.append,
    )

    assert batches == [1000] * 20
    assert (report.rows, report.imported, report.unmatched) == (20_000, 10_000, 10_000)
    assert Mention.objects.count() == 10_000
    assert sum(progress) == len(data)


# -- management command ----------------------------------------------------------


def test_command_imports_a_file_and_prints_the_report(vonk):
    out = io.StringIO()
    call_command(
        "listening_import",
        str(UPLOADS / "broken_quoting.csv"),
        "--preset",
        "generic",
        stdout=out,
        stderr=io.StringIO(),
    )

    output = out.getvalue()
    assert "8 rows read: 3 imported, 0 duplicates" in output
    assert "0 not matching any tracker, 5 rejected" in output
    assert "Rejected rows (first 5 of 5):" in output
    assert "row 3: Broken quoting" in output
    assert "row 6: Unreadable date" in output
    source = Source.objects.get(name="Upload: generic")
    assert source.mentions.count() == 3


def test_command_takes_the_format_from_the_extension_and_a_source_name(vonk):
    out = io.StringIO()
    call_command(
        "listening_import",
        str(UPLOADS / "generic.ndjson"),
        "--preset=generic",
        "--source=Mastodon dump",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "2 imported" in out.getvalue()
    assert Source.objects.get(name="Mastodon dump").mentions.count() == 2


def test_command_run_twice_reports_duplicates(vonk):
    path = str(UPLOADS / "talkwalker.json")
    call_command("listening_import", path, "--preset=talkwalker", stdout=io.StringIO())
    out = io.StringIO()
    call_command("listening_import", path, "--preset=talkwalker", stdout=out)
    assert "0 imported, 2 duplicates" in out.getvalue()


def test_command_fails_for_a_missing_file(db):
    with pytest.raises(CommandError, match="No such file"):
        call_command("listening_import", "/nonexistent/x.csv", "--preset=generic")


def test_command_fails_for_a_header_without_required_columns(db):
    with pytest.raises(CommandError, match="no column for text"):
        call_command(
            "listening_import",
            str(UPLOADS / "missing_column.csv"),
            "--preset=generic",
            stdout=io.StringIO(),
        )


def test_command_needs_a_format_for_an_unknown_extension(db, tmp_path):
    path = tmp_path / "export.dat"
    path.write_bytes(b"id,text\n1,Vonk\n")
    with pytest.raises(CommandError, match="--format"):
        call_command("listening_import", str(path), "--preset=generic")


@pytest.mark.parametrize(
    ("format", "data"),
    [("ndjson", b"[" * 100_000 + b"\n"), ("json", b"[" * 100_000)],
)
def test_deeply_nested_json_is_rejected_not_a_crash(format, data):
    rows = list(parse_rows(io.BytesIO(data), format=format, preset="generic"))
    assert rows and rows[0][1] is None
    assert "nested too deeply" in str(rows[0][2])
