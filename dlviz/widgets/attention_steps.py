"""The self-attention explorer's walk-through: each step of the sheet as a by-hand layout.

`step_views` lays out the nine steps of exercise 1 from an `AttentionResult`, as the
explorer's "all steps" view shows them; `focus_views` gives each step with the inputs
it is computed from, side by side, for the projector view.
"""

from __future__ import annotations

from dlviz._format import grid_format
from dlviz.attention import AttentionResult
from dlviz.sheet import grid, labels, row
from dlviz.widgets._views import Stack

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


def step_views(r: AttentionResult, *, positions: bool = False) -> dict[int, tuple[str, object]]:
    """Each step of the exercise as (title, by-hand layout), for steps 1 to 9.

    positions: `r.X` is X with the positions added (the explorer's *add positions*), and
    step 1 says so: its numbers are not those of the input grid X.
    """
    n, d_model = r.n_tokens, r.X.shape[0]
    hand = r.mode == "hand"
    keys, queries = labels("k", n), labels("q", n)
    feats = labels("f", d_model)
    fmt = "auto" if hand else ".2f"
    # One format a grid: whole numbers as they are, else two decimals in every cell (with
    # positions added, x1's column is whole and the others not: ragged columns otherwise).
    same = {name: grid_format(m) for name, m in
            (("X", r.X), ("Q", r.Q), ("K", r.K), ("V", r.V), ("S", r.scores))}  # fmt: skip
    X = grid(r.X, rows=feats, cols=labels("x", n), title="X + positions" if positions else "X",
             fmt=same["X"], name="X", quantity="X")  # fmt: skip

    # The notebook lays each product out by hand; the explorer keeps to the results,
    # so that all nine steps fit on a screen or two.
    qkv = row(
        grid(r.Q, cols=queries, title="Q = WQ·X", fmt=same["Q"], name="Q", quantity="QKV"),
        grid(r.K, cols=keys, title="K = WK·X", fmt=same["K"], name="K", quantity="QKV"),
        grid(r.V, cols=labels("v", n), title="V = WV·X", fmt=same["V"], name="V",
             quantity="QKV"),
    )  # fmt: skip
    KT = grid(r.K.T, rows=keys, title="Kᵀ", fmt=same["K"], name="KT", quantity="QK")
    Q = grid(r.Q, cols=queries, title="Q", fmt=same["Q"], name="Q", quantity="QK")
    S = grid(r.scores, rows=keys, cols=queries, title="S", fmt=same["S"], name="scores")
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
    exp = grid(
        r.exp, rows=keys, cols=queries, title="exp", fmt=fmt, mask=mask, name="exp",
        palette="positive",
    )  # fmt: skip
    sums = grid(
        r.sums, rows=["Σ"], cols=queries, title="column sums", fmt=fmt, name="sums",
        palette="positive",
    )  # fmt: skip
    A = grid(
        r.weights, rows=keys, cols=queries, title="A",
        fmt=".1f" if hand else ".2f", mask=mask, name="weights", scale=1.0,
        palette="positive",
    )  # fmt: skip
    # Z mixes the columns of V, so both are drawn on one scale: the same number, one colour.
    V = grid(r.V, cols=labels("v", n), title="V", name="V", quantity="values")
    Z = grid(r.output, cols=labels("z", n), title="Z = V·A", fmt=fmt, name="output",
             quantity="values")  # fmt: skip
    return {
        1: (
            f"Step 1 · the features{' plus positions (sin/cos)' if positions else ''}: one "
            "column per token",
            X,
        ),
        2: ("Step 2 · queries, keys and values", qkv),
        3: ("Step 3 · get ready to multiply: transpose K, keep Q", row(KT, Q)),
        4: ("Step 4 · scores S = Kᵀ·Q: a row per key, a column per query", S),
        5: (scale_title + causal, scaled),
        6: (exp_title, exp),
        7: ("Step 7 · sum each column", sums),
        8: (weights_title, A),
        9: ("Step 9 · weighted values: Z = V·A (A is step 8)", row(V, Z)),
    }


def focus_views(r: AttentionResult, *, positions: bool = False) -> dict[int, tuple[str, object]]:
    """Each step with the inputs it is computed from, for the projector view."""
    views = step_views(r, positions=positions)
    KT, Q = views[3][1].items
    S, scaled, exp, sums, A = (views[k][1] for k in (4, 5, 6, 7, 8))
    V, Z = views[9][1].items
    focus = dict(views)
    # Side by side rather than crossed as on paper: a projector is wide and short.
    focus[4] = (views[4][0], row(KT, Q, S))
    focus[5] = (views[5][0], row(S, scaled))
    focus[6] = (views[6][0], row(scaled, exp))
    focus[7] = (views[7][0], row(exp, sums))
    # Exact numbers have two decimals: three grids of them abreast are wider than a
    # projector at 150 %, so the column sums go under the columns they sum.
    focus[8] = (views[8][0], row(exp, sums, A) if r.mode == "hand" else Stack(row(exp, A), sums))
    focus[9] = (views[9][0], row(V, A, Z))
    return focus
