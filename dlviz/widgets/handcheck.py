"""HandCheck: type your hand-computed numbers into a grid and have each one checked."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from dlviz.checking import Step, Verdict, check
from dlviz.checking.hints import cell_name
from dlviz.checking.sources import SHEET
from dlviz.sheet import format_number, grid, row
from dlviz.widgets._cells import replaces_last_run
from dlviz.widgets._closing import close_tree
from dlviz.widgets.static import StaticView
from dlviz.widgets.verdict import verdict_html


class HandCheck(StaticView, widgets.VBox):
    """A grid of answer boxes shaped like one step's expected matrix.

    Type numbers, decimals or fractions ("44/9", "15 1/3"); *Check* marks each
    cell ✓ or ✗ (with a colour, never colour alone) as `dlviz.checking` grades it,
    and explains known slips; *Show answer* reveals the expected grid only when
    asked. The inputs the step is computed from are shown above the boxes, and when
    they are not the sheet's a line says so ("from the explorer: X edited, exact
    mode"), with a button back to the sheet's numbers. A cell that a causal mask
    hides shows "–", as in the explorer, and asks for nothing.

    Build it from a `dlviz.checking.Step`, or with `HandCheck.follow(explorer, key)`
    so it checks the step `key` of whatever numbers the explorer currently shows.
    Nothing typed, and nothing the explorer does, makes it raise.
    """

    static_kind = "try-it grid"

    def __init__(self, step: Step):
        self.step = step
        self.explorer = None
        self.key = step.key
        self.boxes: list[list[widgets.Text]] = []
        self._labels: list[widgets.HTML] = []
        # rows 2px apart; columns 12px, so long column names ("how are you", "who are you")
        # do not run together into one line
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_gap="2px 12px"))
        self._build_grid(step)
        self.check_button = widgets.Button(
            description="Check", button_style="primary", icon="check"
        )
        self.answer_button = widgets.ToggleButton(description="Show answer", icon="eye")
        self.sheet_button = widgets.Button(
            description="back to the sheet's numbers", icon="undo",
            layout=widgets.Layout(width="auto", display="none"),
        )  # fmt: skip
        self.title = widgets.HTML()
        self.source_area = widgets.HTML()
        self.inputs_area = widgets.HTML()
        self.verdict_area = widgets.HTML()
        self.answer_area = widgets.HTML(layout=widgets.Layout(display="none"))
        self.verdict: Verdict | None = None
        self.check_button.on_click(lambda _: self.check())
        self.sheet_button.on_click(lambda _: self.back_to_sheet())
        self.answer_button.observe(lambda _: self._show_answer(), names="value")
        super().__init__(
            [
                self.title,
                widgets.HBox([self.source_area, self.sheet_button],
                             layout=widgets.Layout(align_items="center")),
                self.inputs_area,
                self.grid,
                widgets.HBox([self.check_button, self.answer_button]),
                self.verdict_area,
                self.answer_area,
            ],
            layout=widgets.Layout(border="1px dashed #999", padding="6px 10px", margin="6px 0"),
        )  # fmt: skip
        self.add_class("dlviz-handcheck")  # so a page (and the browser test) can find it
        self.set_step(step)

    @classmethod
    def follow(cls, explorer, key: str) -> HandCheck:
        """A check of step `key` that follows the explorer's current numbers.

        Raises ValueError naming the steps there are when `key` is not one of them.
        """
        steps = explorer.current_checks()
        if key not in steps:
            raise ValueError(
                f"{type(explorer).__name__} has no step {key!r} to check: its steps are "
                + ", ".join(repr(k) for k in steps)
            )
        checker = cls(steps[key])
        checker.explorer = explorer
        checker.sheet_button.tooltip = "set the explorer back to the exercise's numbers"
        explorer.observe(checker._explorer_changed, names="result")
        explorer.add_follower(checker)
        checker._show_source()
        replaces_last_run(checker)
        return checker

    def _explorer_changed(self, change) -> None:
        # Called from the explorer's update: nothing here may break the explorer.
        try:
            self.set_step(self.explorer.current_checks()[self.key])
        except Exception as exc:  # noqa: BLE001 - shown in the grid, never raised into the explorer
            self.verdict_area.value = (
                f'<div role="alert">⚠ This grid could not follow the explorer: '
                f"{html.escape(str(exc))}</div>"
            )

    def back_to_sheet(self) -> None:
        """Set the explorer this grid follows back to the exercise's numbers."""
        if self.explorer is not None:
            self.explorer.back_to_sheet()

    def close(self) -> None:
        """Close the grid, its boxes and labels, and stop following the explorer."""
        if getattr(self, "explorer", None) is not None:
            try:
                self.explorer.unobserve(self._explorer_changed, names="result")
            except ValueError:
                pass  # already stopped
            self.explorer = None
        close_tree(
            *self.children, *(b for r in getattr(self, "boxes", ()) for b in r),
            *getattr(self, "_labels", ()),
        )  # fmt: skip
        self.layout.close()
        super().close()

    def _build_grid(self, step: Step) -> None:
        """Boxes shaped like the step's matrix, labelled like the sheet; what was typed
        stays where it still fits (an explorer may change the number of experts). The
        boxes and labels replaced are closed."""
        shape = step.shape
        old = self.answers
        old_widgets = [*(b for r in self.boxes for b in r), *self._labels]
        box_layout = widgets.Layout(width="6em")
        self.boxes = [
            [
                widgets.Text(
                    value=old[i][j] if i < len(old) and j < len(old[i]) else "",
                    placeholder="?",
                    layout=box_layout,
                    continuous_update=False,
                    tooltip=cell_name(step, i, j),  # its name, as a hint says it: (k2, q3)
                )
                for j in range(shape[1])
            ]
            for i in range(shape[0])
        ]
        label = widgets.Layout(justify_content="center")
        cells = []
        self._labels = []
        if step.cols:
            self._labels.append(widgets.HTML("", layout=label))
            self._labels += [  # centred over its column of boxes (the text box spans it)
                widgets.HTML(f'<div style="text-align:center">{html.escape(c)}</div>', layout=label)
                for c in step.cols
            ]
            cells += self._labels
        for i, row_boxes in enumerate(self.boxes):
            name = widgets.HTML(html.escape(step.rows[i]) if step.rows else "", layout=label)
            self._labels.append(name)
            cells.append(name)
            cells.extend(row_boxes)
        self.grid.children = cells
        # Labels as wide as they need, boxes at least a box wide, all packed to the left.
        self.grid.layout.grid_template_columns = (
            f"max-content repeat({shape[1]}, minmax(6.2em, max-content))"
        )
        self.grid.layout.justify_content = "flex-start"
        close_tree(*old_widgets)

    @property
    def answers(self) -> list[list[str]]:
        return [[box.value for box in row] for row in self.boxes]

    def type(self, values) -> None:
        """Fill the boxes (as a learner types), e.g. `type([["44/9", "42/9", "62/9"]])`.

        Raises ValueError when `values` is not shaped like the grid.
        """
        shape = self.step.shape
        rows = list(values) if not isinstance(values, (str, bytes)) else None
        if (
            rows is None
            or len(rows) != shape[0]
            or any(isinstance(r, (str, bytes)) or len(r) != shape[1] for r in rows)
        ):
            raise ValueError(
                f"type a list of {shape[0]} rows of {shape[1]} answers each, e.g. "
                f"{[[''] * shape[1]] * shape[0]!r}; got {values!r}"
            )
        for row_boxes, line in zip(self.boxes, rows, strict=True):
            for box, value in zip(row_boxes, line, strict=True):
                box.value = str(value)

    def set_step(self, step: Step) -> None:
        """Check against new expected numbers (the typed answers stay where they fit)."""
        if (
            step.shape != self.step.shape
            or step.rows != self.step.rows
            or step.cols != self.step.cols
        ):
            self._build_grid(step)
        self.step = step
        self._mark_hidden(step)
        self.title.value = (
            f'<b data-key="{html.escape(step.key)}">✎ Try it by hand first:</b> '
            f"{html.escape(step.title)}"
        )
        self.inputs_area.value = (
            row(*(grid(g.values, rows=g.rows, cols=g.cols, title=g.name, fmt=g.fmt,
                       palette=g.palette, scale=g.scale, mask=g.mask)
                  for g in step.inputs)).html
            if step.inputs else ""
        )  # fmt: skip
        self._show_source()
        self.answer_area.value = grid(
            step.expected,
            rows=step.rows,
            cols=step.cols,
            title="the answer",
            fmt=step.fmt,
            name=f"answer-{step.key}",
            palette=step.palette,
            scale=step.scale,
            mask=step.mask,
        ).html
        if self.verdict is not None:
            self.check()  # numbers changed under a checked grid: check again at once

    def _mark_hidden(self, step: Step) -> None:
        """A cell the causal mask hides shows "–" in a box that takes no answer, as the
        explorer shows it; when the mask goes, the box is cleared and open again."""
        shown = np.ones(step.shape, bool) if step.mask is None else np.asarray(step.mask, bool)
        for (i, j), visible in np.ndenumerate(shown):
            box = self.boxes[i][j]
            if not visible:
                box.value, box.disabled = "–", True
            elif box.disabled or box.value == "–":
                box.value, box.disabled = "", False

    def _show_source(self) -> None:
        source = self.step.source
        following = self.explorer is not None
        if source:
            where = "from the explorer" if following else "not the sheet's numbers"
            self.source_area.value = (
                f'<div data-name="source-{html.escape(self.step.key)}" style="font-style:italic">'
                f"<b>{where}:</b> {html.escape(', '.join(source))}</div>"
            )
        else:
            self.source_area.value = (
                f'<div data-name="source-{html.escape(self.step.key)}" style="font-style:italic">'
                f"{html.escape(self.step.origin, quote=False)}</div>"
            )
        self.sheet_button.layout.display = None if (source and following) else "none"
        # An explorer started from a fresh exercise goes back to that exercise's numbers.
        whose = "the sheet's" if self.step.origin == SHEET else "the exercise's"
        self.sheet_button.description = f"back to {whose} numbers"

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
