"""What the claims tests share: the notebooks' markdown, their "Try this" items, quoted numbers.

Each notebook has its own claims module (`tests/test_claims_01.py`, `_02`, `_03`) with a
`Claims` object. It holds two kinds of checks, both read from the notebook's saved
markdown, so that an edit to the prose cannot drift from the code without a test failing:

- **Try this.** Every numbered item whose bold title opens it, in a section under a
  heading that contains "Try this" (the section runs on across markdown cells until the
  next heading without "Try this"), needs a check registered under its title::

      @claims.try_this("Make x2 attend mostly to x4", on=AttentionExplorer)
      def _(item: str, explorer):
          ...  # carry out the recipe through explorer.controls, exactly as `item` says
          assert ...  # the outcome the item promises, read from `item` where it is a number

  With `on=`, the check gets a fresh explorer, closed after it (also when it fails);
  without, it is called with the item alone. `claims.carry_out_in_order()` runs the
  checks again one after another on a single explorer, in the notebook's order, as a
  learner does the items: each check must then start as its item says it starts.

  A "Try this" item without a check fails the suite, and so does a check whose title is
  no longer in the notebook.

- **Quoted numbers.** `claims.number(pattern, compute)` finds `pattern` (a regular
  expression with one group per quoted number) in the markdown, exactly once, and
  compares each group with what `compute()` returns (a number, or a tuple with one per
  group). A quoted "0.92" must be the computed value rounded to two decimals, "44/9" the
  exact fraction, "70 %" the share rounded to whole percents, "3" a whole number.
  `claims.not_computed(pattern, reason)` marks digits that are not a result (a step
  number, a rule of the sheet such as "3ˣ for eˣ", a number from the literature).
  Every digit in the markdown outside headings and "Try this" items must be covered by
  one or the other: a new number in the prose fails the suite until it has a claim.
  A part with a claims module of its own (reading its cells by id) is handed over with
  `claims.checked_in("test_claims_03_capacity", "cap-intro", …)`.

Each `tests/test_claims_NN.py` runs the same few tests on its `Claims`, by naming it in a
subclass of `ProseTests` (do the same for a new notebook)::

    class TestProse(ProseTests):
        claims = claims

`test_quoted_number` (one test a claim, parametrized once the whole module is read, so
claims registered anywhere in it count), `test_every_number_in_the_prose_has_a_claim`,
`test_every_waiver_still_matches`, `test_every_try_this_has_a_check` and `test_try_this`.
A part with cells of its own reads them with `cells_by_id(notebook)`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# A number as the prose writes it: −2, 0.92, 44/9, 1,000,000, 70 %.
NUMBER = re.compile(r"(?<![\w.])[−-]?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?")
_ITEM = re.compile(r"^(\d+)\.\s+\*\*(.+?)\*\*", re.M)


@functools.cache
def _cells(notebook: str) -> tuple[tuple[str, str, str], ...]:
    """(id, cell type, source) of every cell of `notebooks/<notebook>*.ipynb`, in order.

    Read once per run: the tests never write the notebooks (tests/conftest.py checks).
    """
    (path,) = NOTEBOOKS.glob(f"{notebook}*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return tuple((c.get("id"), c["cell_type"], "".join(c["source"])) for c in cells)


def cells_by_id(notebook: str) -> dict[str, str]:
    """The source of every cell of `notebooks/<notebook>*.ipynb`, by the cell's id."""
    return {cell_id: source for cell_id, _, source in _cells(notebook)}


def markdown_cells(notebook: str, skip: tuple[str, ...] = ()) -> list[str]:
    """The source of every markdown cell of `notebooks/<notebook>*.ipynb`, in order.

    skip: ids of cells to leave out.
    """
    return [
        source
        for cell_id, kind, source in _cells(notebook)
        if kind == "markdown" and cell_id not in skip
    ]


