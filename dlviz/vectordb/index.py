"""Steps 5 and 7 on raw vectors: `VectorIndex`, the exact engine under `VectorDatabase`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_array, as_int, as_matrix, as_vector, choice, frozen, shape_text
from dlviz._numerics import refuse_nonfinite, row_scales, unit_rows
from dlviz.vectordb._ranking import (
    _all_finite,
    _check_k,
    _refuse_no_direction,
    _to_cosines,
    _top_k_blocks,
)

METRICS = ("dot", "cosine")

# The first allocation of a VectorIndex; after it, capacity doubles.
_MIN_CAPACITY = 16

# Scores computed at once, queries × stored vectors: bounds the temporary of a search
# (4 MB in float32, so a block stays in cache while its best are picked).
_SCORES_PER_BLOCK = 2**20


def _checked_rows(name: str, value, dim: int, check_finite: bool = True) -> np.ndarray:
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
                f"{name} must be one vector ({dim},) or one per row (m×{dim}), "
                f"got shape {shape_text(rows.shape)}"
            )
    rows = rows.reshape(1, -1) if rows.ndim == 1 else rows  # (m, dim)
    if rows.shape[1] != dim:
        hint = ""
        if rows.shape == (dim, 1):
            hint = " (a column? here each vector is a row: pass it flat, or transposed)"
        raise ValueError(
            f"{name} have {rows.shape[1]} numbers each (shape {shape_text(rows.shape)}) "
            f"but the index holds {dim}-d vectors: each must have {dim}{hint}"
        )
    return rows


def _float_dtype(dtype) -> np.dtype:
    """`dtype` as a numpy float dtype, or a TypeError naming what was given."""
    try:
        dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be a float dtype such as np.float32, got {dtype!r}") from exc
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a float dtype such as np.float32, got {dtype}")
    return dtype


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
        self._dtype = _float_dtype(dtype)
        self._store = np.empty((0, self._dim), dtype=dtype)  # (capacity, dim)
        self._n = 0
        # For cosine: each stored row's largest |entry| and its length ÷ that, first rows first.
        self._scale, self._rel = np.empty(0), np.empty(0)

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
            refuse_nonfinite(  # the first row with an entry beyond the dtype
                new,
                lambda where: (
                    f"vectors[{where[0]}] has entries too large for {self._dtype} (largest "
                    f"|entry| {np.abs(rows[where[0]]).max():g}): nothing was added"
                ),
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
        Exact, not approximate, and close to the cost of the matrix product alone
        (every stored vector must be read once). The store is scored in blocks of
        rows, all queries at once (at most 2**20 scores a block, 4 MB in float32, so
        memory stays bounded); each query keeps only the scores at or above a
        threshold: the k-th best of a sample of the first block, which the true k-th
        best can only beat. So the few thousand kept are sorted, never all n.
        """
        metric = choice("metric", metric, METRICS)
        if self._n == 0:
            raise ValueError("the index is empty: add vectors first")
        k = _check_k(k, self._n, "the index", "vectors")
        queries = self._as_rows("queries", queries)  # (m, dim)
        q, divisors = self._prepared(queries, metric)  # (m, dim) in the store's dtype
        # Queries per pass: enough to share each read of the store, few enough that a
        # block still holds thousands of stored vectors.
        per_pass = max(1, _SCORES_PER_BLOCK // 4096)
        found = []
        for first in range(0, q.shape[0], per_pass):
            part = q[first : first + per_pass]  # (p, dim)
            rows = max(k, _SCORES_PER_BLOCK // part.shape[0])  # stored vectors per block
            blocks = (
                (start, self._block_scores(part, divisors, start, min(self._n, start + rows)))
                for start in range(0, self._n, rows)
            )  # each (p, rows)
            found.append(_top_k_blocks(blocks, part.shape[0], k))
        ids = np.concatenate([f[0] for f in found])  # (m, k)
        top = np.concatenate([f[1] for f in found])  # (m, k)
        return Neighbours(ids=frozen(ids), scores=frozen(top))

    # The rest is shared with VectorDatabase, which needs every score, not only the top k.

    def _as_rows(self, name: str, value, check_finite: bool = True) -> np.ndarray:
        return _checked_rows(name, value, self._dim, check_finite=check_finite)

    def _reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        # Doubling: a run of single adds reallocates only log2(n) times.
        store = np.empty((max(needed, 2 * self.capacity, _MIN_CAPACITY), self._dim), self._dtype)
        store[: self._n] = self._store[: self._n]
        self._store = store

    def _stored_scales(self) -> tuple[np.ndarray, np.ndarray]:
        """(n,) largest |entry| and (n,) length ÷ it of each stored row, each computed once."""
        done = self._scale.size
        if done < self._n:
            scale, rel = row_scales(self._store[done : self._n])
            self._scale = np.concatenate([self._scale, scale])
            self._rel = np.concatenate([self._rel, rel])
        return self._scale[: self._n], self._rel[: self._n]

    def _scores(self, queries: np.ndarray, metric: str) -> np.ndarray:
        """(m, n) score of every query (row of `queries`) against every stored vector."""
        q, divisors = self._prepared(queries, metric)
        return self._block_scores(q, divisors, 0, self._n)

    def _prepared(self, queries: np.ndarray, metric: str):
        """The queries (m, dim) ready to score, and for cosine the stored rows' lengths.

        Dot: the queries in the store's dtype, and None. Cosine: the queries as unit
        rows (float64) and (scale, rel), each stored row's largest |entry| and its
        length ÷ that. Cosine is the dot product of unit vectors, safe at any finite
        magnitude: each length is measured without squaring a large number, and a
        vector too small to have a direction (all zeros, or entries below the smallest
        normal float) is refused in words.
        """
        if metric != "cosine":
            with np.errstate(over="ignore"):  # refused just below, naming the query
                q = queries.astype(self._dtype, copy=False)
            refuse_nonfinite(  # checked like the stored vectors: too large for the dtype
                q,
                lambda where: (
                    f"queries[{where[0]}] has entries too large for {self._dtype} (largest "
                    f"|entry| {np.abs(queries[where[0]]).max():g}): scale it down"
                ),
            )
            return q, None
        scale, rel = self._stored_scales()  # (n,) each
        _refuse_no_direction(queries, scale, self._dtype)
        return unit_rows(queries), (scale, rel)  # (m, dim) float64, length 1 each

    def _block_scores(self, q: np.ndarray, lengths, start: int, stop: int) -> np.ndarray:
        """(m, stop − start) scores of prepared queries against stored vectors start…stop−1."""
        stored = self._store[start:stop]  # (b, dim), a view: never copied
        if lengths is not None:
            scale, rel = lengths
            scores = _cosines(q, stored, scale[start:stop], rel[start:stop])
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # reported below
                scores = q @ stored.T  # (m, b), in the store's dtype: float32 stays float32
        if not _all_finite(scores):
            raise ValueError(
                f"the scores overflowed {self._dtype} (beyond ±{np.finfo(self._dtype).max:.1e}): "
                "the vectors are too large; scale them down"
            )
        return scores


def _cosines(units: np.ndarray, stored: np.ndarray, scale: np.ndarray, rel: np.ndarray):
    """(m, n) cosines of unit rows (m, dim) with stored rows (n, dim) of lengths scale·rel.

    In the store's dtype (a float32 store is not copied); see `_to_cosines`.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # the rows at fault are redone
        scores = units.astype(stored.dtype) @ stored.T  # (m, n)
    return _to_cosines(scores, units, stored, np.arange(stored.shape[0]), scale, rel)
