"""The self-attention explorer: every step of the sheet, recomputed as you move a control."""

from __future__ import annotations

import html

import ipywidgets as widgets

from dlviz import examples
from dlviz.attention import AttentionResult, self_attention
from dlviz.checking import attention_checks
from dlviz.plots import AttentionHeatmap
from dlviz.sheet import grid, labels, product, row
from dlviz.widgets.base import Explorer, MatrixInput, figure_image

STEP_NAMES = {
    1: "the features X",
    2: "queries, keys, values",
    3: "transpose K",
    4: "scores S = Kᵀ·Q",
    5: "scale",
    6: "exponential",
    7: "column sums",
    8: "weights A",
    9: "output Z = V·A",
}


def step_views(r: AttentionResult) -> dict[int, tuple[str, object]]:
    """Each step of the exercise as (title, by-hand layout), for steps 1 to 9."""
    n, d_model = r.n_tokens, r.X.shape[0]
    hand = r.mode == "hand"
    keys, queries = labels("k", n), labels("q", n)
    feats = labels("f", d_model)
    fmt = "auto" if hand else ".2f"
    X = grid(r.X, rows=feats, cols=labels("x", n), title="X", name="X")

    def weights_for(M, title, name):
        return grid(M, rows=None, cols=feats, title=title, name=name)

    qkv = row(
        *(
            product(
                weights_for(W, wname, wname),
                X,
                grid(M, cols=labels(m.lower(), n), title=m, name=m),
                f"{m} = {wname}·X",
            )
            for W, wname, M, m in (
                (r.WQ, "WQ", r.Q, "Q"),
                (r.WK, "WK", r.K, "K"),
                (r.WV, "WV", r.V, "V"),
            )
        )
    )
    KT = grid(r.K.T, rows=keys, title="Kᵀ", name="KT")
    Q = grid(r.Q, cols=queries, title="Q", name="Q")
    S = grid(r.scores, rows=keys, cols=queries, title="S", name="scores")
    if hand:
        scale_title = (
            f"Step 5 · scale: S ÷ {r.divisor:g}, truncated toward zero "
            f"({r.divisor:g} = round(√{r.d_k}), a pencil-friendly √{r.d_k})"
        )
        exp_title = "Step 6 · exponential: 3ˣ stands in for eˣ, rounded to a whole number"
        weights_title = "Step 8 · normalise: A = exp ÷ column sum, rounded to one decimal"
    else:
        by = f"√{r.d_k} = {r.divisor:.3f}"
        if r.temperature != 1:
            by += f", then ÷ temperature {r.temperature:g}"
        scale_title = f"Step 5 · scale: S ÷ {by}"
        exp_title = "Step 6 · exponential: e^(x − m), m = the column's largest x (same softmax)"
        weights_title = "Step 8 · normalise: A = exp ÷ column sum"
    causal = " (causal: query j sees keys 1…j only)" if r.causal else ""
    mask = None if not r.causal else r.mask
    scaled = grid(
        r.scaled, rows=keys, cols=queries, title="scaled", fmt=fmt, mask=mask, name="scaled"
    )
    exp = grid(r.exp, rows=keys, cols=queries, title="exp", fmt=fmt, mask=mask, name="exp")
    sums = grid(r.sums, rows=["Σ"], cols=queries, title="column sums", fmt=fmt, name="sums")
    A = grid(
        r.weights, rows=keys, cols=queries, title="A",
        fmt=".1f" if hand else ".2f", mask=mask, name="weights",
    )  # fmt: skip
    V = grid(r.V, cols=labels("v", n), title="V", name="V")
    Z = grid(r.output, cols=labels("z", n), title="Z", fmt=fmt, name="output")
    return {
        1: ("Step 1 · the features: one column per token", X),
        2: ("Step 2 · queries, keys and values: Q = WQ·X, K = WK·X, V = WV·X", qkv),
        3: ("Step 3 · get ready to multiply: transpose K, keep Q", row(KT, Q)),
        4: ("Step 4 · scores S = Kᵀ·Q: a row per key, a column per query", product(KT, Q, S)),
        5: (scale_title + causal, scaled),
        6: (exp_title, exp),
        7: ("Step 7 · sum each column", row(exp, sums)),
        8: (weights_title, A),
        9: ("Step 9 · weighted values: Z = V·A, a new feature vector per token", product(V, A, Z)),
    }


def _panel(title: str, body) -> str:
    return (
        f'<div style="margin: 10px 0 2px 0; font-weight: bold">{html.escape(title)}</div>'
        f"{body.html}"
    )


