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


# What each grid's caption says: in the walk-through, and shorter in the projector view,
# whose grids must stand abreast at 150 % (the rest of what they say goes to the heading).
CAPTIONS = {
    False: {
        "queue": "place in its expert's queue (outlined: past {capacity}, dropped)",
        "balance": "f: share of first choices · P: mean gate probability",
        "aux_loss": "balance loss (1 if even)",
    },
    True: {"queue": "place in queue", "balance": "f and P", "aux_loss": "loss (1 if even)"},
}


def capacity_view(
    result: MoEResult, shown_tokens: int, *, projector: bool = False
) -> tuple[str, object]:
    """(title, grids) of the load, capacity and balancing loss of `result`.

    Grids: `queue` (each slot's place in its expert's queue, dropped slots outlined;
    only with a capacity factor, and for the first `shown_tokens` tokens), `load`
    (routed and kept slots per expert, all tokens), `balance` (f, P and f·P per
    expert) and `aux_loss` (n_experts · Σ f·P).

    projector: the same grids with short captions, what the long ones say in the title.
    """
    k, n_tokens = result.chosen.shape
    n_experts = result.tokens_per_expert.shape[0]
    t = min(n_tokens, shown_tokens)
    experts = labels("e", n_experts)
    captions = CAPTIONS[projector]
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
            + "; a slot past that is dropped"
            + (" (outlined)" if projector else "")
            + " and adds nothing"
        )
        places = queue_places(np.asarray(result.chosen), n_experts)[:, :t]  # (k, t)
        parts.append(
            grid(places, rows=RANKS[:k], cols=labels("X", t), tinted=False,
                 outline=result.dropped[:, :t],
                 title=captions["queue"].format(capacity=result.capacity), name="queue")
        )  # fmt: skip
        parts.append(
            grid(np.stack([result.tokens_per_expert, result.kept_per_expert]),
                 rows=["routed", "kept"], cols=experts, title="slots per expert", tinted=False,
                 outline=np.stack([result.tokens_per_expert > result.capacity,
                                   np.zeros(n_experts, bool)]),
                 name="load")
        )  # fmt: skip
    if projector:
        title += ". f: share of first choices, P: mean gate probability"
    f, P = result.load_fraction, result.mean_gate_probs
    parts.append(
        grid(np.stack([f, P, f * P]), rows=["f", "P", "f·P"], cols=experts,
             title=captions["balance"], fmt=".3f", tinted=False, name="balance")
    )  # fmt: skip
    parts.append(
        grid([[result.aux_loss]], rows=["loss"], cols=[f"{n_experts}·Σ f·P"], fmt=".3f",
             title=captions["aux_loss"], tinted=False, name="aux_loss")
    )  # fmt: skip
    return title, row(*parts)
