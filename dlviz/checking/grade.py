"""Read what a learner typed and grade it cell by cell, as a careful teacher would.

The rules, in a teacher's words:

- A whole number or a fraction ("5", "5.", "44/9", "15 1/3", "15⅓") is right when it
  *is* the value: a trailing dot means a whole number, so "5." is 5, not "about 5".
- A decimal is right to the digits given: right when the exact value rounds to it
  ("4.89" and "4.9" for 44/9, "0.19" and "0.2" for 3/16). Where the sheet itself
  rounds (the weights to one decimal), the sheet's rounded value is right too, and a
  half rounds up as the sheet rounds it (3/4 is 0.8, not 0.7), so that the next step
  starts from the sheet's number. Elsewhere a half may go either way (0.25 → 0.2 or 0.3).
  What a pencil reaches by rounding on the way is right too, where a step lists it (`also`).
- A cell that a causal mask hides is right as "–" (how the explorer shows it) or as
  its value, 0: the query gives that key no weight.
- Nothing typed raises: unreadable text is marked "?" with the reason, however long,
  odd or huge it is; numbers are compared exactly (fractions), so a 300-digit answer
  is simply wrong. A cell whose expected value is not a finite number is marked wrong
  with a note saying so.

Numpy only; the hints (which slip explains the wrong cells) are in `hints.py`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

# The longest answer read: longer text is explained, not parsed (a pencil never gives it).
MAX_CHARS = 400

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SCIENTIFIC = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))[eE]([+-]?\d+)$")  # "1e5", "2.5E-1"
_LARGEST_POWER = 30  # of ten, either way: past it no answer here, and no float holds some
_FRACTION = re.compile(r"^([+-]?)(?:(\d+)\s+)?(\d+)\s*/\s*(\d+)$")
_VULGAR = re.compile(r"^([+-]?)(\d*)\s*([\u00bc-\u00be\u2150-\u215e])$")  # "15⅓", "½"
_MINUSES = {"−": "-", "–": "-", "—": "-", "﹣": "-", "－": "-", "＋": "+"}


def _clean(text: str) -> str:
    cleaned = text.strip()
    for odd, plain in _MINUSES.items():
        cleaned = cleaned.replace(odd, plain)
    return cleaned.replace(",", ".").replace("\u2044", "/")  # decimal comma, fraction slash


def parse_answer(text: str) -> Fraction:
    """Read what a learner typed: a whole number, a decimal, a fraction or a mixed number.

    "3", "3.", "-0.5", ".5", "44/9", "-1/3", "15 1/3" and "15⅓" (fifteen and a third),
    and "1e5" or "2.5E-1" (powers of ten up to ±30); a Unicode minus and a decimal comma
    are accepted too. Returns an exact Fraction.

    Raises ValueError with a sentence a learner can act on: empty, too long, not a
    number, or a division by zero; TypeError when given something other than text.
    """
    if not isinstance(text, str):
        raise TypeError(f"an answer is text, got {text!r}")
    cleaned = _clean(text)
    if not cleaned:
        raise ValueError("empty: type a number")
    if len(cleaned) > MAX_CHARS:
        raise ValueError(
            f"{len(cleaned)} characters is too long for an answer: type a number of at "
            f"most {MAX_CHARS} characters"
        )
    if _NUMBER.match(cleaned):
        return Fraction(cleaned.rstrip("."))
    match = _SCIENTIFIC.match(cleaned)
    if match:
        mantissa, power = match.groups()
        if abs(int(power)) > _LARGEST_POWER:
            raise ValueError(
                f"{text.strip()!r} is a number, but far too large or too small for any answer "
                f"here: no answer needs a power of ten past ±{_LARGEST_POWER}"
            )
        return Fraction(mantissa.rstrip(".")) * Fraction(10) ** int(power)
    match = _FRACTION.match(cleaned)
    if match:
        sign, whole, num, den = match.groups()
        if int(den) == 0:
            raise ValueError(f"{text.strip()!r} divides by zero")
        value = int(whole or 0) + Fraction(int(num), int(den))
        return -value if sign == "-" else value
    match = _VULGAR.match(cleaned)
    if match:
        sign, whole, vulgar = match.groups()
        value = int(whole or 0) + Fraction(unicodedata.numeric(vulgar)).limit_denominator(10)
        return -value if sign == "-" else value
    raise ValueError(f"{text.strip()!r} is not a number: write it like 3, -0.5 or 44/9")


def decimals_typed(text: str) -> int | None:
    """How many decimals a learner wrote ("0.19" → 2); None for a whole number or fraction.

    A trailing dot ("5.") writes a whole number: None, not 0.
    """
    cleaned = _clean(text) if isinstance(text, str) else ""
    if not _NUMBER.match(cleaned) or "." not in cleaned:
        return None
    return len(cleaned.split(".")[1]) or None


@dataclass(frozen=True, eq=False)
class Slip:
    """A known wrong way to do a step: the numbers it gives, what to say, how it is made.

    values: the grid the slip gives, or a stack of grids (m, rows, cols) when it can
    show up in several ways (one per term that lost its sign, say); NaN where it
    gives nothing. scope: "grid" for a slip made once for the whole grid (a
    transpose), named only when every cell it changes holds its number and no other
    cell is wrong; "cell" for a slip made cell by cell (a rounding), named for the
    wrong cells it explains (see `hints`). whole: how to say "every cell" for this
    slip ("the whole grid is transposed").
    """

    values: np.ndarray
    hint: str
    scope: str = "cell"
    whole: str = "every cell"


@dataclass(frozen=True, eq=False)
class Given:
    """An input a grid is graded against, shown beside it: name, matrix, labels, format,
    and how it is drawn (palette, scale and mask, as `dlviz.sheet.grid` takes them)."""

    name: str
    values: np.ndarray
    rows: tuple[str, ...] | None = None
    cols: tuple[str, ...] | None = None
    fmt: str = "auto"
    palette: str = "signed"
    scale: float | None = None
    mask: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Step:
    """One step a learner can check by hand: what is asked, the answer, the slips to spot.

    expected: the answer as the sheet writes it (shown by *Show answer*). exact: the
    unrounded value where the sheet rounds (the by-hand weights), else None; a typed
    decimal is right when `exact` rounds to it (a half rounding up, as the sheet
    rounds), a typed number right when it equals either. inputs: the matrices the
    answer is computed from, shown with the grid.
    source: how these numbers differ from the sheet's ("X edited", "exact mode"),
    empty for the sheet's own numbers. origin: where the numbers come from when
    `source` is empty: the sheet's, or an exercise beyond the sheet ("the IVF exercise").
    palette, scale: how the answer is drawn (see `dlviz.sheet.grid`). mask: False where
    a cell takes no part (a key hidden from a causal query): shown "–" as the explorer
    shows it, and a lone dash typed there is right, as is the value itself (a hidden
    key's weight is 0). also: other values that are right too, one grid or a stack
    (m, rows, cols), NaN where none: the ones a pencil reaches from the numbers as shown,
    rounding on the way (a loss worked from products rounded to 4 decimals); a typed
    number is right when one of them rounds to it, as for `exact`.
    """

    key: str
    title: str
    expected: np.ndarray
    rows: tuple[str, ...] | None = None
    cols: tuple[str, ...] | None = None
    fmt: str = "auto"
    slips: tuple[Slip, ...] = field(default_factory=tuple)
    exact: np.ndarray | None = None
    inputs: tuple[Given, ...] = field(default_factory=tuple)
    source: tuple[str, ...] = field(default_factory=tuple)
    origin: str = "the sheet's numbers"
    palette: str = "signed"
    scale: float | None = None
    mask: np.ndarray | None = None
    also: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return np.atleast_2d(self.expected).shape


@dataclass(frozen=True, eq=False)
class Hint:
    """A slip that explains wrong cells: what to say, the cells, and where in words."""

    text: str
    cells: tuple[tuple[int, int], ...]
    where: str


@dataclass(frozen=True, eq=False)
class Verdict:
    """The result of checking a grid of answers.

    status[i, j] is "right", "wrong", "empty" or "unreadable"; notes[i][j] explains
    the unreadable ones (and a wrong cell that has no finite answer); hints are the
    slips that explain the wrong cells (see `hints.choose`).
    """

    status: np.ndarray
    notes: tuple[tuple[str, ...], ...]
    hints: tuple[Hint, ...]

    @property
    def all_right(self) -> bool:
        return bool((self.status == "right").all())

    @property
    def counts(self) -> dict[str, int]:
        kinds = ("right", "wrong", "empty", "unreadable")
        return {k: int((self.status == k).sum()) for k in kinds}


def _exactly(value: float) -> Fraction | None:
    """A float as an exact Fraction; None when it is NaN or infinite."""
    value = float(value)
    return Fraction(value) if math.isfinite(value) else None


def _noise(target: Fraction) -> Fraction:
    # Expected values are floats: 44/9 is stored as 4.888…9. Allow for that, no more.
    return Fraction(1, 10**9) * max(1, abs(target))


def matches(
    answer: Fraction,
    places: int | None,
    exact: float,
    shown: float | None = None,
    *,
    half_up: bool = False,
) -> bool:
    """True if an answer (with `places` decimals typed, or None) is `exact`, or `shown`.

    A decimal matches when `exact` rounds to it at the digits given (at a tie, either
    neighbour; with `half_up`, only the one away from zero, as the sheet rounds); a
    whole number or fraction when it equals `exact`. Either matches when it equals
    `shown`, the sheet's rounded value. NaN and inf never match.
    """
    for target, rounds in ((exact, True), (shown, False)):
        if target is None:
            continue
        t = _exactly(target)
        if t is None:
            continue
        slack = _noise(t)
        if rounds and places is not None:
            half = Fraction(1, 2 * 10**places)
            if half_up and abs(abs(answer - t) - half) <= slack:  # a tie: the half rounds up
                if abs(answer) > abs(t):
                    return True
                continue
            slack += half
        if abs(answer - t) <= slack:
            return True
    return False


def answer_rows(answers, shape: tuple[int, int]) -> list[list[str]]:
    """The answers as rows of text, or a ValueError/TypeError that says what is wrong."""
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        raise TypeError(
            f"answers are a list of rows, each a list of texts, e.g. [['3', '44/9']]; "
            f"got {type(answers).__name__}"
        )
    rows = list(answers)
    if any(isinstance(r, (str, bytes)) or not isinstance(r, Sequence) for r in rows):
        raise ValueError(
            f"answers are rows: a list of {shape[0]} lists of {shape[1]} texts, e.g. "
            f"[{[''] * shape[1]!r}]; got a list of {type(rows[0]).__name__ if rows else '?'}"
        )
    lengths = [len(r) for r in rows]
    if len(rows) != shape[0] or any(n != shape[1] for n in lengths):
        raise ValueError(
            f"{len(rows)} rows of answers with {sorted(set(lengths))} cells each, for a "
            f"{shape[0]}×{shape[1]} grid: give {shape[0]} rows of {shape[1]}"
        )
    out = []
    for i, r in enumerate(rows):
        line = []
        for j, cell in enumerate(r):
            if isinstance(cell, (int, float, Fraction)) and not isinstance(cell, bool):
                cell = str(cell)
            if not isinstance(cell, str):
                raise TypeError(
                    f"answer in row {i + 1}, column {j + 1} is {cell!r}: answers are text "
                    "(or numbers)"
                )
            line.append(cell)
        out.append(line)
    return out


def grade_cells(step: Step, answers) -> tuple[np.ndarray, list[list[str]], dict]:
    """Status and notes of every cell, and the parsed answers of the readable ones."""
    expected = np.atleast_2d(np.asarray(step.expected, dtype=float))
    exact = expected if step.exact is None else np.atleast_2d(np.asarray(step.exact, float))
    rows = answer_rows(answers, expected.shape)
    status = np.empty(expected.shape, dtype=object)
    notes = [["" for _ in r] for r in rows]
    parsed: dict[tuple[int, int], tuple[Fraction, int | None]] = {}
    hidden = np.zeros(expected.shape, bool) if step.mask is None else ~np.asarray(step.mask, bool)
    also = np.empty((0, *expected.shape)) if step.also is None else np.asarray(step.also, float)
    also = also.reshape(-1, *expected.shape)  # (m, rows, cols)
    for (i, j), target in np.ndenumerate(expected):
        typed = rows[i][j]
        if hidden[i, j] and _clean(typed) == "-":  # "–", as the explorer draws a hidden cell
            status[i, j] = "right"
            continue
        try:
            value = parse_answer(typed)
        except ValueError as exc:
            status[i, j] = "empty" if not typed.strip() else "unreadable"
            notes[i][j] = str(exc)
            continue
        places = decimals_typed(typed)
        parsed[i, j] = (value, places)
        if not (math.isfinite(target) and math.isfinite(exact[i, j])):
            status[i, j] = "wrong"
            notes[i][j] = "these inputs give no finite number here, so no answer can be right"
        elif matches(value, places, exact[i, j], target, half_up=step.exact is not None) or any(
            matches(value, places, other[i, j]) for other in also
        ):
            status[i, j] = "right"
        else:
            status[i, j] = "wrong"
    return status, notes, parsed
