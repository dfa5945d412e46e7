"""The notebooks in a real browser: JupyterLab in headless Chromium, driven by Playwright.

For each notebook of `NOTEBOOKS`: open it in a JupyterLab of our own (see
`browser_support.JupyterLab`), run every cell from the Run menu, check that no cell
failed, then use its explorer (the last widget output: the live one) as a learner
does, with the mouse and the keyboard, and read the recomputed numbers from the page.
A few presses of each notebook's `Probe` keys must each change its grid and picture.

Nothing is timed here and nothing is written outside `tmp_path`: the same cases are
timed by `benchmarks/browser_latency.py`, which alone writes `benchmarks/results/`.

Needs the system's Chromium (`/usr/bin/chromium`) and the `playwright` package;
skipped without them, except in CI (`CI=true`), where that is a failure (see the
`lab` and `browser` fixtures in conftest.py). Marked `browser`:
`python -m pytest -m browser -q -s`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

from tests.browser_page import (
    EXPLORER,
    STEP_TIMEOUT,
    expect_grid,
    js,
    open_and_run,
    press_and_watch,
    read_grid,
    slider_handle,
    slider_readout,
    wait_enabled,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
PRESSES = 4  # key presses on each notebook's probe, each of which must change the page


# --- what each notebook is checked for ------------------------------------------


@dataclass(frozen=True)
class Probe:
    """What to time: a slider (by its label), the keys that move it, and what they change."""

    slider: str  # the slider's description, as shown on the page
    keys: tuple[str, ...]  # pressed in turn, so the value stays in range
    grid: str  # data-name of the table whose numbers must change
    image: str | None = None  # CSS selector (inside the explorer) of a picture that changes


@dataclass(frozen=True)
class NotebookCase:
    name: str  # file in notebooks/
    check: Callable[[Page, Locator], Probe]  # drive the explorer and assert; say what to time
    hand_check: Callable[[Page], None] | None = None  # answer a "try it by hand" grid


def answer_hand_check(page: Page, key: str, answers: list[list[str]]) -> Locator:
    """Type answers into the HandCheck grid of step `key`, press Check; returns the verdict."""
    checker = page.locator(".dlviz-handcheck").filter(has=page.locator(f'[data-key="{key}"]')).first
    checker.scroll_into_view_if_needed()
    boxes = checker.locator("input[type=text]")
    flat = [a for row in answers for a in row]
    assert boxes.count() == len(flat), (boxes.count(), flat)
    for i, text in enumerate(flat):
        boxes.nth(i).fill(text)
        boxes.nth(i).press("Tab")  # the box sends its value when it loses focus
    checker.get_by_role("button", name="Check").click()
    verdict = checker.locator(f'table[data-name="verdict-{key}"]')
    verdict.wait_for()
    return checker


def hand_check_attention(page: Page) -> None:
    """Notebook 1: column sums with the sheet's classic slip in the first cell."""
    from playwright.sync_api import expect

    checker = answer_hand_check(page, "sums", [["15 1/3", "10", "7", "12"]])
    cell = checker.locator('table[data-name="verdict-sums"] td[data-row="0"][data-col="0"]')
    expect(cell).to_have_attribute("data-status", "wrong", timeout=STEP_TIMEOUT)
    expect(cell).to_contain_text("✗ 15 1/3")
    right = checker.locator('table[data-name="verdict-sums"] td[data-row="0"][data-col="1"]')
    expect(right).to_have_attribute("data-status", "right")
    expect(checker.locator('[data-name="summary-sums"]')).to_have_text("3 of 4 right, 1 wrong (✗).")
    expect(checker.locator('[data-name="hints-sums"]')).to_contain_text(
        "−½ was rounded down to −1 instead of toward zero"
    )


def hand_check_vectordb(page: Page) -> None:
    """Notebook 2: the published sheet's slip ('who' as [1, 0, 0, 0]) typed into step 7's
    grid, as its prose promises the grid recognises; column names that do not run together."""
    from playwright.sync_api import expect

    checker = answer_hand_check(page, "scores", [["44/9", "40/9", "60/9"]])
    expect(checker.locator('[data-name="summary-scores"]')).to_have_text(
        "1 of 3 right, 2 wrong (✗).", timeout=STEP_TIMEOUT
    )
    expect(checker.locator('[data-name="hints-scores"]')).to_contain_text("'who' lost")
    # "how are you", "who are you", "who am I" over the boxes once read as one line
    gaps = checker.evaluate(js("name_gaps"))
    print(f"\n[browser] column names of the scores grid {gaps} px apart")
    # a word space is about 4 px: names 6 px apart read as one line of words
    assert len(gaps) == 2 and min(gaps) >= 10, f"column names {gaps} px apart"


def formatted(matrix, fmt: str) -> list[list[str]]:
    return [[format(float(x), fmt) for x in row] for row in np.asarray(matrix)]


