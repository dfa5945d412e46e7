"""Where a try-it grid's numbers come from, said in words beside the grid.

A grid checks numbers that are the sheet's, an exercise's own (a fresh exercise an
explorer was started from, or one beyond the sheet), or whatever an explorer shows
now. A grid says "the sheet's numbers" only while they are the sheet's: each
`*_checks` names how its numbers differ (`Step.source`, "X edited, exact mode"), and
when they do not, whose they are (`Step.origin`, from `origin_of`).
"""

from __future__ import annotations

import numpy as np

SHEET = "the sheet's numbers"
OWN = "the exercise's own numbers (not the sheet's)"


def same_numbers(a, b) -> bool:
    """Whether two exercises (dicts, lists, tuples, texts and arrays, nested) hold the
    same numbers and texts."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
            and all(same_numbers(a[k], b[k]) for k in a)
        )  # fmt: skip
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_numbers(x, y) for x, y in zip(a, b, strict=True))
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=0, atol=1e-12))


def origin_of(exercise, sheet) -> str:
    """Whose numbers a grid checks when they are the exercise's: the sheet's, or the
    exercise's own (None is the sheet)."""
    return SHEET if exercise is None or same_numbers(exercise, sheet) else OWN
