"""Grade a learner's hand work, cell by cell, and recognise the usual slips.

A learner computes a step with a pencil and types the numbers into a grid. Each
cell is read (`parse_answer`: "3", "-0.5", "44/9", "15 1/3"), compared with the
expected value the way a careful teacher would (`grade`), and the wrong cells are
compared with what known slips would give (`hints`), so the check can say not only
*which* numbers are wrong but *why*.

`attention_checks(result)`, `vectordb_checks(result)` and `moe_checks(result)` say,
for each key step of the three exercises, what is asked, what is expected, what it
is computed from and which slips to look for, from a computation result alone, so a
grid follows whatever numbers an explorer shows.

Numpy only: the widget that shows all this is `dlviz.widgets.handcheck.HandCheck`.
"""

from __future__ import annotations

from dlviz.checking.attention import attention_checks
from dlviz.checking.grade import (
    Given,
    Hint,
    Slip,
    Step,
    Verdict,
    decimals_typed,
    grade_cells,
    parse_answer,
)
from dlviz.checking.hints import choose
from dlviz.checking.ivf import ivf_checks
from dlviz.checking.moe import moe_checks
from dlviz.checking.vectordb import vectordb_checks

__all__ = [
    "Given", "Hint", "Slip", "Step", "Verdict", "attention_checks", "check",
    "decimals_typed", "ivf_checks", "moe_checks", "parse_answer", "vectordb_checks",
]  # fmt: skip


def check(step: Step, answers) -> Verdict:
    """Grade a grid of typed answers, rows of text shaped like `step.expected`.

    Every cell gets a status ("right", "wrong", "empty", "unreadable"), unreadable ones
    a note saying why, and the verdict the hints whose slips explain the wrong cells.
    Answers of the wrong shape raise ValueError (TypeError if not rows of text); no
    text in a cell ever raises.
    """
    status, notes, parsed = grade_cells(step, answers)
    return Verdict(
        status=status, notes=tuple(tuple(r) for r in notes), hints=choose(step, status, parsed)
    )
