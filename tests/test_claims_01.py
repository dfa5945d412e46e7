"""Notebook 01 (self-attention): every "Try this" carried out, every quoted number recomputed.

How to add a check, and what the suite demands of the prose: see `tests/claims.py`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from dlviz import AttentionExplorer, examples, self_attention
from tests.claims import Claims, ProseTests

claims = Claims("01")
EX = examples.attention_exercise()
HAND = self_attention(**EX, mode="hand")
EXACT = self_attention(**EX, mode="exact")


def _col(r, name, j):
    return getattr(r, name)[:, j]


# --- quoted numbers -------------------------------------------------------------------

claims.not_computed(r"From step 5 on", "a step number")
claims.not_computed(
    r"divides by 2 instead of √3, uses 3ˣ instead of eˣ",
    "the sheet's rules, stated (their effect is checked below)",
)
claims.number(r"make the (\d)×(\d) matrix `X`", lambda: EX["X"].shape)
claims.number(r"compute the (\d)×(\d) scores", lambda: HAND.scores.shape)
claims.not_computed(
    r"\(fractions like `9/16` are fine\)", "the grids' instructions: an example of typing"
)
claims.number(
    r"query (\d) matches key (\d) best \(score (\d)\)",
    lambda: (4, int(np.argmax(HAND.scores[:, 3])) + 1, HAND.scores[:, 3].max()),
)


def _same_keys():
    k1, k4 = HAND.K[:, 0], HAND.K[:, 3]
    assert np.array_equal(k1, k4)
    assert np.array_equal(HAND.scores[0], HAND.scores[3])
    assert np.array_equal(EXACT.weights[0], EXACT.weights[3])
    differ = np.flatnonzero(EX["X"][:, 0] != EX["X"][:, 3])  # features where x1, x4 differ
    assert not EX["WK"][:, differ].any()  # ... all unread by WK
    return (1, 4, 1, 4, *k1, 1, 4, *(differ + 1), 1, 4, 4)


claims.number(
    r"Rows k(\d) and k(\d) are the same, and not by chance: the keys \$k_(\d)\$ and \$k_(\d)\$"
    r" are the same vector, \$\[(\d), (\d), (\d)\]\$\. Tokens x(\d) and x(\d) differ only in "
    r"features f(\d) and f(\d), which `WK` does not read, so every query scores keys (\d) and "
    r"(\d) alike and gives them the same weight \(unless \*causal\*, in the explorer, hides key "
    r"(\d) from it\)",
    _same_keys,
)
claims.number(
    r"Here \$d_k = (\d)\$ and \$\\sqrt 3 \\approx (1\.73)\$",
    lambda: (HAND.d_k, math.sqrt(3)),
)
claims.not_computed(r"\$\\sqrt 3\$|√3", "the formula's √d_k, with d_k = 3 (checked above)")
claims.number(r"divides by \$\\operatorname\{round\}\(\\sqrt 3\) = (\d)\$", lambda: HAND.divisor)
claims.number(
    r"\$(5/2) \\to (\d)\$, and \$(-1/2) \\to (\d)\$ \(not \$(-1)\$\)",
    lambda: (Fraction(5, 2), math.trunc(5 / 2), Fraction(-1, 2), math.trunc(-1 / 2), -1),
)
claims.number(r"\$e \\approx (2\.7)\$ is replaced by (\d)", lambda: (math.e, 3))
claims.number(
    r"\$3\^(2) = (9)\$, \$3\^(1) = (3)\$, \$3\^(0) = (1)\$, and \$3\^\{(-1)\} = (0\.33) "
    r"\\to (0)\$",
    lambda: (2, 9, 1, 3, 0, 1, -1, 1 / 3, round(1 / 3)),
)
claims.not_computed(r"the powers of 3 above", "the sheet's base, 3 for e")
claims.number(
    r"query (1) gives (0\.6) of it to key (2)",
    lambda: (1, HAND.weights[1, 0], int(np.argmax(HAND.weights[:, 0])) + 1),
)


def _column_sums():
    sums = HAND.weights.sum(axis=0)
    assert np.isclose(sums[0], sums[3])
    return sums[0], sums[2]


claims.number(
    r"the first and the last column add up to \*\*(1\.1)\*\*, the third to \*\*(0\.9)\*\*",
    _column_sums,
)


def _shares(j, direction):
    exact = HAND.exp[:, j] / HAND.sums[j]
    rounded = HAND.weights[:, j]
    if direction == "up":
        assert (rounded >= exact).all()
    else:
        assert (rounded <= exact).all()
    return tuple(Fraction(int(e), int(HAND.sums[j])) for e in HAND.exp[:, j])


claims.number(
    r"every share \((3/16), (9/16), (1/16), (3/16)\) rounds \*up\*", lambda: _shares(0, "up")
)
claims.number(
    r"in the third \((3/7), (1/7), (0), (3/7)\) they round \*down\*",
    lambda: _shares(2, "down"),
)


def _the_half():
    fractions = HAND.exp / HAND.sums  # the exact shares, before rounding
    halves = np.isclose((fractions * 10) % 1, 0.5)
    assert halves.sum() == 1 and halves[1, 3]  # 9/12 only
    assert np.isclose(np.round(0.75, 1), 0.8) and np.isclose(HAND.weights[1, 3], 0.8)
    return Fraction(9, 12), 0.75, 0.8


claims.number(r"The only half here, (9/12) = (0\.75), gives (0\.8) either way", _the_half)
claims.number(
    r"\$z_1 = (0\.2)\\,v_1 \+ (0\.6)\\,v_2 \+ (0\.1)\\,v_3 \+ (0\.2)\\,v_4\$",
    lambda: tuple(HAND.weights[:, 0]),
)
claims.not_computed(r"\$z_1|v_1|v_2|v_3|v_4|z_j|k_i|q_j|d_k|k_1|k_4", "names of vectors")
claims.not_computed(r"Z_r|Q_r|K_r|V_r|q_2|k_4", "names of vectors")


def _one_becomes_zero():
    assert math.trunc(1 / HAND.divisor) == 0 == math.trunc(0 / HAND.divisor)
    return 1, 0


claims.number(r"a score of (1) becomes 0 just like a score of (0)", _one_becomes_zero)
claims.not_computed(r"\*\*3ˣ instead of eˣ\*\*", "the sheet's rule, named")
claims.not_computed(r"÷2 instead of ÷√3", "the sheet's rule, checked above (divisor 2)")
claims.number(r"\$3\^x = e\^\{x \\ln (3)\} \\approx e\^\{(1\.1)x\}\$", lambda: (3, math.log(3)))
claims.number(
    r"\*\*Rounding\*\* \$3\^\{(-1)\}\$ to (0) gives key (3) no weight at all for query (3); the "
    r"exact path gives it (0\.037), shown as (0\.04) in the grid below",
    lambda: (-1, HAND.weights[2, 2], 3, 3, EXACT.weights[2, 2], EXACT.weights[2, 2]),
)


def _one_decimal():
    sums = np.round(HAND.weights.sum(axis=0), 6)
    assert np.allclose(EXACT.weights.sum(axis=0), 1)
    return sums.max(), sums.min(), 1


claims.number(
    r"columns that add up to (1\.1) and (0\.9)\. Exactly, every column adds up to (1)\.",
    _one_decimal,
)
claims.number(r"\((\d) tokens × (\d)\)", lambda: (HAND.Q.T.shape[0], HAND.Q.T.shape[1]))
claims.not_computed(r"powers of 3 all round to 0", "an example of an input that cannot be computed")


class TestProse(ProseTests):
    """Notebook 01's quoted numbers recomputed, its "Try this" carried out (checks below)."""

    claims = claims


