"""Notebook 01 (self-attention): every "Try this" carried out, every quoted number recomputed.

How to add a check, and what the suite demands of the prose: see `tests/claims.py`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from dlviz import AttentionExplorer, examples, self_attention
from dlviz.checking import attention_checks, check
from tests.claims import Claims, ProseTests, cells_by_id, prose

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
    r"(\d) alike and gives them the same weight \(unless the explorer's \*causal\* option, "
    r"explained at the end, hides key (\d) from the query\)",
    _same_keys,
)
claims.not_computed(
    r"Steps 6 to 8|\(step [678]\)|step 9 multiplies", "step numbers (the steps of the sheet)"
)
claims.not_computed(r"notebook [24]", "another notebook's number")


def _softmax_adds_to_one():
    assert np.allclose(EXACT.weights.sum(axis=0), 1)
    shifted = np.exp(EXACT.scaled + 7.0)  # "only the gaps matter": shift every score by 7
    assert np.allclose(shifted / shifted.sum(axis=0), EXACT.weights)
    return 1


claims.number(r"positive and add up to (1)\. Only the \*gaps\*", _softmax_adds_to_one)


def _spread():
    """Scores of random entries (mean 0, variance 1) measured: variance d_k, spread √d_k."""
    rng = np.random.default_rng(0)
    for d_k in (1, 4, 16, 64):
        q, k = rng.standard_normal((2, 20_000, d_k))
        scores = (q * k).sum(axis=1)
        assert abs(scores.var() / d_k - 1) < 0.05  # the variance grows like d_k
    return 0, 1, scores.std(), 64


claims.number(
    r"entries of mean (0) and variance (1), a score has variance \$d_k\$, so its spread grows "
    r"like \$\\sqrt\{d_k\}\$ \(about (8) at \$d_k = (64)\$\)",
    _spread,
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
    assert halves.sum() == 1 and halves[1, 3]  # 9/12 only: key 2, query 4
    e, total = int(HAND.exp[1, 3]), int(HAND.sums[3])
    assert np.isclose(np.round(0.75, 1), 0.8)  # np.round, to the even neighbour: 0.8 too
    weights = attention_checks(HAND)["weights"]  # the grid marks 0.7 wrong, 0.8 right
    typed = [[f"{v:.1f}" for v in row] for row in weights.expected]
    down = math.floor(10 * e / total) / 10  # the half rounded down
    typed[1][3] = f"{down:.1f}"
    assert check(weights, typed).status[1, 3] == "wrong"
    typed[1][3] = f"{HAND.weights[1, 3]:.1f}"
    assert check(weights, typed).all_right
    return 2, 4, Fraction(e, total), e / total, e, total, HAND.weights[1, 3], down


claims.number(
    r"key (\d)'s for query (\d), (3/4) = (0\.75) \((9)/(12) before reducing\)\. A half rounds "
    r"\*up\*, to (0\.8),.*? marks (0\.7) wrong there",
    _the_half,
)
claims.not_computed(r"also gives 0\.8", "np.round's 0.8, checked with the claim above")
claims.number(
    r"\$z_1 = (0\.2)\\,v_1 \+ (0\.6)\\,v_2 \+ (0\.1)\\,v_3 \+ (0\.2)\\,v_4\$",
    lambda: tuple(HAND.weights[:, 0]),
)
claims.number(
    r"maps \$z_j\$ \((\d) numbers\) back to the (\d) numbers of a token",
    lambda: (HAND.output.shape[0], EX["X"].shape[0]),
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


def _nearly_cancel():
    assert math.log(3) / HAND.divisor < 1 / math.sqrt(HAND.d_k)  # by hand, a touch flatter
    s = HAND.scores[:, 0]
    assert list(s[:2]) == [3, 4] and list(HAND.scaled[:2, 0]) == [1, 2]
    assert list(s[:2] / HAND.divisor) == [1.5, 2]  # half a power apart before truncating
    by_hand, exactly = math.log(3) / HAND.divisor, 1 / math.sqrt(HAND.d_k)
    a_1, e_1 = HAND.weights[1, 0], EXACT.weights[1, 0]  # key 2's share of query 1
    halves = [Fraction(int(x), int(HAND.divisor)) for x in s[:2]]  # ÷2, not yet truncated
    return (
        HAND.divisor,
        by_hand,
        3,
        exactly,
        1,
        *s[:2],
        *HAND.scaled[:2, 0],
        3,
        *halves,
        HAND.divisor,
        2,
        a_1,
        1,
        e_1,
    )


claims.number(
    r"\$3\^\{s/(2)\} = e\^\{(0\.55)s\}\$, exactly \$e\^\{s/\\sqrt (3)\} = e\^\{(0\.58)s\}\$\. "
    r"What moves the by-hand weights most is the truncation\. It can pull scores apart: query "
    r"(1)'s scores (3) and (4) become (1) and (2), a whole power of (3) apart, where (3/2) and "
    r"(4/2) \(÷(2) without truncating\) are half a power apart; so key (2) gets (0\.6) of query "
    r"(1)'s attention by hand against (0\.46) exactly",
    _nearly_cancel,
)


def _merged():
    s = HAND.scores[:, 1]  # query 2's scores
    assert list(s[:2]) == [2, 3] and list(HAND.scaled[:2, 1]) == [1, 1]
    a_2, e_2 = HAND.weights[1, 1], EXACT.weights[1, 1]  # key 2's share of query 2
    return 2, *s[:2], 1, 2, a_2, 2, e_2


claims.number(
    r"It can also merge them: query (\d)'s scores (\d) and (\d) both become (\d), so key (\d) "
    r"gets (0\.\d) of query (\d)'s attention by hand against (0\.\d\d) exactly",
    _merged,
)
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


def _reset_heads_and_temperature():
    explorer = AttentionExplorer()
    try:
        heads = explorer.controls["heads"].value  # as it starts: the sheet
        assert np.allclose(explorer.result.weights, HAND.weights)
        explorer.controls["temperature"].value = 3.0
        explorer.controls["causal"].value = True
        explorer.controls["positions"].value = True
        explorer.controls["mode"].value = "exact"
        explorer.controls["heads"].value = 2
        explorer.controls["step"].value = 4
        explorer.controls["reset"].click()
        c = explorer.controls
        assert not c["causal"].value and not c["positions"].value
        assert (c["mode"].value, c["heads"].value, c["step"].value) == ("exact", 2, 4)  # stay
        return heads, c["temperature"].value
    finally:
        explorer.close()


claims.number(
    r"Leave \*heads\* at (\d) and .*? sets the temperature back to (\d)",
    _reset_heads_and_temperature,
)


class TestProse(ProseTests):
    """Notebook 01's quoted numbers recomputed, its "Try this" carried out (checks below)."""

    claims = claims