def try_this_items(notebook: str) -> dict[str, str]:
    """The "Try this" items of a notebook: bold title (without a closing full stop) → text."""
    items: dict[str, str] = {}
    inside = False
    for source in markdown_cells(notebook):
        chunks = re.split(r"^(#+ .*)$", source, flags=re.M)
        for chunk in chunks:
            if re.match(r"#+ ", chunk):
                inside = "try this" in chunk.lower()
                continue
            if not inside:
                continue
            starts = list(_ITEM.finditer(chunk))
            ends = [m.start() for m in starts[1:]] + [len(chunk)] if starts else []
            for m, end in zip(starts, ends, strict=True):
                title = m.group(2).strip().rstrip(".")
                if title in items:
                    raise AssertionError(f"two 'Try this' items are titled {title!r}")
                items[title] = _unwrap(chunk[m.start() : end])
    return items


def _unwrap(text: str) -> str:
    """One line of text: the item's line breaks and indents become single spaces."""
    return " ".join(text.split())


def prose(notebook: str, skip: tuple[str, ...] = ()) -> str:
    """The markdown outside headings and "Try this" items, each cell as one line."""
    kept = []
    for source in markdown_cells(notebook, skip):
        text = "\n".join(line for line in source.splitlines() if not line.startswith("#"))
        kept.append(_unwrap(text))
    text = "\n".join(kept)
    for item in try_this_items(notebook).values():
        text = text.replace(item, " ")
    return text


def parse(quoted: str) -> float | Fraction:
    """A quoted number as a value: "−2" → -2, "44/9" → Fraction(44, 9), "1,000" → 1000."""
    quoted = quoted.replace("−", "-").replace(",", "").strip()
    if "/" in quoted:
        return Fraction(quoted)
    return float(quoted)


def agrees(quoted: str, value) -> bool:
    """Whether `quoted` is `value` as the prose should print it (rounded to its decimals)."""
    q = quoted.replace("−", "-").replace(",", "").strip()
    value = float(value) if not isinstance(value, Fraction) else value
    if "/" in q:
        return (
            Fraction(q) == Fraction(value).limit_denominator(1000)
            and abs(float(Fraction(q)) - float(value)) < 1e-9
        )
    decimals = len(q.split(".")[1]) if "." in q else 0
    # Rounded the way a reader rounds (half away from zero), with a hair of slack for
    # a value such as 0.915 that floating point stores as 0.91499…
    shown = float(q)
    return abs(float(value) - shown) <= 0.5 * 10.0**-decimals + 1e-9


def _on_fresh(make: Callable, check: Callable, item: str) -> None:
    explorer = make()
    try:
        check(item, explorer)
    finally:
        explorer.close()


