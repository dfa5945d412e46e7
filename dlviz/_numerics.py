"""Shared numerics: one column softmax with its intermediates, one non-finite refusal.

Attention (steps 6-8 of exercise 1) and the mixture of experts (step 2 of exercise 3)
both take a softmax down each column, and every computation refuses to pass on a
number float64 cannot hold. Both live here, once. Numpy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["ColumnSoftmax", "first_nonfinite", "refuse_nonfinite", "softmax_columns"]


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
