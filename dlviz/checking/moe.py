"""The mixture-of-experts sheet's checkable steps, from an `MoEResult` alone (top-k too).

Only the first tokens (the sheet's X1 and X2) are asked for: an explorer may route
dozens of random tokens, which nobody should do by pencil. The slips, and how each is
recognised (the number a cell would hold had the learner made it):

logits gate_W·X + gate_b
    the experts swapped (the rows in reverse order); the bias left out (gate_W·X).
choice (1 where a token goes, 0 elsewhere)
    the smallest logits picked instead of the largest; the gate's probabilities
    written in place of the 1s and 0s; with top-k, only the single best expert marked.
output
    ReLU forgotten (W·x + b kept negative); top-1: the output of the token's
    second-best expert; the dense mixture over every expert (Σ p·ReLU, all
    experts); top-k: the k outputs added without the weights g, or weighted by the
    softmax over all experts instead of over the chosen k.
"""

from __future__ import annotations

import numpy as np

from dlviz import examples
from dlviz._format import grid_format, labels
from dlviz.checking.grade import Given, Slip, Step
from dlviz.checking.sources import origin_of
from dlviz.moe import MoEResult


def sheet_differences(
    result: MoEResult, n_tokens: int = 2, exercise=None, *, batch: bool = False
) -> tuple[str, ...]:
    """How the numbers asked for differ from the sheet's, in a few words.

    n_tokens: the tokens asked for (the sheet's X1 and X2). The tokens routed after
    them are named when they count: for a grid of the whole batch (`batch`), and under
    a capacity limit, which they change (each expert serves a share of all tokens).
    """
    sheet = examples.moe_exercise() if exercise is None else exercise
    model = result.model
    parts = []
    X = result.X[:, :n_tokens]
    if X.shape != sheet["X"].shape:
        parts.append(", ".join(f"X{j + 1}" for j in range(X.shape[1])) + " edited")
    elif edited := [
        f"X{j + 1}" for j in range(X.shape[1]) if not np.allclose(X[:, j], sheet["X"][:, j])
    ]:
        parts.append(f"{', '.join(edited)} edited")  # the tokens moved, not both
    more = result.X.shape[1] - n_tokens
    if more > 0 and (batch or result.capacity is not None):
        parts.append(f"{more} more token{'s' if more > 1 else ''}")
    if model.n_experts != len(sheet["experts"]):
        parts.append(f"{model.n_experts} experts")
    elif not (
        np.allclose(model.gate_W, sheet["gate_W"]) and np.allclose(model.gate_b, sheet["gate_b"])
        and all(np.allclose(W, W0) and np.allclose(b, b0)
                for (W, b), (W0, b0) in zip(model.experts, sheet["experts"], strict=True))
    ):  # fmt: skip
        parts.append("gate or experts edited")
    if result.top_k != 1:
        parts.append(f"top-{result.top_k} routing")
    if result.capacity is not None:
        parts.append(f"capacity factor {result.capacity_factor:g}")
    return tuple(parts)


