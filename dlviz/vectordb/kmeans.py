"""k-means by Lloyd's algorithm: the cells of an inverted-file index (`IVFIndex.train`).

Vectors are ROWS here, as in `VectorIndex`. One Lloyd step, from centroids c_1 … c_L::

    assign:   list(x) = the j with the smallest |x − c_j|²  (ties to the lower j)
    average:  new c_j = mean of the vectors assigned to j  (an empty list keeps c_j)

repeated until no vector changes list or `iterations` steps are done. The start is
`init` if given (whole numbers, for working by hand), else `n_lists` distinct stored
vectors picked by `numpy.random.default_rng(seed)`, so the same seed gives the same
cells on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_int, frozen, shape_text
from dlviz.vectordb._ranking import _top_k
from dlviz.vectordb.index import _checked_rows

# Distances computed at once, vectors × centroids: bounds the (b, n_lists) temporary
# (64 MB in float32) when a million vectors meet a thousand centroids.
_DISTANCES_PER_BLOCK = 2**24


def nearest_centroids(vectors, centroids, n: int = 1) -> np.ndarray:
    """The n centroids nearest to each vector (Euclidean), nearest first: (m, n) int64.

    vectors : (m, dim) rows; centroids : (n_lists, dim) rows. Equal distances keep the
    lower centroid first. |x − c|² = |x|² − 2·x·c + |c|², and |x|² is the same for every
    c, so the ranking uses |c|² − 2·x·c: one matrix product, in blocks of rows.
    """
    centroids = np.asarray(centroids)
    rows = _checked_rows("vectors", vectors, centroids.shape[1])  # (m, dim)
    dtype = rows.dtype if rows.dtype.kind == "f" else np.dtype(np.float64)  # float32 stays
    c = centroids.astype(dtype, copy=False)  # (n_lists, dim)
    c_sq = None  # (n_lists,) |c|², once, when the numbers are of ordinary size
    n = as_int("n", n, low=1, high=c.shape[0])
    block = max(1, _DISTANCES_PER_BLOCK // c.shape[0])
    found = np.empty((rows.shape[0], n), dtype=np.int64)
    for start in range(0, rows.shape[0], block):
        part = rows[start : start + block].astype(dtype, copy=False)  # (b, dim)
        top = max(float(np.abs(part).max()), float(np.abs(c).max()))
        if 0 < top and not 2.0**-200 < top < 2.0**200:
            # Far from 1 the squares overflow or lose digits; a power of two scales the
            # vectors and centroids exactly, and the nearest stays the nearest.
            power = -int(np.frexp(top)[1])
            part, c_scaled = np.ldexp(part, power), np.ldexp(c, power)
            shifted = np.einsum("ij,ij->i", c_scaled, c_scaled) - 2 * (part @ c_scaled.T)
        else:
            c_sq = np.einsum("ij,ij->i", c, c) if c_sq is None else c_sq
            shifted = c_sq - 2 * (part @ c.T)  # (b, n_lists): |x − c|² − |x|²
        if n == 1:
            found[start : start + block, 0] = np.argmin(shifted, axis=1)  # first = lower j
        else:
            found[start : start + block] = _top_k(-shifted, n)[0]
    return found


def assign(vectors, centroids) -> np.ndarray:
    """Step "assign" of Lloyd's algorithm: the nearest centroid of each vector, (m,) int64."""
    return nearest_centroids(vectors, centroids, 1)[:, 0]


