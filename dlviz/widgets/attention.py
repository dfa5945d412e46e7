"""The self-attention explorer: every step of the sheet, recomputed as you move a control."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from dlviz import examples
from dlviz._checks import as_int
from dlviz.attention import AttentionResult, self_attention
from dlviz.checking import attention_checks
from dlviz.multi_head import MultiHeadResult, multi_head_attention, positional_encoding
from dlviz.multi_head_checks import multi_head_checks
from dlviz.plots import AttentionHeatmap
from dlviz.sheet import labels
from dlviz.widgets.attention_messages import hand_rule_message
from dlviz.widgets.attention_steps import STEP_NAMES, focus_views, step_views
from dlviz.widgets.base import (
    Explorer,
    MatrixInput,
    StrictFloatSlider,
    StrictIntSlider,
    figure_image,
    focus_panel,
    placeholder,
    step_panel,
    view_toggle,
)
from dlviz.widgets.heads import MAX_HEADS, HeadsView, projector_heads, stacked_weights


class AttentionExplorer(Explorer):
    """Self-attention with live controls: mode, causal, temperature, step, and every input.

    controls: "mode" ("hand"/"exact"), "causal" (bool), "temperature" (exact path
    only), "step" (1-9: how much of the walk-through to show), "heads" (1-4: 1 is
    the sheet; 2 adds notebook 4's second head; 3 and 4 add small random heads),
    "positions" (bool: add the sinusoidal `positional_encoding` to X), "view" ("all"
    steps, or "projector": the step on the slider only, with its inputs, in large
    type), "X", "WQ", "WK", "WV" (`MatrixInput`s, head 1's weights; set `.value` to a
    nested list) and "reset" (a button back to the starting numbers). `result` is the
    current `AttentionResult` of head 1 (the walk-through); `multi` the
    `MultiHeadResult` it belongs to (every head side by side, the concatenation and
    WO = [I | … | I], which adds the heads' outputs).

    X, WQ, WK, WV: the numbers to start from (the sheet's by default), the keys of
    `examples.attention_exercise`, so a fresh exercise loads in one line:
    ``AttentionExplorer(**examples.attention_exercise(7))``.
    """

    def __init__(self, X=None, WQ=None, WK=None, WV=None, *, mode: str = "hand", step: int = 9):
        start = examples.attention_exercise()
        given = {"X": X, "WQ": WQ, "WK": WK, "WV": WV}
        start.update({k: v for k, v in given.items() if v is not None})
        first = self_attention(**start, mode=mode)  # refuse bad starting values loudly
        step = as_int("step", step, low=1, high=len(STEP_NAMES))  # as the step slider does
        n, d_model = first.n_tokens, first.X.shape[0]
        feats = labels("f", d_model)
        d_v = first.V.shape[0]
        matrices = {
            "X": MatrixInput(start["X"], rows=feats, cols=labels("x", n), title="X"),
            "WQ": MatrixInput(start["WQ"], rows=labels("", first.d_k), cols=feats, title="WQ"),
            "WK": MatrixInput(start["WK"], rows=labels("", first.d_k), cols=feats, title="WK"),
            "WV": MatrixInput(start["WV"], rows=labels("", d_v), cols=feats, title="WV"),
        }
        # Same label width for every control, so the slider tracks line up.
        label = {"description_width": "9em"}
        slider = widgets.Layout(width="34em")
        controls = {
            "mode": widgets.ToggleButtons(
                options=[("by hand", "hand"), ("exact", "exact")],
                value=mode,
                tooltip="the sheet's pencil rules, or the real formula",
                style={"button_width": "7em", **label},
                tooltips=["the sheet's pencil rules", "the real formula"],
            ),
            "causal": widgets.Checkbox(
                value=False, description="causal (no peeking ahead)", indent=False
            ),
            "temperature": StrictFloatSlider(
                value=1.0,
                min=0.1,
                max=5.0,
                step=0.1,
                description="temperature",
                readout_format=".1f",
                style=label,
                layout=slider,
            ),
            "step": StrictIntSlider(
                value=step,
                min=1,
                max=9,
                description="show up to step",
                style=label,
                layout=slider,
            ),  # fmt: skip
            "view": view_toggle(),
            "heads": StrictIntSlider(
                value=1,
                min=1,
                max=MAX_HEADS,
                description="heads",
                style=label,
                layout=slider,
            ),
            "positions": widgets.Checkbox(
                value=False, description="add positions (sin/cos) to X", indent=False
            ),
            **matrices,
            "reset": widgets.Button(
                description="back to the exercise",
                icon="undo",
                layout=widgets.Layout(width="auto"),  # as wide as its words, never cut
            ),  # fmt: skip
        }
        super().__init__(controls)
        # "back to the exercise" returns to the numbers it started from (the sheet's, or
        # a fresh exercise's: AttentionExplorer(**examples.attention_exercise(7))).
        self._exercise = {k: np.array(v, dtype=float) for k, v in start.items()}
        controls["reset"].on_click(lambda _: self.reset())
        controls["mode"].observe(self._mode_changed, names="value")
        self.step_name = widgets.HTML()
        # Drawn near the screen only (dlviz-lazy, see THEME_CSS): at 12 tokens a move
        # rewrites five tables, most of them scrolled away.
        self.panels = {
            k: widgets.HTML().add_class("dlviz-step").add_class("dlviz-lazy") for k in STEP_NAMES
        }
        self.heatmap = AttentionHeatmap(first)
        self.heads_view = HeadsView()
        self.multi: MultiHeadResult | None = None
        self.image = figure_image(self.heatmap)
        self.panels[8].layout.margin = "0 16px 0 0"
        # Steps flow side by side and wrap, so most of the walk-through fits on a screen.
        # (a Layout each: a step is hidden through its own layout's `visibility`, which
        # keeps its place, so the page does not jump as the step slider moves)
        self.step_boxes = {
            k: widgets.Box([p], layout=widgets.Layout(margin="0 28px 6px 0"))
            for k, p in self.panels.items()
            if k != 8
        }
        # Step 8 and the heatmap abreast, each at least as wide as its numbers (the grid)
        # or 360 px (the heatmap), both growing into what is left; the heatmap below
        # when that does not fit (12 tokens at 150 %), instead of the weights squeezed
        # into a sliver that scrolls.
        self.panels[8].layout.flex = "1 1 min-content"
        self.image.layout.flex = "1 1 360px"
        self.image.layout.max_width = self.image.layout.width
        self.step_boxes[8] = widgets.HBox(
            [self.panels[8], self.image],
            layout=widgets.Layout(
                flex_flow="row wrap", align_items="flex-start", margin="0 28px 6px 0"
            ),
        )
        self.step_boxes = dict(sorted(self.step_boxes.items()))  # steps in order
        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        grids = widgets.HBox(list(matrices.values()), layout=wrap)

        def inputs(*more):
            return widgets.Accordion(
                [widgets.VBox([grids, *more])], titles=("edit the inputs X, WQ, WK, WV",)
            )

        def mode_row(*more):
            # A label of the sliders' label width, so every control lines up.
            label = widgets.HTML(
                '<div style="text-align:right;padding-right:8px">mode</div>',
                layout=widgets.Layout(width="9em"),
            )
            return widgets.HBox(
                [label, controls["mode"], controls["causal"], *more],
                layout=widgets.Layout(flex_flow="row wrap", align_items="center", grid_gap="0 2em"),
            )

        def sliders(*more):
            return [
                widgets.HBox([controls["temperature"], controls["view"], *more], layout=wrap),
                widgets.HBox([controls["step"], self.step_name], layout=wrap),
            ]

        # The projector view: the controls, then the chosen step (of head 1) alone, in
        # large type. The controls of notebook 4 (positions, heads) follow the step there:
        # three lines of controls, not four.
        self.focus = widgets.HTML().add_class("dlviz-focus")  # the projector view's step
        later = widgets.HBox([controls["heads"], controls["positions"]], layout=wrap)
        # With several heads, from step 8: the heads side by side (and the concatenation
        # at step 9), in large type, under what is set once.
        self.heads_focus = widgets.HTML().add_class("dlviz-heads-focus")
        self._views = {
            # The message above the inputs' editor: open, it would push a refusal out of sight.
            # "back to the exercise" in sight, not in the folded editor: every "Try this"
            # starts with it (beside the view toggle, whose place it does not move). In the
            # projector view it stays with the inputs: a fourth line of controls at 150 %.
            "all": [mode_row(controls["positions"]), *sliders(controls["reset"]),
                    controls["heads"], self.message, inputs(), widgets.Box(
                list(self.step_boxes.values()),
                layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"),
            ), self.heads_view],
            "projector": [mode_row(), *sliders(), self.message, self.focus, later,
                          self.heads_focus, inputs(controls["reset"])],
        }  # fmt: skip
        self.children = self._views["all"]
        self._mode_changed()
        self.refresh()

    def _mode_changed(self, change=None) -> None:
        hand = self.controls["mode"].value == "hand"
        # A tick on the chosen button: the selected state is not left to a shade of grey.
        self.controls["mode"].icons = ["check", ""] if hand else ["", "check"]
        self.controls["temperature"].disabled = hand
        self.controls["temperature"].tooltip = (
            "the by-hand rules have no temperature: switch mode to exact" if hand else ""
        )

    def explain(self, exc: Exception) -> str:
        """The by-hand rules' limits in the learner's words, naming the control to change."""
        return hand_rule_message(str(exc)) or super().explain(exc)

    def compute(self) -> AttentionResult:
        """Head 1's result (the walk-through); all heads are kept in `multi`."""
        c = self.controls
        exact = c["mode"].value == "exact"
        X = np.array(c["X"].value, dtype=float)  # (d_model, n)
        if c["positions"].value:
            X = X + positional_encoding(X.shape[1], X.shape[0])  # (d_model, n)
        weights = stacked_weights(c["WQ"].value, c["WK"].value, c["WV"].value, c["heads"].value)
        multi = multi_head_attention(
            X, **weights, heads=c["heads"].value,
            mode=c["mode"].value, causal=c["causal"].value,
            temperature=c["temperature"].value if exact else 1.0,
        )  # fmt: skip
        self.multi = multi  # computed together with the result returned: one snapshot
        return multi.heads[0]

    def show(self, result: AttentionResult) -> None:
        step = self.controls["step"].value
        view = self.controls["view"].value
        positions = bool(self.controls["positions"].value)  # X + positions in step 1
        if self.children != tuple(self._views[view]):
            self.children = self._views[view]
        self.step_name.value = f"<i>{step}: {STEP_NAMES[step]}</i>"
        if view == "projector":
            title, body = focus_views(result, positions=positions)[step]
            self.focus.value = focus_panel(step, title, body)
            self.heads_focus.value = projector_heads(self.multi, step)
            return
        for k, (title, body) in step_views(result, positions=positions).items():
            # Later steps are hidden but keep their place (and are kept up to date).
            placeholder(self.step_boxes[k], k <= step)
            self.panels[k].value = step_panel(title, body)
        if step >= 8:
            self.heatmap.show(result, self.multi.n_heads, positions)
            self.image.value = self.heatmap.png()
        self.heads_view.show(self.multi, step)

    def _summary(self) -> dict:
        # One head and no positions is the sheet: say nothing of them then.
        summary = super()._summary()
        if summary.get("heads") == 1:
            del summary["heads"]
        if summary.get("positions") is False:
            del summary["positions"]
        return summary

    def checks(self) -> dict:
        """The steps a learner can check by hand (`HandCheck.follow`), for the current numbers."""
        ex, positions = self._exercise, bool(self.controls["positions"].value)
        return {
            **attention_checks(self.result, ex, positions=positions),
            **multi_head_checks(self.multi, ex, positions=positions),
        }

    def figures(self) -> list:
        return [self.heatmap]

    def back_to_sheet(self) -> None:
        """The sheet's numbers and its pencil rules (mode "hand"); the step shown stays."""
        with self.hold():
            self.reset()
            self.controls["mode"].value = "hand"

    def reset(self) -> None:
        """Back to the numbers it started from (mode and step stay as they are)."""
        with self.hold():
            for name, value in self._exercise.items():
                self.controls[name].value = value.tolist()
            self.controls["causal"].value = False
            self.controls["positions"].value = False
            self.controls["temperature"].value = 1.0