# --- Try this -------------------------------------------------------------------------


@claims.try_this("Make x2 attend mostly to x4", on=AttentionExplorer)
def _(item, explorer):
    assert "key 4 gets 0.3 by hand" in item
    assert np.isclose(explorer.result.weights[3, 1], 0.3)
    q2 = explorer.result.Q[:, 1]
    assert "$q_2 = [1, 1, 2]$" in item and list(q2) == [1, 1, 2]
    # the third entry of k4 is f1 − f6 of x4: row 3 of WK reads +f1 and −f6
    assert "the third entry of $k_4$ is f1 − f6 of x4" in item
    assert list(EX["WK"][2]) == [1, 0, 0, 0, 0, -1]
    assert "set f6 of x4 to −2" in item
    box = explorer.controls["X"].boxes[5][3]  # row f6, column x4
    assert box.value > -2  # lowering it, as the item says
    box.value = -2
    assert explorer.error == ""
    assert "weight of 0.9 by hand (0.92 with *mode* on *exact*)" in item
    assert np.isclose(explorer.result.weights[3, 1], 0.9)
    assert np.argmax(explorer.result.weights[:, 1]) == 3  # mostly to x4
    explorer.controls["mode"].value = "exact"
    assert abs(explorer.result.weights[3, 1] - 0.92) <= 0.005


