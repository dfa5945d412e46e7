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
from dlviz.moe import MixtureOfExperts, MoEResult
from dlviz.moe_capacity import as_capacity_factor
from dlviz.plots import GATE_MAX_TOKENS, GateHeatmap, LoadBars
from dlviz.sheet import grid, labels, product, row
from dlviz.widgets.base import (
    Explorer,
    StrictFloatSlider,
    StrictIntSlider,
    figure_image,
    step_panel,
    view_toggle,
)
from dlviz.widgets.moe_capacity import capacity_view

# The grids show the same first tokens as the gate picture: wider grids would not fit
# a screen, and the load bars count every token.
SHOWN_TOKENS = GATE_MAX_TOKENS
MAX_EXPERTS = 8
MAX_RANDOM_TOKENS = 64
X_RANGE = (-5.0, 5.0)  # the sliders of X1 and X2, in steps of 0.5
CHECKED_TOKENS = 6  # the try-it grid of dropped slots asks for at most this many tokens
CAPACITY_RANGE = (0.0, 4.0)  # the capacity factor, in steps of 0.25: 1.0-1.25 as in Switch


def _fmt(values) -> str:
    """How to print a grid: whole numbers as they are, one decimal if that says it all.

    One decimal covers the sliders' steps of 0.5 and the random gate rows; anything
    else (a softmax, a mix) gets two.
    """
    values = np.asarray(values, dtype=float)
    if np.allclose(values, np.round(values), rtol=0, atol=1e-9):
        return "auto"
    if np.allclose(values * 10, np.round(values * 10), rtol=0, atol=1e-8):
        return ".1f"
    return ".2f"


