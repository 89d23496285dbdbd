"""A fake kind over an in-test corpus, on a fresh store for every test."""

from collections.abc import Iterator, Sequence

import pytest

from portal import semantic
from portal.semantic.embedding import reset_model_state

KIND = "note"

CORPUS: dict[int, tuple[str, dict]] = {
    1: ("Dark mode in the app", {"language": "en", "status": "new"}),
    2: ("Donkere modus in de app", {"language": "nl", "status": "planned"}),
    3: ("Show solar panel yield per day", {"language": "en", "status": "new"}),
    4: ("Dagopbrengst zonnepanelen tonen", {"language": "nl", "status": "new"}),
    5: ("Pay monthly advance by iDEAL", {"language": "en", "status": "done"}),
    6: ("Export meter readings to a spreadsheet", {"language": "en", "status": "new"}),
    7: ("Push notification when my invoice is ready", {"language": "en"}),
    8: ("Korting voor klanten met een warmtepomp", {"language": "nl"}),
}


class Corpus:
    """The loader of the fake kind: edit `texts`, `hidden` or `deleted`."""

    def __init__(self) -> None:
        self.texts = {pk: text for pk, (text, _) in CORPUS.items()}
        self.meta = {pk: meta for pk, (_, meta) in CORPUS.items()}
        self.hidden: set[int] = set()
        self.deleted: set[int] = set()
        self.calls: list[list[int] | None] = []

    def load(self, ids: Sequence[int] | None) -> Iterator[semantic.SemanticDocument]:
        self.calls.append(None if ids is None else list(ids))
        for pk in sorted(self.texts) if ids is None else ids:
            if pk in self.texts and pk not in self.deleted:
                yield semantic.SemanticDocument(
                    kind=KIND,
                    object_id=pk,
                    text=self.texts[pk],
                    meta={
                        "title": self.texts[pk],
                        "url": f"/notes/{pk}/",
                        "visible": pk not in self.hidden,
                        **self.meta.get(pk, {}),
                    },
                )


@pytest.fixture(autouse=True)
def _fresh_semantic_state(settings) -> Iterator[None]:
    settings.SEMANTIC_STORE = "memory"
    semantic.reset_store()
    reset_model_state()
    yield
    semantic.unregister_kind(KIND)
    semantic.reset_store()
    reset_model_state()


@pytest.fixture
def corpus() -> Corpus:
    corpus = Corpus()
    semantic.register_kind(KIND, loader=corpus.load)
    return corpus


@pytest.fixture(params=["memory", "qdrant-memory", "qdrant-edge"])
def store(request, settings, tmp_path) -> str:
    """Runs a test on Haystack's in-memory store, on Qdrant, and on Qdrant Edge.

    The Qdrant Edge shard lives in the test's tmp dir (QDRANT_PATH + "-edge").
    """
    settings.SEMANTIC_STORE = request.param
    settings.QDRANT_PATH = str(tmp_path / "qdrant")
    return request.param


@pytest.fixture
def indexed(store, corpus) -> Corpus:
    semantic.rebuild(kinds=[KIND])
    return corpus


def ids(hits) -> list[int]:
    return [hit.object_id for hit in hits]
