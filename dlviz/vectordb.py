"""A vector database, step by step, in the column convention of the by-hand sheet.

Every vector is a column. A sentence goes through the exercise's steps::

    tokens = sentence.split()                     step 1
    E = [e_1 … e_n]                               step 2    (dim, n_tokens)
    H = ReLU(W·E + b)                             step 2    (hidden, n_tokens)
    pooled = mean of the columns of H             step 3    (hidden,)
    index_vector = P·pooled                       step 4    (index_dim,)

and its index vector is stored (step 5). A query sentence is encoded the same way
(step 6) and compared with every stored index vector by a dot product (step 7);
the highest score is the nearest text.

`Vocabulary` holds the word vectors, `SentenceEncoder` does steps 1-4 and returns
every intermediate (`Encoding`), `VectorDatabase` does steps 5-7 for texts, and
`VectorIndex` is the engine underneath: it stores raw vectors and finds the k best
for a query, exactly, fast enough for a million of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_array, as_int, as_matrix, as_vector, choice, frozen, shape_text

METRICS = ("dot", "cosine")

# Rows per block when computing vector lengths in float64: bounds the temporary
# to 8 MB (at 64-d) however large the index is.
_NORM_BLOCK = 16_384

# The first allocation of a VectorIndex; after it, capacity doubles.
_MIN_CAPACITY = 16

# Scores computed at once, queries × stored vectors: bounds the (m, n) temporary of a
# search (64 MB in float32) when many queries meet a large index; they go in blocks.
_SCORES_PER_BLOCK = 2**24


# --------------------------------------------------------------------------- words


def _edit_distance(a: str, b: str) -> int:
    """The fewest one-letter insertions, deletions, changes or swaps of neighbours.

    Levenshtein distance plus swaps (optimal string alignment), so the typo "yuo"
    is 1 away from "you", closer than "who".
    """
    before, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, before[j - 2] + 1)
            current.append(best)
        before, previous = previous, current
    return previous[-1]


def _quoted(words) -> str:
    """`['a', 'b', 'c']` -> `"'a', 'b' or 'c'"`."""
    words = [repr(w) for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class Vocabulary:
    """The word table of the exercise: each known word and its embedding (a column).

    Step 2 of the exercise looks each token up here.

    Parameters
    ----------
    table : a dict word → vector, or an iterable of (word, vector) pairs. Words are
        non-empty str without whitespace (sentences are split on whitespace, so such
        a word could never be looked up); every vector has the same size `dim`.

    Attributes
    ----------
    dim : the size of every word vector.
    words : tuple of the words, in the order given.
    matrix : (dim, n_words) read-only, column j is the vector of `words[j]`.
    """

    def __init__(self, table):
        if isinstance(table, (str, bytes)) or table is None:
            raise TypeError(
                f"a vocabulary is built from a dict word → vector or (word, vector) pairs, "
                f"got {table!r}"
            )
        pairs = table.items() if isinstance(table, Mapping) else table
        if not isinstance(pairs, Iterable):
            raise TypeError(
                f"a vocabulary is built from a dict word → vector or (word, vector) pairs, "
                f"got {type(table).__name__}"
            )
        words: list[str] = []
        vectors: list[np.ndarray] = []
        position: dict[str, int] = {}
        for item in pairs:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"each entry must be a (word, vector) pair, got {item!r}")
            word, vector = item
            if not isinstance(word, str):
                raise TypeError(f"words must be text (str), got {word!r}")
            if not word or word.split() != [word]:
                raise ValueError(
                    f"the word {word!r} is empty or holds whitespace: sentences are split on "
                    "whitespace, so it could never be looked up"
                )
            if word in position:
                raise ValueError(
                    f"the word {word!r} is given twice (entries {position[word] + 1} and "
                    f"{len(words) + 1}): a vocabulary holds one vector per word"
                )
            vector = as_vector(f"the vector of {word!r}", vector)
            if vectors and vector.size != vectors[0].size:
                raise ValueError(
                    f"word vectors must all have the same size: {words[0]!r} has "
                    f"{vectors[0].size} numbers but {word!r} has {vector.size}"
                )
            position[word] = len(words)
            words.append(word)
            vectors.append(vector)
        if not words:
            raise ValueError("the vocabulary is empty: give it at least one word and its vector")
        self._position = position
        self._words = tuple(words)
        self._matrix = frozen(np.stack(vectors, axis=1))  # (dim, n_words)

    @property
    def dim(self) -> int:
        return self._matrix.shape[0]

    @property
    def words(self) -> tuple[str, ...]:
        return self._words

    @property
    def matrix(self) -> np.ndarray:
        """(dim, n_words), read-only: the word vectors as columns, in the order of `words`."""
        return self._matrix

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word) -> bool:
        return isinstance(word, str) and word in self._position

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, {self.dim}-d)"

    def vector(self, word: str) -> np.ndarray:
        """The embedding of `word`, a fresh (writable) copy of shape (dim,)."""
        if word not in self:
            raise ValueError(self._unknown_message(word))
        return self._matrix[:, self._position[word]].copy()

    def suggest(self, word: str, n: int = 3) -> tuple[str, ...]:
        """The `n` known words closest to `word`, closest first.

        Words equal to it but for case come first (so "i" suggests "I"), then the
        rest by edit distance ignoring case, then by edit distance with case, then
        in vocabulary order, so the answer is always the same.
        """
        if not isinstance(word, str):
            raise TypeError(f"word must be text (str), got {word!r}")
        n = as_int("n", n, low=1)
        folded = word.casefold()

        def closeness(j_known):
            j, known = j_known
            return (
                known.casefold() != folded,
                _edit_distance(folded, known.casefold()),
                _edit_distance(word, known),
                j,
            )

        ranked = sorted(enumerate(self._words), key=closeness)
        return tuple(known for _, known in ranked[:n])

    def _unknown_message(self, word, sentence: str | None = None) -> str:
        where = f" in {sentence!r}" if sentence is not None else ""
        if not isinstance(word, str):
            return f"unknown word {word!r}{where}: words are text (str)"
        close = self.suggest(word)
        # A case slip ("i" for "I") is almost surely the answer: do not dilute it.
        same_but_case = [w for w in close if w.casefold() == word.casefold()]
        return f"unknown word {word!r}{where}; did you mean {_quoted(same_but_case or close)}?"


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True, eq=False)  # eq=False: == on arrays is elementwise, not a bool
class Encoding:
    """Every step of encoding one sentence (steps 1-4 of the exercise); arrays read-only.

    Shapes, with n tokens: embeddings (dim, n); linear and encoded (hidden, n);
    pooled (hidden,); index_vector (index_dim,). Column j belongs to `tokens[j]`.
    `linear` is W·e + b before the ReLU, `encoded` after it.
    """

    sentence: str
    tokens: tuple[str, ...]
    embeddings: np.ndarray
    linear: np.ndarray
    encoded: np.ndarray
    pooled: np.ndarray
    index_vector: np.ndarray


class SentenceEncoder:
    """Turns a sentence into its index vector: steps 1-4 of the exercise.

    h = ReLU(W·e + b) for each token's embedding e, mean pooling over the tokens,
    then index_vector = P·pooled.

    Parameters
    ----------
    vocabulary : a `Vocabulary` (or anything `Vocabulary()` accepts).
    W : (hidden, dim) the encoder weights; dim is the vocabulary's.
    b : (hidden,) the encoder bias.
    P : (index_dim, hidden) the projection.

    W, b and P are kept as read-only float arrays; `with_params` makes a new encoder
    with some of them replaced.
    """

    def __init__(self, vocabulary, W, b, P):
        if not isinstance(vocabulary, Vocabulary):
            vocabulary = Vocabulary(vocabulary)
        W, b, P = as_matrix("W", W), as_vector("b", b), as_matrix("P", P)
        dim = vocabulary.dim
        if W.shape[1] != dim:
            raise ValueError(
                f"W is {shape_text(W.shape)} but the word vectors are {dim}-d: W needs one "
                f"column per number of a word vector, so it must be ({W.shape[0]}×{dim})"
            )
        hidden = W.shape[0]
        if b.shape != (hidden,):
            raise ValueError(
                f"b has {b.size} numbers but W is {shape_text(W.shape)}: b needs one number "
                f"per row of W, so it must have {hidden}"
            )
        if P.shape[1] != hidden:
            raise ValueError(
                f"P is {shape_text(P.shape)} but W is {shape_text(W.shape)}, so each token is "
                f"encoded into {hidden} numbers: P needs one column per encoded number, so it "
                f"must be ({P.shape[0]}×{hidden})"
            )
        self._vocabulary = vocabulary
        self._W, self._b, self._P = frozen(W), frozen(b), frozen(P)

    @property
    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    @property
    def W(self) -> np.ndarray:
        """(hidden, dim), read-only."""
        return self._W

    @property
    def b(self) -> np.ndarray:
        """(hidden,), read-only."""
        return self._b

    @property
    def P(self) -> np.ndarray:
        """(index_dim, hidden), read-only."""
        return self._P

    @property
    def hidden_dim(self) -> int:
        return self._W.shape[0]

    @property
    def index_dim(self) -> int:
        return self._P.shape[0]

    def __repr__(self) -> str:
        return (
            f"SentenceEncoder({self._vocabulary!r}, W {shape_text(self._W.shape)}, "
            f"b {self._b.size}, P {shape_text(self._P.shape)})"
        )

    def with_params(self, W=None, b=None, P=None) -> SentenceEncoder:
        """A new encoder on the same vocabulary, with the given parameters replaced."""
        return SentenceEncoder(
            self._vocabulary,
            self._W if W is None else W,
            self._b if b is None else b,
            self._P if P is None else P,
        )

    def encode(self, sentence: str) -> Encoding:
        """Steps 1-4 for one sentence: tokens, embeddings, ReLU(W·e + b), mean, P·pooled.

        Tokens are the whitespace-separated pieces of `sentence` (punctuation is not
        special: "you?" is its own word). Raises TypeError for a non-str, ValueError
        for an empty sentence or an unknown word (naming the closest known ones).
        """
        if not isinstance(sentence, str):
            raise TypeError(f"a sentence must be text (str), got {sentence!r}")
        tokens = tuple(sentence.split())  # step 1
        if not tokens:
            raise ValueError(
                f"the sentence {sentence!r} has no words: type some, e.g. 'how are you'"
            )
        unknown = [t for t in dict.fromkeys(tokens) if t not in self._vocabulary]
        if unknown:
            message = self._vocabulary._unknown_message(unknown[0], sentence)
            if len(unknown) > 1:
                message += f" (also unknown: {', '.join(map(repr, unknown[1:]))})"
            raise ValueError(message)

        columns = [self._vocabulary._position[t] for t in tokens]
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            embeddings = self._vocabulary.matrix[:, columns]  # (dim, n_tokens), a copy
            linear = self._W @ embeddings + self._b[:, None]  # (hidden, n_tokens), step 2
            encoded = np.where(linear > 0, linear, 0.0)  # (hidden, n_tokens); no -0.0
            pooled = encoded.mean(axis=1)  # (hidden,), step 3
            index_vector = self._P @ pooled  # (index_dim,), step 4
        if not (np.isfinite(linear).all() and np.isfinite(index_vector).all()):
            raise ValueError(
                f"encoding {sentence!r} overflowed (numbers beyond ±1.8e308): W, b or P, "
                "or the word vectors, are too large"
            )
        return Encoding(
            sentence=sentence,
            tokens=tokens,
            embeddings=frozen(embeddings),
            linear=frozen(linear),
            encoded=frozen(encoded),
            pooled=frozen(pooled),
            index_vector=frozen(index_vector),
        )


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True, eq=False)
class Neighbours:
    """The k best stored vectors for each query (step 7 of the exercise); read-only.

    ids : (m, k) int64, the stored vectors' ids (their order of adding, from 0), best
        first; equal scores keep the lower id first.
    scores : (m, k), their scores, in the index's dtype.

    Always 2-D: a single query (a 1-D vector) gives m = 1, so read `ids[0]`.
    """

    ids: np.ndarray
    scores: np.ndarray


def _all_finite(arr: np.ndarray) -> bool:
    """No NaN and no inf, without a temporary as large as `arr` (min and max propagate NaN)."""
    return arr.dtype.kind in "iub" or bool(np.isfinite(arr.min()) and np.isfinite(arr.max()))


def _row_norms(rows: np.ndarray) -> np.ndarray:
    """The length of each row, (n,) float64, exactly 0 only for an all-zero row.

    Each row is divided by its largest |entry| before squaring, so tiny entries
    do not underflow to a false 0 and large ones do not overflow.
    """
    norms = np.empty(rows.shape[0])
    for start in range(0, rows.shape[0], _NORM_BLOCK):
        block = np.abs(rows[start : start + _NORM_BLOCK], dtype=np.float64)  # (b, dim)
        scale = block.max(axis=1)  # (b,)
        block /= np.where(scale > 0, scale, 1.0)[:, None]
        norms[start : start + _NORM_BLOCK] = scale * np.sqrt(np.einsum("ij,ij->i", block, block))
    return norms


def _check_k(k, n: int, where: str, what: str) -> int:
    k = as_int("k", k, low=1)
    if k > n:
        raise ValueError(f"k = {k} but {where} holds only {n} {what}: k must be from 1 to {n}")
    return k


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best columns of each row of `scores` (m, n): ids and scores, (m, k) each.

    Best first; among equal scores the lower id comes first, also when the equal
    scores straddle the k-th place. A partial sort (argpartition, O(n)), then a full
    sort of the k chosen only.
    """
    n = scores.shape[1]
    ids = np.argpartition(scores, n - k, axis=1)[:, n - k :]  # (m, k) the k largest, any order
    top = np.take_along_axis(scores, ids, axis=1)  # (m, k)
    kth = top.min(axis=1)  # (m,) the k-th best score of each query
    # argpartition picks arbitrary members of a tie at the k-th place; find the
    # queries where some equal score was left out, and take the earliest ids instead.
    equal_all = np.count_nonzero(scores == kth[:, None], axis=1)
    equal_kept = np.count_nonzero(top == kth[:, None], axis=1)
    for row in np.flatnonzero(equal_all > equal_kept):
        better = ids[row][top[row] > kth[row]]
        earliest = np.flatnonzero(scores[row] == kth[row])[: k - better.size]
        ids[row] = np.concatenate([better, earliest])
        top[row] = scores[row, ids[row]]
    order = np.lexsort((ids, -top), axis=1)  # by score descending, then by id
    ids = np.take_along_axis(ids, order, axis=1).astype(np.int64, copy=False)
    top = np.take_along_axis(top, order, axis=1)
    return ids, top


