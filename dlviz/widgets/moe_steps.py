"""The MoE explorer's walk-through: routing tokens through the experts, as by-hand layouts.

`step_views` lays out exercise 3 from an `MoEResult`, all tokens at once the matrix
way: the tokens, the gate's logits and softmax, the routing, the chosen experts' work,
ReLU and the output, and (`capacity_view`) the load and each expert's capacity. The
projector view shows the same steps, in large type.
"""

from __future__ import annotations

import numpy as np

from dlviz._format import whole
from dlviz.moe import MixtureOfExperts, MoEResult
from dlviz.plots import GATE_MAX_TOKENS
from dlviz.sheet import grid, labels, product, row
from dlviz.widgets.moe_capacity import capacity_view

# The grids show the same first tokens as the gate picture: wider grids would not fit
# a screen, and the load bars count every token.
SHOWN_TOKENS = GATE_MAX_TOKENS


def _fmt(values) -> str:
    """How to print a grid: whole numbers as they are, one decimal if that says it all.

    One decimal covers the sliders' steps of 0.5 and the random gate rows; anything
    else (a softmax, a mix) gets two.
    """
    values = np.asarray(values, dtype=float)
    if whole(values):
        return "auto"
    if whole(values * 10, 1e-8):
        return ".1f"
    return ".2f"


def shown_part(n_tokens: int) -> str:
    """What a step's title adds when its grids show only the first `SHOWN_TOKENS` tokens."""
    t = min(n_tokens, SHOWN_TOKENS)
    return f" (the first {t} of {n_tokens} tokens)" if t < n_tokens else ""


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
    part = shown_part(n_tokens)
    X = result.X[:, :t]  # (in_dim, t)
    chosen = result.chosen[:, :t]  # (k, t)
    dropped = result.dropped[:, :t]  # (k, t): slots whose expert was full

    X_grid = grid(X, rows=feats, cols=tokens, title="X", fmt=_fmt(X), name="X", quantity="X")
    gate_W = grid(
        moe.gate_W, rows=experts, cols=feats, title="gate_W", fmt=_fmt(moe.gate_W), name="gate_W"
    )
    WX = result.gate_WX[:, :t]  # (n_experts, t)
    logits = result.gate_logits[:, :t]  # (n_experts, t)
    gate_view = row(
        product(
            gate_W,
            X_grid,
            grid(WX, rows=experts, cols=tokens, title="gate_W·X", fmt=_fmt(WX), quantity="logits"),
            "gate_W·X",
        ),
        grid(
            moe.gate_b[:, None], rows=experts, cols=["b"], title="+ gate_b",
            fmt=_fmt(moe.gate_b), name="gate_b",
        ),
        grid(
            logits, rows=experts, cols=tokens, title="= logits", fmt=_fmt(logits),
            name="gate_logits", quantity="logits",
        ),
    )  # fmt: skip
    probs = grid(
        result.gate_probs[:, :t], rows=experts, cols=tokens, title="gate probabilities",
        fmt=".3f", name="gate_probs", palette="positive", scale=1.0,
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
    # An expert with no token at all is idle; one whose tokens all lie past the tokens
    # shown is not (the load bars count it), and the title says so.
    work, idle, unseen, all_dropped = [], [], [], []
    for e, ((W, b), (slot, token)) in enumerate(zip(moe.experts, result.batches(), strict=True)):
        if token.size == 0:  # nothing to work on: none routed here, or every slot dropped
            (all_dropped if (result.chosen == e).any() else idle).append(experts[e])
            continue
        shown = token < t  # the (rank, token) pairs e serves, among the tokens shown
        slot, token = slot[shown], token[shown]
        if token.size == 0:
            unseen.append(experts[e])
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
    notes = [f"idle, no tokens: {', '.join(idle)}"] if idle else []
    if all_dropped:
        notes.append(f"every token dropped: {', '.join(all_dropped)}")
    if unseen:
        verb = "works" if len(unseen) == 1 else "work"
        notes.append(f"{', '.join(unseen)} {verb} only on tokens past the first {t}")
    if notes:
        work_title += f" ({'; '.join(notes)})"

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