# --- Try this -------------------------------------------------------------------------
# Each check carries out its item as written, starting as the item starts ("Press *back to
# the exercise* and set *mode* to …"), so that the items also work one after another on
# one explorer, as a learner does them (test_try_this_in_order).


MODES = {"by hand": "hand", "exact": "exact"}  # the mode toggle's words → its value


def _start(item: str, explorer, mode: str | None) -> None:
    """The item's first sentence: back to the exercise, then the mode it names (its words)."""
    assert item.split("** ", 1)[1].startswith("Press *back to the exercise*")
    explorer.controls["reset"].click()
    if mode is None:
        assert "Press *back to the exercise* (either *mode* will do)" in item
        return
    assert f"Press *back to the exercise* and set *mode* to *{mode}*." in item
    explorer.controls["mode"].value = MODES[mode]


@claims.try_this("Make x2 attend mostly to x4", on=AttentionExplorer)
def _(item, explorer):
    _start(item, explorer, "by hand")
    assert "key 4 gets 0.3." in item
    assert np.isclose(explorer.result.weights[3, 1], 0.3)
    q2 = explorer.result.Q[:, 1]
    assert "$q_2 = [1, 1, 2]$" in item and list(q2) == [1, 1, 2]
    # the third entry of k4 is f1 − f6 of x4: row 3 of WK reads +f1 and −f6
    assert "the third entry of $k_4$ is f1 − f6 of x4" in item
    assert list(EX["WK"][2]) == [1, 0, 0, 0, 0, -1]
    hint, answer = item.split("<details><summary>One answer</summary>")
    assert "set f6 of x4 to −2" not in hint  # the answer is folded away, after the hint
    assert "*Lowering* f6 of x4 raises that entry: set f6 of x4 to −2" in answer
    box = explorer.controls["X"].boxes[5][3]  # row f6, column x4
    assert box.value > -2  # lowering it, as the item says
    box.value = -2
    assert explorer.error == ""
    assert "key 4 a weight of 0.9 by hand (0.92 with *mode* on *exact*)" in answer
    assert np.isclose(explorer.result.weights[3, 1], 0.9)
    assert np.argmax(explorer.result.weights[:, 1]) == 3  # mostly to x4
    explorer.controls["mode"].value = "exact"
    assert abs(explorer.result.weights[3, 1] - 0.92) <= 0.005