def moe_checks(result: MoEResult, n_tokens: int = 2, exercise=None) -> dict[str, Step]:
    """Gate logits, the choice (a 0/1 grid, k ones per token) and the outputs, with slips.

    exercise: the numbers the grids call "the sheet's" (`examples.moe_exercise()` by
    default; an explorer passes the exercise it started from).
    """
    model = result.model
    t = min(n_tokens, result.X.shape[1])
    k = result.top_k
    X = result.X[:, :t]  # (in_dim, t)
    tokens = tuple(labels("X", t))
    experts = tuple(f"expert {e + 1}" for e in range(model.n_experts))
    feats = tuple(labels("f", model.in_dim))
    outs = tuple(labels("o", model.out_dim))
    source = sheet_differences(result, t, exercise)
    origin = origin_of(exercise, examples.moe_exercise())
    logits = result.gate_logits[:, :t]  # (E, t)
    columns = np.arange(t)

    logits_step = Step(
        "logits", "gate logits gate_W·x + gate_b (row = expert, column = token)", logits,
        experts, tokens, fmt=grid_format(logits), source=source, origin=origin,
        inputs=(Given("gate_W", model.gate_W, experts, feats, grid_format(model.gate_W)),
                Given("X", X, feats, tokens, grid_format(X)),
                Given("gate_b", model.gate_b[:, None], experts, ("b",), grid_format(model.gate_b))),
        slips=(Slip(logits[::-1], "The experts are swapped: row e of the logits belongs to "
                    "expert e, computed with row e of gate_W.", scope="grid"),
               Slip(result.gate_WX[:, :t], "The bias gate_b was left out: add it to "
                    "gate_W·x.")),
    )  # fmt: skip

    picked = result.picked[:, :t].astype(float)  # (E, t)
    order = np.argsort(-logits, axis=0, kind="stable")  # (E, t): best first
    worst = np.zeros_like(picked)
    np.put_along_axis(worst, order[::-1][:k], 1.0, axis=0)
    choice_slips = [
        Slip(worst, "The gate picks the experts with the LARGEST logits.", scope="grid"),
        Slip(result.gate_probs[:, :t], "These are the gate's probabilities: the choice is 1 "
             f"for {'the chosen expert' if k == 1 else 'each chosen expert'}, 0 elsewhere."),
    ]  # fmt: skip
    if k > 1:
        best_only = np.zeros_like(picked)
        best_only[order[0], columns] = 1.0
        choice_slips.append(
            Slip(
                best_only,
                f"Only the best expert is marked: with top-{k} "
                f"routing each token goes to its {k} best experts.",
            )
        )
    what = "the chosen expert" if k == 1 else f"each of the token's top {k} experts"
    choice_step = Step(
        "choice", f"the choice: 1 for {what}, 0 elsewhere", picked, experts, tokens,
        source=source, origin=origin, slips=tuple(choice_slips),
        inputs=(Given("logits", logits, experts, tokens, grid_format(logits)),),
    )  # fmt: skip

    # Every expert's W·x + b on the asked tokens, for the slips.
    linear = np.stack([W @ X + b[:, None] for W, b in model.experts])  # (E, out, t)
    relu = np.maximum(linear, 0.0)
    probs = result.gate_probs[:, :t]  # (E, t)
    g = result.gate_weights[:, :t]  # (k, t)
    chosen = result.chosen[:, :t]  # (k, t)
    out_slips = [
        Slip(np.einsum("kt,kot->ot", g, result.expert_linear[:, :, :t]),
             "A negative number survived: each expert's W·x + b goes through ReLU, which "
             "turns it into 0."),
    ]  # fmt: skip
    if k == 1:
        second = relu[order[1], :, columns].T  # (out, t)
        out_slips.append(
            Slip(
                second,
                "That is another expert's output: the token goes to "
                "the expert with the largest gate logit.",
            )
        )
    else:
        picked_relu = relu[chosen, :, columns[None, :]]  # (k, t, out)
        # Ways of mixing, each made for the whole grid: a single cell that happens to round
        # to one of their numbers is not named after them.
        out_slips += [
            Slip(picked_relu.sum(axis=0).T, f"These add the {k} experts' outputs without "
                 "their weights g: multiply each by its g first.", scope="grid"),
            Slip(np.einsum("kt,kto->ot", np.take_along_axis(probs, chosen, axis=0),
                           picked_relu),
                 "These weigh the outputs by the softmax over all experts; the weights g are "
                 f"the softmax of the chosen {k} logits only, so they add up to 1.",
                 scope="grid"),
        ]  # fmt: skip
    if k < model.n_experts:
        out_slips.append(Slip(np.einsum("et,eot->ot", probs, relu), "That mixes every "
                              f"expert by its gate probability; with top-{k} routing only "
                              "the chosen experts compute.", scope="grid"))  # fmt: skip
    shown = sorted({int(e) for e in chosen.ravel()})
    given = [Given("X", X, feats, tokens, grid_format(X))]
    for e in shown:
        W, b = model.experts[e]
        given.append(Given(f"W of expert {e + 1}", W, outs, feats, grid_format(W)))
        if b.any():
            given.append(Given(f"b of expert {e + 1}", b[:, None], outs, ("b",), grid_format(b)))
    if k > 1:
        given.append(Given("weights g", g, tuple(labels("g", k)), tokens, ".3f"))
        title = f"the output Σ g·ReLU(W·x + b) over each token's top {k}"
    else:
        title = "the output ReLU(W·x + b) of each token's chosen expert"
    output = result.output[:, :t]
    output_step = Step(
        "output",
        title,
        output,
        outs,
        tokens,
        fmt=grid_format(output),
        source=source,
        origin=origin,
        slips=tuple(out_slips),
        inputs=tuple(given),
    )
    return {"logits": logits_step, "choice": choice_step, "output": output_step}
