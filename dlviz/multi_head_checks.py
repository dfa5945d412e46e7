"""Grading the several-heads part of exercise 1 by hand: the concatenation and WO·concat.

Beyond the sheet (issue 15, notebook 4). Each head's own steps are graded with
`dlviz.checking.attention_checks(result.heads[h])`; this adds the two steps that
join the heads, as `dlviz.checking.Step`s for `HandCheck`. Numpy only.
"""

from __future__ import annotations

import numpy as np

from dlviz._format import labels
from dlviz.checking import Slip, Step


def multi_head_checks(result) -> dict[str, Step]:
    """The concatenation and the output WO·concat of a `MultiHeadResult`, with their slips.

    Each head's own steps are checked with `attention_checks(result.heads[h])`.
    """
    n, d_v, h = result.n_tokens, result.d_v, result.n_heads
    hand = result.mode == "hand"
    concat_rows = tuple(f"h{i + 1}·{j + 1}" for i in range(h) for j in range(d_v))
    reversed_heads = np.vstack([head.output for head in reversed(result.heads)])
    first_only = result.WO[:, :d_v] @ result.heads[0].output
    return {
        "concat": Step(
            "concat", "concat: the heads' outputs stacked, head 1 on top", result.concat,
            concat_rows, tuple(labels("z", n)), tolerance=0.0 if hand else 0.005,
            fmt="auto" if hand else ".2f",
            slips=(Slip(reversed_heads, "The heads are stacked in the wrong order: head 1's "
                        "rows go on top, then head 2's, and so on."),),
        ),
        "multi_output": Step(
            "multi_output", "output = WO·concat", result.output, None,
            tuple(labels("o", n)), tolerance=0.0 if hand else 0.005,
            fmt="auto" if hand else ".2f",
            slips=(Slip(first_only, "Only head 1 was mixed in: each output entry uses a whole "
                        "row of WO, across every head's rows of the concatenation."),),
        ),
    }  # fmt: skip
