"""The site's own UI strings exist in Dutch, and stay that way.

The catalogue lives in locale/nl/LC_MESSAGES/: django.po is what translators
edit, django.mo is its compiled form, committed next to it so that no gettext
tools are needed at run time. `make messages` refreshes the .po from the code.
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import service_required

BASE_DIR = Path(settings.BASE_DIR)
CATALOGUE = BASE_DIR / "locale" / "nl" / "LC_MESSAGES"
PO_FILE = CATALOGUE / "django.po"
MO_FILE = CATALOGUE / "django.mo"
PO_NAME = PO_FILE.relative_to(BASE_DIR).as_posix()
MO_NAME = MO_FILE.relative_to(BASE_DIR).as_posix()

# Keep in step with the Makefile's `messages` target.
IGNORED_DIRS = (".venv", "var", "tests", "docs", "bench", "static")
MAKEMESSAGES = [
    "makemessages",
    "--locale=nl",
    "--no-obsolete",
    "--add-location=file",
    *(f"--ignore={name}/*" for name in IGNORED_DIRS),
]
FIX = "Run `make messages`, translate the new strings and run `make test` again."


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translated(self) -> bool:
        forms = 2 if self.msgid_plural is not None else 1
        return all(self.msgstr.get(n) for n in range(forms))

    def __str__(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"{context}{self.msgid!r}"


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")


def parse_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header fields and the entries of a .po file (obsolete ones left out).

    Small on purpose: it reads what xgettext and msgmerge write, nothing more.
    """
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, current, started
        if started:
            entries.append(entry)
        entry, current, started = Entry(), None, False

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if started:
                finish()
            entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            keyword, index, literal = match.groups()
            if keyword in ("msgctxt", "msgid") and current and current[0] == "msgstr":
                finish()  # A new entry with no blank line before it.
            started = True
            name = "msgstr" if keyword.startswith("msgstr") else keyword
            current = (name, int(index or 0))
            _append(entry, current, _unquote(literal), new=True)
        elif line.startswith('"') and current is not None:
            _append(entry, current, _unquote(line), new=False)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {line!r}")
    finish()

    header: dict[str, str] = {}
    if entries and entries[0].msgid == "" and entries[0].msgctxt is None:
        for header_line in entries.pop(0).msgstr.get(0, "").splitlines():
            name, _, value = header_line.partition(":")
            header[name.strip()] = value.strip()
    return header, entries


def _unquote(literal: str) -> str:
    # A PO string literal is a C string; Python reads those escapes the same way.
    return ast.literal_eval(literal)


def _append(entry: Entry, current: tuple[str, int], text: str, *, new: bool) -> None:
    name, index = current
    if name == "msgstr":
        entry.msgstr[index] = ("" if new else entry.msgstr.get(index, "")) + text
    else:
        previous = getattr(entry, name)
        setattr(entry, name, text if new or previous is None else previous + text)


def _needs_gettext_tools() -> None:
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        service_required("GNU gettext (xgettext, msgmerge, msgattrib)")


def test_every_ui_string_has_a_dutch_translation():
    header, entries = parse_po(PO_FILE)

    assert header.get("Language") == "nl"
    assert header.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"
    assert entries, f"{PO_NAME} has no strings at all"
    untranslated = [str(e) for e in entries if not e.translated]
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    assert not untranslated, (
        f"{len(untranslated)} UI string(s) have no Dutch translation in "
        f"{PO_NAME}:\n  " + "\n  ".join(untranslated)
    )
    assert not fuzzy, (
        f"{len(fuzzy)} Dutch translation(s) are marked fuzzy; check them and "
        "remove the flag:\n  " + "\n  ".join(fuzzy)
    )


def test_catalogue_is_up_to_date_with_the_code(tmp_path):
    """makemessages on a copy of the code finds nothing the .po lacks.

    It runs on a copy, with the copy's own settings and an empty locale dir, so
    the real catalogue is never touched.
    """
    _needs_gettext_tools()
    skipped = {*IGNORED_DIRS, "locale", "node_modules", "media"}
    project = tmp_path / "project"

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == BASE_DIR
        return {
            name
            for name in names
            if name.startswith(".")
            or name == "__pycache__"
            or name.endswith((".pyc", ".sqlite3"))
            or (top and name in skipped)
        }

    shutil.copytree(BASE_DIR, project, ignore=ignore)
    (project / "locale" / "nl" / "LC_MESSAGES").mkdir(parents=True)
    committed = PO_FILE.read_bytes()

    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=project,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert PO_FILE.read_bytes() == committed, "makemessages touched the real .po"

    _, extracted = parse_po(project / "locale" / "nl" / "LC_MESSAGES" / "django.po")
    _, known = parse_po(PO_FILE)
    assert extracted, "makemessages found no strings in the code"
    known_keys = {e.key for e in known}
    missing = [str(e) for e in extracted if e.key not in known_keys]
    assert not missing, (
        f"The code has {len(missing)} UI string(s) that are not in "
        f"{PO_NAME}. {FIX}\n  " + "\n  ".join(missing)
    )


def test_compiled_catalogue_matches_the_po():
    """django.mo holds exactly the .po's translations: it was recompiled."""
    _, entries = parse_po(PO_FILE)
    expected: dict[object, str] = {}
    for entry in entries:
        if not entry.translated or "fuzzy" in entry.flags:
            continue
        msgid = entry.msgid
        if entry.msgctxt is not None:
            msgid = f"{entry.msgctxt}\x04{msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            expected.update({(msgid, n): s for n, s in entry.msgstr.items()})

    assert MO_FILE.exists(), f"{MO_NAME} is missing; run compilemessages"
    with MO_FILE.open("rb") as mo:
        translations = gettext.GNUTranslations(mo)
    # Every message, header aside; the public API cannot list them.
    compiled = {k: v for k, v in translations._catalog.items() if k != ""}
    stale = sorted(str(k) for k in compiled.keys() ^ expected.keys())
    changed = sorted(
        str(k) for k in compiled.keys() & expected.keys() if compiled[k] != expected[k]
    )
    assert not stale and not changed, (
        f"{MO_NAME} is out of date with the .po; run "
        "`python manage.py compilemessages -l nl --ignore='.venv/*'` and commit "
        f"the .mo.\n  Only in one of them: {stale}\n  Different: {changed}"
    )
    assert translations.info().get("language") == "nl"


@pytest.mark.django_db
def test_dutch_pages_show_dutch_ui(client, home):
    dutch = client.get("/nl/")
    english = client.get("/en/")

    assert dutch.status_code == english.status_code == 200
    dutch_html = dutch.content.decode()
    english_html = english.content.decode()
    for en, nl in [
        ("Skip to content", "Naar de inhoud"),
        (">Log in<", ">Inloggen<"),
        (">Join<", ">Word lid<"),
        (">Search<", ">Zoeken<"),
    ]:
        assert en in english_html, f"{en!r} missing from the English page"
        assert nl in dutch_html, f"{nl!r} missing from the Dutch page"
        assert en not in dutch_html, f"{en!r} is still English on the Dutch page"