@dataclass
class Claims:
    """The checks of one notebook's prose (see the module docstring)."""

    notebook: str
    checks: dict[str, Callable[[str], None]] = field(default_factory=dict)
    numbers: list[tuple[str, Callable]] = field(default_factory=list)
    waived: list[tuple[str, str]] = field(default_factory=list)
    elsewhere: dict[str, str] = field(default_factory=dict)  # cell id → the module checking it
    on_explorer: dict[str, tuple[Callable, Callable]] = field(default_factory=dict)

    def try_this(self, title: str, on: Callable | None = None):
        """Register the check of the "Try this" item titled `title`.

        on: an explorer class; the check is then called as `check(item, explorer)` on a
        fresh one, closed afterwards whether the check passes or fails.
        """

        def register(check):
            if title in self.checks:
                raise AssertionError(f"two checks for {title!r}")
            self.checks[title] = check if on is None else functools.partial(_on_fresh, on, check)
            if on is not None:
                self.on_explorer[title] = (on, check)
            return check

        return register

    def carry_out_in_order(self, by_hand: tuple[str, ...] = ()) -> None:
        """Every "Try this" item, in the notebook's order, on one explorer (closed after).

        A learner does the items one after another on the same explorer; this fails
        when an item only works from a fresh one. Every item needs an `on=` check, all
        on the same explorer class, but those named in `by_hand`: items worked on paper
        or in the notebook's cells, which leave the explorer alone.
        """
        items = try_this_items(self.notebook)
        assert set(by_hand) <= set(items), f"no such items: {set(by_hand) - set(items)}"
        items = {title: item for title, item in items.items() if title not in by_hand}
        assert set(items) == set(self.on_explorer), "every item needs a check with on="
        (make,) = {on for on, _ in self.on_explorer.values()}
        explorer = make()
        try:
            for title, item in items.items():
                self.on_explorer[title][1](item, explorer)
        finally:
            explorer.close()

    def number(self, pattern: str, compute: Callable) -> None:
        """Quoted numbers: each group of `pattern` must agree with `compute()`."""
        self.numbers.append((pattern, compute))

    def not_computed(self, pattern: str, reason: str) -> None:
        """Digits in `pattern` that are not a computed result, and why."""
        assert reason, "say why these digits need no computation"
        self.waived.append((pattern, reason))

    def checked_in(self, module: str, *cell_ids: str) -> None:
        """Cells whose every number another claims module (`tests/<module>.py`) checks.

        That module must read each cell by its id (`cells["<id>"]`); the coverage test
        of this notebook then leaves those cells to it.
        """
        source = (Path(__file__).parent / f"{module}.py").read_text()
        for cell_id in cell_ids:
            assert f'cells["{cell_id}"]' in source, f"{module} does not check cell {cell_id}"
            self.elsewhere[cell_id] = module

    # -- what the test modules run --------------------------------------------------

    def find(self, pattern: str) -> re.Match:
        text = prose(self.notebook)
        found = list(re.finditer(pattern, text))
        assert len(found) == 1, (
            f"notebook {self.notebook}: {pattern!r} is in the prose {len(found)} times "
            "(it must be there exactly once: a claim that moved or changed needs its test "
            "changed too)"
        )
        return found[0]

    def check_number(self, pattern: str, compute: Callable) -> None:
        m = self.find(pattern)
        values = compute()
        if not isinstance(values, tuple):
            values = (values,)
        assert len(values) == len(m.groups()), (
            f"{pattern!r} quotes {len(m.groups())} numbers, compute gives {len(values)}"
        )
        for quoted, value in zip(m.groups(), values, strict=True):
            assert agrees(quoted, value), (
                f"notebook {self.notebook} says {quoted} in {m.group(0)!r}; "
                f"the library gives {np.round(float(value), 6)}"
            )

    def uncovered(self) -> list[str]:
        """Digits of the prose covered by no claim and no waiver (with their context)."""
        text = prose(self.notebook, skip=tuple(self.elsewhere))
        covered = np.zeros(len(text), bool)
        for pattern in [p for p, _ in self.numbers] + [p for p, _ in self.waived]:
            for m in re.finditer(pattern, text):
                covered[m.start() : m.end()] = True
        missing = []
        for m in NUMBER.finditer(text):
            if not covered[m.start() : m.end()].all():
                missing.append(text[max(0, m.start() - 40) : m.end() + 20])
        return missing


class ProseTests:
    """The tests every notebook's claims module runs on its `claims` (see the module docstring).

    A subclass names the module's `Claims` as `claims`; pytest parametrizes the tests
    only once the whole module is read, so that a claim registered anywhere in it counts.
    """

    claims: Claims

    def pytest_generate_tests(self, metafunc):
        if "quoted" in metafunc.fixturenames:
            numbers = self.claims.numbers
            metafunc.parametrize("quoted", numbers, ids=[p[:40] for p, _ in numbers])
        if "title" in metafunc.fixturenames:
            metafunc.parametrize("title", sorted(try_this_items(self.claims.notebook)))

    def test_quoted_number(self, quoted):
        self.claims.check_number(*quoted)

    def test_every_number_in_the_prose_has_a_claim(self):
        missing = self.claims.uncovered()
        assert not missing, (
            f"numbers in notebook {self.claims.notebook}'s prose without a claim:\n"
            + "\n".join(missing)
        )

    def test_every_waiver_still_matches(self):
        text = prose(self.claims.notebook)
        for pattern, _ in self.claims.waived:
            assert re.search(pattern, text), f"{pattern!r} is no longer in the prose"

    def test_every_try_this_has_a_check(self):
        items, checks = try_this_items(self.claims.notebook), self.claims.checks
        assert set(items) == set(checks), (
            f"without a check: {sorted(set(items) - set(checks))}; "
            f"checks of items no longer there: {sorted(set(checks) - set(items))}"
        )

    def test_try_this(self, title):
        self.claims.checks[title](try_this_items(self.claims.notebook)[title])
