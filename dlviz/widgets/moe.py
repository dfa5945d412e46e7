"""The mixture-of-experts explorer: the gate's choices, the experts' work and the load, live.

It routes the sheet's tokens X1 and X2 (a slider for each of their numbers) through
the sheet's two experts; two more sliders add random tokens and random experts
(`examples.random_moe`, fixed seeds), so that the load and its imbalance show. Every
change recomputes the routing and updates the gate picture, the load bars and the
by-hand grids in place.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from dlviz import examples
from dlviz._checks import as_int
from dlviz.capacity_checks import capacity_checks
from dlviz.checking import moe_checks
from dlviz.checking.moe import sheet_differences
from dlviz.checking.sources import origin_of
from dlviz.moe import MixtureOfExperts, MoEResult
from dlviz.moe_capacity import as_capacity_factor
from dlviz.plots import GateHeatmap, LoadBars
from dlviz.widgets.base import Explorer, figure_image, focus_panel, step_panel
from dlviz.widgets.moe_controls import (
    CAPACITY_RANGE,
    MAX_EXPERTS,
    MAX_RANDOM_TOKENS,
    moe_controls,
    starting_exercise,
)
from dlviz.widgets.moe_controls import X_RANGE as X_RANGE  # the sliders' range, named here
from dlviz.widgets.moe_steps import SHOWN_TOKENS, shown_part, step_views
from dlviz.widgets.moe_steps import _fmt as _fmt  # its number formats, tested

CHECKED_TOKENS = 6  # the try-it grid of dropped slots asks for at most this many tokens


class MoEExplorer(Explorer):
    """A mixture of experts with live controls: the sheet's tokens, top_k, more tokens and experts.

    controls: "X1[1]", "X1[2]", "X1[3]", "X2[1]", "X2[2]", "X2[3]" (sliders from -5 to 5,
    step 0.5: the numbers f1, f2, f3 of the sheet's two tokens, counted from 1 as on
    the sheet), "top_k" (1 to the number of experts), "n_experts" (2 = the sheet's
    experts; up to 8, the extra ones random),
    "random_tokens" (0 = just X1 and X2; up to 64 more, random), "capacity" (a check
    box labelled "limit slots"), "capacity_factor" (0 to 4, step 0.25: each expert
    serves floor(factor · top_k · n_tokens / n_experts) slots while "capacity" is
    ticked) and "reset" (a button back to the exercise). Random parts come from
    `examples.random_moe(…, seed)`.

    `result` is the current `MoEResult`, `moe` the `MixtureOfExperts` that gave it.
    A value set from Python outside a slider's range is refused and explained in the
    message area; the views keep the last good numbers.

    X, gate_W, gate_b, experts: the exercise to start from (the sheet's by default),
    with the keys of `examples.moe_exercise`, so a fresh one loads in one line:
    ``MoEExplorer(**examples.moe_exercise(7))``. X holds two tokens of 3 numbers, each
    from -5 to 5 (the sliders' range); there are two experts, W 4×3 and b of 4. The
    reset button goes back to these numbers.

    "view" ("all" steps, or "projector": the step on the "step" slider only, 1-7, in
    large type, the pictures left out) and "step" are the projector view's. Step 7 is
    the load and the balance loss, with the capacity and the dropped slots while
    "capacity" is ticked.
    """

    _unsummarised = ("view", "step")  # the projector view's: not what it computes

    def __init__(
        self, *, top_k: int = 1, n_experts: int = 2, random_tokens: int = 0,
        capacity_factor: float | None = None, seed: int = 0,
        X=None, gate_W=None, gate_b=None, experts=None,
    ):  # fmt: skip
        # Refuse bad starting values loudly, before any widget exists.
        as_int("n_experts", n_experts, low=2, high=MAX_EXPERTS)
        as_int("random_tokens", random_tokens, low=0, high=MAX_RANDOM_TOKENS)
        capacity_factor = as_capacity_factor(capacity_factor)
        if capacity_factor is not None and not (
            CAPACITY_RANGE[0] <= capacity_factor <= CAPACITY_RANGE[1]
        ):
            raise ValueError(
                f"capacity_factor must be from {CAPACITY_RANGE[0]:g} to {CAPACITY_RANGE[1]:g} "
                f"in the explorer, got {capacity_factor:g}"
            )
        self.seed = as_int("seed", seed, low=0)
        self._setting = None  # ((n_experts, n_tokens, seed), random_moe of them): see _route
        self._start = starting_exercise(X, gate_W, gate_b, experts)
        first, moe = self._route(self._start["X"], top_k, n_experts, random_tokens, capacity_factor)
        controls = moe_controls(self._start["X"], top_k, n_experts, random_tokens, capacity_factor)
        super().__init__(controls)
        controls["reset"].on_click(lambda _: self.reset())

        self.gate = GateHeatmap(
            first, max_experts=MAX_EXPERTS, max_tokens=SHOWN_TOKENS, figsize=(5.2, 3.6)
        )
        self.load = LoadBars(first, max_experts=MAX_EXPERTS, figsize=(3.8, 3.6))
        self.gate_image = figure_image(self.gate)
        self.load_image = figure_image(self.load)
        self._shown_keys: dict[str, bytes] = {}
        # The keys of step_views: every one of them is a step of the projector view too.
        self.panels = {
            k: widgets.HTML().add_class("dlviz-step").add_class("dlviz-lazy")
            for k in range(1, controls["step"].max + 1)
        }  # one under another: drawn near the screen only (see THEME_CSS)

        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        tokens = widgets.HBox(
            [widgets.VBox([controls[f"X{j}[{i}]"] for i in (1, 2, 3)]) for j in (1, 2)],
            layout=wrap,
        )
        sizes = widgets.HBox(
            [controls["top_k"], controls["n_experts"], controls["random_tokens"]], layout=wrap
        )
        capacity = widgets.HBox(  # a gap: "limit slots" and "capacity factor" are two controls
            [controls["capacity"], controls["capacity_factor"]],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center", grid_gap="0 1.5em"),
        )
        self.focus = widgets.HTML().add_class("dlviz-focus")  # the projector view's step
        self._views = {
            "all": [
                sizes,
                capacity,
                tokens,
                widgets.HBox([controls["reset"], controls["view"]], layout=wrap),
                self.message,
                widgets.HBox([self.gate_image, self.load_image], layout=wrap),
                *self.panels.values(),
            ],
            # The projector view: the tokens, top_k and the chosen step alone, in large type,
            # on three lines of controls; what is set once (the numbers of experts and of
            # tokens, the capacity) follows the step.
            "projector": [
                widgets.GridBox(  # X1's numbers in a row, X2's under them: two lines
                    [controls[f"X{j}[{i}]"] for j in (1, 2) for i in (1, 2, 3)],
                    layout=widgets.Layout(grid_template_columns="repeat(3, max-content)"),
                ),
                widgets.HBox([controls["top_k"], controls["step"], controls["view"]], layout=wrap),
                self.message,
                self.focus,
                widgets.HBox([controls["n_experts"], controls["random_tokens"]], layout=wrap),
                widgets.HBox([capacity, controls["reset"]], layout=wrap),
            ],
        }
        self.children = self._views["all"]
        self.refresh()

    # -- computing -----------------------------------------------------------------------

    def _route(self, X_sheet, top_k, n_experts, random_tokens, capacity_factor=None):
        """The sheet's tokens (columns of X_sheet) and the random setting, routed."""
        key = (n_experts, 2 + random_tokens, self.seed)
        if self._setting is None or self._setting[0] != key:  # drawn again only when resized
            self._setting = (key, examples.random_moe(*key[:2], seed=self.seed))
        setting = self._setting[1]  # (read only: copied below)
        X = np.array(setting["X"], dtype=float)  # (3, 2 + random_tokens)
        X[:, :2] = X_sheet
        # The first two experts and gate rows are the exercise's (the sheet's, or fresh ones).
        gate_W = np.array(setting["gate_W"], dtype=float)  # (n_experts, 3)
        gate_W[:2] = self._start["gate_W"]
        gate_b = np.array(setting["gate_b"], dtype=float)  # (n_experts,)
        gate_b[:2] = self._start["gate_b"]
        experts = list(self._start["experts"]) + setting["experts"][2:]
        moe = MixtureOfExperts(
            gate_W, gate_b, experts, top_k=top_k, capacity_factor=capacity_factor
        )
        return moe(X), moe

    def compute(self) -> MoEResult:
        c = self.controls
        X_sheet = [[c[f"X{j}[{i}]"].value for j in (1, 2)] for i in (1, 2, 3)]  # (3, 2)
        factor = c["capacity_factor"].value if c["capacity"].value else None
        result, _ = self._route(
            X_sheet, c["top_k"].value, c["n_experts"].value, c["random_tokens"].value, factor
        )
        return result

    @property
    def moe(self) -> MixtureOfExperts:
        """The `MixtureOfExperts` that gave the current result (`result.model`)."""
        return self.result.model

    def _on_change(self, change) -> None:
        if change["owner"] is self.controls["n_experts"]:
            # top_k's maximum follows the number of experts; lowering it may lower top_k
            # too, and all of that is one recompute.
            with self.hold():
                self.controls["top_k"].max = change["new"]
        elif change["owner"] is self.controls["capacity"]:
            self.controls["capacity_factor"].disabled = not change["new"]
            super()._on_change(change)
        else:
            super()._on_change(change)

    def refusal(self, name: str, slider, value) -> str:
        if name == "top_k" and value == value and value > slider.max:
            return (
                f"top_k = {value}, but there are only {slider.max} experts: a token can go "
                f"to at most {slider.max} of them (raise *experts* first)"
            )
        text = super().refusal(name, slider, value)
        if value == value and name == "top_k":
            text += ": every token goes to at least one expert"
        elif value == value and name == "n_experts" and value < slider.min:
            text += ": the sheet's two experts are always there"
        elif value == value and name == "capacity_factor" and value < 0:
            text += ": a negative capacity makes no sense (0 drops every token)"
        return text

    # -- showing -------------------------------------------------------------------------

    def _changed(self, name: str, *parts) -> bool:
        """True if the numbers behind picture `name` differ from the ones it shows."""
        arrays = [np.ascontiguousarray(p) for p in parts]
        key = b"|".join(repr(a.shape).encode() + a.tobytes() for a in arrays)
        if self._shown_keys.get(name) == key:
            return False
        self._shown_keys[name] = key
        return True

    def show(self, result: MoEResult) -> None:
        view = self.controls["view"].value
        if self.children != tuple(self._views[view]):
            self.children = self._views[view]
            self._shown_keys.clear()  # the pictures were not kept up to date meanwhile
        if view == "projector":
            step = self.controls["step"].value
            title, body = step_views(result)[step]
            if 1 < step < 7:  # alone on the screen: say when it shows a part (as step 1 does)
                title += shown_part(result.X.shape[1])
            self.focus.value = focus_panel(step, title, body)
            return
        for k, (title, body) in step_views(result).items():
            self.panels[k].value = step_panel(title, body)
        # Redraw a picture only when its numbers changed: X1[2] moves both of the sheet's
        # logits alike, for instance, and most moves of one token leave the load as it is.
        t = min(result.X.shape[1], SHOWN_TOKENS)
        n = np.array([result.X.shape[1]])
        if self._changed(
            "gate", result.gate_probs[:, :t], result.chosen[:, :t], result.dropped[:, :t], n,
            np.array([-1 if result.capacity is None else result.capacity]),
        ):  # fmt: skip
            self.gate.show(result)
            gate = self.gate.png_aside()  # encoded while the load is drawn
        else:
            gate = None
        if self._changed(
            "load", result.tokens_per_expert, result.kept_per_expert, result.chosen.shape,
            np.array([-1 if result.capacity is None else result.capacity, result.aux_loss]),
        ):  # fmt: skip
            self.load.show(result)
            self.load_image.value = self.load.png()
        if gate is not None:
            self.gate_image.value = gate.result()

    def checks(self) -> dict:
        """The steps a learner can check by hand (`HandCheck.follow`): X1 and X2's logits,
        choice and output; and, for the whole batch, the dropped slots (of the first
        `CHECKED_TOKENS` tokens), f and P, and the balance loss (`capacity_checks`)."""
        batch = sheet_differences(self.result, exercise=self._start, batch=True)
        origin = origin_of(self._start, examples.moe_exercise())
        return {
            **moe_checks(self.result, exercise=self._start),
            **capacity_checks(self.result, CHECKED_TOKENS, origin=origin, source=batch),
        }

    def figures(self) -> list:
        return [self.gate, self.load]

    def reset(self) -> None:
        """Back to the exercise: its X1 and X2, its two experts, top-1, no extra tokens, no
        capacity limit."""
        sheet_X = self._start["X"]
        with self.hold():
            for j in range(2):
                for i in range(3):
                    self.controls[f"X{j + 1}[{i + 1}]"].value = float(sheet_X[i, j])
            self.controls["n_experts"].value = 2
            self.controls["top_k"].value = 1
            self.controls["random_tokens"].value = 0
            self.controls["capacity"].value = False
            self.controls["capacity_factor"].value = 1.0
