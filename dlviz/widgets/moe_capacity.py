"""The MoE explorer's last step: the load, each expert's capacity, what it drops, and the loss.

Beyond exercise 3 (issue 17): the same arithmetic a learner does by hand in notebook
3's capacity part, laid out as grids. Built from an `MoEResult` alone.
"""

from __future__ import annotations

import numpy as np

from dlviz.moe import MoEResult
from dlviz.moe_capacity import queue_places
from dlviz.sheet import grid, labels, row

RANKS = ["1st", "2nd", "3rd"] + [f"{r}th" for r in range(4, 9)]


# What each grid's caption says: short, so that a caption does not stretch its grid's
# cells (a long one made 0.500 sit in a cell 155 px wide); what else they need to say goes
# to the step's heading. The projector's grids, which stand abreast at 150 %, need it too.
CAPTIONS = {"queue": "place in queue", "balance": "f and P", "aux_loss": "loss"}


def capacity_view(result: MoEResult, shown_tokens: int) -> tuple[str, object]:
    """(title, grids) of the load, capacity and balancing loss of `result`.

    Grids: `queue` (each slot's place in its expert's queue, dropped slots outlined;
    only with a capacity factor, and for the first `shown_tokens` tokens), `load`
    (routed and kept slots per expert, all tokens), `balance` (f, P and f·P per
    expert) and `aux_loss` (n_experts · Σ f·P).
    """
    k, n_tokens = result.chosen.shape
    n_experts = result.tokens_per_expert.shape[0]
    t = min(n_tokens, shown_tokens)
    experts = labels("e", n_experts)
    parts = []
    if result.capacity is None:
        title = (
            "The load and the balancing loss (no capacity limit: nothing is dropped; tick "
            "'limit slots' to give each expert a fixed number of slots)"
        )
        parts.append(
            grid(result.tokens_per_expert, rows=["routed"], cols=experts, title="slots per expert",
                 tinted=False, name="load")
        )  # fmt: skip
    else:
        c = result.capacity_factor
        title = (
            f"Capacity: each expert serves floor({c:g} · {k} · {n_tokens} / {n_experts}) = "
            f"{result.capacity} slot{'' if result.capacity == 1 else 's'}, first choices first "
            "in token order"
            + (", then second choices" if k > 1 else "")
            + (", then third" if k == 3 else ", and so on" if k > 3 else "")
            + "; a slot past that is dropped"
            + " (outlined)"
            + " and adds nothing"
        )
        places = queue_places(np.asarray(result.chosen), n_experts)[:, :t]  # (k, t)
        parts.append(
            grid(places, rows=RANKS[:k], cols=labels("X", t), tinted=False,
                 outline=result.dropped[:, :t],
                 title=CAPTIONS["queue"] + (f" (first {t} of {n_tokens})" if t < n_tokens else ""),
                 name="queue")
        )  # fmt: skip
        parts.append(
            grid(np.stack([result.tokens_per_expert, result.kept_per_expert]),
                 rows=["routed", "kept"], cols=experts, title="slots per expert", tinted=False,
                 outline=np.stack([result.tokens_per_expert > result.capacity,
                                   np.zeros(n_experts, bool)]),
                 name="load")
        )  # fmt: skip
    title += ". f: share of first choices, P: mean gate probability; the loss is 1 when f is even"
    f, P = result.load_fraction, result.mean_gate_probs
    parts.append(
        grid(np.stack([f, P, f * P]), rows=["f", "P", "f·P"], cols=experts,
             title=CAPTIONS["balance"], fmt=".3f", tinted=False, name="balance")
    )  # fmt: skip
    parts.append(
        grid([[result.aux_loss]], rows=["loss"], cols=[f"{n_experts}·Σ f·P"], fmt=".3f",
             title=CAPTIONS["aux_loss"], tinted=False, name="aux_loss")
    )  # fmt: skip
    return title, row(*parts)
