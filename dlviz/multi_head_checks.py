"""Multi-head attention's checkable steps, from a `MultiHeadResult` alone.

Each head's own steps are `head_checks(result, h)`: `attention_checks` of that head,
saying which head the numbers are. The joining steps, and their slips (the number a
cell would hold had the learner made it):

concat
    the heads stacked in the wrong order (last head on top; made for the whole grid).
multi_output
    only head 1 mixed in: WO's first d_v columns times head 1's output.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dlviz import examples
from dlviz._checks import as_int
from dlviz._format import labels
from dlviz.checking import Given, Slip, Step, attention_checks
from dlviz.checking.attention import sheet_differences as attention_differences
from dlviz.checking.sources import SHEET, origin_of, same_numbers


def head_checks(result, head: int, exercise=None) -> dict[str, Step]:
    """The steps of head `head` (1, 2, …) of a `MultiHeadResult`, as `attention_checks`.

    Head 1 is compared with the exercise (the sheet's numbers by default). A later head
    has weights of its own, not edited ones: its grids say so ("head 2's own weights,
    rows 4–6 of WQ, WK, WV"), name only what else differs (X, mode, causal) and call
    its matrices by its number (S₂ = K₂ᵀ·Q₂).
    Raises ValueError for a head the result does not have.
    """
    head = as_int("head", head, low=1, high=result.n_heads)
    r = result.heads[head - 1]
    if head == 1:
        return attention_checks(r, exercise)
    sheet = examples.attention_exercise() if exercise is None else exercise
    own = {**sheet, "WQ": r.WQ, "WK": r.WK, "WV": r.WV}
    d_k, d_v = r.d_k, r.V.shape[0]
    rows = f", rows {(head - 1) * d_k + 1}–{head * d_k} of WQ, WK, WV" if d_k == d_v else ""
    mine = f"head {head}'s own weights{rows}"
    steps = attention_checks(r, own, head=head)
    return {k: replace(s, source=(mine, *s.source)) for k, s in steps.items()}


def _differences(result, exercise, positions: bool) -> tuple[str, ...]:
    """How a multi-head result differs from head 1's exercise and, with more heads, from
    the multi-head exercise (its second head, WO = [I | I])."""
    parts = list(attention_differences(result.heads[0], exercise, positions=positions))
    h = result.n_heads
    if h > 2:
        parts.append(f"{h} heads")
    elif h == 2:  # head 2 is rows 4-6 of the multi-head exercise's WQ, WK, WV
        two = examples.multi_head_exercise()
        d_k, d_v = result.heads[0].d_k, result.d_v
        ours = (result.WQ[d_k:], result.WK[d_k:], result.WV[d_v:], result.WO)
        if not same_numbers(ours, (two["WQ"][3:], two["WK"][3:], two["WV"][3:], two["WO"])):
            parts.append("head 2 or WO edited")
    return tuple(parts)


def multi_head_checks(result, exercise=None, *, positions: bool = False) -> dict[str, Step]:
    """The concatenation and the output WO·concat of a `MultiHeadResult`, with their slips.

    exercise: head 1's numbers to compare with (the sheet's by default; an explorer
    passes the exercise it started from); with more heads, the second is compared with
    the multi-head exercise's. positions: whether X holds the positional encoding added
    to the X typed. What differs is said with each grid (`Step.source`).
    """
    n, d_v, h = result.n_tokens, result.d_v, result.n_heads
    hand = result.mode == "hand"
    concat_rows = tuple(f"h{i + 1}·{j + 1}" for i in range(h) for j in range(d_v))
    tokens = tuple(labels("z", n))
    reversed_heads = np.vstack([head.output for head in reversed(result.heads)])
    first_only = result.WO[:, :d_v] @ result.heads[0].output
    fmt = "auto" if hand else ".2f"
    # One head is the sheet's; more are this exercise's own (notebook 4), not the sheet's.
    origin = origin_of(exercise, examples.attention_exercise())
    if h > 1 and origin == SHEET:
        origin = "the multi-head exercise's numbers (beyond the sheet)"
    beyond = {"origin": origin, "source": _differences(result, exercise, positions)}
    return {
        "concat": Step(
            "concat", "concat: the heads' outputs stacked, head 1 on top", result.concat,
            concat_rows, tokens, fmt=fmt, **beyond,
            slips=(Slip(reversed_heads, "The heads are stacked in the wrong order: head 1's "
                        "rows go on top, then head 2's, and so on.", scope="grid"),),
            inputs=tuple(Given(f"Z of head {i + 1}", head.output, None, tokens, fmt)
                         for i, head in enumerate(result.heads)),
        ),
        "multi_output": Step(
            "multi_output", "output = WO·concat", result.output, None,
            tuple(labels("o", n)), fmt=fmt, **beyond,
            slips=(Slip(first_only, "Only head 1 was mixed in: each output entry uses a whole "
                        "row of WO, across every head's rows of the concatenation."),),
            inputs=(Given("WO", result.WO, None, concat_rows),
                    Given("concat", result.concat, concat_rows, tokens, fmt)),
        ),
    }  # fmt: skip
