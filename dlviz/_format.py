"""Numbers and labels as the sheets write them: shared by the grader and the display.

Numpy only (no HTML, no matplotlib), so `dlviz.checking` can word its hints with
the same numbers the grids show without importing the display layer.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["distinct_decimals", "format_number", "grid_format", "labels", "whole"]


def labels(prefix: str, n: int) -> list[str]:
    """`labels("q", 3)` → `["q1", "q2", "q3"]`: 1-based, as on the sheets."""
    return [f"{prefix}{i + 1}" for i in range(n)]


def distinct_decimals(values, at_least: int = 3, at_most: int = 6) -> str:
    """A format spec (".3f" … ".6f") with the fewest decimals that print different values
    differently: cosines of 0.98612 and 0.98637 as 0.9861 and 0.9864, not 0.986 twice.
    """
    values = [float(v) for v in values]
    different = len({round(v, 12) for v in values})
    for d in range(at_least, at_most + 1):
        if len({format(v, f".{d}f") for v in values}) == different:
            return f".{d}f"
    return f".{at_most}f"


def format_number(x: float, fmt: str = "auto") -> str:
    """One number as the sheet writes it.

    fmt: "auto" — whole numbers as whole numbers (3, not 3.0), others with two
    decimals; "frac" — exact small fractions as fractions (44/9), whole numbers as
    such, anything else with two decimals; or a format spec such as ".1f".
    Never prints "-0". A number past 10¹⁵ (where floats stop holding every whole
    number) is written with three significant digits, 1.23e+20, not twenty digits
    that mean nothing; so is inf or nan, should one ever be shown.
    """
    x = float(x)
    if not abs(x) < 1e15:
        return format(x, ".3g")
    if fmt in ("auto", "frac"):
        if abs(x - round(x)) < 1e-9:
            return str(int(round(x)))
        if fmt == "frac":
            frac = Fraction(x).limit_denominator(1000)
            if abs(float(frac) - x) < 1e-9 * max(1.0, abs(x)):
                return f"{frac.numerator}/{frac.denominator}"
        fmt = ".2f"
    text = format(x, fmt)
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def whole(values, atol: float = 1e-9) -> bool:
    """Every entry within `atol` of a whole number: `np.allclose(values, np.round(values),
    rtol=0, atol=atol)`, at a tenth of its cost for finite values (a move formats some
    forty grids)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0 or not np.isfinite(values).all():
        return bool(np.allclose(values, np.round(values), rtol=0, atol=atol))
    return bool(np.abs(values - np.round(values)).max() <= atol)


def grid_format(values) -> str:
    """One format for every cell of a grid: "auto" if all are whole numbers, else ".2f"
    (not "auto" cell by cell, which prints a whole column of 2, 1, 0 beside 1.00, 0.84)."""
    return "auto" if whole(values) else ".2f"
