"""The input and picture widgets the explorers use: strict sliders, a matrix of boxes,
a figure as an image, a step's panel. (`dlviz.widgets.base` hands them out too.)"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import traitlets
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle


class _Strict:
    """A slider that refuses a value outside min…max set from Python, instead of capping it.

    ipywidgets caps such a value without a word (top_k = 5 with 2 experts would quietly
    become 2). Here the slider keeps its value and calls `on_refused(slider, value)`,
    so that the explorer can say why (`Explorer.refusal`). NaN is refused too.
    """

    on_refused = None

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        value = proposal["value"]
        if self.min <= value <= self.max:  # False for NaN
            return value
        if self.on_refused is not None:
            self.on_refused(self, value)
        return self.value


class StrictIntSlider(_Strict, widgets.IntSlider):
    """An IntSlider that refuses, rather than caps, an out-of-range value set from Python."""


class StrictFloatSlider(_Strict, widgets.FloatSlider):
    """A FloatSlider that refuses, rather than caps, an out-of-range value set from Python."""


class MatrixInput(widgets.GridBox):
    """A matrix of number boxes with row and column labels, as one control.

    `value` is the whole matrix as a tuple of row tuples; setting it fills the
    boxes, and typing in a box changes it. Python-side only: each box syncs itself.
    """

    value = traitlets.Any()

    def __init__(self, values, *, rows, cols, title: str = "", step: float = 1.0):
        values = np.asarray(values, dtype=float)
        self.shape = values.shape
        self._syncing = False
        # One layout and one style shared by every box: a model each would be
        # hundreds of widget models, all saved in the notebook.
        box_layout = widgets.Layout(width="4.3em")
        box_style = DescriptionStyle()
        self.boxes = [
            [
                widgets.FloatText(
                    value=float(values[i, j]),
                    step=step,
                    layout=box_layout,
                    style=box_style,
                    tooltip=f"{title}[{rows[i]}, {cols[j]}]",
                )
                for j in range(self.shape[1])
            ]
            for i in range(self.shape[0])
        ]
        for row in self.boxes:
            for box in row:
                box.observe(self._from_boxes, names="value")
        label = widgets.Layout(justify_content="center")
        label_style = HTMLStyle()
        cells = [widgets.HTML(f"<b>{html.escape(title)}</b>", layout=label, style=label_style)]
        cells += [widgets.HTML(html.escape(c), layout=label, style=label_style) for c in cols]
        for i in range(self.shape[0]):
            cells.append(widgets.HTML(html.escape(rows[i]), layout=label, style=label_style))
            cells.extend(self.boxes[i])
        super().__init__(
            cells,
            layout=widgets.Layout(
                grid_template_columns=f"auto repeat({self.shape[1]}, 4.5em)",
                grid_gap="2px 2px",
                align_items="center",
                margin="0 18px 8px 0",
            ),
        )
        self.value = self._read()

    def _read(self) -> tuple:
        return tuple(tuple(box.value for box in row) for row in self.boxes)

    def _from_boxes(self, change) -> None:
        if not self._syncing:
            self.value = self._read()

    @traitlets.validate("value")
    def _check(self, proposal):
        value = proposal["value"]
        shape = np.shape(value)
        if shape != self.shape:
            raise ValueError(
                f"this input is a {self.shape[0]}×{self.shape[1]} matrix; got shape {shape}"
            )
        return tuple(tuple(float(v) for v in row) for row in value)

    @traitlets.observe("value")
    def _to_boxes(self, change) -> None:
        self._syncing = True  # one change of `value`, not one per box
        try:
            for row_boxes, row in zip(self.boxes, change["new"], strict=True):
                for box, v in zip(row_boxes, row, strict=True):
                    box.value = v
        finally:
            self._syncing = False

    @property
    def array(self) -> np.ndarray:
        return np.array(self.value, dtype=float)


def figure_image(live_figure, width: int | None = None) -> widgets.Image:
    """An `ipywidgets.Image` showing a `dlviz.plots.LiveFigure` (update with `.value`)."""
    px = width or live_figure.css_size[0]
    return widgets.Image(
        value=live_figure.png(), format="png", layout=widgets.Layout(width=f"{px}px")
    )


def step_panel(title: str, body) -> str:
    """One step of an explorer's walk-through: a bold heading over its grids (HTML)."""
    return (
        f'<div style="margin: 10px 0 2px 0; font-weight: bold">{html.escape(title)}</div>'
        f"{body.html}"
    )
