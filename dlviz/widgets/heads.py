"""The explorer's several heads: their weights, and each head's heatmap side by side."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from dlviz import examples
from dlviz.multi_head import MultiHeadResult
from dlviz.sheet import grid, labels, row
from dlviz.widgets.base import step_panel

MAX_HEADS = 4


def stacked_weights(WQ, WK, WV, heads: int) -> dict[str, np.ndarray]:
    """WQ, WK, WV of `heads` heads, head 1 given; and WO = [I | … | I] (adds the heads).

    Head 2 is notebook 4's second head (`examples.multi_head_exercise`) when the shapes
    are the sheet's (6 features, d_k = d_v = 3); otherwise, and for heads 3 and 4, small
    whole numbers (−1, 0 or 1), the same every time (seeded by the head's number).
    """
    WQ, WK, WV = (np.asarray(W, dtype=float) for W in (WQ, WK, WV))
    (d_k, d_model), d_v = WQ.shape, WV.shape[0]
    two = examples.multi_head_exercise()
    parts = {"WQ": [WQ], "WK": [WK], "WV": [WV]}
    for h in range(2, heads + 1):
        if h == 2 and (d_model, d_k, d_v) == (6, 3, 3):
            extra = {name: two[name][3:] for name in parts}
        else:
            rng = np.random.default_rng(h)
            extra = {
                "WQ": rng.integers(-1, 2, size=(d_k, d_model)),
                "WK": rng.integers(-1, 2, size=(d_k, d_model)),
                "WV": 10 * rng.integers(-1, 2, size=(d_v, d_model)),
            }
        for name in parts:
            parts[name].append(np.asarray(extra[name], dtype=float))
    stacked = {name: np.vstack(Ws) for name, Ws in parts.items()}
    stacked["WO"] = np.hstack([np.eye(d_v)] * heads)  # (d_v, heads·d_v)
    return stacked


class HeadsView(widgets.VBox):
    """Each head's attention weights side by side, then concat and WO·concat.

    Hidden with one head (the explorer is then the sheet, as before). The heads'
    weights are tinted HTML grids on one 0-1 scale (a heatmap with the value in
    each cell), built as text: four heads cost a few milliseconds, not four pictures.
    """

    def __init__(self):
        # Steps of their own: contained, scrolled inside when wider than the explorer, and
        # drawn near the screen only (see THEME_CSS).
        self.weights = widgets.HTML().add_class("dlviz-step").add_class("dlviz-lazy")
        self.concat = widgets.HTML().add_class("dlviz-step").add_class("dlviz-lazy")
        super().__init__(
            [self.weights, self.concat], layout=widgets.Layout(display="none", margin="6px 0")
        )

    def show(self, multi: MultiHeadResult, step: int) -> None:
        """Show `multi`'s heads (weights from step 8 on, the concatenation at step 9)."""
        visible = multi.n_heads > 1 and step >= 8
        self.layout.display = None if visible else "none"
        if not visible:
            return
        self.weights.value = heads_panel(multi)
        self.concat.layout.display = None if step >= 9 else "none"
        if step >= 9:
            self.concat.value = concat_panel(multi)


def heads_panel(
    multi: MultiHeadResult, *, large: bool = False, above: str = "the walk-through above is head 1"
) -> str:
    """Every head's weights side by side, with its heading (HTML); large: projector type."""
    return step_panel(
        f"{multi.n_heads} heads side by side: each head's weights A ({above})",
        weights_view(multi),
        large=large,
    )


def concat_panel(multi: MultiHeadResult, *, large: bool = False) -> str:
    """concat, WO and output = WO·concat, with their heading (HTML); large: projector type."""
    return step_panel(
        "concat (the heads' outputs stacked) and output = WO·concat",
        concat_view(multi),
        large=large,
    )


def projector_heads(multi: MultiHeadResult, step: int) -> str:
    """The heads in the projector view, below the step (HTML, large type): their weights
    from step 8 on, the concatenation and WO·concat at step 9; nothing with one head."""
    if multi.n_heads == 1 or step < 8:
        return ""
    parts = [heads_panel(multi, large=True, above="the step above is head 1's")]
    if step >= 9:
        parts.append(concat_panel(multi, large=True))
    return f'<div style="line-height:1.25">{"".join(parts)}</div>'


def weights_view(multi: MultiHeadResult):
    """Every head's weights A, one tinted grid each, side by side."""
    n = multi.n_tokens
    keys, queries = labels("k", n), labels("q", n)
    return row(
        *(
            grid(
                head.weights,
                rows=keys,
                cols=queries,
                title=f"head {h + 1}: A",
                fmt=".1f" if head.mode == "hand" else ".2f",
                mask=head.mask if head.causal else None,
                name=f"head{h + 1}_weights",
                scale=1.0,
                palette="positive",  # weights: white (0) to blue (1), as step 8 and the heatmap
            )  # fmt: skip
            for h, head in enumerate(multi.heads)
        )
    )


def concat_view(multi: MultiHeadResult):
    """concat, WO and their product, laid out side by side."""
    n, d_v = multi.n_tokens, multi.d_v
    hand = multi.mode == "hand"
    fmt = "auto" if hand else ".2f"
    rows = [f"h{h + 1}·{j + 1}" for h in range(multi.n_heads) for j in range(d_v)]
    return row(
        grid(multi.concat, rows=rows, cols=labels("z", n), title="concat", fmt=fmt, name="concat"),
        grid(multi.WO, cols=rows, title="WO", name="WO"),
        grid(multi.output, cols=labels("o", n), title="output = WO·concat", fmt=fmt,
             name="multi_output"),
    )  # fmt: skip
