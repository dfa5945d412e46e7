"""Which known slip explains a learner's wrong cells, and how to say where.

A slip *explains* a wrong cell when the typed number is what the slip gives there
(by the same rules a right answer is read: `grade.matches`) and the slip's number
differs from the right one. A hint is shown only when its slip

- explains most of the wrong cells still unexplained (more than half),
- is not ruled out by a right cell: a slip made once for the whole grid (scope
  "grid", e.g. a transpose) is ruled out by any cell done right where the slip would
  have given another number, and
- is the likeliest: slips are tried by how many wrong cells they explain, then in the
  order listed (likeliest first); each cell is explained by one slip only, and two
  slips giving the same numbers count as one.

Where a hint applies is said in words: "the whole grid", "row k3", "column q2", or
the cells themselves.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from dlviz.checking.grade import Hint, Step, matches


def cell_name(step: Step, i: int, j: int) -> str:
    """A cell as the sheet labels it: "(k1, q2)", or "q2" in a one-row grid."""
    n_rows = step.shape[0]
    col = step.cols[j] if step.cols else f"column {j + 1}"
    if n_rows == 1:
        return col
    row = step.rows[i] if step.rows else f"row {i + 1}"
    return f"({row}, {col})"


def where(step: Step, cells, changed) -> str:
    """Where a slip applies, in words: the whole grid, a row, a column, or the cells."""
    cells = sorted(cells)
    n_rows, n_cols = step.shape
    rows = {i for i, _ in cells}
    cols = {j for _, j in cells}
    everything = set(cells) == set(changed)
    if len(cells) > 1 and everything and len(rows) > 1 and len(cols) > 1:
        return "the whole grid"
    if len(cells) > 1 and len(rows) == 1 and n_rows > 1:
        i = cells[0][0]
        if set(cells) == {c for c in changed if c[0] == i} or len(cells) == n_cols:
            return f"row {step.rows[i] if step.rows else i + 1}"
    if len(cells) > 1 and len(cols) == 1 and n_cols > 1:
        j = cells[0][1]
        if set(cells) == {c for c in changed if c[1] == j} or len(cells) == n_rows:
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


def choose(step: Step, status: np.ndarray, parsed: dict) -> tuple[Hint, ...]:
    """The hints for graded cells (`status`, `parsed` from `grade.grade_cells`)."""
    shape = status.shape
    expected = np.atleast_2d(np.asarray(step.expected, dtype=float))
    exact = expected if step.exact is None else np.atleast_2d(np.asarray(step.exact, float))
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
        changed, explained, ruled_out = set(), set(), False
        for cell in np.ndindex(shape):
            gives = [
                v for v in values[(slice(None), *cell)]
                if np.isfinite(v) and not matches(Fraction(float(v)), None, exact[cell],
                                                  expected[cell])
            ]  # fmt: skip
            if not gives:
                continue  # the slip gives the right number here, or none
            changed.add(cell)
            if cell not in parsed:
                continue  # empty or unreadable: says nothing either way
            answer, places = parsed[cell]
            fits = any(matches(answer, places, v) for v in gives)
            if status[cell] == "right" and slip.scope == "grid" and not fits:
                ruled_out = True  # done right where the slip would have changed it
                break
            if cell in wrong and fits:
                explained.add(cell)
        if not ruled_out and explained:
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
        hints.append(Hint(slip.hint, tuple(sorted(cells)), where(step, cells, changed)))
        unexplained -= cells
        candidates.remove(best)
        if not unexplained:
            break
    return tuple(hints)
