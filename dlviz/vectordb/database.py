"""Steps 5-7 for texts: `VectorDatabase` stores sentences by their index vectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_texts, choice, frozen
from dlviz._numerics import direction_problem, no_direction, row_scales, unit_rows
from dlviz.vectordb._ranking import _check_k, _top_k
from dlviz.vectordb.encoder import Encoding, SentenceEncoder
from dlviz.vectordb.index import METRICS, VectorIndex


@dataclass(frozen=True)
class Hit:
    """One found text: its index (order of adding, from 0), the text and its score."""

    index: int
    text: str
    score: float


class ZeroVectorError(ValueError):
    """Cosine asked of an index vector that is all zeros (it has no direction).

    `encoding` is the text's or the query's Encoding; `index` the stored text's index
    (order of adding, from 0), or None for the query.
    """

    def __init__(self, message: str, encoding: Encoding, index: int | None):
        super().__init__(message)
        self.encoding = encoding
        self.index = index


@dataclass(frozen=True, eq=False)
class DatabaseSnapshot:
    """What a database held when it was searched: its encoder, texts and index vectors.

    A `VectorDatabase` can still grow; a search result keeps this read-only copy, so a
    picture, a grid or a grader reads the database the result came from.
    """

    encoder: SentenceEncoder
    texts: tuple[str, ...]
    encodings: tuple[Encoding, ...]
    index_vectors: np.ndarray  # (index_dim, n_texts)

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Everything about one search of a `VectorDatabase` (steps 6 and 7); read-only.

    query : the Encoding of the query sentence (step 6).
    metric, k : as asked.
    scores : (n_texts,) the score of every stored text, in the order added (step 7).
    hits : the k best, best first; equal scores keep the order added.
    database : the `DatabaseSnapshot` searched (encoder, texts, index vectors).
    """

    query: Encoding
    metric: str
    k: int
    scores: np.ndarray
    hits: tuple[Hit, ...]
    database: DatabaseSnapshot

    @property
    def unit_index_vectors(self) -> np.ndarray:
        """(index_dim, n_texts): each stored index vector ÷ its length (cosine, step 7).

        A zero vector has no direction: its column is NaN (a cosine search refuses it).
        """
        return _units(self.database.index_vectors)

    @property
    def unit_query(self) -> np.ndarray:
        """(index_dim,): the query's index vector ÷ its length (NaN if it is all zeros)."""
        return _units(self.query.index_vector[:, None])[:, 0]


def _units(columns: np.ndarray) -> np.ndarray:
    """Each column ÷ its length, measured safely at any size; NaN where it has no direction."""
    rows = np.asarray(columns, dtype=np.float64).T  # (n, dim)
    units = unit_rows(rows)
    units[no_direction(row_scales(rows)[0])] = np.nan
    return frozen(units.T)


