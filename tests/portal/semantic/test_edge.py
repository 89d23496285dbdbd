"""The "qdrant-edge" engine: Qdrant Edge in a tmp dir."""

from pathlib import Path

import pytest

from portal import semantic
from portal.semantic import edge
from portal.semantic.engine import current

from .conftest import KIND, ids


@pytest.fixture
def edge_store(settings, tmp_path) -> str:
    settings.SEMANTIC_STORE = "qdrant-edge"
    settings.QDRANT_PATH = str(tmp_path / "qdrant")
    return str(tmp_path / "qdrant-edge" / settings.SEMANTIC_COLLECTION)


def test_the_shard_lives_next_to_qdrant_path(edge_store, corpus):
    semantic.rebuild(kinds=[KIND])

    engine = current()
    assert engine.store_name == "qdrant-edge"
    assert type(engine.store).__name__ == "EdgeShard"
    assert Path(edge_store).is_dir()


def test_rebuild_counts_and_reopening_keeps_the_documents(edge_store, corpus):
    assert semantic.rebuild(kinds=[KIND]) == {KIND: 8}
    assert current().count() == 8

    semantic.reset_store()  # closes the shard, as a process exit would

    engine = current()
    assert engine.count() == 8
    assert engine.object_ids(kind=KIND) == set(range(1, 9))
    assert ids(semantic.similar("iDEAL", kinds=[KIND]))[0] == 5
    assert ids(semantic.similar("Night theme for my phone", kinds=[KIND]))[0] == 1


def test_rebuild_after_reopening_removes_what_the_loader_dropped(edge_store, corpus):
    semantic.rebuild(kinds=[KIND])
    semantic.reset_store()
    corpus.deleted.add(3)

    assert semantic.rebuild(kinds=[KIND]) == {KIND: 7}
    assert current().object_ids(kind=KIND) == set(range(1, 9)) - {3}


def test_point_ids_are_stable_63_bit_integers():
    first = edge.point_id(KIND, 3)

    assert first == edge.point_id(KIND, 3)
    assert 0 <= first < 2**63
    assert first != edge.point_id(KIND, 4)
    assert first != edge.point_id("idea", 3)


def test_filters_match_booleans_ints_and_strings_exactly(edge_store, corpus):
    corpus.meta[5] = {**corpus.meta[5], "vote_count": 1}
    corpus.hidden.add(6)
    semantic.rebuild(kinds=[KIND])

    assert ids(semantic.similar("iDEAL", kinds=[KIND], filters={"vote_count": 1})) == [
        5
    ]
    # An int filter does not match a bool, nor the reverse.
    assert semantic.similar("iDEAL", kinds=[KIND], filters={"visible": 1}) == []
    assert 6 not in ids(
        semantic.similar("meter readings", kinds=[KIND], filters={"visible": True})
    )
    assert ids(
        semantic.similar("meter readings", kinds=[KIND], filters={"visible": False})
    ) == [6]


def test_a_query_of_only_stopwords_still_uses_the_dense_leg(edge_store, corpus):
    semantic.rebuild(kinds=[KIND])

    assert semantic.similar("the of and", kinds=[KIND], k=2) != []


def test_without_the_model_a_stopword_query_finds_nothing(edge_store, corpus, settings):
    settings.SEMANTIC_EMBEDDINGS_ENABLED = False
    semantic.rebuild(kinds=[KIND])

    assert current().hybrid is False
    assert semantic.similar("the of and", kinds=[KIND]) == []
    assert ids(semantic.similar("zonnepanelen", kinds=[KIND])) == [4]
