"""BM25 as sparse vectors, so that Qdrant can serve the keyword leg.

Qdrant has no text analyser of its own. Instead each document is stored with a
sparse vector: one dimension per token, holding BM25's term-frequency part

    tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avg_doc_len))

and the collection is created with the IDF modifier (`sparse_idf=True` in
`QdrantDocumentStore`), so Qdrant multiplies each query dimension by the
inverse document frequency it keeps up to date itself. A query vector is 1.0
per distinct query token. The dot product is then the BM25 score. See
https://qdrant.tech/documentation/concepts/indexing/#idf-modifier and
https://qdrant.tech/articles/bm42/ (the same scheme, with a learned weight).

Token ids are a stable hash (CRC-32, 31 bits), not Python's `hash()`, which is
salted per process and would scatter one token over many dimensions across
web and worker processes. A collision merely merges two rare tokens.

The average document length is a fixed constant: short ideas and questions
are around 30-60 tokens. Keeping it fixed means a stored vector never has to be
recomputed when the corpus grows; only the IDF moves, and Qdrant handles that.
"""

import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import replace

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

K1 = 1.2
B = 0.75
AVERAGE_DOCUMENT_LENGTH = 40.0

# A light list of the most frequent function words of English and Dutch. IDF
# already discounts them; dropping them keeps vectors short and queries fast.
STOPWORDS = frozenset(
    """
    a an and are as at be but by for from has have i if in into is it its me my
    no not of on or our so that the their then there these they this to was we
    were what when where which who will with would you your
    aan al als bij dan dat de den der des deze die dit door een en er het hij
    hoe ik is je kan maar me met mijn na naar niet nog nu of om onze ook op over
    te tot uit van voor was wat we wel wij zal ze zich zij zijn zo
    """.split()
)


# Words of two or more Unicode word characters ("zonnepanelen", "één", "café"
# stay whole) that are not stopwords. The in-memory store tokenises with the
# same pattern, so both engines run the same BM25 leg.
_STOPWORD_ALTERNATIVES = "|".join(sorted(STOPWORDS, key=len, reverse=True))
TOKEN_PATTERN = rf"(?u)\b(?!(?:{_STOPWORD_ALTERNATIVES})\b)\w\w+\b"
_TOKEN = re.compile(TOKEN_PATTERN)


def bm25_tokenize(text: str) -> list[str]:
    """Lowercased, NFC-normalised word tokens, stopwords removed."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text.lower()))


def token_index(token: str) -> int:
    """A dimension for `token` that is the same in every process and release."""
    return zlib.crc32(token.encode("utf-8")) & 0x7FFFFFFF


def bm25_document_embedding(
    text: str,
    *,
    k1: float = K1,
    b: float = B,
    average_length: float = AVERAGE_DOCUMENT_LENGTH,
) -> SparseEmbedding:
    tokens = bm25_tokenize(text)
    counts = Counter(token_index(token) for token in tokens)
    norm = k1 * (1 - b + b * len(tokens) / average_length)
    indices = sorted(counts)
    values = [counts[i] * (k1 + 1) / (counts[i] + norm) for i in indices]
    return SparseEmbedding(indices=indices, values=values)


def bm25_query_embedding(text: str) -> SparseEmbedding:
    indices = sorted({token_index(token) for token in bm25_tokenize(text)})
    return SparseEmbedding(indices=indices, values=[1.0] * len(indices))


@component
class BM25SparseDocumentEmbedder:
    """Adds a BM25 term-frequency `sparse_embedding` to each document."""

    def __init__(
        self,
        *,
        k1: float = K1,
        b: float = B,
        average_length: float = AVERAGE_DOCUMENT_LENGTH,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.average_length = average_length

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        return {
            "documents": [
                replace(
                    document,
                    sparse_embedding=bm25_document_embedding(
                        document.content or "",
                        k1=self.k1,
                        b=self.b,
                        average_length=self.average_length,
                    ),
                )
                for document in documents
            ]
        }


@component
class BM25SparseTextEmbedder:
    """Turns a query into a sparse vector of its distinct tokens (weight 1.0)."""

    @component.output_types(sparse_embedding=SparseEmbedding)
    def run(self, text: str) -> dict[str, SparseEmbedding]:
        return {"sparse_embedding": bm25_query_embedding(text)}
