"""The attention-weights heatmap of notebook 1: a row per key, a column per query."""

from __future__ import annotations

from dlviz.plots.base import Heatmap
from dlviz.sheet import labels


def attention_title(result, heads: int = 1, positions: bool = False) -> str:
    """The heatmap's title: how A was computed, and which head it is when there are several
    (positions: the tokens had positions added)."""
    how = ("head 1, " if heads > 1 else "") + ("by hand" if result.mode == "hand" else "exact")
    extra = ", positions added" if positions else ""
    extra += ", causal" if result.causal else ""
    if result.mode == "exact" and result.temperature != 1:
        extra += f", temperature {result.temperature:g}"
    return f"attention weights A ({how}{extra})"


class AttentionHeatmap(Heatmap):
    """The attention weights of an `AttentionResult`: a row per key, a column per query."""

    def __init__(self, result, figsize: tuple[float, float] = (4.0, 3.4)):
        n = result.n_tokens
        super().__init__(
            result.weights,
            rows=labels("k", n),
            cols=labels("q", n),
            xlabel="query (column)",
            ylabel="key (row)",
            title=attention_title(result),
            fmt=".1f" if result.mode == "hand" else ".2f",
            mask=result.mask,
            figsize=figsize,
        )

    def show(self, result, heads: int = 1, positions: bool = False) -> None:
        """Update to another result with the same number of tokens (head 1 of `heads`;
        positions: the tokens had positions added, which the title says)."""
        self.fmt = ".1f" if result.mode == "hand" else ".2f"
        title = attention_title(result, heads, positions)
        self.update(result.weights, mask=result.mask, title=title)