@claims.try_this("What does temperature do?", on=AttentionExplorer)
def _(item, explorer):
    explorer.controls["mode"].value = "exact"
    explorer.controls["temperature"].value = 0.1
    A = explorer.result.weights
    assert "queries 1, 2 and 4 now give key 2 a weight of 0.99 or more" in item
    assert (A[1, [0, 1, 3]] >= 0.99 - 0.005).all()
    assert "Query 3 splits 0.50 and 0.50 between keys 1 and 4" in item
    assert np.allclose(A[[0, 3], 2], 0.5, atol=0.005)
    for t in (0.1, 0.5, 1.0, 2.0, 5.0):  # "they tie at every temperature"
        explorer.controls["temperature"].value = t
        assert np.allclose(explorer.result.weights[0], explorer.result.weights[3])
    explorer.controls["temperature"].value = 1.0
    Z1 = explorer.result.output
    explorer.controls["temperature"].value = 5.0
    A, Z5 = explorer.result.weights, explorer.result.output
    assert "each between 0.17 and 0.35, near an even 0.25" in item
    assert A.min() >= 0.17 - 0.005 and A.max() <= 0.35 + 0.005
    average = explorer.result.V.mean(axis=1)  # (3,): the plain average of the values
    assert "$[10, 5, 2.5]$" in item and np.allclose(average, [10, 5, 2.5])
    closer = np.linalg.norm(Z5 - average[:, None], axis=0) < np.linalg.norm(
        Z1 - average[:, None], axis=0
    )
    assert closer.all()  # every z_j moves toward it


@claims.try_this("Look only backwards", on=AttentionExplorer)
def _(item, explorer):
    before = explorer.result
    explorer.controls["causal"].value = True
    r = explorer.result
    assert "its weight is 1 and $z_1 = v_1$" in item
    assert r.weights[0, 0] == 1 and np.allclose(r.output[:, 0], r.V[:, 0])
    assert "the last column unchanged" in item
    assert np.allclose(r.weights[:, 3], before.weights[:, 3])
    assert np.allclose(r.output[:, 3], before.output[:, 3])


@claims.try_this("Break the pencil rules", on=AttentionExplorer)
def _(item, explorer):
    assert explorer.controls["mode"].value == "hand"
    assert "set the f1 column of `WQ` to −5, 0, −5" in item
    for row, value in enumerate([-5, 0, -5]):
        explorer.controls["WQ"].boxes[row][0].value = value
    scaled = np.trunc(
        (EX["WK"] @ EX["X"]).T @ (np.array(explorer.controls["WQ"].value) @ EX["X"]) / 2
    )
    assert "Every scaled score of query 1 is now −1 or lower" in item
    assert (scaled[:, 0] <= -1).all()
    assert "every power of 3 in its column rounds to 0" in item
    assert (np.round(3.0 ** scaled[:, 0]) == 0).all()
    message = explorer.error
    assert "q1" in message and "switch *mode* to *exact*" in message.lower()
    explorer.controls["mode"].value = "exact"  # "the formula still works"
    assert explorer.error == ""
    assert np.allclose(explorer.result.weights.sum(axis=0), 1)
    assert "type 9 into row f2 of x1" in item
    explorer.controls["reset"].click()
    explorer.controls["mode"].value = "hand"
    explorer.controls["X"].boxes[1][0].value = 9
    message = explorer.error
    assert "3⁴² is too big to write down" in message
    assert "switch *mode* to *exact*" in message.lower()


def _visible(box) -> bool:
    """Shown on the page: a hidden step keeps its place (visibility) or is left out (display)."""
    return box.layout.display != "none" and box.layout.visibility != "hidden"


@claims.try_this("Check your own hand", on=AttentionExplorer)
def _(item, explorer):
    assert "Set *show up to step* to 4" in item
    explorer.controls["step"].value = 4
    shown = {k for k, box in explorer.step_boxes.items() if _visible(box)}
    assert shown == {1, 2, 3, 4}
    assert "move the slider to 9" in item
    explorer.controls["step"].value = 9
    shown = {k for k, box in explorer.step_boxes.items() if _visible(box)}
    assert shown == set(range(1, 10))