def step_views(
    result: MoEResult, moe: MixtureOfExperts | None = None
) -> dict[int, tuple[str, object]]:
    """Each step of routing tokens through the experts as (title, by-hand layout).

    The steps of exercise 3 for all tokens at once, the matrix way: 1 the tokens, 2 the
    gate logits gate_W·X + gate_b, 3 the softmax down each column, 4 the routing (the
    sheet's max ≈ one-hot; top-k: the k best, weights renormalised over them), 5 each
    chosen expert's W·x + b on the tokens sent to it, 6 ReLU and the output. Everything
    is read from `result` (its `model` holds the gate and the experts); `moe`, if
    given, must be that model.

    At most `SHOWN_TOKENS` tokens are shown, the first ones; titles say when.
    """
    if moe is not None and moe is not result.model:
        raise ValueError("step_views(result, moe): moe is not the model that gave result")
    moe = result.model
    n_tokens = result.X.shape[1]
    t = min(n_tokens, SHOWN_TOKENS)
    k = result.top_k
    tokens = labels("X", t)
    experts = labels("e", moe.n_experts)
    feats = labels("f", moe.in_dim)
    outs = labels("o", moe.out_dim)
    part = f" (the first {t} of {n_tokens} tokens)" if t < n_tokens else ""
    X = result.X[:, :t]  # (in_dim, t)
    chosen = result.chosen[:, :t]  # (k, t)
    dropped = result.dropped[:, :t]  # (k, t): slots whose expert was full

    X_grid = grid(X, rows=feats, cols=tokens, title="X", fmt=_fmt(X), name="X")
    gate_W = grid(
        moe.gate_W, rows=experts, cols=feats, title="gate_W", fmt=_fmt(moe.gate_W), name="gate_W"
    )
    WX = result.gate_WX[:, :t]  # (n_experts, t)
    logits = result.gate_logits[:, :t]  # (n_experts, t)
    gate_view = row(
        product(
            gate_W,
            X_grid,
            grid(WX, rows=experts, cols=tokens, title="gate_W·X", fmt=_fmt(WX)),
            "gate_W·X",
        ),
        grid(
            moe.gate_b[:, None], rows=experts, cols=["b"], title="+ gate_b",
            fmt=_fmt(moe.gate_b), name="gate_b",
        ),
        grid(
            logits, rows=experts, cols=tokens, title="= logits", fmt=_fmt(logits),
            name="gate_logits",
        ),
    )  # fmt: skip
    probs = grid(
        result.gate_probs[:, :t], rows=experts, cols=tokens, title="gate probabilities",
        fmt=".3f", name="gate_probs",
    )  # fmt: skip
    column_sums = grid(
        result.gate_probs[:, :t].sum(axis=0), rows=["Σ"], cols=tokens, title="column sums",
        fmt=".3f", tinted=False, name="prob_sums",
    )  # fmt: skip

    # Routing: the gate weight in each chosen cell, 0 elsewhere. With top-1 every weight
    # is exactly 1, so this is the sheet's one-hot "max".
    route = result.routing[:, :t]  # (n_experts, t)
    picked = result.picked[:, :t]
    ranks = ["best", "2nd", "3rd"] + [f"{r}th" for r in range(4, k + 1)]
    routing = row(
        grid(
            route, rows=experts, cols=tokens, title="routing (chosen outlined)",
            fmt="auto" if k == 1 else ".3f", tinted=False, outline=picked, name="routing",
        ),
        grid(
            chosen + 1, rows=ranks[:k], cols=tokens, title="expert", tinted=False,
            name="chosen",
        ),
    )  # fmt: skip
    if k == 1:
        routing_title = (
            "Routing: the sheet's max ≈ one-hot. Each token goes to the expert with the "
            "largest logit (ties to the lower number); its weight is 1"
        )
    else:
        routing_title = (
            f"Routing: each token goes to its top {k} experts; their weights g are the "
            f"softmax of their {k} logits only, so they add up to 1"
        )

    # Each expert works on the tokens sent to it and kept, all at once: W·[those columns] + b.
    work, idle = [], []
    for e, ((W, b), (slot, token)) in enumerate(zip(moe.experts, result.batches(), strict=True)):
        shown = token < t  # the (rank, token) pairs e serves, among the tokens shown
        slot, token = slot[shown], token[shown]
        if token.size == 0:
            idle.append(experts[e])
            continue
        cols = [tokens[j] for j in token]
        X_e = X[:, token]  # (in_dim, m): the tokens sent to expert e
        lin = result.expert_linear[slot, :, token].T  # (out_dim, m): W·x + b
        W_grid = grid(W, rows=outs, cols=feats, title=f"W of e{e + 1}", fmt=_fmt(W))
        X_grid_e = grid(X_e, rows=feats, cols=cols, title="its tokens", fmt=_fmt(X_e))
        name = f"expert{e + 1}_linear"
        if b.any():  # the bias gets its own grid; the sheet's are all 0
            WX_e = lin - b[:, None]  # W·x: the step before the bias
            work.append(
                row(
                    product(W_grid, X_grid_e, grid(WX_e, title="W·x", fmt=_fmt(WX_e)),
                            f"expert {e + 1}: W·x"),
                    grid(b[:, None], rows=outs, cols=["b"], title="+ b", fmt=_fmt(b)),
                    grid(lin, rows=outs, cols=cols, title="= W·x + b", fmt=_fmt(lin), name=name),
                )
            )  # fmt: skip
        else:
            lin_grid = grid(lin, rows=outs, cols=cols, title="W·x + b", fmt=_fmt(lin), name=name)
            work.append(product(W_grid, X_grid_e, lin_grid, f"expert {e + 1}: W·x (b = 0)"))
    work_title = "The chosen experts: each computes W·x + b for the tokens sent to it"
    if dropped.any():
        work_title += " and kept"
    if idle:
        work_title += f" (idle, no tokens: {', '.join(idle)})"

    def to(r: int) -> list[str]:  # column labels: token → its r-th expert, ✗ if dropped
        return [
            f"{tokens[j]}→e{chosen[r, j] + 1}" + (" ✗" if dropped[r, j] else "") for j in range(t)
        ]

    if k == 1:
        lin, out = result.expert_linear[0, :, :t], result.output[:, :t]  # (out_dim, t) each
        output_view = row(
            grid(lin, rows=outs, cols=to(0), title="W·x + b", fmt=_fmt(lin), name="expert_linear"),
            grid(out, rows=outs, cols=tokens, title="output", fmt=_fmt(out), name="output"),
        )
        output_title = "ReLU: negative numbers become 0, and that is the output"
    else:
        per_rank = [
            grid(
                result.expert_outputs[r, :, :t], rows=outs,
                cols=to(r),
                title=f"ReLU(W·x + b), {ranks[r]}", fmt=_fmt(result.expert_outputs[r, :, :t]),
                name=f"relu_{r + 1}",
            )
            for r in range(k)
        ]  # fmt: skip
        output_view = row(
            *per_rank,
            grid(
                result.gate_weights[:, :t], rows=labels("g", k), cols=tokens, title="weights g",
                fmt=".3f", name="gate_weights",
            ),
            grid(
                result.output[:, :t], rows=outs, cols=tokens, title="output = Σ g·ReLU",
                fmt="auto", name="output",
            ),
        )  # fmt: skip
        terms = [f"g{r + 1}·ReLU({ranks[r]})" for r in range(k)]
        if k > 3:
            terms = [terms[0], "…", terms[-1]]
        output_title = "ReLU, then mix the experts: output = " + " + ".join(terms)
    if dropped.any():
        output_title += " (✗ dropped: nothing from that expert, the weights stay as they are)"
    return {
        1: ("The tokens: one column each" + part, X_grid),
        2: ("Gate logits = gate_W·X + gate_b: a row per expert, a column per token", gate_view),
        3: ("Softmax down each column: the gate's probabilities", row(probs, column_sums)),
        4: (routing_title, routing),
        5: (work_title, row(*work)),
        6: (output_title, output_view),
        7: capacity_view(result, SHOWN_TOKENS),
    }


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

    "view" ("all" steps, or "projector": the step on the "step" slider only, 1-6, in
    large type, the pictures left out) and "step" are the projector view's.
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
        self._start = _starting_exercise(X, gate_W, gate_b, experts)
        first, moe = self._route(self._start["X"], top_k, n_experts, random_tokens, capacity_factor)
        wide = {"description_width": "initial"}
        sheet_X = self._start["X"]  # (3, 2): X1 and X2 as columns
        token_sliders = {
            f"X{j + 1}[{i + 1}]": StrictFloatSlider(
                value=float(sheet_X[i, j]), min=X_RANGE[0], max=X_RANGE[1], step=0.5,
                description=f"X{j + 1}[{i + 1}]", readout_format=".1f",
                style={"description_width": "3.2em"},
                layout=widgets.Layout(width="212px"),  # 20 steps: room for each; 3 a line
            )
            for j in range(2)
            for i in range(3)
        }  # fmt: skip
        controls = {
            **token_sliders,
            "top_k": StrictIntSlider(
                value=top_k, min=1, max=n_experts, description="top_k", style=wide,
                layout=widgets.Layout(width="212px"),
                tooltip="how many experts each token goes to",
            ),
            "n_experts": StrictIntSlider(
                value=n_experts, min=2, max=MAX_EXPERTS, description="experts", style=wide,
                layout=widgets.Layout(width="212px"),
                tooltip="2 = the sheet's experts; more are random (fixed seed)",
            ),
            "random_tokens": StrictIntSlider(
                value=random_tokens, min=0, max=MAX_RANDOM_TOKENS,
                description="random tokens", style=wide,
                layout=widgets.Layout(width="212px"),
                tooltip="0 = just X1 and X2; more are random (fixed seed)",
            ),
            "capacity": widgets.Checkbox(
                value=capacity_factor is not None, description="limit slots", indent=False,
                layout=widgets.Layout(width="auto"),
                tooltip="give each expert a fixed number of slots; the rest are dropped",
            ),
            "capacity_factor": StrictFloatSlider(
                value=1.0 if capacity_factor is None else capacity_factor,
                min=CAPACITY_RANGE[0], max=CAPACITY_RANGE[1], step=0.25,
                description="capacity factor", readout_format=".2f", style=wide,
                disabled=capacity_factor is None,
                tooltip="slots per expert = floor(factor · top_k · tokens / experts)",
            ),
            "reset": widgets.Button(
                description="back to the exercise",
                icon="undo",
                layout=widgets.Layout(width="auto", align_self="flex-start"),  # its own width
            ),
            "view": view_toggle(),
            "step": StrictIntSlider(
                value=6, min=1, max=6, description="step", style=wide,
                tooltip="the step the projector view shows",
            ),
        }  # fmt: skip
        super().__init__(controls)
        controls["reset"].on_click(lambda _: self.reset())

        self.gate = GateHeatmap(
            first, max_experts=MAX_EXPERTS, max_tokens=SHOWN_TOKENS, figsize=(5.2, 3.6)
        )
        self.load = LoadBars(first, max_experts=MAX_EXPERTS, figsize=(3.8, 3.6))
        self.gate_image = figure_image(self.gate)
        self.load_image = figure_image(self.load)
        self._shown_keys: dict[str, bytes] = {}
        self.panels = {k: widgets.HTML() for k in range(1, 8)}  # the keys of step_views

        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        tokens = widgets.HBox(
            [widgets.VBox([token_sliders[f"X{j}[{i}]"] for i in (1, 2, 3)]) for j in (1, 2)],
            layout=wrap,
        )
        sizes = widgets.HBox(
            [controls["top_k"], controls["n_experts"], controls["random_tokens"]], layout=wrap
        )
        capacity = widgets.HBox([controls["capacity"], controls["capacity_factor"]], layout=wrap)
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
            # The projector view: the controls and the chosen step alone, in large type.
            "projector": [
                sizes,
                widgets.GridBox(  # X1's numbers in a row, X2's under them: two lines
                    [token_sliders[f"X{j}[{i}]"] for j in (1, 2) for i in (1, 2, 3)],
                    layout=widgets.Layout(grid_template_columns="repeat(3, max-content)"),
                ),
                widgets.HBox([controls["step"], controls["view"], controls["reset"]], layout=wrap),
                self.message,
                self.focus,
                capacity,
            ],
        }
        self.children = self._views["all"]
        self.refresh()

    # -- computing -----------------------------------------------------------------------

    def _route(self, X_sheet, top_k, n_experts, random_tokens, capacity_factor=None):
        """The sheet's tokens (columns of X_sheet) and the random setting, routed."""
        setting = examples.random_moe(n_experts, 2 + random_tokens, seed=self.seed)
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
                f"to at most {slider.max} of them (raise 'experts' first)"
            )
        text = super().refusal(name, slider, value)
        if value == value and name == "top_k":
            text += ": every token goes to at least one expert"
        elif value == value and name == "n_experts":
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
            self.focus.value = step_panel(title, body, large=True)
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
            self.gate_image.value = self.gate.png()
        if self._changed(
            "load", result.tokens_per_expert, result.kept_per_expert, result.chosen.shape,
            np.array([-1 if result.capacity is None else result.capacity, result.aux_loss]),
        ):  # fmt: skip
            self.load.show(result)
            self.load_image.value = self.load.png()

    def checks(self) -> dict:
        """The steps a learner can check by hand (`HandCheck.follow`): X1 and X2's logits,
        choice and output; and, for the whole batch, the dropped slots (of the first
        `CHECKED_TOKENS` tokens), f and P, and the balance loss (`capacity_checks`)."""
        return {
            **moe_checks(self.result, exercise=self._start),
            **capacity_checks(self.result, max_tokens=CHECKED_TOKENS),
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


def _starting_exercise(X, gate_W, gate_b, experts) -> dict:
    """The exercise an explorer starts from: the sheet's, with any given part replaced.

    Checked at the door: two tokens of 3 numbers within the sliders' range, a gate of
    two experts, two experts W 4×3 and b of 4, so that the explorer's sliders and its
    random extra experts fit.
    """
    start = examples.moe_exercise()
    given = {"X": X, "gate_W": gate_W, "gate_b": gate_b, "experts": experts}
    start.update({k: v for k, v in given.items() if v is not None})
    moe = MixtureOfExperts(start["gate_W"], start["gate_b"], start["experts"])  # checks
    X = moe._tokens(start["X"])  # (3, n_tokens), checked
    if (moe.n_experts, moe.in_dim, moe.out_dim) != (2, 3, 4) or X.shape != (3, 2):
        raise ValueError(
            f"the explorer starts from an exercise like the sheet's: two tokens of 3 "
            f"numbers (X is 3×2, got {X.shape[0]}×{X.shape[1]}) and two experts of "
            f"W 4×3 (got {moe.n_experts} of {moe.out_dim}×{moe.in_dim})"
        )
    low, high = X_RANGE
    if (X < low).any() or (X > high).any():
        raise ValueError(
            f"the tokens' numbers must be from {low:g} to {high:g} (the sliders' range), "
            f"got {np.round(X, 3).tolist()}"
        )
    return {"X": X, "gate_W": moe.gate_W, "gate_b": moe.gate_b, "experts": list(moe.experts)}
