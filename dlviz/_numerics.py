"""Shared numerics: one column softmax, one non-finite refusal, one way to measure vectors.

Attention (steps 6-8 of exercise 1) and the mixture of experts (step 2 of exercise 3)
both take a softmax down each column, and every computation refuses to pass on a
number float64 cannot hold. Cosine search, the explorers' unit vectors and the
grader all measure lengths and directions the same way, safe at any finite
magnitude. Each lives here, once. Numpy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ColumnSoftmax",
    "direction_problem",
    "first_nonfinite",
    "no_direction",
    "refuse_nonfinite",
    "row_lengths",
    "row_scales",
    "softmax_columns",
    "unit_rows",
]


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare by identity
class ColumnSoftmax:
    """The steps of a softmax down each column of a (rows, columns) matrix.

    `shift` (columns,) is each column's largest (unmasked) value, subtracted before
    exponentiating so nothing overflows (softmax does not change when a column is
    shifted); `exp` (rows, columns) is e^(values - shift), 0 where masked; `sums`
    (columns,) adds each column of `exp` (at least 1: the largest contributes e⁰);
    `weights` (rows, columns) is exp / sums, each column adding up to 1.
    """

    shift: np.ndarray
    exp: np.ndarray
    sums: np.ndarray
    weights: np.ndarray


def softmax_columns(values: np.ndarray, mask: np.ndarray | None = None) -> ColumnSoftmax:
    """Softmax down each column of `values` (rows, columns), stable for any finite values.

    `mask` (rows, columns), if given, is False where an entry takes no part: its
    weight is exactly 0 and it does not count towards the column's shift. Every
    column needs at least one entry that takes part. Non-finite values give
    non-finite results, for the caller to refuse (see `refuse_nonfinite`).
    """
    values = np.asarray(values, dtype=float)
    if mask is None:
        shift = values.max(axis=0)  # (columns,)
        # A gap wider than float64 holds becomes -inf, and e^-inf = 0 is right for it.
        with np.errstate(over="ignore"):
            exp = np.exp(values - shift)  # (rows, columns), all ≤ 1
    else:
        mask = np.asarray(mask, dtype=bool)
        shift = np.where(mask, values, -np.inf).max(axis=0)  # (columns,)
        with np.errstate(over="ignore"):
            exp = np.where(mask, np.exp(np.where(mask, values - shift, 0.0)), 0.0)
    sums = exp.sum(axis=0)  # (columns,) ≥ 1
    return ColumnSoftmax(shift=shift, exp=exp, sums=sums, weights=exp / sums)


def first_nonfinite(values: np.ndarray) -> tuple[int, ...] | None:
    """The index of the first NaN or ±inf entry of `values` (in C order), or None."""
    finite = np.isfinite(values)
    if finite.all():
        return None
    return tuple(int(i) for i in np.argwhere(~finite)[0])


def refuse_nonfinite(values: np.ndarray, message: Callable[[tuple[int, ...]], str]) -> None:
    """Raise ValueError(message(index)) at the first NaN or ±inf entry of `values`, if any.

    `message` receives the entry's index so the refusal can name the place (and the
    value, `values[index]`) in the words of the step that produced it.
    """
    where = first_nonfinite(values)
    if where is not None:
        raise ValueError(message(where))


# -- lengths and directions, safe at any finite magnitude -------------------------------

# Below the smallest normal float (2.2e-308) a number keeps fewer digits the smaller it
# is (5e-324 has one), so a vector whose entries are all that small has no reliable
# direction: cosine refuses it, in words, as it refuses a zero vector.
SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)

# Rows per block when measuring many vectors in float64: bounds the temporary to
# 8 MB (at 64-d) however many rows there are.
_BLOCK = 16_384


def row_scales(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's length as `scale · rel`, never squaring a number that could overflow.

    rows (n, dim), any float or int dtype. Returns two (n,) float64 arrays: `scale`, the
    row's largest |entry|, and `rel`, the length of the row divided by it (from 1 to
    √dim; 0 for a zero row). The length itself, scale·rel, may be beyond float64 (a row
    of 1.7e308s), while the direction, row / scale / rel, always is a unit vector.
    """
    n = rows.shape[0]
    scale, rel = np.empty(n), np.empty(n)
    for start in range(0, n, _BLOCK):
        block = np.abs(rows[start : start + _BLOCK], dtype=np.float64)  # (b, dim)
        top = block.max(axis=1)  # (b,)
        block /= np.where(top > 0, top, 1.0)[:, None]  # entries in [0, 1]: squares are safe
        scale[start : start + _BLOCK] = top
        rel[start : start + _BLOCK] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return scale, rel


def row_lengths(rows: np.ndarray) -> np.ndarray:
    """(n,) float64 length of each row of (n, dim), exact to rounding from 1e-320 to 1e308.

    A length beyond float64 (rows of 1.7e308s) is inf: callers that need a direction
    use `unit_rows`, which never forms it.
    """
    scale, rel = row_scales(rows)
    with np.errstate(over="ignore"):
        return scale * rel


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """(n, dim) float64: each row of (n, dim) scaled to length 1, at any finite magnitude.

    Rows without a direction (`no_direction`) come out as zeros: callers refuse them
    first, in their own words.
    """
    scale, rel = row_scales(rows)
    ok = ~no_direction(scale)
    units = np.zeros(rows.shape)
    # Two divisions, never one by the length: scale·rel may overflow, scale and rel never do.
    units[ok] = np.asarray(rows[ok], dtype=np.float64) / scale[ok, None] / rel[ok, None]
    return units


def no_direction(scale: np.ndarray, dtype=np.float64) -> np.ndarray:
    """(n,) bool from `row_scales`' scale: the rows too small to have a direction.

    A zero row has none; a row whose entries are all below the smallest normal number
    of `dtype` (2.2e-308 for float64) has lost the digits that would fix one.
    """
    return np.asarray(scale) < np.finfo(dtype).tiny


def direction_problem(vector) -> str | None:
    """Why `vector` has no direction, in words ("is a zero vector"), or None if it has one."""
    scale, _ = row_scales(np.reshape(np.asarray(vector, dtype=np.float64), (1, -1)))
    if scale[0] == 0:
        return "is a zero vector (length 0)"
    if scale[0] < SMALLEST_NORMAL:
        return (
            f"is too small to have a direction (largest |entry| {scale[0]:.3g}, below "
            f"{SMALLEST_NORMAL:.3g}, where floats lose their digits)"
        )
    return None


def same_score(a, b) -> np.ndarray | bool:
    """Scores equal to the last bits of a float: a tie (a cosine computed two ways can
    differ in its last bit). Elementwise for arrays."""
    same = np.isclose(a, b, rtol=1e-9, atol=1e-12)
    return same if np.ndim(same) else bool(same)