class VectorIndex:
    """Stores vectors and finds the k most similar to a query, exactly (steps 5 and 7).

    The engine under `VectorDatabase`, also usable on its own with any number of
    vectors (a million 64-d float32 vectors take 256 MB and a search over them a
    few tens of milliseconds).

    Stored vectors are ROWS here, unlike the sheets' columns: the store is one
    contiguous (n, dim) array, so each vector is one contiguous piece of memory and
    adding more appends rows. It grows by doubling its capacity, so adding one vector
    at a time costs O(1) on average, with no copy of everything on each add.

    Parameters
    ----------
    dim : the size of every vector.
    dtype : a float dtype for the store (float64 by default; float32 halves the memory).
        Searches compute in this dtype, so a float32 store is never copied to float64.
    """

    def __init__(self, dim: int, dtype=np.float64):
        self._dim = as_int("dim", dim, low=1)
        try:
            dtype = np.dtype(dtype)
        except TypeError as exc:
            raise TypeError(
                f"dtype must be a float dtype such as np.float32, got {dtype!r}"
            ) from exc
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a float dtype such as np.float32, got {dtype}")
        self._dtype = dtype
        self._store = np.empty((0, self._dim), dtype=dtype)  # (capacity, dim)
        self._n = 0
        self._norms = np.empty(0)  # lengths of the first len(_norms) rows, for cosine

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def capacity(self) -> int:
        """How many vectors fit before the store is reallocated (at twice the size)."""
        return self._store.shape[0]

    @property
    def vectors(self) -> np.ndarray:
        """(n, dim) read-only view of the stored vectors, one per ROW, in order of adding."""
        return frozen(self._store[: self._n])

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"VectorIndex(dim={self._dim}, dtype={self._dtype}, {self._n} vectors)"

    def add(self, vectors) -> np.ndarray:
        """Store one vector (dim,) or many (m, dim), one per ROW; return their ids.

        Step 5 of the exercise. Ids count from 0 in order of adding, so the result is
        `np.arange(len_before, len_before + m)`. A (0, dim) array adds nothing.
        Nothing is stored if any entry is NaN, inf, or too large for the dtype.
        """
        if isinstance(vectors, np.ndarray) and vectors.shape == (0, self._dim):
            return np.arange(self._n, self._n, dtype=np.int64)
        rows = self._as_rows("vectors", vectors, check_finite=False)  # (m, dim)
        m = rows.shape[0]
        self._reserve(self._n + m)
        new = self._store[self._n : self._n + m]  # (m, dim), a view into the store
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            new[...] = rows
        # One check after the cast catches both NaN/inf given and values beyond the dtype.
        if not _all_finite(new):
            if not _all_finite(rows):
                as_array("vectors", rows, ndim=rows.ndim)  # raises, naming the entry
            i = int(np.flatnonzero(~np.isfinite(new).all(axis=1))[0])
            raise ValueError(
                f"vectors[{i}] has entries too large for {self._dtype} (largest |entry| "
                f"{np.abs(rows[i]).max():g}): nothing was added"
            )
        self._n += m
        return np.arange(self._n - m, self._n, dtype=np.int64)

    def search(self, queries, k: int = 1, metric: str = "dot") -> Neighbours:
        """The k stored vectors most similar to each query: step 7 of the exercise.

        Parameters
        ----------
        queries : one query (dim,) or many (m, dim), one per row.
        k : how many neighbours per query, 1 ≤ k ≤ len(self).
        metric : "dot" (the sheet's dot product) or "cosine" (the dot product of the
            vectors scaled to length 1; undefined, and refused, for a zero vector).

        Returns
        -------
        Neighbours with ids and scores of shape (m, k), best first; always 2-D, so
        a single query gives m = 1. Equal scores keep the lower id first.

        Notes
        -----
        Exact, not approximate: one matrix product gives all m × n scores, then a
        partial sort (np.argpartition, O(n)) picks each query's k best, and only
        those k are sorted. Many queries against a large index go in blocks of at
        most 2**24 scores (64 MB in float32), so memory stays bounded.
        """
        metric = choice("metric", metric, METRICS)
        if self._n == 0:
            raise ValueError("the index is empty: add vectors first")
        k = _check_k(k, self._n, "the index", "vectors")
        queries = self._as_rows("queries", queries)  # (m, dim)
        block = max(1, _SCORES_PER_BLOCK // self._n)
        found = [
            _top_k(self._scores(queries[start : start + block], metric, first_row=start), k)
            for start in range(0, queries.shape[0], block)
        ]  # [(ids, scores), …], each (block, k)
        ids = np.concatenate([f[0] for f in found])  # (m, k)
        top = np.concatenate([f[1] for f in found])  # (m, k)
        return Neighbours(ids=frozen(ids), scores=frozen(top))

    # The rest is shared with VectorDatabase, which needs every score, not only the top k.

    def _as_rows(self, name: str, value, check_finite: bool = True) -> np.ndarray:
        """One vector (dim,) or many (m, dim) as an (m, dim) array, checked.

        A numeric ndarray is used as it is (no float64 copy of a million float32 rows);
        anything else goes through `_checks`, which also words every refusal. With
        check_finite=False the caller checks for NaN and inf itself.
        """
        if (
            isinstance(value, np.ndarray)
            and value.dtype.kind in "iuf"
            and value.ndim in (1, 2)
            and value.size
        ):
            if check_finite and not _all_finite(value):
                as_array(name, value, ndim=value.ndim)  # raises, naming the entry
            rows = value
        else:
            try:
                ndim = np.ndim(value)
            except ValueError:  # a ragged list: as_matrix says so
                ndim = 2
            if ndim == 1:
                rows = as_vector(name, value)
            elif ndim == 2:
                rows = as_matrix(name, value)
            else:
                rows = as_array(name, value, ndim=ndim)  # TypeError for text, None, …
                raise ValueError(
                    f"{name} must be one vector ({self._dim},) or one per row (m×{self._dim}), "
                    f"got shape {shape_text(rows.shape)}"
                )
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows  # (m, dim)
        if rows.shape[1] != self._dim:
            hint = ""
            if rows.shape == (self._dim, 1):
                hint = " (a column? here each vector is a row: pass it flat, or transposed)"
            raise ValueError(
                f"{name} have {rows.shape[1]} numbers each (shape {shape_text(rows.shape)}) "
                f"but the index holds {self._dim}-d vectors: each must have {self._dim}{hint}"
            )
        return rows

    def _reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        # Doubling: a run of single adds reallocates only log2(n) times.
        store = np.empty((max(needed, 2 * self.capacity, _MIN_CAPACITY), self._dim), self._dtype)
        store[: self._n] = self._store[: self._n]
        self._store = store

    def _stored_norms(self) -> np.ndarray:
        """(n,) float64 lengths of the stored vectors, computed once per vector, lazily."""
        done = self._norms.size
        if done < self._n:
            self._norms = np.concatenate([self._norms, _row_norms(self._store[done : self._n])])
        return self._norms[: self._n]

    def _scores(self, queries: np.ndarray, metric: str, first_row: int = 0) -> np.ndarray:
        """(m, n) score of every query (row of `queries`) against every stored vector.

        `first_row` is the row number of queries[0] among all queries, for messages.
        """
        stored = self._store[: self._n]  # (n, dim), a view: never copied
        if metric == "cosine":
            q_norms = _row_norms(queries)  # (m,)
            zero = np.flatnonzero(q_norms == 0)
            if zero.size:
                raise ValueError(
                    f"query row {first_row + zero[0]} is a zero vector (length 0): cosine "
                    "similarity is undefined for it; use metric='dot' or another query"
                )
            s_norms = self._stored_norms()  # (n,)
            zero = np.flatnonzero(s_norms == 0)
            if zero.size:
                listed = ", ".join(str(i) for i in zero[:5]) + (", …" if zero.size > 5 else "")
                raise ValueError(
                    f"stored vector{'s' if zero.size > 1 else ''} {listed} "
                    f"{'are zero vectors' if zero.size > 1 else 'is a zero vector'} (length 0): "
                    "cosine similarity is undefined for them; use metric='dot'"
                )
            queries = queries / q_norms[:, None]  # unit rows, in float64 (m is small)
            with np.errstate(over="ignore"):
                divisors = s_norms.astype(self._dtype)  # (n,)
            if not np.isfinite(divisors).all():
                i = int(np.flatnonzero(~np.isfinite(divisors))[0])
                raise ValueError(
                    f"stored vector {i} is too long for cosine in {self._dtype} (length "
                    f"{s_norms[i]:.3g}): scale the vectors down"
                )
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # reported below
            # In the store's dtype: a float32 store stays float32 (no 2x copy).
            scores = queries.astype(self._dtype, copy=False) @ stored.T  # (m, n)
            if metric == "cosine":
                scores /= divisors
        if not _all_finite(scores):
            raise ValueError(
                f"the scores overflowed {self._dtype} (beyond ±{np.finfo(self._dtype).max:.1e}): "
                "the vectors are too large; scale them down"
            )
        return scores


# --------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class Hit:
    """One found text: its index (order of adding, from 0), the text and its score."""

    index: int
    text: str
    score: float


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Everything about one search of a `VectorDatabase` (steps 6 and 7); read-only.

    query : the Encoding of the query sentence (step 6).
    metric, k : as asked.
    scores : (n_texts,) the score of every stored text, in the order added (step 7).
    hits : the k best, best first; equal scores keep the order added.
    """

    query: Encoding
    metric: str
    k: int
    scores: np.ndarray
    hits: tuple[Hit, ...]


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
        if not isinstance(texts, Iterable):
            raise TypeError(f"texts must be a str or an iterable of str, got {texts!r}")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be a str, got {text!r}")
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
        return SearchResult(query=encoding, metric=metric, k=k, scores=frozen(scores[0]), hits=hits)

    def _refuse_zero_vectors(self, query: Encoding) -> None:
        """Cosine needs a direction: name the text whose index vector is all zeros."""
        if not query.index_vector.any():
            raise ValueError(
                f"the query {query.sentence!r} has index vector "
                f"{query.index_vector.tolist()} (length 0): cosine similarity is undefined "
                "for it; use metric='dot'"
            )
        for i, e in enumerate(self._encodings):
            if not e.index_vector.any():
                raise ValueError(
                    f"the stored text {e.sentence!r} (index {i}) has index vector "
                    f"{e.index_vector.tolist()} (length 0): cosine similarity is undefined "
                    "for it; use metric='dot'"
                )


# --------------------------------------------------------------------------- a map of the words


@dataclass(frozen=True, eq=False)
class PCA2D:
    """Vectors seen from their two directions of largest spread (`pca_2d`); read-only.

    mean : (dim,) the average vector, the new origin.
    axes : (2, dim) the two principal directions, as unit-length rows.
    coords : (2, n) column j is vector j's position along the two axes.
    variance : (2,) the variance of the coordinates along each axis.
    explained : (2,) the fraction of the total variance each axis keeps (0 if all
        vectors are equal): how faithful the flat picture is.
    """

    mean: np.ndarray
    axes: np.ndarray
    coords: np.ndarray
    variance: np.ndarray
    explained: np.ndarray


def pca_2d(vectors) -> PCA2D:
    """Project vectors (columns) onto the plane of their largest spread: PCA by SVD.

    Used to draw the 4-d word embeddings of the exercise on a page. With X the
    centred vectors (dim, n) and X = U·S·Vᵀ its singular value decomposition, the
    axes are the first two columns of U, coords = U[:, :2]ᵀ·X, and axis i keeps
    S[i]² of the total Σ S² (variance = S²/n).

    vectors : (dim, n), one vector per column as on the sheets; dim ≥ 2.

    Each axis' sign is fixed so that its largest |entry| is positive, so the picture
    does not flip between LAPACK builds. With fewer than two independent directions
    (n < 3, or vectors on a line) the missing axis is all zeros.
    """
    X = as_matrix("vectors", vectors)  # (dim, n)
    dim, n = X.shape
    if dim < 2:
        raise ValueError(
            f"vectors are {shape_text(X.shape)}: each has {dim} number, already fewer than "
            "the 2 of a picture (one vector per column)"
        )
    mean = X.mean(axis=1)  # (dim,)
    centred = X - mean[:, None]  # (dim, n)
    U, S, _ = np.linalg.svd(centred, full_matrices=False)  # U (dim, r), S (r,), r = min(dim, n)
    axes = np.zeros((2, dim))
    spread = np.zeros(2)
    for i in range(min(2, S.size)):
        if S[i] > S[0] * 1e-12:  # a real direction, not rounding noise
            direction = U[:, i]
            biggest = np.argmax(np.abs(direction))
            axes[i] = direction if direction[biggest] > 0 else -direction
            spread[i] = S[i]
    coords = axes @ centred  # (2, n)
    total = float(np.sum(S**2))
    explained = spread**2 / total if total > 0 else np.zeros(2)
    return PCA2D(
        mean=frozen(mean),
        axes=frozen(axes),
        coords=frozen(coords),
        variance=frozen(spread**2 / n),
        explained=frozen(explained),
    )