def _means(rows: np.ndarray, labels: np.ndarray, old: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step "average": each list's mean in float64, (n_lists, dim), and the list sizes."""
    n_lists, dim = old.shape
    counts = np.bincount(labels, minlength=n_lists)  # (n_lists,)
    sums = np.stack(
        [np.bincount(labels, weights=rows[:, j], minlength=n_lists) for j in range(dim)], axis=1
    )  # (n_lists, dim), float64 whatever the rows' dtype
    means = old.astype(np.float64)  # an empty list keeps its centroid
    full = counts > 0
    means[full] = sums[full] / counts[full, None]
    return means, counts


@dataclass(frozen=True, eq=False)
class LloydStep:
    """One step of Lloyd's algorithm; read-only.

    centroids : (n_lists, dim) before the step.
    assignment : (n,) int64, the list of each vector: its nearest centroid.
    counts : (n_lists,) how many vectors each list got.
    new_centroids : (n_lists, dim) the mean of each list (an empty list keeps its centroid).
    """

    centroids: np.ndarray
    assignment: np.ndarray
    counts: np.ndarray
    new_centroids: np.ndarray


def lloyd_step(vectors, centroids) -> LloydStep:
    """One step of Lloyd's algorithm: assign each vector, then average each list.

    vectors (n, dim) and centroids (n_lists, dim), one per row. The new centroids are
    computed in float64, so a step on whole numbers gives exact averages.
    """
    c = _check_centroids(centroids, None)
    rows = _checked_rows("vectors", vectors, c.shape[1])  # (n, dim)
    labels = assign(rows, c)  # (n,)
    means, counts = _means(rows, labels, c)
    return LloydStep(frozen(c.copy()), frozen(labels), frozen(counts), frozen(means))


@dataclass(frozen=True, eq=False)
class KMeans:
    """What `kmeans` did; read-only.

    centroids : (n_lists, dim) the final centroids, float64.
    assignment : (n,) int64 the list of each training vector under the final centroids.
    steps : every Lloyd step taken, in order (none when iterations = 0).
    converged : True when the last step moved no vector to another list.
    """

    centroids: np.ndarray
    assignment: np.ndarray
    steps: tuple[LloydStep, ...]
    converged: bool


def kmeans(vectors, n_lists: int, *, seed: int = 0, iterations: int = 20, init=None) -> KMeans:
    """Lloyd's algorithm from a seeded start (or from `init`): the cells of an IVF index.

    vectors : (n, dim) rows, n ≥ n_lists. init : (n_lists, dim) starting centroids, or
    None for n_lists distinct vectors chosen by `default_rng(seed)`. Stops after
    `iterations` steps, or earlier when a step moves no vector to another list.
    """
    n_lists = as_int("n_lists", n_lists, low=1)
    iterations = as_int("iterations", iterations, low=0)
    seed = as_int("seed", seed, low=0)
    if init is None:
        rows = _checked_rows("vectors", vectors, _dim_of("vectors", vectors))  # (n, dim)
        if rows.shape[0] < n_lists:
            raise ValueError(
                f"k-means into {n_lists} lists needs at least {n_lists} vectors to start from, "
                f"got {rows.shape[0]}: train on more vectors or use fewer lists"
            )
        start = np.random.default_rng(seed).choice(rows.shape[0], n_lists, replace=False)
        centroids = rows[np.sort(start)].astype(np.float64)  # (n_lists, dim)
    else:
        centroids = _check_centroids(init, n_lists)
        rows = _checked_rows("vectors", vectors, centroids.shape[1])  # (n, dim)
    steps: list[LloydStep] = []
    converged = False
    for _ in range(iterations):
        step = lloyd_step(rows, centroids)
        # The same lists as the step before: the same means, so nothing moves any more.
        converged = bool(steps) and np.array_equal(step.assignment, steps[-1].assignment)
        steps.append(step)
        centroids = step.new_centroids
        if converged:
            break
    labels = steps[-1].assignment if converged else assign(rows, centroids)
    return KMeans(frozen(np.array(centroids)), frozen(labels), tuple(steps), converged)


def _dim_of(name: str, value) -> int:
    """The length of each row of `value`, or let `_checked_rows` word what is wrong with it."""
    try:
        shape = np.shape(value)
    except ValueError:  # ragged
        shape = ()
    if len(shape) == 2 and shape[1] > 0:
        return shape[1]
    if len(shape) == 1 and shape[0] > 0 and not isinstance(value, (str, bytes)):
        return shape[0]
    _checked_rows(name, value, 1)  # raises TypeError/ValueError naming the problem
    raise ValueError(f"{name} must be one vector per row (n×dim), got {value!r}")


def _check_centroids(centroids, n_lists: int | None) -> np.ndarray:
    """(n_lists, dim) float64 centroids, finite; the count checked when `n_lists` is given."""
    if np.ndim(centroids) != 2:
        what = shape_text(np.shape(centroids)) if np.ndim(centroids) else "not a matrix"
        raise ValueError(f"centroids must be one per row (n_lists×dim), got {what}")
    c = _checked_rows("centroids", centroids, np.shape(centroids)[1]).astype(np.float64)
    if n_lists is not None and c.shape[0] != n_lists:
        raise ValueError(
            f"centroids has {c.shape[0]} rows but the index has {n_lists} lists: "
            f"give one centroid per list, (n_lists×dim) = ({n_lists}×{c.shape[1]})"
        )
    return c
