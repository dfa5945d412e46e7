"""Which known slip explains a learner's wrong cells, and how to say where.

A slip *explains* a wrong cell when the typed number is what the slip gives there
(by the same rules a right answer is read: `grade.matches`) and the slip's number
differs from the right one. A hint is shown only when its slip explains the wrong
cells it is shown for:

- a slip made once for the whole grid (scope "grid", e.g. a transpose) explains a
  grid only whole: every cell it changes holds its number (a right cell there only
  when that number is also right to the digits typed, an empty one never), and no
  other cell is wrong. Half a transpose, or a transpose and a slip of the pencil
  elsewhere, gets no such hint;
- a slip made cell by cell (a rounding) is shown for the wrong cells it explains,
  named, when they are most of the wrong cells still unexplained (more than half);
- slips are tried by how many wrong cells they explain, then in the order listed
  (likeliest first); each cell is explained by one slip only, and two slips giving
  the same numbers count as one.

Where a hint applies is said in words: "the whole grid", "row k3", "column q2", or
the cells themselves; a row, a column or the whole grid only when no other wrong
cell lies in it, so the words never claim more than the slip explains.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from dlviz.checking.grade import Hint, Step, matches


def cell_name(step: Step, i: int, j: int) -> str:
    """A cell as the sheet labels it: "(k1, q2)", "q2" in a one-row grid, or in a grid of
    one cell its row label if it has one ("loss", not the formula above it)."""
    n_rows, n_cols = step.shape
    if n_rows == n_cols == 1 and step.rows:
        return step.rows[0]
    col = step.cols[j] if step.cols else f"column {j + 1}"
    if n_rows == 1:
        return col
    row = step.rows[i] if step.rows else f"row {i + 1}"
    return f"({row}, {col})"


def where(step: Step, cells, changed, wrong=None) -> str:
    """Where a slip applies, in words: the whole grid, a row, a column, or the cells.

    cells: the wrong cells the hint is for; changed: every cell the slip changes;
    wrong: every wrong cell of the grid (`cells` if not given). A row, a column or the
    whole grid is named only when it holds no wrong cell but `cells`.
    """
    cells = sorted(cells)
    wrong = set(cells) if wrong is None else set(wrong)
    n_rows, n_cols = step.shape
    rows = {i for i, _ in cells}
    cols = {j for _, j in cells}
    alone = wrong == set(cells)
    everything = set(cells) == set(changed) and alone
    if len(cells) > 1 and everything and len(rows) > 1 and len(cols) > 1:
        return "the whole grid"
    if len(cells) > 1 and len(rows) == 1 and n_rows > 1:
        i = cells[0][0]
        if {c for c in wrong if c[0] == i} == set(cells) and (
            set(cells) == {c for c in changed if c[0] == i} or len(cells) == n_cols
        ):
            return f"row {step.rows[i] if step.rows else i + 1}"
    if len(cells) > 1 and len(cols) == 1 and n_cols > 1:
        j = cells[0][1]
        if {c for c in wrong if c[1] == j} == set(cells) and (
            set(cells) == {c for c in changed if c[1] == j} or len(cells) == n_rows
        ):
            return f"column {step.cols[j] if step.cols else j + 1}"
    if len(cells) > 1 and len(cells) == n_rows * n_cols:
        return "every cell"
    names = [cell_name(step, i, j) for i, j in cells]
    if len(names) > 4:
        return f"{len(names)} cells: " + ", ".join(names[:3]) + ", …"
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def _stack(slip_values, shape) -> np.ndarray | None:
    values = np.asarray(slip_values, dtype=float)
    if values.ndim < 3:
        values = values.reshape(shape)[None] if values.size == shape[0] * shape[1] else None
    if values is None or values.shape[1:] != shape:
        return None  # a slip of another shape cannot explain this grid
    return values


def _changes(step: Step, layer: np.ndarray) -> set:
    """The cells asked for where one way of making a slip gives another number."""
    expected = np.atleast_2d(np.asarray(step.expected, dtype=float))
    exact = expected if step.exact is None else np.atleast_2d(np.asarray(step.exact, float))
    asked = np.ones(expected.shape, bool) if step.mask is None else np.asarray(step.mask, bool)
    return {
        cell for cell in np.ndindex(expected.shape)
        if asked[cell] and np.isfinite(layer[cell])
        and not matches(Fraction(float(layer[cell])), None, exact[cell], expected[cell])
    }  # fmt: skip


def _fits(parsed: dict, cell, values, step: Step) -> bool:
    """Whether the number typed in `cell` is one a slip gives there (any of `values`),
    also as the step writes its answers where it rounds: "0" for 1/22 at one decimal,
    as "0" is right where the answer is 0.0."""
    if cell not in parsed:
        return False  # empty or unreadable
    answer, places = parsed[cell]
    return any(np.isfinite(v) and matches(answer, places, v, _as_rounded(step, v)) for v in values)


def _as_rounded(step: Step, value: float) -> float | None:
    """A slip's number rounded as the step rounds its answer (half up), or None if the
    step does not round (no `exact`) or writes no fixed number of decimals."""
    digits = re.fullmatch(r"\.(\d+)f", step.fmt)
    if step.exact is None or digits is None:
        return None
    scale = 10 ** int(digits.group(1))
    return float(np.sign(value) * np.floor(abs(value) * scale + 0.5) / scale)


def _explains(step: Step, slip, values, wrong: set, parsed: dict) -> tuple[set, set]:
    """The wrong cells a slip explains, and the cells it changes (both empty if none)."""
    if slip.scope == "grid":  # whole or not at all, one way of making it at a time
        for layer in values:
            changed = _changes(step, layer)
            if wrong <= changed and all(_fits(parsed, c, [layer[c]], step) for c in changed):
                return set(wrong), changed
        return set(), set()
    ways: dict = {}  # cell -> the numbers the slip gives there, one per way of making it
    for layer in values:
        for c in _changes(step, layer):
            ways.setdefault(c, []).append(layer[c])
    return {c for c in wrong & ways.keys() if _fits(parsed, c, ways[c], step)}, set(ways)


def choose(step: Step, status: np.ndarray, parsed: dict) -> tuple[Hint, ...]:
    """The hints for graded cells (`status`, `parsed` from `grade.grade_cells`)."""
    shape = status.shape
    wrong = {c for c in np.ndindex(shape) if status[c] == "wrong"}
    if not wrong:
        return ()
    candidates = []
    seen: list[np.ndarray] = []
    for order, slip in enumerate(step.slips):
        values = _stack(slip.values, shape)
        if values is None or any(
            v.shape == values.shape and np.array_equal(v, values, equal_nan=True) for v in seen
        ):
            continue
        seen.append(values)
        explained, changed = _explains(step, slip, values, wrong, parsed)
        if explained:
            candidates.append((order, slip, explained, changed))
    hints = []
    unexplained = set(wrong)
    while candidates:
        scored = [(len(c[2] & unexplained), -c[0], c) for c in candidates]
        count, _, best = max(scored, key=lambda s: s[:2])
        if 2 * count <= len(unexplained):
            break
        order, slip, explained, changed = best
        cells = explained & unexplained
        hints.append(Hint(slip.hint, tuple(sorted(cells)), where(step, cells, changed, wrong)))
        unexplained -= cells
        candidates.remove(best)
        if not unexplained:
            break
    return tuple(hints)
