"""The small shared base of the explorers: one snapshot, bad input explained.

An explorer is an `ipywidgets.VBox` with

- `controls`: its input widgets by name; setting `controls[name].value` from Python
  recomputes everything at once, exactly as moving the widget does;
- `result`: the current computation result (a dataclass of the numpy layer);
- `message`: an area where bad input is explained in words. The last good result
  stays on screen and every control keeps working; the next good input clears it.

A subclass says how to compute (`compute`) and how to show a result (`show`).
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager

import ipywidgets as widgets
import traitlets

from dlviz._table import TABLE_CSS
from dlviz.palette import ORANGE
from dlviz.widgets._cells import replaces_last_run
from dlviz.widgets._closing import Closing
from dlviz.widgets._closing import close_tree as close_tree  # its home before, kept

# How a step is shown (its panel, the projector's large type, the view switch) lives in
# _views.py; the explorers import it from here too.
from dlviz.widgets._views import VIEWS as VIEWS
from dlviz.widgets._views import figure_image as figure_image
from dlviz.widgets._views import focus_panel as focus_panel
from dlviz.widgets._views import large_type as large_type
from dlviz.widgets._views import placeholder as placeholder
from dlviz.widgets._views import side_by_side as side_by_side
from dlviz.widgets._views import step_panel as step_panel
from dlviz.widgets._views import view_toggle as view_toggle

# The controls live in their own module; the explorers import them from here too.
from dlviz.widgets.controls import MatrixInput as MatrixInput
from dlviz.widgets.controls import Reporting, _Strict, kind_fault, refusal_text
from dlviz.widgets.controls import StrictFloatSlider as StrictFloatSlider
from dlviz.widgets.controls import StrictIntSlider as StrictIntSlider
from dlviz.widgets.static import StaticView

# The theme's own colours where ipywidgets' defaults fall short: the title of a folded
# part ("edit the inputs …") is --jp-ui-font-color2 on --jp-layout-color2, 4.2:1 in
# JupyterLab Dark (WCAG AA asks 4.5:1); the theme's first text colour keeps it readable.
# A grid of sliders (class dlviz-sliders) gives its readouts ("−1.00") the room they
# need, not ipywidgets' 72 px, so that the tracks stay long enough to drag at 150 %.
#
# The projector view's step (dlviz-focus) is as wide as the notebook, not as its widest
# grid: its heading wraps there, and a grid wider than a projector's screen (12 tokens at
# 150 %) scrolls sideways in it, instead of running past the notebook's edge.
#
# A step's tables (class dlviz-step) are contained: a move that rewrites them lays out
# and paints that step again, not the whole notebook around it (at class size the page
# spent 40-80 ms a key press on that). A table wider than the step scrolls inside it;
# the step's heading wraps at the step's width, not the table's.
# Steps (dlviz-lazy) are laid out and painted only near the screen (content-visibility),
# each keeping the size it was last drawn at: a database of 60 texts has 300 KB of
# tables, most of them scrolled away while a slider moves; attention at 12 tokens
# rewrites five tables a move. A step never drawn yet holds a 240 px square; the
# attention steps that flow side by side settle into their rows as they come near.
#
# The chosen button of a toggle (dot/cosine, fractions/decimals, the view) is underlined
# in the theme's blue: in JupyterLab Dark its shade alone differs by 1.4:1, and on a
# projector dot could not be told from cosine. (Not bold: "by hand ✓" no longer fit.)
#
# The input a refusal came from (class dlviz-at-fault) is ringed in the message's orange
# (a box shadow: the widgets' style sheet takes the inputs' outline away); a matrix of
# boxes refused as a whole is ringed around, not box by box.
#
# The steps' tables take the style every cell shares from here (TABLE_CSS, see
# dlviz._table.compact), not from each cell.
AT_FAULT = "dlviz-at-fault"
THEME_CSS = (
    "<style>.dlviz-explorer .jupyter-widget-Collapse-header{color:var(--jp-ui-font-color1)}"
    ".dlviz-explorer .dlviz-sliders .widget-readout{min-width:3.4em}"
    ".dlviz-explorer .dlviz-step{contain:layout style;overflow-x:auto}"
    ".dlviz-explorer .dlviz-lazy{content-visibility:auto;contain-intrinsic-size:auto 240px}"
    ".dlviz-explorer .dlviz-focus>.widget-html-content{min-width:0;overflow-x:auto}"
    ".dlviz-explorer .dlviz-step>.widget-html-content{min-width:0}"
    ".dlviz-explorer .widget-toggle-buttons .jupyter-button.mod-active"
    "{box-shadow:inset 0 -3px 0 var(--jp-brand-color1)}"
    f".dlviz-explorer .{AT_FAULT}:not(.widget-gridbox) :is(input,textarea)"
    f"{{box-shadow:0 0 0 3px {ORANGE}}}"
    f".dlviz-explorer .widget-gridbox.{AT_FAULT}{{box-shadow:0 0 0 3px {ORANGE}}}"
    f"{TABLE_CSS}</style>"
)

# How many times in a row `refresh` recomputes when observers keep changing controls.
MAX_ROUNDS = 20


def _emphasis(text: str) -> str:
    """*control* and *value* names in a message, shown in italics (as the notebooks do)."""
    return re.sub(r"\*([^*\s][^*]*)\*", r"<i>\1</i>", text)


class Explorer(StaticView, Closing, widgets.VBox):
    """Base class: recompute on every control change; explain bad input on screen."""

    static_kind = "explorer"  # a still view of it travels with the saved notebook

    # Observable (Python side only), so a HandCheck grid can follow the numbers shown.
    result = traitlets.Any(allow_none=True)

    def __init__(self, controls: dict[str, widgets.Widget], **kwargs):
        super().__init__(**kwargs)
        self.add_class("dlviz-explorer")  # so a page (and the browser test) can find it
        self.controls = controls
        self.result = None
        self.error: str = ""
        # The message area also carries the theme's style (see THEME_CSS): a <style> applies
        # while its element is hidden, and no child has to be added for it.
        self.message = widgets.HTML(THEME_CSS, layout=widgets.Layout(display="none"))
        self._held = 0
        self._refreshing = False
        self._checks_of = self._checks = None  # `checks()` of one result, for every follower
        self._pending = False
        self._closed = False
        self._moved_last = self._at_fault = None  # the control moved last; the one ringed
        self._followers: list = []
        replaces_last_run(self)  # a cell run again closes the explorer its last run made
        for control in controls.values():
            if "value" in control.trait_names():
                control.observe(self._on_change, names="value")
            if isinstance(control, Reporting):
                control.on_refused = self._refused
                control.on_accepted = self._accepted

    # -- what a subclass provides ----------------------------------------------------

    def compute(self):
        """Build the result from the controls' values (may raise ValueError/TypeError)."""
        raise NotImplementedError

    def show(self, result) -> None:
        """Update every view in place to show `result`."""
        raise NotImplementedError

    # -- the machinery ---------------------------------------------------------------

    def _on_change(self, change) -> None:
        self._moved_last = change.owner
        if not self._held:
            self.refresh()

    @contextmanager
    def hold(self):
        """Change several controls, then recompute once, on leaving the block."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
        if not self._held:
            self.refresh()

    def refresh(self) -> None:
        """Recompute from the controls and show the result, or explain what is wrong.

        One snapshot: the views are updated from the new result first (`show`), and only
        then is `result` set, so an observer of `result` (a following grid) sees views
        that already agree with it. An observer that changes a control meanwhile does
        not recompute in the middle: the change is noted and computed next, until the
        controls stop changing, so views, `result` and grids all end at the last state.
        """
        if self._refreshing:
            self._pending = True  # a control changed while we update: compute again after
            return
        self._refreshing = True
        try:
            for _ in range(MAX_ROUNDS):
                self._pending = False
                try:
                    result = self.compute()
                except (ValueError, TypeError) as exc:
                    self.show_error(self.explain(exc))
                else:
                    self.show_error("")
                    self.show(result)
                    self.result = result  # observers run here, after the views agree
                if not self._pending:
                    return
            self.show_error(
                f"the controls kept changing while updating ({MAX_ROUNDS} times in a row: an "
                "observer sets a control on every update); showing the last state computed"
            )
        finally:
            self._refreshing = False

    # -- following grids (closing: `Closing`) -----------------------------------------

    def checks(self) -> dict:
        """The steps a learner can check by hand (`HandCheck.follow`), for `result`."""
        raise NotImplementedError

    def current_checks(self) -> dict:
        """`checks()` for the current result, worked out once however many grids follow it
        (each following grid asks at every move; a notebook has three or four)."""
        if self._checks is None or self._checks_of is not self.result:
            self._checks, self._checks_of = self.checks(), self.result
        return self._checks

    def reset(self) -> None:
        """Back to the exercise's numbers."""
        raise NotImplementedError

    def back_to_sheet(self) -> None:
        """Back to the sheet: its numbers and its rules (what the grids' button does)."""
        self.reset()

    def explain(self, exc: Exception) -> str:
        """The learner's words for why the controls' values cannot be computed.

        The library's exceptions may speak code (``mode='exact'``, 0-based indices); a
        subclass rewords the ones its controls can cause, naming the control to change.
        Here: an entry of a matrix box that is not a finite number, named by the box's
        row and column labels, counted from 1 as on the sheet.
        """
        text = str(exc)
        entry = re.match(r"(\w+)\[(\d+), (\d+)\] is (\S+): every entry must be", text)
        box = self.controls.get(entry.group(1)) if entry else None
        if isinstance(box, MatrixInput):
            i, j = int(entry.group(2)), int(entry.group(3))
            what = "not a number" if entry.group(4) == "nan" else "infinite"
            return (
                f"{entry.group(1)}, row {box.row_labels[i]}, column {box.col_labels[j]}: "
                f"that entry is {what}. Type a number into its box."
            )
        return text

    def _ring(self, control) -> None:
        """Ring the input a refusal came from (`AT_FAULT`), or none. In a matrix, the box
        typed in, if a box was: every box of it ringed was a heavy orange lattice."""
        if isinstance(control, MatrixInput) and control.typed_in is not None:
            control = control.typed_in
        if control is self._at_fault:
            return
        if self._at_fault is not None:
            self._at_fault.remove_class(AT_FAULT)
        if control is not None:
            control.add_class(AT_FAULT)
        self._at_fault = control

    def show_error(self, text: str) -> None:
        """Explain bad input above the views (an empty text hides the message), and ring
        the input it came from: at 150 % the message can be a screen below the box typed
        in. A new problem rings the control changed last; the same problem, left while
        another control moves, keeps its ring where it was."""
        if not text:
            self._ring(None)
        elif text != self.error and self._moved_last in self.controls.values():
            self._ring(self._moved_last)
        self.error = text
        if not text:
            self.message.layout.display = "none"
            self.message.value = THEME_CSS
            return
        self.message.value = THEME_CSS + (
            f'<div role="alert" style="border-left: 4px solid {ORANGE}; background: #fff4e5; '
            'color: #3d2100; padding: 6px 10px; margin: 4px 0">'
            f"<b>⚠ Not recomputed:</b> {_emphasis(html.escape(text))}<br>"
            "<small>The views below still show the last good input; fix the value above "
            "and they update at once.</small></div>"
        )
        self.message.layout.display = None

    def _refused(self, control, value) -> None:
        self._moved_last = control
        name = next(n for n, c in self.controls.items() if c is control)
        if isinstance(control, _Strict) and kind_fault(value, whole=control.whole):
            text = refusal_text(name, control, value)  # not a number, or not a whole one
        elif isinstance(control, _Strict):
            text = self.refusal(name, control, value)
        else:
            text = control.problem  # a matrix names the entry at fault itself
        self.show_error(text)

    def _accepted(self, control) -> None:
        """A control was set to the value it holds: clear a refusal still on screen."""
        if self.error and not self._held:
            self.refresh()

    def refusal(self, name: str, slider, value) -> str:
        """Why number `value`, set from Python, does not fit slider `name` (NaN, or its range).

        Subclasses may say more; a value that is no number at all, or not a whole one on
        a whole-number slider, is explained by the base in the same words everywhere.
        """
        return refusal_text(name, slider, value)

    # Controls left out of the text form: how it is shown, not what it computes.
    _unsummarised: tuple[str, ...] = ("view",)

    def _summary(self) -> dict:
        """Control values to show in the text form of the explorer."""
        return {
            name: control.value
            for name, control in self.controls.items()
            if isinstance(getattr(control, "value", None), (bool, int, float, str))
            and name not in self._unsummarised
        }

    def __repr__(self) -> str:
        # The widget's own repr lists every child (PNG bytes included), and the
        # notebooks' text outputs are compared by nbval: keep it short and stable.
        shown = ", ".join(f"{k}={v!r}" for k, v in self._summary().items())
        return f"{type(self).__name__}({shown})"
