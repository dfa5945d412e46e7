"""HandCheck: type your hand-computed numbers into a grid and have each one checked."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from dlviz._table import html_table
from dlviz.checking import Step, Verdict, check
from dlviz.sheet import format_number, grid
from dlviz.widgets.static import StaticView

_LOOK = {  # status -> (background, mark, words for a screen reader)
    "right": ("#d9f0d3", "✓", "right"),
    "wrong": ("#f4a582", "✗", "wrong"),
    "unreadable": ("#fee090", "?", "not a number"),
    "empty": ("#f0f0f0", "…", "empty"),
}


def _cell_name(step: Step, i: int, j: int) -> str:
    row = step.rows[i] if step.rows else f"row {i + 1}"
    col = step.cols[j] if step.cols else f"column {j + 1}"
    return f"({row}, {col})" if step.rows else col


def verdict_html(step: Step, answers, verdict: Verdict) -> str:
    """The learner's answers, each marked right or wrong (colour and a mark), and the hints."""
    n_rows, n_cols = verdict.status.shape

    def cell(i: int, j: int) -> tuple[str, str, str]:
        status = verdict.status[i, j]
        bg, mark, words = _LOOK[status]
        typed = answers[i][j].strip() or " "
        title = verdict.notes[i][j] or words
        attributes = (
            f' data-status="{status}" title="{html.escape(title)}" '
            f'aria-label="{html.escape(typed)}: {words}"'
        )
        return f"{mark} {typed}", f"color:#000;background:{bg}", attributes

    parts = [
        html_table(
            n_rows, n_cols, cell, rows=step.rows or None, cols=step.cols or None,
            name=f"verdict-{step.key}",
        )
    ]  # fmt: skip
    counts = verdict.counts
    total = verdict.status.size
    if verdict.all_right:
        summary = f"✓ All {total} right."
    else:
        summary = f"{counts['right']} of {total} right"
        if counts["wrong"]:
            summary += f", {counts['wrong']} wrong (✗)"
        if counts["empty"]:
            summary += f", {counts['empty']} empty (…)"
        if counts["unreadable"]:
            summary += f", {counts['unreadable']} not readable as a number (?)"
        summary += "."
    parts.append(
        f'<div data-name="summary-{step.key}" style="margin:4px 0">{html.escape(summary)}</div>'
    )
    problems = [
        f"{_cell_name(step, i, j)}: {verdict.notes[i][j]}"
        for i in range(n_rows)
        for j in range(n_cols)
        if verdict.status[i, j] == "unreadable"
    ]
    items = [f"<li>{html.escape(p, quote=False)}</li>" for p in problems]
    for hint, cells in verdict.hints:
        where = ", ".join(_cell_name(step, i, j) for i, j in cells)
        items.append(
            f"<li><b>Hint</b> for {html.escape(where)}: {html.escape(hint, quote=False)}</li>"
        )
    if items:
        parts.append(
            f'<ul data-name="hints-{step.key}" style="margin:2px 0 0 0">{"".join(items)}</ul>'
        )
    return "".join(parts)


