"""The explorers' input controls: sliders and number grids that refuse what they cannot hold.

ipywidgets quietly caps a slider value outside min…max, truncates 2.5 to 2 on an
IntSlider and reads the text "3" as 3. These controls keep their value instead and
report the one they refused (`on_refused(control, value)`), so that the explorer can
say why on screen. A value equal to the current one, set again, raises no change
event; it is reported too (`on_accepted(control)`), so that the explorer can clear a
refusal it still shows.
"""

from __future__ import annotations

import html
import numbers

import ipywidgets as widgets
import numpy as np
import traitlets
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from dlviz._checks import as_float, shown


class Reporting:
    """A control that tells its explorer of a refused value and of a value set again."""

    on_refused = None  # on_refused(control, value): `value` was refused, the old one kept
    on_accepted = None  # on_accepted(control): a value equal to the current one was set

    def _refuse(self, value):
        if self.on_refused is not None:
            self.on_refused(self, value)
        return self.value

    def _accept(self, value):
        if self.on_accepted is not None and _same(value, self.value):
            self.on_accepted(self)  # no change event follows: say so
        return value


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and the like: not the same value
        return False


def slider_fault(value, low, high, *, whole: bool) -> type[Exception] | None:
    """Why a slider from `low` to `high` refuses `value`: TypeError, ValueError, or None.

    TypeError: not a real number (text, a boolean, None, an array) or, on a
    whole-number slider, a fraction. ValueError: NaN, or outside low…high.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return TypeError
    if value != value:
        return ValueError  # NaN
    if whole and not isinstance(value, numbers.Integral):
        try:
            if value != int(value):  # exact for fractions; inf has no whole value
                return TypeError
        except OverflowError:
            return ValueError
    return None if low <= value <= high else ValueError


def kind_fault(value, *, whole: bool) -> bool:
    """True if a slider refuses `value` for what it is, not for its size.

    That is: no real number at all (text, a boolean, None, an array), or a fraction
    on a whole-number slider. NaN and numbers out of range are faults of size.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return True
    return value == value and slider_fault(value, -np.inf, np.inf, whole=whole) is TypeError


def refusal_text(name: str, control, value) -> str:
    """Why slider `name` refused `value`, in a learner's words."""
    span = f"give one from {control.min:g} to {control.max:g}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return f"{name} = {shown(value)} is not a number: {span}"
    if value != value:
        return f"{name} = nan is not a number: {span}"
    if kind_fault(value, whole=control.whole):
        return f"{name} = {shown(value)} is not a whole number: {span}"
    return f"{name} = {number_text(value)} is outside its range, {control.min:g} to {control.max:g}"


def number_text(value) -> str:
    """A number for a message, however large: 2.5, 1e+400 as 'a 401-digit number …'."""
    try:
        return f"{float(value):g}"
    except OverflowError:
        return shown(value)


class _Unchecked(traitlets.Any):
    """A value trait that casts nothing and passes everything, None too, to the slider's check."""

    allow_none = False  # else traitlets would let None past the check unexamined


class _Strict(Reporting):
    """A slider that refuses, instead of capping or rounding, a value it cannot show.

    Refused (see `slider_fault`): anything but a real number (text, booleans, None),
    NaN, a fraction on a whole-number slider, and any number outside min…max. The
    value trait takes anything, so that nothing is cast (2.5 → 2, "3" → 3) before this
    check sees it; what is kept is always an int (whole) or a float.
    """

    whole = False

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        value = proposal["value"]
        if slider_fault(value, self.min, self.max, whole=self.whole) is not None:
            return self._refuse(value)
        return self._accept(int(value) if self.whole else float(value))


class StrictIntSlider(_Strict, widgets.IntSlider):
    """An IntSlider that refuses, rather than caps or truncates, a value set from Python."""

    whole = True
    value = _Unchecked(0, help="Int value").tag(sync=True)


class StrictFloatSlider(_Strict, widgets.FloatSlider):
    """A FloatSlider that refuses, rather than caps, a value set from Python.

    The browser's slider counts in steps and sends sums like 1.0000000000000002 for
    1.0 (it did on being enabled); that noise is dropped (12 significant digits), so
    a temperature the learner left at 1 stays 1.
    """

    value = _Unchecked(0.0, help="Float value").tag(sync=True)

    def _accept(self, value):
        return super()._accept(float(f"{value:.12g}"))


class MatrixInput(Reporting, widgets.GridBox):
    """A matrix of number boxes with row and column labels, as one control.

    `value` is the whole matrix as a tuple of row tuples; setting it fills the
    boxes, and typing in a box changes it. Python-side only: each box syncs itself.
    A value of another shape raises ValueError at once; an entry that is not a
    number, or too large for a float, is refused like a slider's bad value (the
    explorer says why, `problem` holds the words); NaN and inf are kept, for the
    computation to explain.
    """

    value = traitlets.Any()

    def __init__(self, values, *, rows, cols, title: str = "", step: float = 1.0):
        values = np.asarray(values, dtype=float)
        self.shape = values.shape
        self.row_labels, self.col_labels = list(rows), list(cols)
        self._names = [[f"{title}[{r}, {c}]" for c in cols] for r in rows]
        self.problem = ""
        self.typed_in = None  # the box whose change is going round (`_from_boxes`)
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
                    tooltip=self._names[i][j],
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
        cells += [  # centred over its column of boxes (the HTML widget spans the column)
            widgets.HTML(
                f'<div style="text-align:center">{html.escape(c)}</div>',
                layout=label,
                style=label_style,
            )
            for c in cols
        ]
        for i in range(self.shape[0]):
            cells.append(widgets.HTML(html.escape(rows[i]), layout=label, style=label_style))
            cells.extend(self.boxes[i])
        super().__init__(
            cells,
            layout=widgets.Layout(
                # Labels as wide as they need, packed to the left beside their boxes
                # (an "auto" column took the rest of the page, ~800 px from the boxes).
                grid_template_columns=f"max-content repeat({self.shape[1]}, 4.5em)",
                grid_gap="2px 2px",
                align_items="center",
                justify_content="flex-start",
                width="max-content",
                margin="0 18px 8px 0",
            ),
        )
        self.value = self._read()

    def _read(self) -> tuple:
        return tuple(tuple(box.value for box in row) for row in self.boxes)

    def _from_boxes(self, change) -> None:
        if not self._syncing:
            # While the change goes round, the box typed in: a refusal rings it alone.
            self.typed_in = change["owner"]
            try:
                self.value = self._read()
            finally:
                self.typed_in = None

    @traitlets.validate("value")
    def _check(self, proposal):
        value = proposal["value"]
        try:
            shape = np.shape(value)
        except ValueError:  # ragged rows
            shape = "ragged (rows of different lengths)"
        if shape != self.shape:
            raise ValueError(
                f"this input is a {self.shape[0]}×{self.shape[1]} matrix; got shape {shape}"
            )
        try:
            cells = tuple(
                tuple(as_float(self._names[i][j], v) for j, v in enumerate(row))
                for i, row in enumerate(value)
            )
        except (TypeError, ValueError) as exc:  # text, a boolean, a number beyond a float
            self.problem = str(exc)
            return self._refuse(value)
        return self._accept(cells)

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
