import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from portal import semantic
from portal.semantic.engine import current, document_id
from portal.semantic.tasks import index_document

from .conftest import KIND, ids


def test_index_ids_writes_what_the_loader_returns(store, corpus):
    semantic.index_ids(kind=KIND, ids=[5])

    assert ids(semantic.similar("iDEAL", kinds=[KIND])) == [5]
    assert corpus.calls == [[5]]


def test_index_ids_overwrites_the_stored_copy(store, corpus):
    semantic.index_ids(kind=KIND, ids=[5])
    corpus.texts[5] = "Pay the monthly advance by direct debit"

    semantic.index_ids(kind=KIND, ids=[5])

    assert current().count() == 1
    hit = semantic.similar("direct debit", kinds=[KIND], k=1)[0]
    assert (hit.object_id, hit.meta["title"]) == (5, corpus.texts[5])


def test_index_ids_removes_ids_the_loader_no_longer_returns(indexed):
    indexed.deleted.add(5)

    semantic.index_ids(kind=KIND, ids=[5])

    assert 5 not in ids(semantic.similar("iDEAL", kinds=[KIND], k=8))
    assert current().object_ids(kind=KIND) == set(range(1, 9)) - {5}


def test_index_ids_removes_documents_with_blank_text(indexed):
    indexed.texts[5] = "   "

    semantic.index_ids(kind=KIND, ids=[5])

    assert 5 not in current().object_ids(kind=KIND)


def test_remove_drops_documents_whatever_the_loader_says(indexed):
    semantic.remove(kind=KIND, ids=[5, 4])

    assert current().object_ids(kind=KIND) == set(range(1, 9)) - {4, 5}


def test_store_document_ids_are_kind_and_object_id(corpus):
    semantic.index_ids(kind=KIND, ids=[3])

    assert [doc.id for doc in current().store.filter_documents()] == [
        document_id(KIND, 3)
    ]
    assert document_id(KIND, 3) == "note:3"


def test_index_ids_rejects_a_loader_that_yields_another_kind(corpus):
    semantic.register_kind(
        "liar",
        loader=lambda ids: [semantic.SemanticDocument("note", 1, "text", {})],
    )
    try:
        with pytest.raises(ValueError, match="kind 'note'"):
            semantic.index_ids(kind="liar", ids=[1])
    finally:
        semantic.unregister_kind("liar")


def test_index_ids_rejects_meta_that_is_not_json(corpus):
    semantic.register_kind(
        "odd",
        loader=lambda ids: [semantic.SemanticDocument("odd", 1, "text", {"x": {1}})],
    )
    try:
        with pytest.raises(ValueError, match="JSON"):
            semantic.index_ids(kind="odd", ids=[1])
    finally:
        semantic.unregister_kind("odd")


def test_enqueue_index_indexes_the_document_after_commit(
    db, corpus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            semantic.enqueue_index(kind=KIND, object_id=5)
            assert current().count() == 0  # nothing before the commit

    assert len(callbacks) == 1
    assert ids(semantic.similar("iDEAL", kinds=[KIND])) == [5]


def test_enqueue_index_does_nothing_when_the_transaction_rolls_back(
    db, corpus, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            semantic.enqueue_index(kind=KIND, object_id=5)
            raise RuntimeError("rolled back")

    assert callbacks == []
    assert current().count() == 0


def test_enqueue_index_rejects_an_unregistered_kind(db):
    with pytest.raises(LookupError):
        semantic.enqueue_index(kind="nope", object_id=1)


def test_index_task_is_named_idempotent_and_retries(corpus):
    assert index_document.name == "semantic.index_document"
    assert index_document.acks_late is True
    assert index_document.max_retries == 5
    assert index_document.autoretry_for == (Exception,)
    assert index_document.soft_time_limit < index_document.time_limit

    index_document.delay(KIND, 5)
    index_document.delay(KIND, 5)

    assert current().object_ids(kind=KIND) == {5}


def test_rebuild_indexes_every_document_and_returns_counts(store, corpus):
    counts = semantic.rebuild(kinds=[KIND])

    assert counts == {KIND: 8}
    assert current().count() == 8
    assert corpus.calls == [None]


def test_rebuild_drops_documents_the_loader_no_longer_returns(indexed):
    indexed.deleted.update({1, 2})

    assert semantic.rebuild(kinds=[KIND]) == {KIND: 6}
    assert current().object_ids(kind=KIND) == set(range(3, 9))


def test_rebuild_leaves_other_kinds_alone(corpus):
    semantic.register_kind(
        "other",
        loader=lambda ids: [semantic.SemanticDocument("other", 1, "iDEAL too", {})],
    )
    try:
        semantic.rebuild(kinds=["other"])
        semantic.rebuild(kinds=[KIND])
        corpus.deleted.update(corpus.texts)
        assert semantic.rebuild(kinds=[KIND]) == {KIND: 0}
        assert current().object_ids(kind="other") == {1}
    finally:
        semantic.unregister_kind("other")


def test_rebuild_command_rebuilds_the_named_kind(corpus, capsys):
    call_command("rebuild_semantic_index", "--kind", KIND, verbosity=1)

    out, err = capsys.readouterr()
    assert f"{KIND}: 8 documents" in out
    assert f"{KIND}: 8doc" in err  # the tqdm progress bar
    assert current().count() == 8


def test_rebuild_command_refuses_an_unknown_kind(corpus):
    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("rebuild_semantic_index", "--kind", "nope")
