"""The k best of each row of scores, and vector lengths: shared by the indexes and the database."""

from __future__ import annotations

import numpy as np

from dlviz._checks import as_int
from dlviz._numerics import row_lengths

# Vector lengths have one home, dlviz._numerics (safe at any finite magnitude).
_row_norms = row_lengths


def _all_finite(arr: np.ndarray) -> bool:
    """No NaN and no inf, without a temporary as large as `arr` (min and max propagate NaN)."""
    return arr.dtype.kind in "iub" or bool(np.isfinite(arr.min()) and np.isfinite(arr.max()))


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
