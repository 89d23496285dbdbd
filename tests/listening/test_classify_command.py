"""manage.py listening_classify: one JSON object per non-blank input line."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

KEYS = {
    "text",
    "language",
    "language_confidence",
    "sentiment",
    "intent",
    "intent_confidence",
    "lead",
}


def _run(*args, stdin=None) -> list[dict]:
    out = io.StringIO()
    kwargs = {"stdout": out}
    if stdin is not None:
        kwargs["stdin"] = stdin
    call_command("listening_classify", *args, **kwargs)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_classifies_each_line_of_a_file(tmp_path):
    path = tmp_path / "posts.txt"
    path.write_text(
        "Wat kost een thuisbatterij bij Vonk? We willen er een kopen\n"
        "The Vonk app keeps crashing and nobody answers my emails. Terrible.\n",
        encoding="utf-8",
    )
    first, second = _run(str(path))
    assert set(first) == KEYS
    assert first["text"].startswith("Wat kost")
    assert first["language"] == "nl"
    assert 0.8 <= first["language_confidence"] <= 1.0
    assert first["lead"] is True
    assert second["language"] == "en"
    assert second["sentiment"]["label"] == "negative"
    assert -1.0 <= second["sentiment"]["score"] < 0
    assert second["intent"] == "complaint"
    assert 0 < second["intent_confidence"] <= 1
    assert second["lead"] is False


def test_reads_stdin_when_no_file_or_dash():
    text = "Hoe geef ik mijn meterstanden door in de app van Vonk?\n"
    for args in ((), ("-",)):
        (row,) = _run(*args, stdin=io.StringIO(text))
        assert row["language"] == "nl"
        assert row["intent"] == "question"


def test_reads_bytes_from_a_binary_stdin():
    stdin = io.TextIOWrapper(io.BytesIO("Bedankt Vonk, top geregeld! 👍\n".encode()))
    (row,) = _run(stdin=stdin)
    assert row["text"] == "Bedankt Vonk, top geregeld! 👍"
    assert row["sentiment"]["label"] == "positive"


def test_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "posts.txt"
    path.write_text("\n   \nthanks Vonk!\n\n\t\nweer storing\n\n", encoding="utf-8")
    rows = _run(str(path))
    assert [row["text"] for row in rows] == ["thanks Vonk!", "weer storing"]


def test_empty_input_prints_nothing(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert _run(str(path)) == []


def test_a_utf8_bom_is_ignored(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffHoe zeg ik mijn contract op?\n".encode())
    (row,) = _run(str(path))
    assert row["text"] == "Hoe zeg ik mijn contract op?"


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("goed\nCafé Vonk is slecht\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"not UTF-8 text .*line 2"):
        _run(str(path))


def test_stdin_that_is_not_utf8_is_a_clear_error():
    stdin = io.TextIOWrapper(io.BytesIO("prijs: 10 \u20ac".encode("cp1252")))
    with pytest.raises(CommandError, match="Standard input is not UTF-8"):
        _run(stdin=stdin)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        _run(str(tmp_path / "missing.txt"))


def test_same_answer_as_the_pipeline_functions(settings):
    from listening.enrichment.intent import intent_detect
    from listening.enrichment.language import language_detect
    from listening.enrichment.sentiment import sentiment_analyse

    settings.LISTENING_LANGUAGES = ["en", "nl"]
    text = "Thinking of switching to Vonk, how much are solar panels with you?"
    (row,) = _run(stdin=io.StringIO(text))
    language, confidence = language_detect(text, languages=("en", "nl"))
    sentiment = sentiment_analyse(text, language=language)
    intent = intent_detect(text, language=language)
    assert row["language"] == language
    assert row["language_confidence"] == round(confidence, 3)
    assert row["sentiment"] == {
        "label": sentiment.label,
        "score": round(sentiment.score, 4),
    }
    assert row["intent"] == intent.label
    assert row["lead"] == (intent.is_lead or intent.label == "lead")


def test_languages_come_from_settings(settings):
    settings.LISTENING_LANGUAGES = ["en"]
    (row,) = _run(stdin=io.StringIO("Waarom is mijn voorschot zo hoog geworden?"))
    assert row["language"] != "nl"