@claims.try_this("What does temperature do?", on=AttentionExplorer)
def _(item, explorer):
    _start(item, explorer, "exact")
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
    assert "each between about 0.17 and 0.35, near an even 0.25" in item
    assert round(A.min(), 2) == 0.17 and round(A.max(), 2) == 0.35
    average = explorer.result.V.mean(axis=1)  # (3,): the plain average of the values
    assert "$[10, 5, 2.5]$" in item and np.allclose(average, [10, 5, 2.5])
    closer = np.linalg.norm(Z5 - average[:, None], axis=0) < np.linalg.norm(
        Z1 - average[:, None], axis=0
    )
    assert closer.all()  # every z_j, as a whole vector, comes closer to it
    assert "$z_4$, for one, goes from $[3.06, 1.53, 7.70]$ to $[8.72, 4.36, 3.46]$" in item
    assert np.allclose(np.round(Z1[:, 3], 2), [3.06, 1.53, 7.70])
    assert np.allclose(np.round(Z5[:, 3], 2), [8.72, 4.36, 3.46])
    words = " ".join(item.split())
    assert "single entries can move away from it: compare $z_1$'s first entry" in words
    assert abs(Z5[0, 0] - average[0]) > abs(Z1[0, 0] - average[0])  # z1's first entry


@claims.try_this("Look only backwards", on=AttentionExplorer)
def _(item, explorer):
    _start(item, explorer, None)
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
    _start(item, explorer, "by hand")
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
    assert "press *back to the exercise*, switch *mode* back to *by hand*" in item
    assert "type 9 into row f2 of x1" in item
    assert "a power of 3 too big to write down" in " ".join(item.split())
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
    _start(item, explorer, "by hand")
    assert explorer.error == ""  # the numbers on screen are the sheet's, all nine steps
    assert "Set *show up to step* to 4" in item
    explorer.controls["step"].value = 4
    shown = {k for k, box in explorer.step_boxes.items() if _visible(box)}
    assert shown == {1, 2, 3, 4}
    assert "move the slider to 9" in item
    explorer.controls["step"].value = 9
    shown = {k for k, box in explorer.step_boxes.items() if _visible(box)}
    assert shown == set(range(1, 10))


def test_try_this_in_order():
    """Every item, in the notebook's order, on one explorer, as a learner does them."""
    claims.carry_out_in_order()


def test_the_picture_of_a():
    """The words before the heatmap of A: column q4 the most decided, rows k1 and k4 alike."""
    words = " ".join(cells_by_id("01")["a-picture"].split())
    assert "Column q4 is the most decided, and rows k1 and k4 are the same." in words
    A = HAND.weights
    assert np.argmax(A.max(axis=0)) == 3 and np.sort(A.max(axis=0))[-2] < A[:, 3].max()
    assert np.array_equal(A[0], A[3])
    assert (
        'AttentionHeatmap(self_attention(X, WQ, WK, WV, mode="hand"))'
        in (cells_by_id("01")["6c4d50f2"])
    )


def test_where_back_to_the_exercise_is():
    import ipywidgets as widgets

    words = " ".join(prose("01").split())
    assert (
        "*back to the exercise* (beside the view toggle; in the projector view, at the bottom "
        "of *edit the inputs*) restores the sheet's numbers"
    ) in words
    explorer = AttentionExplorer()
    reset, view = explorer.controls["reset"], explorer.controls["view"]
    beside = [c for c in explorer.children if reset in getattr(c, "children", ())]
    assert beside and view in beside[0].children  # the view toggle's row
    view.value = "projector"
    (editor,) = [c for c in explorer.children if isinstance(c, widgets.Accordion)]
    assert editor.children[0].children[-1] is reset  # at the bottom of edit the inputs
    explorer.close()