class AttentionExplorer(Explorer):
    """Self-attention with live controls: mode, causal, temperature, step, and every input.

    controls: "mode" ("hand"/"exact"), "causal" (bool), "temperature" (exact path
    only), "step" (1-9: how much of the walk-through to show), "X", "WQ", "WK",
    "WV" (`MatrixInput`s; set `.value` to a nested list) and "reset" (a button back
    to the exercise's numbers). `result` is the current `AttentionResult`.
    """

    def __init__(self, X=None, WQ=None, WK=None, WV=None, *, mode: str = "hand", step: int = 9):
        start = examples.attention_exercise()
        given = {"X": X, "WQ": WQ, "WK": WK, "WV": WV}
        start.update({k: v for k, v in given.items() if v is not None})
        first = self_attention(**start, mode=mode)  # refuse bad starting values loudly
        n, d_model = first.n_tokens, first.X.shape[0]
        feats = labels("f", d_model)
        d_v = first.V.shape[0]
        matrices = {
            "X": MatrixInput(start["X"], rows=feats, cols=labels("x", n), title="X"),
            "WQ": MatrixInput(start["WQ"], rows=labels("", first.d_k), cols=feats, title="WQ"),
            "WK": MatrixInput(start["WK"], rows=labels("", first.d_k), cols=feats, title="WK"),
            "WV": MatrixInput(start["WV"], rows=labels("", d_v), cols=feats, title="WV"),
        }
        wide = {"description_width": "initial"}
        controls = {
            "mode": widgets.ToggleButtons(
                options=[("by hand", "hand"), ("exact", "exact")],
                value=mode,
                description="mode",
                style={"button_width": "6em", **wide},
                tooltips=["the sheet's pencil rules", "the real formula"],
            ),
            "causal": widgets.Checkbox(
                value=False, description="causal (no peeking ahead)", indent=False
            ),
            "temperature": widgets.FloatSlider(
                value=1.0,
                min=0.1,
                max=5.0,
                step=0.1,
                description="temperature",
                readout_format=".1f",
                style=wide,
            ),
            "step": widgets.IntSlider(
                value=step, min=1, max=9, description="show up to step", style=wide
            ),
            **matrices,
            "reset": widgets.Button(description="back to the exercise", icon="undo"),
        }
        super().__init__(controls)
        self._exercise = examples.attention_exercise()
        controls["reset"].on_click(lambda _: self.reset())
        controls["mode"].observe(self._mode_changed, names="value")
        self.step_name = widgets.HTML()
        self.panels = {k: widgets.HTML() for k in STEP_NAMES}
        self.heatmap = AttentionHeatmap(first)
        self.image = figure_image(self.heatmap)
        self.panels[8].layout.margin = "0 24px 0 0"
        self.step_boxes = {k: widgets.Box([p]) for k, p in self.panels.items()}
        self.step_boxes[8] = widgets.HBox(
            [self.panels[8], self.image], layout=widgets.Layout(align_items="flex-end")
        )
        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        inputs = widgets.Accordion(
            [widgets.VBox([widgets.HBox(list(matrices.values()), layout=wrap), controls["reset"]])],
            titles=("edit the inputs X, WQ, WK, WV",),
        )
        self.children = [
            widgets.HBox([controls["mode"], controls["causal"]], layout=wrap),
            controls["temperature"],
            widgets.HBox([controls["step"], self.step_name], layout=wrap),
            inputs,
            self.message,
            *self.step_boxes.values(),
        ]
        self._mode_changed()
        self.refresh()

    def _mode_changed(self, change=None) -> None:
        hand = self.controls["mode"].value == "hand"
        self.controls["temperature"].disabled = hand
        self.controls["temperature"].tooltip = (
            "the by-hand rules have no temperature: switch to exact" if hand else ""
        )

    def compute(self) -> AttentionResult:
        c = self.controls
        exact = c["mode"].value == "exact"
        return self_attention(
            c["X"].value, c["WQ"].value, c["WK"].value, c["WV"].value,
            mode=c["mode"].value, causal=c["causal"].value,
            temperature=c["temperature"].value if exact else 1.0,
        )  # fmt: skip

    def show(self, result: AttentionResult) -> None:
        step = self.controls["step"].value
        self.step_name.value = f"<i>{step}: {STEP_NAMES[step]}</i>"
        for k, (title, body) in step_views(result).items():
            visible = k <= step
            self.step_boxes[k].layout.display = None if visible else "none"
            if visible:  # hidden steps are brought up to date when they are shown
                self.panels[k].value = _panel(title, body)
        if step >= 8:
            self.heatmap.show(result)
            self.image.value = self.heatmap.png()

    def checks(self) -> dict:
        """The steps a learner can check by hand (`HandCheck.follow`), for the current numbers."""
        return attention_checks(self.result)

    def reset(self) -> None:
        """Back to the exercise's numbers (mode and step stay as they are)."""
        with self.hold():
            for name, value in self._exercise.items():
                self.controls[name].value = value.tolist()
            self.controls["causal"].value = False
            self.controls["temperature"].value = 1.0
