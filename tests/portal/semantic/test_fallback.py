import logging
import os
import subprocess
import sys
from pathlib import Path

from portal import semantic
from portal.semantic.engine import current

from .conftest import KIND, ids

FALLBACK = "semantic: embedding model unavailable, falling back to BM25"


def _fallback_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if FALLBACK in r.getMessage()]


def test_missing_model_falls_back_to_bm25_and_warns_once(
    store, corpus, settings, tmp_path, caplog
):
    settings.SEMANTIC_MODEL_PATH = str(tmp_path / "no-model-here")
    caplog.set_level(logging.WARNING, logger="portal.semantic")

    semantic.rebuild(kinds=[KIND])
    keyword_hits = semantic.similar("iDEAL", kinds=[KIND])
    paraphrase_hits = semantic.similar("Night theme for my phone", kinds=[KIND])

    assert current().hybrid is False
    assert ids(keyword_hits) == [5]
    # No word in common, and no embeddings to bridge the paraphrase.
    assert 1 not in ids(paraphrase_hits)
    [warning] = _fallback_warnings(caplog)
    assert "no-model-here" in warning
    assert [r.levelname for r in caplog.records if FALLBACK in r.getMessage()] == [
        "WARNING"
    ]


def test_embeddings_can_be_switched_off_in_settings(corpus, settings, caplog):
    settings.SEMANTIC_EMBEDDINGS_ENABLED = False
    caplog.set_level(logging.WARNING, logger="portal.semantic")

    semantic.rebuild(kinds=[KIND])

    assert ids(semantic.similar("zonnepanelen", kinds=[KIND])) == [4]
    assert _fallback_warnings(caplog) == [
        f"{FALLBACK}: SEMANTIC_EMBEDDINGS_ENABLED is False"
    ]


def test_the_model_comes_back_when_the_setting_is_fixed(corpus, settings, tmp_path):
    settings.SEMANTIC_MODEL_PATH = str(tmp_path / "missing")
    assert current().hybrid is False

    settings.SEMANTIC_MODEL_PATH = None
    semantic.rebuild(kinds=[KIND])

    assert current().hybrid is True
    assert ids(semantic.similar("Night theme for my phone", kinds=[KIND]))[0] == 1


def test_importing_the_app_loads_neither_haystack_nor_torch():
    root = Path(__file__).resolve().parents[3]
    code = (
        "import sys, django; django.setup(); import portal.semantic.tasks; "
        "print(sorted(m for m in ('haystack', 'torch', 'qdrant_client') "
        "if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
