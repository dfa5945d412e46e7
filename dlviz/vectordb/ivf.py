"""Approximate search by an inverted file (IVF): look only in the few nearest cells.

Beyond the sheet. `VectorIndex` compares a query with every stored vector. An IVF
index first cuts space into `n_lists` cells by k-means (`train`): each stored vector
goes into the list of its nearest centroid (`add`). A search (step 7) ranks the
query's `nprobe` nearest centroids, and scores only the vectors of those lists,
exactly as `VectorIndex` would. It reads about nprobe / n_lists of the store, and may
miss a neighbour that sits in a cell it did not probe: recall traded for speed.

This is faiss's `IndexIVFFlat` (an `IndexFlatL2` quantizer, inner product to rank):
with the same centroids it returns the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_array, as_int, choice, frozen
from dlviz._numerics import refuse_nonfinite, row_scales, unit_rows
from dlviz.vectordb._ranking import (
    _all_finite,
    _ranges,
    _refuse_no_direction,
    _to_cosines,
)
from dlviz.vectordb.index import METRICS, Neighbours, _checked_rows, _float_dtype
from dlviz.vectordb.kmeans import KMeans, _check_centroids, assign, kmeans, nearest_centroids


@dataclass(frozen=True, eq=False)
class IVFNeighbours(Neighbours):
    """`Neighbours` of an IVF search, and where it looked; read-only.

    ids, scores : (m, k) as from `VectorIndex.search`; where the probed lists hold
        fewer than k vectors the row ends in ids −1 and scores −inf (nothing found),
        as faiss pads with −1.
    probed : (m, nprobe) int64, the lists searched for each query, nearest first.
    scanned : (m,) int64, how many stored vectors each query was compared with.
    """

    probed: np.ndarray
    scanned: np.ndarray


class IVFIndex:
    """An inverted-file index: k-means cells, each with the list of its vectors.

    Parameters
    ----------
    dim : the size of every vector.
    n_lists : how many cells (lists), at least 1.
    dtype : a float dtype for the store and the centroids (float64 by default).

    Use: `train(vectors)` (k-means; or `train(vectors, init=centroids, iterations=0)`
    to set the centroids yourself), then `add(vectors)`, then
    `search(queries, k, nprobe=…)`. Vectors are rows, as in `VectorIndex`; ids count
    from 0 in order of adding.

    Storage: the vectors are kept in one contiguous (n, dim) array sorted by list
    (and by id within a list), with `offsets` marking where each list starts, so a
    list is one slice and a search never loops over single vectors.
    """

    def __init__(self, dim: int, n_lists: int, dtype=np.float64):
        self._dim = as_int("dim", dim, low=1)
        self._n_lists = as_int("n_lists", n_lists, low=1)
        self._dtype = _float_dtype(dtype)
        self._centroids: np.ndarray | None = None  # (n_lists, dim)
        self._store = np.empty((0, self._dim), dtype)  # (n, dim), sorted by list, then id
        self._ids = np.empty(0, np.int64)  # (n,) the id of each row of _store
        self._offsets = np.zeros(self._n_lists + 1, np.int64)  # list j is rows [o[j], o[j+1])
        # For cosine: each stored row's largest |entry| and length ÷ it, in _store's order.
        self._scale, self._rel = np.empty(0), np.empty(0)

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def n_lists(self) -> int:
        return self._n_lists

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def is_trained(self) -> bool:
        return self._centroids is not None

    @property
    def centroids(self) -> np.ndarray:
        """(n_lists, dim) read-only: the centre of each cell, one per row."""
        return frozen(self._trained().copy())

    @property
    def offsets(self) -> np.ndarray:
        """(n_lists + 1,) read-only: list j is rows offsets[j] to offsets[j+1] of the store."""
        return frozen(self._offsets.copy())

    @property
    def lists(self) -> tuple[np.ndarray, ...]:
        """The ids held by each list, ascending: one read-only (size,) int64 array per list."""
        o = self._offsets
        return tuple(frozen(self._ids[o[j] : o[j + 1]].copy()) for j in range(self._n_lists))

    @property
    def list_sizes(self) -> np.ndarray:
        """(n_lists,) how many vectors each list holds."""
        return frozen(np.diff(self._offsets))

    @property
    def list_of(self) -> np.ndarray:
        """(n,) int64: the list of each stored vector, by id."""
        labels = np.repeat(np.arange(self._n_lists), np.diff(self._offsets))  # by row
        by_id = np.empty_like(labels)
        by_id[self._ids] = labels
        return frozen(by_id)

    @property
    def vectors(self) -> np.ndarray:
        """(n, dim) the stored vectors by id, one per row (a copy: they are kept by list)."""
        by_id = np.empty_like(self._store)
        by_id[self._ids] = self._store
        return frozen(by_id)

    def __len__(self) -> int:
        return self._ids.size

    def __repr__(self) -> str:
        state = f"{len(self)} vectors" if self.is_trained else "not trained"
        return f"IVFIndex(dim={self._dim}, n_lists={self._n_lists}, dtype={self._dtype}, {state})"

    def train(self, vectors, *, seed: int = 0, iterations: int = 20, init=None) -> KMeans:
        """Place the n_lists centroids by k-means (Lloyd's algorithm) on `vectors` (n, dim).

        Starts from `init` (n_lists, dim) if given, else from n_lists distinct vectors
        chosen with `seed`; `iterations=0` with `init` sets the centroids as given.
        Vectors already stored are put in the lists of the new cells. Returns what
        k-means did (every step), for the by-hand pictures.
        """
        rows = _checked_rows("vectors", vectors, self._dim)  # (n, dim)
        if init is not None:
            init = _check_centroids(init, self._n_lists)
            if init.shape[1] != self._dim:
                raise ValueError(
                    f"init has {init.shape[1]} numbers per centroid but the index holds "
                    f"{self._dim}-d vectors"
                )
        result = kmeans(rows, self._n_lists, seed=seed, iterations=iterations, init=init)
        with np.errstate(over="ignore"):
            centroids = result.centroids.astype(self._dtype)
        as_array("centroids", centroids, ndim=2)  # too large for the dtype: say so
        stored = self.vectors
        self._centroids = centroids
        self._store, self._ids = self._store[:0], self._ids[:0]
        self._offsets[:] = 0
        self._scale, self._rel = np.empty(0), np.empty(0)
        if stored.shape[0]:
            self.add(stored)
        return result

    def add(self, vectors) -> np.ndarray:
        """Put each vector (dim,) or (m, dim) in the list of its nearest centroid; their ids.

        Step 5, into cells. Ids count on from len(self). Nothing is stored if any entry
        is NaN, inf or too large for the dtype. The store is rebuilt in list order, so
        add in large batches.
        """
        self._trained()
        if isinstance(vectors, np.ndarray) and vectors.shape == (0, self._dim):
            return np.arange(len(self), len(self), dtype=np.int64)
        rows = _checked_rows("vectors", vectors, self._dim)  # (m, dim)
        with np.errstate(over="ignore"):
            new = rows.astype(self._dtype, copy=False)
        if not _all_finite(new):
            refuse_nonfinite(  # the first row with an entry beyond the dtype
                new,
                lambda where: (
                    f"vectors[{where[0]}] has entries too large for {self._dtype} (largest "
                    f"|entry| {np.abs(rows[where[0]]).max():g}): nothing was added"
                ),
            )
        n, m = len(self), new.shape[0]
        labels = np.concatenate(
            [
                np.repeat(np.arange(self._n_lists), np.diff(self._offsets)),
                assign(new, self._centroids),
            ]
        )  # (n + m,) the list of each row: the stored ones, then the new ones
        order = np.argsort(labels, kind="stable")  # by list; by id within a list
        self._store = np.concatenate([self._store, new])[order]
        self._ids = np.concatenate([self._ids, np.arange(n, n + m)])[order]
        scale, rel = row_scales(new)  # (m,) each
        self._scale = np.concatenate([self._scale, scale])[order]
        self._rel = np.concatenate([self._rel, rel])[order]
        self._offsets[1:] = np.cumsum(np.bincount(labels, minlength=self._n_lists))
        return np.arange(n, n + m, dtype=np.int64)

    def probe(self, queries, nprobe: int = 1) -> np.ndarray:
        """The nprobe lists whose centroids are nearest (Euclidean) to each query: (m, nprobe).

        Nearest first; equal distances keep the lower list first.
        """
        nprobe = self._check_nprobe(nprobe)
        rows = _checked_rows("queries", queries, self._dim)
        return nearest_centroids(rows.astype(self._dtype, copy=False), self._trained(), nprobe)

    def search(self, queries, k: int = 1, *, nprobe: int = 1, metric: str = "dot") -> IVFNeighbours:
        """The k best vectors of the nprobe nearest lists, for each query: step 7, approximately.

        queries : one (dim,) or many (m, dim). k : 1 ≤ k ≤ len(self). nprobe : how many
        lists to search, 1 ≤ nprobe ≤ n_lists (n_lists gives exact search). metric :
        "dot" or "cosine", as in `VectorIndex.search`.

        Returns ids and scores (m, k) ranked exactly as `VectorIndex.search` ranks them
        (best first, equal scores lower id first), padded with id −1 and score −inf
        when the probed lists hold fewer than k vectors; and what was probed.
        """
        metric = choice("metric", metric, METRICS)
        centroids = self._trained()
        if not len(self):
            raise ValueError("the index is empty: add vectors first")
        k = as_int("k", k, low=1)
        if k > len(self):
            raise ValueError(
                f"k = {k} but the index holds only {len(self)} vectors: k must be from 1 "
                f"to {len(self)}"
            )
        nprobe = self._check_nprobe(nprobe)
        rows = _checked_rows("queries", queries, self._dim).astype(
            self._dtype, copy=False
        )  # (m, dim)
        if metric == "cosine":
            rows = self._unit_queries(rows)
        probed = nearest_centroids(rows, centroids, nprobe)  # (m, nprobe)
        starts, ends = self._offsets[probed], self._offsets[probed + 1]  # (m, nprobe) each
        m = rows.shape[0]
        ids = np.full((m, k), -1, dtype=np.int64)  # −1 and −inf: nothing found
        scores = np.full((m, k), -np.inf, dtype=self._dtype)
        scanned = (ends - starts).sum(axis=1)  # (m,)
        buffer = np.empty(int(scanned.max(initial=0)), dtype=self._dtype)  # reused by each
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported
            for i, (first, last) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
                found, top = self._search_lists(rows[i], first, last, buffer, k, metric)
                ids[i, : found.size], scores[i, : found.size] = found, top
        return IVFNeighbours(
            ids=frozen(ids), scores=frozen(scores), probed=frozen(probed), scanned=frozen(scanned)
        )

    def _search_lists(self, query, first: list, last: list, buffer, k: int, metric: str):
        """One query (dim,) against store rows first[j] … last[j]−1 of each probed list j:
        its (up to) k best ids and scores, best first, equal scores lower id first. Only
        the scores ≥ the k-th best have their ids looked up: none per scanned vector."""
        lengths = [end - start for start, end in zip(first, last, strict=True)]
        scores = buffer[: sum(lengths)]  # (scanned,) list after list
        if not scores.size:  # every probed list is empty: nothing found
            return np.empty(0, np.int64), scores
        at = 0
        for start, end in zip(first, last, strict=True):  # each list: one slice, no copy
            np.matmul(self._store[start:end], query, out=scores[at : at + end - start])
            at += end - start
        if metric == "cosine":
            rows = _ranges(np.asarray(first), np.asarray(last))  # (scanned,) rows scored
            unit = np.asarray(query, dtype=np.float64)[None, :]  # (1, dim), length 1
            _to_cosines(
                scores[None, :], unit, self._store, rows, self._scale[rows], self._rel[rows]
            )
        if not _all_finite(scores):
            raise ValueError(
                f"the scores overflowed {self._dtype} (beyond ±{np.finfo(self._dtype).max:.1e}): "
                "the vectors are too large; scale them down"
            )
        if scores.size > k:  # keep every score ≥ the k-th best: all ties with it too
            kth = np.partition(scores, scores.size - k)[scores.size - k]
            kept = np.flatnonzero(scores >= kth)  # positions in `scores`
        else:
            kept = np.arange(scores.size)
        seg_at = np.cumsum(lengths) - lengths  # where each list's scores begin
        seg = np.searchsorted(seg_at, kept, side="right") - 1  # the list of each kept score
        kept_ids, kept_scores = self._ids[np.asarray(first)[seg] + kept - seg_at[seg]], scores[kept]
        order = np.lexsort((kept_ids, -kept_scores))[:k]  # by score descending, then id
        return kept_ids[order], kept_scores[order]

    def _trained(self) -> np.ndarray:
        if self._centroids is None:
            raise ValueError(
                "the index is not trained: call train(vectors) first, so that its "
                f"{self._n_lists} lists have centroids"
            )
        return self._centroids

    def _check_nprobe(self, nprobe) -> int:
        nprobe = as_int("nprobe", nprobe, low=1)
        if nprobe > self._n_lists:
            raise ValueError(
                f"nprobe = {nprobe} but the index has only {self._n_lists} lists: nprobe "
                f"must be from 1 to {self._n_lists}"
            )
        return nprobe

    def _unit_queries(self, rows: np.ndarray) -> np.ndarray:
        """The queries (m, dim) as unit rows in the store's dtype; none without a direction."""
        _refuse_no_direction(rows, self._scale, self._dtype, self._ids)
        return unit_rows(rows).astype(self._dtype)
