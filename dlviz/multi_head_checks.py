"""Multi-head attention's checkable steps, from a `MultiHeadResult` alone.

Each head's own steps are checked with `attention_checks(result.heads[h])`. The slips,
and how each is recognised (the number a cell would hold had the learner made it):

concat
    the heads stacked in the wrong order (last head on top; made for the whole grid).
multi_output
    only head 1 mixed in: WO's first d_v columns times head 1's output.
"""

from __future__ import annotations

import numpy as np

from dlviz._format import labels
from dlviz.checking import Given, Slip, Step


def multi_head_checks(result) -> dict[str, Step]:
    """The concatenation and the output WO·concat of a `MultiHeadResult`, with their slips."""
    n, d_v, h = result.n_tokens, result.d_v, result.n_heads
    hand = result.mode == "hand"
    concat_rows = tuple(f"h{i + 1}·{j + 1}" for i in range(h) for j in range(d_v))
    reversed_heads = np.vstack([head.output for head in reversed(result.heads)])
    first_only = result.WO[:, :d_v] @ result.heads[0].output
    fmt = "auto" if hand else ".2f"
    return {
        "concat": Step(
            "concat", "concat: the heads' outputs stacked, head 1 on top", result.concat,
            concat_rows, tuple(labels("z", n)), fmt=fmt,
            slips=(Slip(reversed_heads, "The heads are stacked in the wrong order: head 1's "
                        "rows go on top, then head 2's, and so on.", scope="grid"),),
        ),
        "multi_output": Step(
            "multi_output", "output = WO·concat", result.output, None,
            tuple(labels("o", n)), fmt=fmt,
            inputs=(Given("WO", result.WO, None, concat_rows),
                    Given("concat", result.concat, concat_rows, tuple(labels("z", n)), fmt)),
            slips=(Slip(first_only, "Only head 1 was mixed in: each output entry uses a whole "
                        "row of WO, across every head's rows of the concatenation."),),
        ),
    }  # fmt: skip