class HandCheck(StaticView, widgets.VBox):
    """A grid of answer boxes shaped like one step's expected matrix.

    Type numbers, decimals or fractions ("44/9", "15 1/3"); *Check* marks each
    cell ✓ or ✗ (with a colour, never colour alone), within the tolerance the
    by-hand rules imply, and explains known slips; *Show answer* reveals the
    expected grid only when asked.

    Build it from a `dlviz.checking.Step`, or with `HandCheck.follow(explorer, key)`
    so it checks the step `key` of whatever numbers the explorer currently shows.
    """

    static_kind = "try-it grid"

    def __init__(self, step: Step):
        self.step = step
        self.boxes: list[list[widgets.Text]] = []
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_gap="2px"))
        self._build_grid(step)
        self.check_button = widgets.Button(
            description="Check", button_style="primary", icon="check"
        )
        self.answer_button = widgets.ToggleButton(description="Show answer", icon="eye")
        self.title = widgets.HTML()
        self.verdict_area = widgets.HTML()
        self.answer_area = widgets.HTML(layout=widgets.Layout(display="none"))
        self.verdict: Verdict | None = None
        self.check_button.on_click(lambda _: self.check())
        self.answer_button.observe(lambda _: self._show_answer(), names="value")
        super().__init__(
            [
                self.title,
                self.grid,
                widgets.HBox([self.check_button, self.answer_button]),
                self.verdict_area,
                self.answer_area,
            ],
            layout=widgets.Layout(border="1px dashed #999", padding="6px 10px", margin="6px 0"),
        )
        self.add_class("dlviz-handcheck")  # so a page (and the browser test) can find it
        self.set_step(step)

    @classmethod
    def follow(cls, explorer, key: str) -> HandCheck:
        """A check of step `key` that follows the explorer's current numbers."""
        checker = cls(explorer.checks()[key])

        def changed(_):
            checker.set_step(explorer.checks()[key])

        explorer.observe(changed, names="result")
        return checker

    def _build_grid(self, step: Step) -> None:
        """Boxes shaped like the step's matrix, labelled like the sheet; what was typed
        stays where it still fits (an explorer may change the number of experts)."""
        shape = np.atleast_2d(step.expected).shape
        old = self.answers
        box_layout = widgets.Layout(width="6em")
        self.boxes = [
            [
                widgets.Text(
                    value=old[i][j] if i < len(old) and j < len(old[i]) else "",
                    placeholder="?",
                    layout=box_layout,
                    continuous_update=False,
                )
                for j in range(shape[1])
            ]
            for i in range(shape[0])
        ]
        label = widgets.Layout(justify_content="center")
        cells = []
        if step.cols:
            cells.append(widgets.HTML("", layout=label))
            cells += [widgets.HTML(html.escape(c), layout=label) for c in step.cols]
        for i, row in enumerate(self.boxes):
            cells.append(widgets.HTML(html.escape(step.rows[i]) if step.rows else "", layout=label))
            cells.extend(row)
        self.grid.children = cells
        # Labels as wide as they need, boxes at least a box wide, all packed to the left.
        self.grid.layout.grid_template_columns = (
            f"max-content repeat({shape[1]}, minmax(6.2em, max-content))"
        )
        self.grid.layout.justify_content = "flex-start"

    @property
    def answers(self) -> list[list[str]]:
        return [[box.value for box in row] for row in self.boxes]

    def type(self, values) -> None:
        """Fill the boxes (as a learner types), e.g. `type([["44/9", "42/9", "62/9"]])`."""
        for row_boxes, row in zip(self.boxes, values, strict=True):
            for box, value in zip(row_boxes, row, strict=True):
                box.value = str(value)

    def set_step(self, step: Step) -> None:
        """Check against new expected numbers (the typed answers stay where they fit)."""
        if (
            np.atleast_2d(step.expected).shape != np.atleast_2d(self.step.expected).shape
            or step.rows != self.step.rows
            or step.cols != self.step.cols
        ):
            self._build_grid(step)
        self.step = step
        self.title.value = (
            f'<b data-key="{html.escape(step.key)}">✎ Try it by hand first:</b> '
            f"{html.escape(step.title)}"
        )
        self.answer_area.value = grid(
            step.expected,
            rows=step.rows,
            cols=step.cols,
            title="the answer",
            fmt=step.fmt,
            name=f"answer-{step.key}",
        ).html
        if self.verdict is not None:
            self.check()  # numbers changed under a checked grid: check again at once

    def check(self) -> Verdict:
        """Mark every cell and show the hints; returns the verdict."""
        self.verdict = check(self.step, self.answers)
        self.verdict_area.value = verdict_html(self.step, self.answers, self.verdict)
        return self.verdict

    def _show_answer(self) -> None:
        shown = self.answer_button.value
        self.answer_area.layout.display = None if shown else "none"
        self.answer_button.description = "Hide answer" if shown else "Show answer"

    def __repr__(self) -> str:
        return f"HandCheck({self.step.key!r}: {self.step.title})"


def expected_text(step: Step) -> list[list[str]]:
    """The expected grid as the sheet writes it (handy in tests and notebooks)."""
    return [[format_number(v, step.fmt) for v in row] for row in np.atleast_2d(step.expected)]