def check_attention(page: Page, explorer: Locator) -> Probe:
    """Notebook 1: "by hand" → "exact" changes A; the temperature slider changes it again."""
    from dlviz import examples, self_attention

    exercise = examples.attention_exercise()
    hand = self_attention(**exercise, mode="hand")
    exact = self_attention(**exercise, mode="exact")
    warmer = self_attention(**exercise, mode="exact", temperature=1.1)

    def mode(label: str):
        return explorer.locator(
            "button.widget-toggle-button", has_text=re.compile(rf"^\s*{label}\s*$")
        )

    # A by hand has one decimal (the sheet's rounding), exact A two. The explorer
    # starts by hand; clicking "by hand" first keeps the test true if that changes.
    mode("by hand").click()
    expect_grid(page, explorer, "weights", formatted(hand.weights, ".1f"))
    first = explorer.locator('table[data-name="weights"] td[data-row="0"][data-col="0"]').first
    assert first.text_content().strip() == format(hand.weights[0, 0], ".1f") == "0.2"

    mode("exact").click()
    expect_grid(page, explorer, "weights", formatted(exact.weights, ".2f"))
    expect_grid(page, explorer, "output", formatted(exact.output, ".2f"))
    assert first.text_content().strip() == format(exact.weights[0, 0], ".2f") == "0.26"

    # One ArrowRight on the temperature slider: 1.0 → 1.1 (its step).
    handle = slider_handle(explorer, "temperature")
    wait_enabled(page, handle)
    handle.focus()
    page.keyboard.press("ArrowRight")
    expect_grid(page, explorer, "weights", formatted(warmer.weights, ".2f"))
    expect_grid(page, explorer, "output", formatted(warmer.output, ".2f"))
    assert slider_readout(explorer, "temperature") == "1.1"
    assert first.text_content().strip() == format(warmer.weights[0, 0], ".2f")
    assert formatted(warmer.weights, ".2f") != formatted(exact.weights, ".2f")

    return Probe(
        slider="temperature",
        keys=("ArrowLeft", "ArrowRight"),  # 1.1 ↔ 1.0: A's second row changes each time
        grid="weights",
        image='.widget-hbox:has(table[data-name="weights"]) > img.widget-image',
    )


def check_moe(page: Page, explorer: Locator) -> Probe:
    """Notebook 3: two key presses on X1[1] (2 → 3) hand X1 from expert 2 to expert 1."""
    from dlviz import MixtureOfExperts, examples
    from dlviz.sheet import format_number
    from dlviz.widgets.moe import _fmt

    def shown(values):
        fmt = _fmt(values)
        return [[format_number(v, fmt) for v in row] for row in np.atleast_2d(values)]

    ex = examples.moe_exercise()
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])
    sheet = moe(ex["X"])
    X = ex["X"].astype(float)
    X[0, 0] = 3.0
    moved = moe(X)
    expect_grid(page, explorer, "chosen", shown(sheet.chosen + 1))
    assert read_grid(explorer, "chosen") == [["2", "1"]]  # the sheet: X1 → e2, X2 → e1
    expect_grid(page, explorer, "output", shown(sheet.output))

    handle = slider_handle(explorer, "X1[1]")
    handle.focus()
    page.keyboard.press("ArrowRight")  # 2.5
    page.keyboard.press("ArrowRight")  # 3: a tie, which goes to expert 1
    assert slider_readout(explorer, "X1[1]") == "3.0"
    expect_grid(page, explorer, "chosen", shown(moved.chosen + 1))
    assert read_grid(explorer, "chosen") == [["1", "1"]]
    expect_grid(page, explorer, "output", shown(moved.output))
    return Probe(
        slider="X1[1]",
        keys=("ArrowLeft", "ArrowRight"),  # 3 ↔ 2.5: the gate probabilities change each time
        grid="gate_probs",
        image="img.widget-image",  # the first picture: the gate's choices
    )


