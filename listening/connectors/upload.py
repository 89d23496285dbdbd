"""Uploaded exports of commercial listening tools: CSV, JSON and NDJSON.

`parse_rows(stream, format=, preset=)` turns a binary file into
`(row, RawMention | None, reason)` tuples, one row at a time, so a file of a
million rows never sits in memory; `listening.imports` stores them in
batches. A preset maps our fields to the export's column names.

Decisions:
- Row numbers are the file's line numbers for CSV (where the record starts)
  and NDJSON, and the 1-based position of the element for a JSON array.
- Encoding: a byte-order mark wins (UTF-8 or UTF-16, as Meltwater exports
  are); otherwise the first 64 KB decide between UTF-8 and cp1252 (Excel on
  Windows). In a UTF-8 file a stray invalid byte further on is read as cp1252
  rather than failing the import halfway.
- CSV: the delimiter (comma, semicolon, tab, pipe) is the one that yields a
  header with the preset's required columns within the first 20 lines;
  lines before it (Brandwatch puts report details above the header) are
  skipped. Quoting is parsed strictly, so a stray quote rejects its row
  instead of silently merging columns. A row with a different number of
  columns than the header is rejected: its values are in the wrong columns.
  We leave the process-wide `csv.field_size_limit` alone: its default
  (131,072 characters) is far above the text limit, and a larger field is
  rejected as a csv.Error. Lines longer than 1 MiB are skipped and rejected
  without being held in memory.
- JSON: a top-level array of objects, parsed element by element with the
  standard library's `JSONDecoder.raw_decode` over a sliding buffer (no
  streaming JSON parser is installed). One element may be at most 1 MiB; an
  invalid element ends the file (an array cannot be resynchronised), and
  that is reported. NDJSON is read line by line; a bad line rejects only
  itself.
- Text longer than 20,000 characters after cleaning is rejected, not
  truncated: a stored half post misleads, and a giant field is usually a
  runaway quote that swallowed the rows after it.
- A date that cannot be read keeps the row, without a date, and the reason
  comes back as a warning (a mention is still worth having); a follower
  count that is not a number rejects the row, because text in a number
  column means the row's columns have shifted.
- Naive dates are taken as UTC.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any, BinaryIO, Literal

from django.utils.translation import gettext as _

from .base import (
    MAX_TEXT_CHARS,
    RawMention,
    language_tag,
    mention_text,
    safe_url,
    single_line,
    stable_external_id,
)

Format = Literal["csv", "json", "ndjson"]
FORMATS: tuple[str, ...] = ("csv", "json", "ndjson")

SNIFF_BYTES = 64 * 1024
READ_CHARS = 64 * 1024
MAX_LINE_CHARS = 1024 * 1024
MAX_JSON_ITEM_CHARS = 1024 * 1024
HEADER_SEARCH_LINES = 20
DELIMITERS = (",", ";", "\t", "|")

# Our fields; "id" and "text" are required.
FIELDS = (
    "id",
    "text",
    "title",
    "url",
    "author",
    "author_name",
    "author_url",
    "followers",
    "language",
    "posted_at",
)
REQUIRED = ("id", "text")

# Exports name languages in English (Meltwater) or with ISO codes.
_LANGUAGE_NAMES = {
    "english": "en",
    "dutch": "nl",
    "nederlands": "nl",
    "flemish": "nl",
    "german": "de",
    "french": "fr",
    "spanish": "es",
}
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(?:[,. '\u00a0\u202f]\d{3})+$")
_SUFFIXED_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*([kKmM])$")


def _norm(name: str) -> str:
    return " ".join(str(name).replace("\ufeff", "").split()).lower()


class ImportFormatError(ValueError):
    """The file as a whole cannot be read with this format and preset."""


@dataclass(frozen=True)
class Preset:
    """Column names per field, tried in order (the first non-empty wins).

    Names match case-insensitively. In JSON a dotted name ("a.b") also looks
    inside nested objects when no key has that literal name.
    """

    name: str
    columns: dict[str, tuple[str, ...]]
    # strptime formats tried after ISO 8601 and Unix timestamps.
    date_formats: tuple[str, ...] = ()
    normalized: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "normalized",
            {f: tuple(_norm(c) for c in self.columns.get(f, ())) for f in FIELDS},
        )


PRESETS: dict[str, Preset] = {
    # Brandwatch Consumer Research mention exports. The field names are
    # Brandwatch's display names of the mention fields ("Author", "Full Name",
    # "Full Text", "Twitter Followers", "Url", "Date", "Title"), see
    # https://developers.brandwatch.com/docs/mention-metadata-field-definitions
    # and the camelCase API names (author, fullname, fullText, guid,
    # resourceId, twitterFollowers) for JSON. Unconfirmed: the exact CSV
    # spelling of "Resource Id"/"Mention Id", "Author Url" and "Language".
    "brandwatch": Preset(
        name="brandwatch",
        columns={
            "id": ("Resource Id", "Mention Id", "resourceId", "guid", "Url", "url"),
            "text": ("Full Text", "fullText", "Snippet", "snippet"),
            "title": ("Title", "title"),
            "url": ("Url", "url", "Original Url", "originalUrl"),
            "author": ("Author", "author"),
            "author_name": ("Full Name", "fullname"),
            "author_url": ("Author Url", "authorUrl"),  # unconfirmed
            "followers": ("Twitter Followers", "twitterFollowers"),
            "language": ("Language", "language", "languageCode"),
            "posted_at": ("Date", "date"),
        },
        date_formats=("%Y-%m-%d %H:%M:%S.%f", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"),
    ),
    # Talkwalker documents (API and exports): url is the document's identity,
    # published is a Unix time in milliseconds, author data sits under
    # extra_author_attributes; see
    # https://developer.talkwalker.com/docs/talkwalker-documents. CSV exports
    # flatten the nesting with dots. Unconfirmed: the followers field name.
    "talkwalker": Preset(
        name="talkwalker",
        columns={
            "id": ("url", "id"),
            "text": ("content", "content_snippet"),
            "title": ("title",),
            "url": ("url",),
            "author": (
                "extra_author_attributes.short_name",
                "extra_author_attributes.id",
            ),
            "author_name": ("extra_author_attributes.name",),
            "author_url": ("extra_author_attributes.url",),
            "followers": ("extra_author_attributes.followers_count",),  # unconfirmed
            "language": ("lang",),
            "posted_at": ("published",),
        },
    ),
    # Meltwater Explore exports (UTF-16, tab-separated). Column names as seen
    # in a real export: Date, Headline, URL, Opening Text, Hit Sentence,
    # Source, Influencer, Language ("English"), Tweet Id, Twitter Screen Name,
    # Twitter User Profile Url, Twitter Followers, Body. Rows without a tweet
    # id (news, blogs) are identified by their URL. Unconfirmed: the date
    # formats; the JSON field names (id, url, content.*) of the API templates.
    "meltwater": Preset(
        name="meltwater",
        columns={
            "id": ("Tweet Id", "Document ID", "id", "URL", "url"),
            "text": ("Body", "Hit Sentence", "Opening Text", "content.body"),
            "title": ("Headline", "content.title"),
            "url": ("URL", "url"),
            "author": ("Twitter Screen Name", "author.handle", "Influencer"),
            "author_name": ("Influencer", "author.name"),
            "author_url": ("Twitter User Profile Url", "author.profile_url"),
            "followers": ("Twitter Followers",),
            "language": ("Language", "content.language"),
            "posted_at": ("Date", "published_date"),
        },
        date_formats=(
            "%d-%b-%Y %I:%M%p",
            "%d-%b-%Y %I:%M %p",
            "%b %d, %Y %I:%M %p",
            "%d-%b-%Y",
        ),
    ),
    # Sprout Social Listening message exports. Unconfirmed: Sprout documents
    # its API, not the export's columns, so these names are a plausible guess
    # and the generic preset is the fallback.
    "sprout": Preset(
        name="sprout",
        columns={
            "id": ("Message ID", "Post ID", "Link", "Permalink"),
            "text": ("Message", "Text", "Post"),
            "title": ("Title",),
            "url": ("Link", "Permalink"),
            "author": ("Author Username", "Author Handle", "Profile"),
            "author_name": ("Author Name", "Author"),
            "author_url": ("Author Profile URL", "Author Link"),
            "followers": ("Author Followers", "Followers", "Audience"),
            "language": ("Language",),
            "posted_at": ("Date", "Created Time", "Sent Date"),
        },
        date_formats=("%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
    ),
    # Our own simple format, for anything else (and for NDJSON from scripts).
    "generic": Preset(
        name="generic",
        columns={
            "id": ("id",),
            "text": ("text",),
            "url": ("url",),
            "author": ("author",),
            "author_name": ("author_name",),
            "author_url": ("author_url",),
            "followers": ("followers",),
            "language": ("language",),
            "posted_at": ("posted_at",),
        },
    ),
}


def preset_for(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ImportFormatError(
            _("Unknown preset “%(name)s”. Choose one of: %(names)s.")
            % {"name": name, "names": ", ".join(PRESETS)}
        ) from None


def parse_rows(
    stream: BinaryIO, *, format: str, preset: str | Preset
) -> Iterator[tuple[int, RawMention | None, str]]:
    """Yield (row, mention, reason) for each row of a binary file.

    mention None: the row is rejected for `reason`. A mention with a reason:
    kept, with a warning (an unreadable date). Raises ImportFormatError
    before the first row when the file cannot be read at all (an unknown
    format or preset, an empty file, a CSV header without the required
    columns, JSON that is not an array).
    """
    if format not in FORMATS:
        raise ImportFormatError(
            _("Unknown format “%(format)s”. Choose csv, json or ndjson.")
            % {"format": format}
        )
    preset = preset if isinstance(preset, Preset) else preset_for(preset)
    text = _open_text(stream)
    if format == "csv":
        return _csv_rows(text, preset)
    if format == "ndjson":
        return _ndjson_rows(text, preset)
    return _json_rows(text, preset)


# -- decoding ---------------------------------------------------------------


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error("listening_cp1252_fallback", _cp1252_fallback)


class _Prefixed(io.RawIOBase):
    """The sniffed first bytes, then the rest of the stream."""

    def __init__(self, prefix: bytes, stream: BinaryIO):
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        return len(data)


def _open_text(stream: BinaryIO) -> io.TextIOWrapper:
    head = stream.read(SNIFF_BYTES) or b""
    if isinstance(head, str):
        raise TypeError("parse_rows needs a binary stream")
    if head.startswith(codecs.BOM_UTF8):
        encoding, errors = "utf-8-sig", "listening_cp1252_fallback"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, errors = "utf-16", "replace"
    else:
        try:
            # final=False: a character cut off at the end of the sample is fine.
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            encoding, errors = "utf-8", "listening_cp1252_fallback"
        except UnicodeDecodeError:
            encoding, errors = "cp1252", "replace"
    raw = io.BufferedReader(_Prefixed(head, stream), buffer_size=READ_CHARS)
    # newline="": the csv module handles line endings inside quoted fields.
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")


class _Lines:
    """Lines of a text stream, none longer than `limit` in memory.

    A longer line is read past and replaced by an empty line; its number is
    remembered so the record holding it can be rejected.
    """

    def __init__(self, text: io.TextIOBase, limit: int | None = None):
        self._text = text
        self._limit = limit or MAX_LINE_CHARS
        self.count = 0
        self.overlong: list[int] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._limit + 1)
        if not line:
            raise StopIteration
        self.count += 1
        if len(line) > self._limit and not line.endswith(("\n", "\r")):
            while True:
                rest = self._text.readline(self._limit)
                if not rest or rest.endswith(("\n", "\r")):
                    break
            self.overlong.append(self.count)
            return "\n"
        return line

    def overlong_in(self, first: int, last: int) -> bool:
        hit = any(first <= n <= last for n in self.overlong)
        self.overlong = [n for n in self.overlong if n > last]
        return hit


# -- CSV --------------------------------------------------------------------


def _csv_rows(
    text: io.TextIOBase, preset: Preset
) -> Iterator[tuple[int, RawMention | None, str]]:
    lines = _Lines(text)
    head: list[str] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if len(head) >= HEADER_SEARCH_LINES or size > SNIFF_BYTES:
            break
    if not any(line.strip() for line in head):
        raise ImportFormatError(_("The file is empty."))
    delimiter, header_line, header = _csv_header(head, preset)
    return _csv_records(lines, head, preset, delimiter, header_line, header)


def _csv_header(head: list[str], preset: Preset) -> tuple[str, int, list[str]]:
    first_rows: list[list[str]] = []
    for delimiter in DELIMITERS:
        reader = csv.reader(iter(head), delimiter=delimiter, strict=True)
        first = None
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:
                continue
            names = [_norm(cell) for cell in row]
            if not any(names):
                continue
            if first is None:
                first = names
            if not _missing(preset, set(names)):
                return delimiter, reader.line_num, names
        if first is not None:
            first_rows.append(first)
    # Explain against the reading with the most columns: the likeliest header.
    names = max(first_rows, key=len, default=[])
    raise ImportFormatError(
        _missing_message(preset, _missing(preset, set(names)) or list(REQUIRED))
    )


def _csv_records(
    lines: _Lines,
    head: list[str],
    preset: Preset,
    delimiter: str,
    header_line: int,
    header: list[str],
) -> Iterator[tuple[int, RawMention | None, str]]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        if name and name not in index:
            index[name] = position
    positions = {
        f: [index[c] for c in preset.normalized[f] if c in index] for f in FIELDS
    }
    width = len(header)
    # Read the buffered head again, from the start, then the rest.
    reader = csv.reader(chain(head, lines), delimiter=delimiter, strict=True)
    while reader.line_num < header_line:
        try:
            next(reader)
        except csv.Error:
            continue
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            lines.overlong_in(start, reader.line_num)
            yield start, None, _csv_error_reason(exc)
            continue
        if lines.overlong_in(start, reader.line_num):
            yield (
                start,
                None,
                _("A line is longer than %(limit)d characters.")
                % {"limit": MAX_LINE_CHARS},
            )
            continue
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) < width or any(cell.strip() for cell in row[width:]):
            yield (
                start,
                None,
                _("The row has %(found)d columns; the header has %(expected)d.")
                % {"found": len(row), "expected": width},
            )
            continue

        def value(name: str, row: list[str] = row) -> Any:
            for position in positions[name]:
                if row[position].strip():
                    return row[position]
            return None

        mention, reason = _mention(value, preset, start)
        yield start, mention, reason


def _csv_error_reason(exc: csv.Error) -> str:
    message = str(exc)
    if message.startswith("field larger than field limit"):
        return _("A field is longer than %(limit)d characters.") % {
            "limit": csv.field_size_limit()
        }
    if "NUL" in message:
        return _("The row contains a NUL character.")
    return _("Broken quoting (%(detail)s).") % {"detail": message}


# -- JSON and NDJSON --------------------------------------------------------


def _ndjson_rows(
    text: io.TextIOBase, preset: Preset
) -> Iterator[tuple[int, RawMention | None, str]]:
    lines = _Lines(text)
    checked = False
    seen = False
    for line in lines:
        number = lines.count
        if lines.overlong_in(number, number):
            seen = True
            yield (
                number,
                None,
                _("The line is longer than %(limit)d characters.")
                % {"limit": MAX_LINE_CHARS},
            )
            continue
        if not line.strip():
            continue
        seen = True
        try:
            item = json.loads(line)
        except ValueError as exc:
            yield number, None, _("Invalid JSON (%(detail)s).") % {"detail": exc}
            continue
        except RecursionError:
            yield number, None, _("Invalid JSON: nested too deeply.")
            continue
        if not checked and isinstance(item, dict):
            _check_first_object(item, preset)
            checked = True
        yield (number, *_object_mention(item, preset, number))
    if not seen:
        raise ImportFormatError(_("The file is empty."))


def _json_rows(
    text: io.TextIOBase, preset: Preset
) -> Iterator[tuple[int, RawMention | None, str]]:
    items = _json_array_items(text)
    # Reach the "[" (or fail) before the first row is asked for.
    try:
        first = next(items)
    except StopIteration:
        return iter(())
    return _json_objects(chain([first], items), preset)


def _json_objects(
    items: Iterator[tuple[int, Any, str]], preset: Preset
) -> Iterator[tuple[int, RawMention | None, str]]:
    checked = False
    for number, item, error in items:
        if error:
            yield number, None, error
            continue
        if not checked and isinstance(item, dict):
            _check_first_object(item, preset)
            checked = True
        yield (number, *_object_mention(item, preset, number))


def _json_array_items(text: io.TextIOBase) -> Iterator[tuple[int, Any, str]]:
    """Elements of a top-level JSON array, one at a time.

    Yields (position, value, "") and, when the array breaks off,
    (position, None, reason) as the last item. The first `next()` raises
    ImportFormatError when the file is not an array.
    """
    decoder = json.JSONDecoder()
    buffer = ""
    pos = 0
    eof = False

    def fill() -> None:
        nonlocal buffer, pos, eof
        chunk = text.read(READ_CHARS)
        if not chunk:
            eof = True
        buffer = buffer[pos:] + chunk
        pos = 0

    def skip_space() -> bool:
        """Advance to the next non-space character; False at the end."""
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            if pos < len(buffer):
                return True
            if eof:
                return False
            fill()

    if not skip_space():
        raise ImportFormatError(_("The file is empty."))
    if buffer[pos] != "[":
        raise ImportFormatError(
            _(
                "A JSON file must hold one array of objects ([{…}, {…}]); "
                "for one object per line, use NDJSON."
            )
        )
    pos += 1
    position = 0
    expect_value = True
    while True:
        if not skip_space():
            yield (
                position + 1,
                None,
                _("The file ends before the JSON array is closed."),
            )
            return
        char = buffer[pos]
        if char == "]":
            return
        if char == ",":
            if expect_value:
                yield (
                    position + 1,
                    None,
                    _(
                        "Invalid JSON: a comma without a value; the rest of the "
                        "file was not read."
                    ),
                )
                return
            pos += 1
            expect_value = True
            continue
        if not expect_value:
            yield (
                position + 1,
                None,
                _(
                    "Invalid JSON: a comma is missing between elements; the rest "
                    "of the file was not read."
                ),
            )
            return
        try:
            value, end = decoder.raw_decode(buffer, pos)
        except json.JSONDecodeError as exc:
            if not eof and len(buffer) - pos <= MAX_JSON_ITEM_CHARS:
                fill()  # the element may just be cut off by the buffer
                continue
            if len(buffer) - pos > MAX_JSON_ITEM_CHARS:
                reason = _(
                    "An element is longer than %(limit)d characters or is "
                    "invalid JSON; the rest of the file was not read."
                ) % {"limit": MAX_JSON_ITEM_CHARS}
            elif exc.pos >= len(buffer) - 1:
                reason = _("The file ends in the middle of an element.")
            else:
                reason = _(
                    "Invalid JSON (%(detail)s); the rest of the file was not read."
                ) % {"detail": exc.msg}
            yield position + 1, None, reason
            return
        except RecursionError:
            yield (
                position + 1,
                None,
                _(
                    "Invalid JSON: nested too deeply; the rest of the file was "
                    "not read."
                ),
            )
            return
        if end == len(buffer) and not eof:
            fill()  # a number or literal may continue in the next chunk
            continue
        pos = end
        position += 1
        expect_value = False
        yield position, value, ""


def _object_mention(
    item: Any, preset: Preset, row: int
) -> tuple[RawMention | None, str]:
    if not isinstance(item, dict):
        return None, _("Not a JSON object (found %(type)s).") % {
            "type": _json_type(item)
        }
    lowered = {str(k).strip().lower(): v for k, v in item.items()}

    def value(name: str) -> Any:
        for column in preset.normalized[name]:
            found = _lookup(lowered, column)
            if found is not None and found != "":
                return found
        return None

    return _mention(value, preset, row)


def _lookup(obj: dict, column: str) -> Any:
    if column in obj:
        return obj[column]
    if "." not in column:
        return None
    current: Any = obj
    for part in column.split("."):
        if not isinstance(current, dict):
            return None
        current = {str(k).strip().lower(): v for k, v in current.items()}.get(part)
        if current is None:
            return None
    return current


def _check_first_object(item: dict, preset: Preset) -> None:
    """A wrong preset fails at once instead of rejecting every row.

    Only absent keys count: an empty value is the row's problem, not the
    mapping's.
    """
    lowered = {str(k).strip().lower(): v for k, v in item.items()}
    missing = [
        f
        for f in REQUIRED
        if not any(
            c in lowered or _lookup(lowered, c) is not None
            for c in preset.normalized[f]
        )
    ]
    if missing:
        raise ImportFormatError(_missing_message(preset, missing))


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return _("an array")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, bool):
        return _("a boolean")
    if isinstance(value, int | float):
        return _("a number")
    if value is None:
        return "null"
    return type(value).__name__


# -- one row to one mention -------------------------------------------------


def _mention(
    value: Callable[[str], Any], preset: Preset, row: int
) -> tuple[RawMention | None, str]:
    fields: dict[str, str] = {}
    for name in FIELDS:
        if name in ("followers", "posted_at"):
            continue
        raw = value(name)
        if raw is None:
            fields[name] = ""
        elif isinstance(raw, str):
            fields[name] = raw
        elif isinstance(raw, bool) or not isinstance(raw, int | float):
            return None, _("The field “%(field)s” is not text.") % {"field": name}
        else:
            fields[name] = str(raw)

    raw_id = fields["id"].strip()
    if not raw_id:
        return None, _("No id.")
    external_id = stable_external_id(raw_id)

    title = fields["title"]
    body = fields["text"]
    if not body.strip():
        return None, _("No text.")
    too_long = _("The text is longer than %(limit)d characters.") % {
        "limit": MAX_TEXT_CHARS
    }
    body_text = mention_text(body)
    if _truncated(body, body_text):
        return None, too_long
    title_text = mention_text(title) if title else ""
    if title_text and not body_text.startswith(title_text):
        text = mention_text(title_text, body_text)
        if _truncated(title_text + " " + body_text, text):
            return None, too_long
    else:
        text = body_text
    if not text:
        return None, _("No text left after removing markup.")

    followers, error = _followers(value("followers"))
    if error:
        return None, error

    warning = ""
    posted_raw = value("posted_at")
    posted_at = _date(posted_raw, preset.date_formats)
    if posted_raw is not None and posted_at is None:
        shown = single_line(str(posted_raw), limit=40)
        warning = _("Unreadable date “%(value)s”; kept without a date.") % {
            "value": shown
        }

    author = single_line(fields["author"])
    author_name = single_line(fields["author_name"])
    url = safe_url(fields["url"])
    mention = RawMention(
        external_id=external_id,
        text=text,
        url=url,
        author_handle=author or author_name,
        author_name=author_name,
        author_url=safe_url(fields["author_url"]),
        author_followers=followers,
        posted_at=posted_at,
        language=_language(fields["language"]),
        raw={"preset": preset.name, "row": row, "id": single_line(raw_id)},
    )
    return mention, warning


def _truncated(original: str, cleaned: str) -> bool:
    # mention_text caps at MAX_TEXT_CHARS (and may drop one trailing space).
    return len(original) > MAX_TEXT_CHARS and len(cleaned) >= MAX_TEXT_CHARS - 1


def _followers(raw: Any) -> tuple[int | None, str]:
    if raw is None:
        return None, ""
    bad = _("The follower count “%(value)s” is not a number.") % {
        "value": single_line(str(raw), limit=40)
    }
    if isinstance(raw, bool):
        return None, bad
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            return None, bad
        number = int(raw)
    elif isinstance(raw, str):
        number = _count(raw.strip())
        if number is None:
            return None, bad
    else:
        return None, bad
    if number < 0 or number > 2_147_483_647:  # PositiveIntegerField
        return None, bad
    return number, ""


def _count(value: str) -> int | None:
    if value.isdigit():
        return int(value)
    if _GROUPED_NUMBER.match(value):
        return int(re.sub(r"\D", "", value))
    if re.fullmatch(r"\d+\.0+", value):  # spreadsheets write 1200.0
        return int(value.split(".")[0])
    match = _SUFFIXED_NUMBER.match(value)
    if match:
        base = float(match.group(1).replace(",", "."))
        scale = 1_000 if match.group(2).lower() == "k" else 1_000_000
        return int(base * scale)
    return None


def _date(raw: Any, formats: tuple[str, ...]) -> datetime | None:
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return _epoch(float(raw))
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    if not value:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", value):
        return _epoch(float(value))
    parsed = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for fmt in formats:
            try:
                parsed = datetime.strptime(value, fmt)  # noqa: DTZ007 (UTC below)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _epoch(number: float) -> datetime | None:
    if number > 1e11:  # milliseconds (Talkwalker's published)
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _language(value: str) -> str:
    cleaned = value.strip().lower()
    return _LANGUAGE_NAMES.get(cleaned) or language_tag(cleaned)


# -- header checks ----------------------------------------------------------


def _missing(preset: Preset, names: set[str]) -> list[str]:
    return [f for f in REQUIRED if not any(c in names for c in preset.normalized[f])]


def _missing_message(preset: Preset, missing: list[str]) -> str:
    parts = [
        _("%(field)s (one of: %(columns)s)")
        % {"field": f, "columns": ", ".join(preset.columns[f])}
        for f in missing
    ]
    return _(
        "The file has no column for %(fields)s; is “%(preset)s” the right preset?"
    ) % {"fields": "; ".join(parts), "preset": preset.name}
