import pytest

from portal import semantic

from .conftest import KIND, ids


def test_similar_finds_a_paraphrase_without_shared_words(indexed):
    hits = semantic.similar("Night theme for my phone", kinds=[KIND], k=3)

    assert ids(hits)[0] == 1


def test_similar_finds_a_paraphrase_in_the_same_language(indexed):
    hits = semantic.similar("How much did my PV system produce daily", kinds=[KIND])

    assert ids(hits)[0] == 3


def test_similar_finds_exact_keyword_hits(indexed):
    assert ids(semantic.similar("iDEAL", kinds=[KIND]))[0] == 5
    assert ids(semantic.similar("zonnepanelen", kinds=[KIND]))[0] == 4
    assert ids(semantic.similar("warmtepomp korting", kinds=[KIND]))[0] == 8


def test_similar_returns_hits_with_kind_score_and_meta(indexed):
    hit = semantic.similar("iDEAL", kinds=[KIND], k=1)[0]

    assert hit == semantic.Hit(
        kind=KIND,
        object_id=5,
        score=hit.score,
        meta={
            "title": "Pay monthly advance by iDEAL",
            "url": "/notes/5/",
            "visible": True,
            "language": "en",
            "status": "done",
        },
    )
    assert hit.score > 0


def test_similar_returns_at_most_k_hits_best_first(indexed):
    hits = semantic.similar("solar panel yield per day", kinds=[KIND], k=2)

    assert len(hits) == 2
    assert ids(hits)[0] == 3
    assert hits[0].score >= hits[1].score


def test_similar_filters_out_invisible_documents(indexed):
    indexed.hidden.add(5)
    semantic.index_ids(kind=KIND, ids=[5])

    hits = semantic.similar("iDEAL", kinds=[KIND], filters={"visible": True})

    assert 5 not in ids(hits)
    assert 5 in ids(semantic.similar("iDEAL", kinds=[KIND]))


def test_similar_filter_with_a_list_means_any_of(indexed):
    hits = semantic.similar(
        "app", kinds=[KIND], k=8, filters={"status": ["planned", "done"]}
    )

    assert set(ids(hits)) == {2, 5}


def test_similar_filter_with_an_empty_list_matches_nothing(indexed):
    assert semantic.similar("iDEAL", kinds=[KIND], filters={"status": []}) == []


def test_similar_leaves_out_excluded_documents(indexed):
    hits = semantic.similar("Dark mode in the app", kinds=[KIND], exclude=[(KIND, 1)])

    assert 1 not in ids(hits)
    assert len(hits) == 5


def test_similar_only_searches_the_given_kinds(indexed):
    semantic.register_kind("other", loader=lambda ids: [])
    try:
        assert semantic.similar("iDEAL", kinds=["other"]) == []
    finally:
        semantic.unregister_kind("other")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_similar_returns_nothing_for_an_empty_query(corpus, text):
    assert semantic.similar(text, kinds=[KIND]) == []


def test_similar_truncates_a_very_long_query(indexed):
    hits = semantic.similar("iDEAL " + "x" * 50_000, kinds=[KIND])

    assert ids(hits)[0] == 5


def test_similar_rejects_an_unregistered_kind(corpus):
    with pytest.raises(LookupError, match="not registered"):
        semantic.similar("iDEAL", kinds=["nope"])


def test_similar_rejects_kinds_given_as_a_string(corpus):
    with pytest.raises(TypeError):
        semantic.similar("iDEAL", kinds=KIND)


@pytest.mark.parametrize(
    "filters",
    [{"vote_count": 1.5}, {"bad key": 1}, {"kind": "note"}, {"status": [None]}],
)
def test_similar_rejects_filters_it_cannot_apply(corpus, filters):
    with pytest.raises((TypeError, ValueError)):
        semantic.similar("iDEAL", kinds=[KIND], filters=filters)


def test_qdrant_and_memory_engines_agree_on_the_top_hit(settings, corpus, tmp_path):
    settings.QDRANT_PATH = str(tmp_path / "qdrant")
    tops = {}
    for store in ("memory", "qdrant-memory", "qdrant-edge"):
        settings.SEMANTIC_STORE = store
        semantic.rebuild(kinds=[KIND])
        tops[store] = [
            ids(semantic.similar(query, kinds=[KIND], k=1))
            for query in ("Night theme for my phone", "iDEAL", "zonnepanelen")
        ]

    assert tops["memory"] == tops["qdrant-memory"] == [[1], [5], [4]]
    assert tops["qdrant-edge"] == [[1], [5], [4]]
