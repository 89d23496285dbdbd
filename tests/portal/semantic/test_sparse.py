import zlib

from haystack import Document

from portal.semantic.sparse import (
    BM25SparseDocumentEmbedder,
    BM25SparseTextEmbedder,
    bm25_document_embedding,
    bm25_tokenize,
    token_index,
)


def test_tokenize_keeps_unicode_words_and_drops_stopwords():
    assert bm25_tokenize("De opbrengst van één café, and the iDEAL-app!") == [
        "opbrengst",
        "één",
        "café",
        "ideal",
        "app",
    ]


def test_token_index_is_a_stable_31_bit_crc():
    assert token_index("zonnepanelen") == zlib.crc32(b"zonnepanelen") & 0x7FFFFFFF
    assert token_index("zonnepanelen") == 1_131_884_062
    assert all(0 <= token_index(t) < 2**31 for t in ("a", "é", "x" * 500))


def test_document_weights_saturate_with_term_frequency():
    once = bm25_document_embedding("solar")
    thrice = bm25_document_embedding("solar solar solar")

    assert once.indices == thrice.indices == [token_index("solar")]
    assert once.values[0] < thrice.values[0] < 2.2  # k1 + 1 bounds it


def test_longer_documents_weigh_a_term_less():
    short = bm25_document_embedding("solar panels")
    long = bm25_document_embedding("solar " + " ".join(f"w{i}" for i in range(200)))
    index = token_index("solar")

    assert (
        dict(zip(long.indices, long.values, strict=True))[index]
        < dict(zip(short.indices, short.values, strict=True))[index]
    )


def test_text_embedder_gives_each_distinct_query_token_weight_one():
    embedding = BM25SparseTextEmbedder().run(text="iDEAL ideal betalen")[
        "sparse_embedding"
    ]

    assert sorted(embedding.indices) == sorted(
        [token_index("ideal"), token_index("betalen")]
    )
    assert embedding.values == [1.0, 1.0]


def test_document_embedder_adds_a_sparse_embedding_and_keeps_the_rest():
    [doc] = BM25SparseDocumentEmbedder().run(
        documents=[Document(id="note:1", content="Dark mode", meta={"a": 1})]
    )["documents"]

    assert doc.id == "note:1"
    assert doc.meta == {"a": 1}
    assert sorted(doc.sparse_embedding.indices) == sorted(
        [token_index("dark"), token_index("mode")]
    )