def check_vectordb(page: Page, explorer: Locator) -> Probe:
    """Notebook 2: dot → cosine re-ranks; one key press on P[1,1] moves every score, and
    the "try it by hand" scores grid, which follows this explorer, takes the new ones."""
    from playwright.sync_api import expect

    from dlviz import SentenceEncoder, VectorDatabase, Vocabulary, examples
    from dlviz._format import distinct_decimals
    from dlviz.sheet import format_number

    ex = examples.vectordb_exercise()
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])

    def scores(metric, P=None):
        database = VectorDatabase(encoder if P is None else encoder.with_params(P=P))
        database.add(ex["database"])
        found = database.search(ex["query"], k=1, metric=metric).scores
        fmt = "frac" if metric == "dot" else distinct_decimals(found)
        return [[format_number(v, fmt)] for v in found]

    expect_grid(page, explorer, "scores", scores("dot"))
    assert read_grid(explorer, "scores") == [["44/9"], ["14/3"], ["62/9"]]  # 42/9 = 14/3

    explorer.locator("button.widget-toggle-button", has_text=re.compile(r"^\s*cosine\s*$")).click()
    expect_grid(page, explorer, "scores", scores("cosine"))

    handle = slider_handle(explorer, "P[1,1]")
    handle.focus()
    page.keyboard.press("ArrowRight")  # 1 → 1.25
    assert slider_readout(explorer, "P[1,1]") == "1.25"
    P = np.array(ex["P"], dtype=float)
    P[0, 0] = 1.25
    expect_grid(page, explorer, "scores", scores("cosine", P))
    assert scores("cosine", P) != scores("cosine")
    # The "try it by hand" grid above follows this explorer: the new scores, typed in, are ✓.
    checker = answer_hand_check(page, "scores", [[row[0] for row in scores("cosine", P)]])
    expect(checker.locator('[data-name="summary-scores"]')).to_have_text(
        "✓ All 3 right.", timeout=STEP_TIMEOUT
    )
    expect(checker.locator('[data-name="source-scores"]')).to_contain_text(
        "from the explorer: P edited, cosine metric"
    )
    explorer.scroll_into_view_if_needed()
    return Probe(
        slider="P[1,1]",
        keys=("ArrowLeft", "ArrowRight"),  # 1.25 ↔ 1: every cosine changes
        grid="scores",
        image="img.widget-image",  # the first picture: the index vectors in the plane
    )


# One entry per notebook: each check drives its explorer (the expected numbers
# computed with dlviz, read back from the page) and returns the Probe to time.
NOTEBOOKS = [
    NotebookCase("01_self_attention.ipynb", check_attention, hand_check_attention),
    NotebookCase("02_vector_database.ipynb", check_vectordb, hand_check_vectordb),
    NotebookCase("03_mixture_of_experts.ipynb", check_moe),
]


# The explorers' step tables take the style every cell shares from dlviz's style sheet
# (dlviz._table.compact); the grids outside an explorer carry it inline. Both must look
# the same: these computed properties of a cell and of a label are compared.
SHARED_STYLE = """() => {
  const props = {td: ['paddingTop', 'paddingLeft', 'borderTopWidth', 'borderTopStyle',
                      'borderTopColor', 'textAlign', 'fontFamily', 'fontSize', 'lineHeight'],
                 th: ['paddingLeft', 'fontSize', 'color', 'borderTopWidth']};
  const outside = t => !t.closest('.dlviz-explorer') && !t.closest('.dlviz-static');
  const compact = document.querySelector('.dlviz-explorer table.dlviz-g');
  const inline = [...document.querySelectorAll('table[data-name]')].find(
      t => outside(t) && t.querySelector('th'));
  const read = (table, tag) => {
    const s = getComputedStyle(table.querySelector(tag));
    return Object.fromEntries(props[tag].map(p => [p, s[p]]));
  };
  if (!compact || !inline) return {missing: [!!compact, !!inline]};
  return {compact: [read(compact, 'td'), read(compact, 'th')],
          inline: [read(inline, 'td'), read(inline, 'th')]};
}"""


def check_shared_table_style(page: Page) -> None:
    styles = page.evaluate(SHARED_STYLE)
    assert "missing" not in styles, f"no explorer table or no grid outside it: {styles}"
    assert styles["compact"] == styles["inline"], json.dumps(styles)


# --- the test -------------------------------------------------------------------


@pytest.mark.parametrize("case", NOTEBOOKS, ids=[c.name.removesuffix(".ipynb") for c in NOTEBOOKS])
def test_notebook_in_jupyterlab(case: NotebookCase, page, lab, tmp_path):
    from playwright.sync_api import expect

    try:
        open_and_run(page, lab, NOTEBOOK_DIR / case.name)
        if case.hand_check is not None:  # before the explorer changes the numbers it follows
            case.hand_check(page)
        explorer = page.locator(EXPLORER).last
        expect(explorer.locator("table[data-name]").first).to_be_visible()
        check_shared_table_style(page)
        probe = case.check(page, explorer)
        expect(explorer.locator('[role="alert"]')).to_have_count(0)
        press_and_watch(page, explorer, probe, PRESSES)
        if page.problems:  # reported, not failed on: JupyterLab logs some of its own
            print("  the page reported:\n    " + "\n    ".join(page.problems))
    except BaseException:
        shot = tmp_path / f"failure_{case.name}.png"
        try:
            page.screenshot(path=str(shot))
        except Exception:  # the page may be gone
            pass
        if page.problems:
            print(f"\n[browser] {case.name}: the page reported:\n" + "\n".join(page.problems))
        print(f"\n[browser] {case.name}: screenshot of the failure: {shot}")
        raise
