"""Grading the capacity part of exercise 3 by hand: which slot is dropped, f and P, the loss.

Beyond the sheet (issue 17). `capacity_checks(result)` says, for a routed batch with
a capacity factor, what a learner should find with a pencil and which slips to spot,
as `dlviz.checking.Step`s for `HandCheck`. Numpy only.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from dlviz._format import labels
from dlviz.checking import Slip, Step
from dlviz.moe_capacity import queue_places

RANKS = ("1st choice", "2nd choice", "3rd choice") + tuple(f"{r}th choice" for r in range(4, 9))


def capacity_checks(
    result, max_tokens: int | None = None, origin: str | None = None, source: tuple = ()
) -> dict[str, Step]:
    """The dropped slots (1 = dropped, 0 = served), f and P per expert, and the loss.

    `result` is an `MoEResult` of a batch routed with a capacity factor (without one
    nothing is dropped, and the "dropped" grid expects only 0s). f, P and the loss
    count every token, so use it on a batch small enough for a pencil (the notebook's
    has four); `max_tokens` limits the "dropped" grid to the first tokens. Slips:
    serving from the last token, rounding the capacity up, serving a token's choices
    together (top-k), dropping every slot of a full expert; counts for f, f from the
    kept slots only; the loss without its factor n_experts. P and the loss are right
    also as a pencil reaches them, rounding on the way (`_rounded_on_the_way`).
    origin: where the numbers come from when they are not the sheet's (a batch beyond
    the sheet's two tokens). source: how they differ from the exercise's, when an
    explorer made them (`dlviz.checking.moe.sheet_differences(…, batch=True)`), said
    with each grid.
    """
    beyond = {"source": tuple(source)} | ({} if origin is None else {"origin": origin})
    chosen = np.asarray(result.chosen)  # (k, n)
    k, n = chosen.shape
    n_experts = result.tokens_per_expert.shape[0]
    shown = n if max_tokens is None else min(n, max_tokens)
    tokens = tuple(labels("X", shown))
    experts = tuple(labels("e", n_experts))
    balance, loss = (replace(s, **beyond) for s in _balance_steps(result, experts))
    if result.capacity is None:
        dropped = Step(
            "dropped",
            "which slots are dropped (1 = dropped, 0 = served): none without a capacity limit",
            np.zeros((k, shown)),
            RANKS[:k],
            tokens,
            **beyond,
        )
        return {"dropped": dropped, "balance": balance, "aux_loss": loss}  # fmt: skip
    capacity = result.capacity
    expected = result.dropped.astype(float)  # (k, n)

    reverse = queue_places(chosen[:, ::-1], n_experts)[:, ::-1] > capacity
    exact = result.capacity_factor * k * n / n_experts
    rounded_up = queue_places(chosen, n_experts) > math.ceil(exact - 1e-9)
    by_token = queue_places(chosen.T.copy(), n_experts).T > capacity  # X1's choices, X2's, …
    full = result.tokens_per_expert > capacity  # (E,)
    every_slot = full[chosen]
    formula = f"capacity = floor({result.capacity_factor:g} · {k} · {n} / {n_experts}) = {capacity}"
    # Each is a way of serving the whole queue, made once for the grid: in a grid of 0s
    # and 1s any wrong cell would match some slip's cell by chance.
    dropped_slips = [
        Slip(reverse[:, :shown].astype(float), "The slots are served in token order, X1 "
             "first: the LAST tokens to arrive at a full expert are the ones dropped.",
             scope="grid"),
        Slip(rounded_up[:, :shown].astype(float), f"The capacity is rounded DOWN: {formula}.",
             scope="grid"),
        Slip(every_slot[:, :shown].astype(float), f"A full expert still serves its first "
             f"{capacity} slots; only the slots past its capacity are dropped.", scope="grid"),
    ]  # fmt: skip
    if k > 1:
        dropped_slips.append(
            Slip(by_token[:, :shown].astype(float), "All FIRST choices are served before "
                 "any second choice: go along the 1st-choice row, token by token, then the "
                 "2nd row.", scope="grid")
        )  # fmt: skip
    part = f" (the first {shown} of {n} tokens)" if shown < n else ""
    dropped = Step("dropped", f"which slots are dropped (1 = dropped, 0 = served), "
                   f"capacity {capacity} per expert{part}", expected[:, :shown], RANKS[:k],
                   tokens, slips=tuple(dropped_slips), **beyond)  # fmt: skip
    return {"dropped": dropped, "balance": balance, "aux_loss": loss}


def _balance_steps(result, experts: tuple[str, ...]) -> tuple[Step, Step]:
    """f and P of each expert, and the loss n_experts · Σ f·P, with their slips."""
    chosen = np.asarray(result.chosen)  # (k, n)
    n = chosen.shape[1]
    n_experts = len(experts)
    f, P = result.load_fraction, result.mean_gate_probs
    kept_first = np.bincount(chosen[0][~result.dropped[0]], minlength=n_experts) / n
    balance = np.stack([f, P])  # (2, E)
    balance_slips = (
        Slip(np.stack([f * n, P]), f"f is a FRACTION: the number of first choices divided "
             f"by the {n} tokens."),
        Slip(np.stack([kept_first, P]), "f counts what the gate ROUTED, dropped slots "
             "included: every token's first choice."),
    )  # fmt: skip
    loss = np.array([[result.aux_loss]])
    P_seen, loss_seen = _rounded_on_the_way(f, P, result.gate_probs)
    loss_slips = (
        Slip(loss / n_experts, f"Multiply Σ f·P by the number of experts, {n_experts}, so "
             "that an even load gives 1."),
        Slip(np.array([[n_experts * float(kept_first @ P)]]), "f counts what the gate "
             "ROUTED, dropped slots included."),
    )  # fmt: skip
    return (
        Step("balance", "f (share of first choices) and P (mean gate probability) of each "
             "expert", balance, ("f", "P"), experts, fmt=".3f",
             slips=balance_slips, also=np.stack([np.stack([f, p]) for p in P_seen])),
        Step("aux_loss", f"the balance loss {n_experts} · Σ f·P", loss, ("loss",),
             (f"{n_experts}·Σ f·P",), fmt=".3f", slips=loss_slips,
             also=loss_seen.reshape(-1, 1, 1)),
    )  # fmt: skip


def _rounded_on_the_way(f, P, probs) -> tuple[list, np.ndarray]:
    """P and the loss as a pencil may reach them, rounding on the way: also right.

    P from the gate's probabilities as shown (2 decimals in the gate picture, 3 in the
    grids); the loss from those P, and from the exact P or the grids' with each f·P
    rounded to 4 decimals (2 · (0.0961 + 0.4616) = 1.1154 for the notebook's batch,
    whose loss is 1.11553).
    """
    n_experts = len(f)
    P_seen = [np.round(probs, d).mean(axis=1) for d in (2, 3)]
    losses = [n_experts * float(f @ p) for p in P_seen]
    losses += [n_experts * float(np.round(f * np.round(p, 4), 4).sum()) for p in (P, P_seen[1])]
    return P_seen, np.array(losses)
