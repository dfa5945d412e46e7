"""Numbers and labels as the sheets write them: shared by the grader and the display.

Numpy only (no HTML, no matplotlib), so `dlviz.checking` can word its hints with
the same numbers the grids show without importing the display layer.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["format_number", "labels"]


def labels(prefix: str, n: int) -> list[str]:
    """`labels("q", 3)` → `["q1", "q2", "q3"]`: 1-based, as on the sheets."""
    return [f"{prefix}{i + 1}" for i in range(n)]


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