class VectorDatabase:
    """Texts stored by their index vectors, searched by similarity: steps 5-7.

    Each added text is encoded by `encoder` (steps 1-4), its index vector stored
    (step 5); a search encodes the query the same way (step 6) and scores it against
    every stored text (step 7).
    """

    def __init__(self, encoder: SentenceEncoder):
        if not isinstance(encoder, SentenceEncoder):
            raise TypeError(f"encoder must be a SentenceEncoder, got {type(encoder).__name__}")
        self._encoder = encoder
        self._index = VectorIndex(encoder.index_dim, dtype=np.float64)
        self._encodings: list[Encoding] = []

    @property
    def encoder(self) -> SentenceEncoder:
        return self._encoder

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(e.sentence for e in self._encodings)

    @property
    def encodings(self) -> tuple[Encoding, ...]:
        return tuple(self._encodings)

    @property
    def index_vectors(self) -> np.ndarray:
        """(index_dim, n_texts) read-only: the stored index vectors as columns, as on the sheet."""
        return self._index.vectors.T

    def __len__(self) -> int:
        return len(self._encodings)

    def __repr__(self) -> str:
        return f"VectorDatabase({len(self)} texts, {self._encoder.index_dim}-d index vectors)"

    def add(self, texts) -> np.ndarray:
        """Encode and store one text (a str) or many (an iterable of str): step 5.

        All are encoded first, so if one fails (an unknown word) nothing is stored.
        Returns their indices, in order of adding; adding nothing is allowed.
        """
        texts = [texts] if isinstance(texts, str) else texts
        texts = as_texts("texts", texts, expected="a str or an iterable of str")
        encodings = [self._encoder.encode(t) for t in texts]
        if not encodings:
            return np.arange(len(self), len(self), dtype=np.int64)
        ids = self._index.add(np.stack([e.index_vector for e in encodings]))  # (m, index_dim)
        self._encodings.extend(encodings)
        return ids

    def search(self, query: str, k: int = 1, metric: str = "dot") -> SearchResult:
        """Encode `query` (step 6) and rank every stored text against it (step 7).

        metric is "dot" (the sheet's) or "cosine"; k, from 1 to len(self), is how many
        hits to return. Cosine is refused when the query's or a stored text's index
        vector is all zeros (its direction is undefined).

        The sheet's worked numbers (exercise 2): the query "am I you" has index vector
        [8/3, 2/3], and its dot products with the three stored texts are 44/9, 42/9
        and 62/9, so the nearest text is "who am I".

        >>> from dlviz import examples
        >>> from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary
        >>> ex = examples.vectordb_exercise()
        >>> words = Vocabulary(ex["embeddings"])
        >>> db = VectorDatabase(SentenceEncoder(words, ex["W"], ex["b"], ex["P"]))
        >>> db.add(["how are you", "who are you", "who am I"])
        array([0, 1, 2])
        >>> result = db.search("am I you", k=3)
        >>> result.query.index_vector * 3          # [8/3, 2/3]
        array([8., 2.])
        >>> (result.scores * 9).round(9)           # [44/9, 42/9, 62/9]
        array([44., 42., 62.])
        >>> [(hit.text, round(hit.score * 9, 9)) for hit in result.hits]
        [('who am I', 62.0), ('how are you', 44.0), ('who are you', 42.0)]
        """
        metric = choice("metric", metric, METRICS)
        if not self._encodings:
            raise ValueError("the database is empty: add texts first")
        k = _check_k(k, len(self), "the database", "texts")
        encoding = self._encoder.encode(query)
        if metric == "cosine":
            self._refuse_zero_vectors(encoding)
        scores = self._index._scores(encoding.index_vector[None, :], metric)  # (1, n)
        ids, top = _top_k(scores, k)  # (1, k) each
        hits = tuple(
            Hit(index=int(i), text=self._encodings[i].sentence, score=float(s))
            for i, s in zip(ids[0], top[0], strict=True)
        )
        return SearchResult(
            query=encoding, metric=metric, k=k, scores=frozen(scores[0]), hits=hits,
            database=self.snapshot(),
        )  # fmt: skip

    def snapshot(self) -> DatabaseSnapshot:
        """What the database holds now, as a read-only copy."""
        return DatabaseSnapshot(
            encoder=self._encoder, texts=self.texts, encodings=self.encodings,
            index_vectors=frozen(np.array(self.index_vectors)),
        )  # fmt: skip

    def _refuse_zero_vectors(self, query: Encoding) -> None:
        """Cosine needs a direction: name the text whose index vector has none."""
        problem = direction_problem(query.index_vector)
        if problem:
            raise ZeroVectorError(
                f"the query {query.sentence!r} has index vector {query.index_vector.tolist()}, "
                f"which {problem}: cosine similarity is undefined for it; use metric='dot'",
                query, None,
            )  # fmt: skip
        for i, e in enumerate(self._encodings):
            problem = direction_problem(e.index_vector)
            if problem:
                raise ZeroVectorError(
                    f"the stored text {e.sentence!r} (index {i}) has index vector "
                    f"{e.index_vector.tolist()}, which {problem}: cosine similarity is "
                    "undefined for it; use metric='dot'",
                    e, i,
                )  # fmt: skip
