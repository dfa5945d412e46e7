"""The explorer's several heads: their weights, and each head's heatmap side by side."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from dlviz import examples
from dlviz.multi_head import MultiHeadResult
from dlviz.plots import AttentionHeatmap, attention_title
from dlviz.sheet import grid, labels, row
from dlviz.widgets.base import figure_image, step_panel

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

    Hidden with one head (the explorer is then the sheet, as before). Heatmaps are
    drawn once per head and updated in place; a head not shown is not drawn.
    """

    def __init__(self, first, n_heads: int = MAX_HEADS):
        self.heatmaps = [AttentionHeatmap(first, figsize=(3.2, 2.8)) for _ in range(n_heads)]
        self.images = [figure_image(hm) for hm in self.heatmaps]
        self.title = widgets.HTML()
        self.concat = widgets.HTML()
        super().__init__(
            [
                self.title,
                widgets.HBox(self.images, layout=widgets.Layout(flex_flow="row wrap")),
                self.concat,
            ],
            layout=widgets.Layout(display="none", margin="6px 0"),
        )

    def show(self, multi: MultiHeadResult, step: int) -> None:
        """Show `multi`'s heads (weights from step 8 on, the concatenation at step 9)."""
        visible = multi.n_heads > 1 and step >= 8
        self.layout.display = None if visible else "none"
        if not visible:
            return
        self.title.value = (
            '<div style="margin: 10px 0 2px 0; font-weight: bold">'
            f"{multi.n_heads} heads side by side: each head's weights A "
            "(the walk-through above is head 1)</div>"
        )
        for h, (hm, image) in enumerate(zip(self.heatmaps, self.images, strict=True)):
            image.layout.display = None if h < multi.n_heads else "none"
            if h < multi.n_heads:
                head = multi.heads[h]
                hm.fmt = ".1f" if head.mode == "hand" else ".2f"
                title = f"head {h + 1}: " + attention_title(head)
                hm.update(head.weights, mask=head.mask, title=title)
                image.value = hm.png()
        self.concat.layout.display = None if step >= 9 else "none"
        if step >= 9:
            self.concat.value = step_panel(
                "concat (the heads' outputs stacked) and output = WO·concat", concat_view(multi)
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
