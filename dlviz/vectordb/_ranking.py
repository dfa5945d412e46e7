"""The k best of each row of scores, and vector lengths: shared by the indexes and the database."""

from __future__ import annotations

import numpy as np

from dlviz._checks import as_int
from dlviz._numerics import direction_problem, no_direction


def _all_finite(arr: np.ndarray) -> bool:
    """No NaN and no inf, without a temporary as large as `arr` (min and max propagate NaN)."""
    return arr.dtype.kind in "iub" or bool(np.isfinite(arr.min()) and np.isfinite(arr.max()))


def _refuse_no_direction(queries: np.ndarray, scale: np.ndarray, dtype, ids=None) -> None:
    """Cosine needs directions: refuse, in words, a query or stored row that has none.

    queries (m, dim); scale (n,), the stored rows' largest |entry| (`row_scales`); ids
    (n,), the stored rows' ids if they are not 0…n−1.
    """
    for i, query in enumerate(queries):
        problem = direction_problem(query)
        if problem:
            raise ValueError(
                f"query row {i} {problem}: cosine similarity is undefined for it; use "
                "metric='dot' or another query"
            )
    lost = np.flatnonzero(no_direction(scale, dtype))
    if lost.size:
        zero = not scale[lost].any()
        named = np.sort(lost if ids is None else ids[lost])
        listed = ", ".join(str(i) for i in named[:5]) + (", …" if lost.size > 5 else "")
        many = lost.size > 1
        what = (
            ("are zero vectors" if many else "is a zero vector") + " (length 0)"
            if zero
            else f"{'are' if many else 'is'} too small to have a direction (largest |entry| "
            f"{scale[lost].max():.3g}, below {np.finfo(dtype).tiny:.3g}, where floats lose "
            "their digits)"
        )
        raise ValueError(
            f"stored vector{'s' if many else ''} {listed} {what}: cosine similarity is "
            "undefined for them; use metric='dot'"
        )


def _to_cosines(scores, units, store, rows, scale, rel) -> np.ndarray:
    """Turn dot products into cosines, in place, safe at any finite magnitude.

    scores (m, n): the dot products, in the store's dtype, of unit rows `units` (m, dim)
    with the stored rows store[rows]; scale, rel (n,): those rows' largest |entry| and
    length ÷ it. An ordinary row's score is divided by its length; a row so large or so
    small that its dot product may have overflowed or lost digits (beyond the square
    root of the dtype's range) is scored again, divided first by its largest |entry|.
    """
    info = np.finfo(scores.dtype)
    extreme = np.flatnonzero((scale > np.sqrt(info.max)) | (scale < np.sqrt(info.tiny)))
    with np.errstate(over="ignore", invalid="ignore"):
        scores /= (scale * rel).astype(scores.dtype)  # ordinary rows' lengths never overflow
    if extreme.size:
        tamed = np.asarray(store[rows[extreme]], dtype=np.float64) / scale[extreme, None]
        scores[:, extreme] = (units @ tamed.T / rel[extreme]).astype(scores.dtype)  # (m, e)
    return scores


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


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The integers of [starts[0], ends[0]), then [starts[1], ends[1]), …, as one array."""
    lengths = ends - starts
    total = int(lengths.sum())
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)  # (total,)
    return shift + np.arange(total)


def _best(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The up-to-k highest scores, best first, equal scores lower id first: (ids, scores)."""
    if scores.size > k:
        kth = np.partition(scores, scores.size - k)[scores.size - k]  # the k-th best score
        better = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        tied = tied[np.argsort(ids[tied], kind="stable")[: k - better.size]]
        chosen = np.concatenate([better, tied])
    else:
        chosen = np.arange(scores.size)
    order = np.lexsort((ids[chosen], -scores[chosen]))  # by score descending, then id
    return ids[chosen[order]], scores[chosen[order]]


# The first block's threshold comes from about this many of its scores per query.
_SAMPLE = 4096

# Candidates a query may keep before its threshold is raised: bounds the memory.
_MAX_CANDIDATES = 4096


def _top_k_blocks(blocks, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best scores of each of m queries, read block by block: (ids, scores), (m, k) each.

    `blocks` yields (start, scores) with scores (m, b) for stored vectors start … start+b−1,
    in order; the first block has at least k columns. The answer is `_top_k` of all
    the blocks side by side: best first, equal scores lower id first.

    Each query keeps only the scores ≥ its threshold. The threshold starts as the k-th
    best of a sample of the first block, so it is never above the true k-th best: every
    score that can be in the top k, and every score equal to it, is kept. A query
    holding more than _MAX_CANDIDATES raises its threshold to the k-th best it holds.
    So the whole (m, n) score matrix is never held and never sorted: each block is
    compared with the thresholds once, and only the few kept scores are sorted.
    """
    rows, ids, scores = [], [], []
    counts = np.zeros(m, dtype=np.int64)
    threshold = None
    for start, block in blocks:  # (m, b)
        if threshold is None:
            step = max(1, block.shape[1] // _SAMPLE)
            sample = block[:, ::step] if block.shape[1] // step >= k else block  # (m, ≥ k)
            s = sample.shape[1]
            threshold = np.partition(sample, s - k, axis=1)[:, s - k]  # (m,) ≤ the k-th best
        # Row by row, columns ascending; flat is ~10x faster than 2-D np.nonzero.
        r, c = np.divmod(np.flatnonzero(block >= threshold[:, None]), block.shape[1])
        rows.append(r)
        ids.append(c + start)
        scores.append(block[r, c])
        counts += np.bincount(r, minlength=m)
        if counts.max() > _MAX_CANDIDATES:
            kept = _raise_thresholds(*map(np.concatenate, (rows, ids, scores)), threshold, k)
            rows, ids, scores = ([a] for a in kept)
            counts = np.bincount(rows[0], minlength=m)
    rows, ids, scores = _raise_thresholds(*map(np.concatenate, (rows, ids, scores)), threshold, k)
    order = np.lexsort((ids, -scores, rows))  # by query, then score descending, then id
    first = np.searchsorted(rows[order], np.arange(m))  # (m,) where each query's run starts
    pick = order[first[:, None] + np.arange(k)]  # (m, k)
    return ids[pick].astype(np.int64, copy=False), scores[pick]


def _raise_thresholds(rows, ids, scores, threshold, k):
    """Raise each query's threshold to the k-th best score it keeps; drop what falls below."""
    m = threshold.size
    counts = np.bincount(rows, minlength=m)  # (m,) every query keeps at least k
    order = np.argsort(rows, kind="stable")
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])  # (m,)
    dense = np.full((m, counts.max()), -np.inf, dtype=scores.dtype)  # (m, most kept)
    dense[rows[order], np.arange(rows.size) - first[rows[order]]] = scores[order]
    width = dense.shape[1]
    np.maximum(threshold, np.partition(dense, width - k, axis=1)[:, width - k], out=threshold)
    keep = scores >= threshold[rows]
    return rows[keep], ids[keep], scores[keep]
