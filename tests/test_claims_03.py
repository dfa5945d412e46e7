"""Notebook 03 (mixture of experts): every "Try this" carried out, every quoted number recomputed.

How to add a check, and what the suite demands of the prose: see `tests/claims.py`.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlviz import MixtureOfExperts, MoEExplorer, examples
from dlviz.plots.moe import GATE_MAX_TOKENS
from tests.claims import Claims, ProseTests, cells_by_id, try_this_items

claims = Claims("03")
EX = examples.moe_exercise()
MOE = MixtureOfExperts(EX["gate_W"], EX["gate_b"], EX["experts"])
R = MOE(EX["X"])
TOP2 = MOE.with_top_k(2)(EX["X"])
(W1, b1), (W2, b2) = EX["experts"]
X1, X2 = EX["X"][:, 0], EX["X"][:, 1]
BIG = examples.random_moe(n_experts=8, n_tokens=66, seed=0)
MOE8 = MixtureOfExperts(BIG["gate_W"], BIG["gate_b"], BIG["experts"])
R8 = MOE8(BIG["X"])
R8_TOP2 = MOE8.with_top_k(2)(BIG["X"])


def balance_loss(r) -> float:
    """Switch Transformer's N Σ f_i P_i, written here again from its definition: f_i the
    share of the tokens whose first choice is i."""
    n, n_tokens = r.gate_probs.shape
    f = np.bincount(r.chosen[0], minlength=n) / n_tokens
    return n * float(f @ r.gate_probs.mean(axis=1))


# --- quoted numbers -------------------------------------------------------------------

claims.not_computed(r"Write 1 for the chosen expert and 0 for the other", "how to fill the grid")
claims.not_computed(
    r"two linear layers with a nonlinearity", "Switch Transformer and Mixtral, as published"
)
claims.not_computed(
    r"Switch Transformer \(Google, 2021\) and Mixtral 8x7B \(Mistral AI, 2023\)",
    "who published them, and when",
)
claims.not_computed(
    r"\(step 2 shows that the largest logit also gets the largest probability\)",
    "a step's number",
)


def _a_dozen():
    assert W1.size == W2.size == 12  # "with a dozen weights"
    return ()


claims.number(r"with a dozen weights", _a_dozen)
claims.not_computed(r"in six steps|those six steps|the six steps", "the sheet's steps")


def _inputs():
    return (*X1, *X2, *EX["gate_W"].shape, *W1.shape, b1.size, X1.size, W1.shape[0])


claims.number(
    r"\$X_1 = \[(\d), (\d), (\d)\]\$ and \$X_2 = \[(\d), (\d), (\d)\]\$, side by side as the "
    r"columns of `X`\. - The \*\*gate\*\* is one linear layer with a row per expert: `gate_W` "
    r"is (\d)×(\d) .*?\$W\$ \((\d)×(\d)\) and \$b\$ \((\d) numbers, all 0 on the sheet\), "
    r"followed by a ReLU\. It turns a token of (\d) numbers into (\d)\.",
    _inputs,
)
claims.number(
    r"\(both (0) here\)", lambda: np.abs(EX["gate_b"]).max() + np.abs(b1).max() + np.abs(b2).max()
)
claims.number(
    r"Row (1) of `gate_W` scores expert (1), row (2) scores expert (2)\. For \$X_1\$ that is "
    r"\$(2) \+ (1) = (3)\$ for expert (1) and \$(1) \+ (3) = (4)\$ for expert (2)\.",
    lambda: (1, 1, 2, 2, X1[0], X1[1], R.gate_logits[0, 0], 1, X1[1], X1[2],
             R.gate_logits[1, 0], 2),
)  # fmt: skip
claims.number(
    r"probabilities that add up to (1), .*?: here (0\.269) and (0\.731)\.",
    lambda: (R.gate_probs[:, 0].sum(), *R.gate_probs[:, 0]),
)
claims.number(
    r"written as a one-hot vector \((1) for the chosen expert, (0) for the other\)",
    lambda: (R.gate_weights[0, 0], 0),
)
claims.not_computed(r"\\ell_i|\\ell_j|W_\{gate\}|b_\{gate\}|x_1|x_2|h_1|h_2|W_2|W_1|b_2|b_1",
                    "names in formulas")  # fmt: skip
claims.number(
    r"Expert (1) sits this token out", lambda: 1 + int(np.flatnonzero(R.chosen[0, 0] != [0, 1])[0])
)
claims.number(
    r"hard-codes the pairs \(X1 to expert (2), X2 to expert (1)\)",
    lambda: tuple(R.chosen[0] + 1),
)
claims.not_computed(r"The code published with the original exercise|X1 to expert|X2 to expert",
                    "the published script, as it was")  # fmt: skip
claims.number(
    r"logits \$\[(3) \+ (1),\\ (1) \+ (2)\] = \[(4), (3)\]\$, probabilities (0\.731) and "
    r"(0\.269), and this time expert (1) wins",
    lambda: (X2[0], X2[1], X2[1], X2[2], *R.gate_logits[:, 1], *R.gate_probs[:, 1],
             R.chosen[0, 1] + 1),
)  # fmt: skip
claims.number(r"Column X1 below is step (2) again", lambda: 2)
claims.not_computed(r"Column X1 below|column X2 is new|\$X_1\$|\$X_2\$|`X1`, `X2`",
                    "token names")  # fmt: skip
claims.number(
    r"\$h_2 = W_1\\,x_2 \+ b_1 = \[(\d), (\d), (\d), (-\d)\]\$",
    lambda: tuple(W1 @ X2 + b1),
)
claims.number(r"\\max\(z, (0)\)\$: negative numbers become (0)", lambda: (0, 0))
claims.number(
    r"stays \$\[(\d), (\d), (\d), (\d)\]\$; \$X_2\$'s last entry, (−1), becomes (0)",
    lambda: (*R.output[:, 0], R.expert_linear[0, 3, 1], R.output[3, 1]),
)
claims.not_computed(r"\(0-based, best first\)", "how `chosen` counts")
claims.number(r"a badge with its rank \((1) = best\)", lambda: 1)
claims.not_computed(r"Switch Transformer uses k = 1, as the sheet does|GShard and Mixtral use "
                    r"k = 2", "from the papers")  # fmt: skip


def _switch_weight():
    """Switch scales the chosen expert's answer by its full-softmax probability; the sheet
    (like the renormalised mix at k = 1) by 1."""
    best = R.chosen[0, 0]
    assert best == 1  # X1 goes to expert 2
    return R.gate_probs[best, 0], R.gate_weights[0, 0]


claims.number(
    r"multiplies the chosen expert's answer by its gate probability \((0\.731) for \$X_1\$\), "
    r"which is how the gate learns; the sheet uses weight (1)\.",
    _switch_weight,
)
claims.number(r"so the k weights add up to (1)", lambda: TOP2.gate_weights.sum(axis=0).max())
claims.number(
    r"With k = (1) this mix has a single weight, \$e\^\{\\ell\}/e\^\{\\ell\} = (1)\$",
    lambda: (1, R.gate_weights.max()),
)


def _top2_x1():
    g1, g2 = TOP2.gate_weights[:, 0]
    e1, e2 = TOP2.chosen[:, 0]
    first, second = (np.maximum(W @ X1 + b, 0) for W, b in (EX["experts"][i] for i in (e1, e2)))
    np.testing.assert_array_equal(first, R.output[:, 0])  # "the sheet's": its output for X1
    assert e2 == 0  # the other expert is expert 1: ReLU(W_1 x_1 + b_1)
    np.testing.assert_array_equal(second, np.maximum(W1 @ X1 + b1, 0))
    return (2, e1 + 1, *first, e2 + 1, *second, g1, *first, g2, *second, *TOP2.output[:, 0])


claims.number(
    r"With k = (2) and only two experts, both experts work on every token and the weights are "
    r"the gate's probabilities themselves\. For \$X_1\$ expert (\d)'s answer is the sheet's "
    r"\$\[(\d), (\d), (\d), (\d)\]\$, and expert (\d)'s, which the sheet never computes, is "
    r"\$\\operatorname\{ReLU\}\(W_1\\,x_1 \+ b_1\) = \[(\d), (\d), (\d), (\d)\]\$: "
    r"\$(0\.731)\\cdot\[(\d), (\d), (\d), "
    r"(\d)\] \+ (0\.269)\\cdot\[(\d), (\d), (\d), (\d)\] = \[(4\.27), (3), (1\.54), (3\.92)\]\$",
    _top2_x1,
)


claims.number(
    r"its row \*best\* is the\s+weight of the token's best expert \(expert (\d) for \$X_1\$\), "
    r"not of expert (\d)\.",
    lambda: (TOP2.chosen[0, 0] + 1, 1),
)
claims.not_computed(r"The grid\s+\*top-2 weights\*", "the grid's title, named")


def _more():
    assert len(BIG["experts"]) - 2 == 6  # "plus six more"
    return BIG["X"].shape[1] - 2


claims.number(r"route (64) more tokens through the sheet's two experts plus six more", _more)
claims.number(
    r"whole-number tokens from (−3) to (3)",
    lambda: (BIG["X"][:, 2:].min(), BIG["X"][:, 2:].max()),
)
claims.number(
    r"the balanced share, (66) / (8) = (8\.25) tokens each",
    lambda: (BIG["X"].shape[1], len(BIG["experts"]), BIG["X"].shape[1] / len(BIG["experts"])),
)


def _imbalance():
    counts = R8.tokens_per_expert
    busiest = int(np.argmax(counts))
    idle = np.flatnonzero(counts == 0) + 1
    share = counts[busiest] / (66 / 8)
    assert 1.8 < share < 2  # "almost twice its share"
    return busiest + 1, counts[busiest], *idle


claims.number(
    r"Expert (\d) gets (\d+) tokens, almost twice its share, while experts (\d) and (\d) get "
    r"none",
    _imbalance,
)
claims.number(
    r"First choices spread evenly give exactly (1) \(with top-k, an even load of slots is not "
    r"enough: at top-(8) of (8) every expert serves every token, and the loss is still "
    r"(\d\.\d\d) here\); one expert taking every token with certainty gives "
    r"\$n_\{\\text\{experts\}\}\$",
    lambda: _balance_range(),
)


def _balance_range():
    assert balance_loss(R) == pytest.approx(1)  # the sheet: both even
    # one expert takes every token, with all of the gate's probability: N
    gate_b = BIG["gate_b"] + 100.0 * (np.arange(8) == 1)
    takeover = MixtureOfExperts(BIG["gate_W"], gate_b, BIG["experts"])(BIG["X"])
    assert balance_loss(takeover) == pytest.approx(8, rel=1e-6)
    assert balance_loss(R) < balance_loss(R8) < 8
    # At top-8 of 8 every expert serves every token (slots even); first choices are not
    even_slots = MOE8.with_top_k(8)(BIG["X"])
    assert (even_slots.tokens_per_expert == 66).all()
    return balance_loss(R), 8, 8, round(even_slots.aux_loss, 2)


def _top2_idle():
    idle = np.flatnonzero(R8.tokens_per_expert == 0)
    counts = R8_TOP2.tokens_per_expert[idle]
    assert len(set(counts)) == 1
    return 2, *(idle + 1), counts[0]


claims.number(
    r"Top-(2) routing spreads the load as a side effect: each token now also visits its "
    r"second-best expert, and the idle experts (\d) and (\d) get (\d+) tokens each",
    _top2_idle,
)
claims.number(
    r"\*\*X1\[(1)\] … X2\[(3)\]\*\*: the numbers of the sheet's two tokens \((−5) to (5), steps "
    r"of (0\.5)\)",
    lambda: (1, 3, *_slider_range()),
)


def _counted_from_1():
    explorer = MoEExplorer()
    try:
        explorer.controls["X1[1]"].value = 4.5
        assert explorer.result.X[0, 0] == 4.5 and (explorer.result.X == 4.5).sum() == 1
        explorer.controls["X2[3]"].value = -4.5
        assert explorer.result.X[2, 1] == -4.5  # X2[3]: the third number of the second token
    finally:
        explorer.close()
    return 1, 1, 0, 0, 0


claims.number(
    r"counted from (1) as on the sheet: X1\[(1)\] is X1's first number, which Python, counting "
    r"from (0), writes `X\[(0), (0)\]`",
    _counted_from_1,
)


def _notebook_balance_loss():
    """The notebook's own `balance_loss` (its load section's cell), defined alone."""
    import ast

    tree = ast.parse(cells_by_id("03")["0d0a5f10"])
    (definition,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    namespace = {"np": np}
    exec(compile(ast.Module([definition], type_ignores=[]), "0d0a5f10", "exec"), namespace)
    return namespace["balance_loss"]


def test_the_notebooks_balance_loss_is_the_librarys():
    """f counts first choices, as `aux_loss` does: the same for top-1, and for top-2, where
    the share of all slots would give another number."""
    words = " ".join(cells_by_id("03")["5c51c90a"].split())
    assert "where $f_e$ is the share of the tokens whose first choice is expert $e$" in words
    notebook = _notebook_balance_loss()
    for result in (R, TOP2, R8, R8_TOP2, MOE8.with_top_k(3)(BIG["X"])):
        assert notebook(result) == pytest.approx(result.aux_loss)
        assert balance_loss(result) == pytest.approx(result.aux_loss)
    every_slot = R8_TOP2.tokens_per_expert / R8_TOP2.tokens_per_expert.sum()
    assert 8 * every_slot @ R8_TOP2.mean_gate_probs != pytest.approx(R8_TOP2.aux_loss, abs=0.1)


def test_an_idle_experts_gate_row_still_learns():
    """'its row of the gate still gets one, through the softmax': with the chosen expert's
    answer scaled by its gate probability (Switch), the idle expert's logit moves the output."""
    assert "its row of the gate still gets one, through the softmax" in " ".join(
        cells_by_id("03")["5c51c90a"].split()
    )
    words = " ".join(cells_by_id("03")["5c51c90a"].split())
    assert "The usual explanation of what follows" in words
    assert "in the usual explanation" in " ".join(cells_by_id("03")["cap-why-says"].split())
    idle = int(np.flatnonzero(R8.tokens_per_expert == 0)[0])
    x = BIG["X"][:, [0]]

    def switch_output(gate_b):  # the chosen expert's answer times its gate probability
        r = MixtureOfExperts(BIG["gate_W"], gate_b, BIG["experts"])(x)
        return r.gate_probs[r.chosen[0, 0], 0] * r.expert_outputs[0, :, 0]

    r = MixtureOfExperts(BIG["gate_W"], BIG["gate_b"], BIG["experts"])(x)
    chosen, p = r.chosen[0, 0], r.gate_probs[:, 0]
    step = 1e-6
    nudged = BIG["gate_b"] + step * (np.arange(8) == idle)
    slope = (switch_output(nudged) - switch_output(BIG["gate_b"])) / step
    # d p_chosen / d logit_idle = −p_chosen · p_idle: small, but not zero
    expected = -p[chosen] * p[idle] * r.expert_outputs[0, :, 0]
    np.testing.assert_allclose(slope, expected, rtol=1e-3)
    assert np.abs(expected).max() > 0
    assert R8.chosen[0, 0] != idle


def _slider_range():
    explorer = MoEExplorer()
    s = explorer.controls["X1[1]"]
    explorer.close()
    return s.min, s.max, s.step


claims.number(
    r"\*\*experts\*\*: (2) is the sheet; .*?\*\*random tokens\*\*: (0) is just X1 and X2",
    lambda: (_control("n_experts").min, _control("random_tokens").min),
)


def _control(name):
    explorer = MoEExplorer()
    control = explorer.controls[name]
    explorer.close()
    return control


claims.number(
    r"the picture and the grids show the first (\d+); the load bars count them all",
    lambda: GATE_MAX_TOKENS,
)


def _refused():
    explorer = MoEExplorer()
    explorer.controls["top_k"].value = 5
    assert "top_k = 5" in explorer.error and explorer.controls["top_k"].value == 1
    explorer.close()
    return 5


claims.number(r"`explorer\.controls\[\"top_k\"\]\.value = (5)` with two experts", _refused)


def _which_grids_follow():
    """The try-it grids of the sheet's steps follow the explorer, and the one of Try this 5;
    the capacity exercise's keep their batch of four."""
    from dlviz import HandCheck

    cells = cells_by_id("03")
    follows = {cid for cid, source in cells.items() if "HandCheck.follow(explorer" in source}
    assert follows == {"275d903e", "10a13514", "2fe3de4d", "cap-try-live-grid"}
    assert [s for s in cells.values() if "HandCheck(" in s and "follow" not in s] == [
        cells[cid] for cid in ("cap-try-dropped", "cap-try-balance", "cap-try-loss")
    ]
    assert all("checks_b[" in cells[cid] for cid in ("cap-try-balance", "cap-try-loss"))
    order = list(cells)
    assert order.index("cap-try-live") + 1 == order.index("cap-try-live-grid")
    # "move X1 or X2 here (or add experts, or set top_k), and they expect the new numbers"
    explorer = MoEExplorer()
    try:
        grids = {k: HandCheck.follow(explorer, k) for k in ("logits", "choice", "output")}
        for name, value in (("X1[1]", 4.0), ("X2[3]", -1.0), ("n_experts", 3), ("top_k", 2)):
            before = {k: g.step.expected.copy() for k, g in grids.items()}
            explorer.controls[name].value = value
            changed = [
                k for k, g in grids.items()
                if g.step.expected.shape != before[k].shape
                or not np.allclose(g.step.expected, before[k])
            ]  # fmt: skip
            assert changed, f"no grid expects new numbers after {name} = {value}"
    finally:
        explorer.close()
    return list(try_this_items("03")).index("Predict a drop, then check it live") + 1


claims.number(
    r"The \*try it by hand\* grids of the sheet's steps \(the logits, the choice and the "
    r"output\) follow this explorer: .*? The grids of the four-token capacity exercise keep "
    r"their batch; the grid in \*Try this\* (5) follows the explorer\.",
    _which_grids_follow,
)


def _answers():
    """The Answers at the end name Try this items by their titles, each before its code."""
    cells, items = cells_by_id("03"), try_this_items("03")
    order = list(cells)
    assert order.index("answers") > order.index("cap-try-live-grid")
    named = re.findall(r"^\*\*(.+?)\*\*:", cells["answers"] + "\n" + cells["answers-drop"], re.M)
    assert named == ["Move X1 until expert 1 takes it", "Predict a drop, then check it live"]
    assert set(named) <= set(items)
    assert order[order.index("answers") + 1 :] == [
        "c0520e3a", "46b030a6", "answers-drop", "cap-try-live-code"
    ]  # fmt: skip
    return 1


claims.number(r"\*\*Move X1 until expert (1) takes it\*\*: the threshold", _answers)


class TestProse(ProseTests):
    """Notebook 03's quoted numbers recomputed, its "Try this" carried out (checks below)."""

    claims = claims


# --- Try this -------------------------------------------------------------------------
#
# Each item is carried out as written, in the notebook's order, on one explorer: the
# check of item k does items 1 to k one after another, as a learner goes, with the
# notebook's try-it grids that follow the explorer on screen all along (built before
# any item, as Run All builds them). Each item starts with *back to the exercise*.

FOLLOWING = ("logits", "choice", "output", "dropped")  # the grids HandCheck.follow builds


def _back_to_the_exercise(item: str, explorer) -> None:
    """Every item opens with the press of *back to the exercise*: carry it out."""
    title_end = item.index("**", item.index("**") + 2) + 2
    assert item[title_end:].lstrip().startswith("Press *back to the exercise*"), item[:80]
    explorer.controls["reset"].click()


def _move_x1(item, explorer, grids):
    c = explorer.controls
    _back_to_the_exercise(item, explorer)
    assert "which values of X1[1] send X1 to expert 1, and does X1[2] matter?" in item
    assert "<details><summary>The reasoning: open it once you have tried</summary>" in item
    assert "Then slide X1[1] from 2 to 3.5 and watch the outline jump" in item
    assert c["X1[1]"].value == 2
    seen = []
    for a in np.arange(2.0, 3.51, c["X1[1]"].step):
        c["X1[1]"].value = a
        seen.append(int(explorer.result.chosen[0, 0]) + 1)
    assert seen[0] == 2 and seen[-1] == 1 and seen == sorted(seen, reverse=True)
    assert "and move X1[2] to see what changes" in item
    assert "the middle number $b$ cannot change the choice: both logits rise together, so " \
        "the probabilities and the picture stay exactly as they were" in item  # fmt: skip
    words = " ".join(item.split())
    assert "Only $X_1$'s output moves: the chosen expert works on all three numbers" in words
    output, output_2 = explorer.result.output[:, 0].copy(), explorer.result.output[:, 1].copy()
    logits, probs = explorer.result.gate_logits.copy(), explorer.result.gate_probs.copy()
    image = explorer.gate_image.value
    for b in (-5, -2, 0, 3, 5):
        c["X1[2]"].value = b
        rise = explorer.result.gate_logits[:, 0] - logits[:, 0]
        assert rise[0] == rise[1] == b - 1
        np.testing.assert_allclose(explorer.result.gate_probs, probs)
        assert explorer.result.chosen[0, 0] == 0  # still expert 1
        assert explorer.gate_image.value is image
        assert not np.allclose(explorer.result.output[:, 0], output)  # X1's output moves
        assert np.allclose(explorer.result.output[:, 1], output_2)  # X2's does not
    assert "at exactly 3 the scores tie, the probabilities are 0.5 each, and the tie goes " \
        "to the lower number, expert 1" in item  # fmt: skip
    c["X1[1]"].value = 3.0
    assert np.allclose(explorer.result.gate_probs[:, 0], 0.5)
    assert explorer.result.chosen[0, 0] == 0  # the tie goes to expert 1


def _one_expert_takes_all(item, explorer, grids):
    _back_to_the_exercise(item, explorer)
    assert "raise X2[3] above X2[1] (say to 3.5)" in item
    explorer.controls["X2[3]"].value = 3.5
    assert "both tokens prefer expert 2, the load bars read 0 and 2" in item
    assert list(explorer.result.chosen[0] + 1) == [2, 2]
    assert list(explorer.result.tokens_per_expert) == [0, 2]
    assert "expert 2's gate bias is raised by 8" in item
    gate_b = BIG["gate_b"] + 8.0 * (np.arange(8) == 1)
    leaning = MixtureOfExperts(BIG["gate_W"], gate_b, BIG["experts"])(BIG["X"])
    assert "it swallows most of the 66 tokens" in item
    assert leaning.tokens_per_expert[1] > 66 / 2 and leaning.X.shape[1] == 66


def _top_2(item, explorer, grids):
    from tests.helpers import cells_of, table

    _back_to_the_exercise(item, explorer)
    assert "and set top_k to 2" in item
    explorer.controls["top_k"].value = 2
    r = explorer.result
    assert "Both experts now work on both tokens" in item
    assert sorted(r.chosen[:, 0]) == [0, 1] and sorted(r.chosen[:, 1]) == [0, 1]
    assert "the weights 0.731 and 0.269 in place of the one-hot 1s" in item
    assert np.allclose(r.gate_weights[:, 0], [0.731, 0.269], atol=5e-4)
    assert "X1's output becomes $[4.27, 3, 1.54, 3.92]$, as in the top-2 section above" in item
    assert np.allclose(r.output[:, 0], [4.27, 3, 1.54, 3.92], atol=5e-3)
    assert np.allclose(r.output[:, 0], TOP2.output[:, 0])
    assert "Now set X2[3] to 3, so that $X_2 = [3, 1, 3]$: its two logits tie" in item
    explorer.controls["X2[3]"].value = 3
    r = explorer.result
    assert list(r.X[:, 1]) == [3, 1, 3] and r.gate_logits[0, 1] == r.gate_logits[1, 1]
    assert "Work out its two weights and its output by hand" in item
    x = np.array([3.0, 1.0, 3.0])
    by_hand = 0.5 * np.maximum(W1 @ x + b1, 0) + 0.5 * np.maximum(W2 @ x + b2, 0)
    np.testing.assert_allclose(r.gate_weights[:, 1], [0.5, 0.5])
    assert "compare with the grid *output = Σ g·ReLU* in the explorer's step *ReLU, then mix " \
        "the experts*" in " ".join(item.split())  # fmt: skip
    panel = explorer.panels[6].value
    assert "ReLU, then mix the experts" in panel
    output_grid = table(panel, "output")
    assert "output = Σ g·ReLU" in output_grid  # its title
    on_screen = cells_of(output_grid).cells
    assert [float(on_screen[i, 1]) for i in range(4)] == pytest.approx(by_hand)
    assert "or type them into the output grid before step 3, which follows the explorer " \
        "and now asks for top-2" in item  # fmt: skip
    output = grids["output"]
    assert "top 2" in output.step.title
    output.type([[format(v, "g") for v in row] for row in r.output[:, :2]])
    assert output.check().all_right
    assert list(output.step.expected[:, 1]) == pytest.approx(by_hand)


def _watch_the_load(item, explorer, grids):
    c = explorer.controls
    _back_to_the_exercise(item, explorer)
    assert "set experts to 8 and random tokens to 64" in item
    c["n_experts"].value = 8
    c["random_tokens"].value = 64
    assert "these are the 66 tokens of the load section above" in item
    np.testing.assert_array_equal(explorer.result.X, BIG["X"])
    counts = explorer.result.tokens_per_expert
    assert np.array_equal(counts, R8.tokens_per_expert)
    assert "Which experts sit idle, and how much busier than the balanced share is the " \
        "busiest?" in item  # fmt: skip
    caption = explorer.load.caption
    assert "idle: e3, e6" in caption and "busiest: 1.94 × balanced" in caption
    assert "Then set top_k to 2: is any expert still idle, and how much busier than the " \
        "balanced share is the busiest now?" in item  # fmt: skip
    c["top_k"].value = 2
    top2 = explorer.result.tokens_per_expert
    np.testing.assert_array_equal(top2, R8_TOP2.tokens_per_expert)
    assert "idle" not in explorer.load.caption and (top2 > 0).all()
    assert f"busiest: {top2.max() / (132 / 8):.2f} × balanced" in explorer.load.caption
    assert "Try top_k 3 too" in item
    c["top_k"].value = 3
    assert explorer.result.tokens_per_expert.sum() == 66 * 3
    assert "Back at top_k 1, move X1 and X2: with 66 tokens, two of them barely change " \
        "the load" in item  # fmt: skip
    c["top_k"].value = 1
    before = explorer.result.tokens_per_expert.copy()
    for name in ("X1[1]", "X1[3]", "X2[1]", "X2[3]"):
        c[name].value = -c[name].value
    moved = np.abs(explorer.result.tokens_per_expert - before).sum()
    assert 0 < moved <= 4  # two tokens move at most two counts each


def _predict_a_drop(item, explorer, grids):
    from tests import test_claims_03_capacity as capacity

    _back_to_the_exercise(item, explorer)
    capacity.carry_out_try_this_5(item, explorer, grids["dropped"])


IN_ORDER = {  # the "Try this" items, as the notebook lists them, and what each does
    "Move X1 until expert 1 takes it": _move_x1,
    "Make one expert take every token": _one_expert_takes_all,
    "Top-2 on the sheet's tokens": _top_2,
    "Watch the load": _watch_the_load,
    "Predict a drop, then check it live": _predict_a_drop,
}


def _as_the_learner_does(title: str, item: str, explorer) -> None:
    """Items 1 to `title`'s, carried out in order on one explorer, as a learner goes."""
    from dlviz import HandCheck

    items = try_this_items("03")
    assert list(items) == list(IN_ORDER), "the items' order changed: change IN_ORDER"
    grids = {key: HandCheck.follow(explorer, key) for key in FOLLOWING}
    for earlier, step in IN_ORDER.items():
        step(item if earlier == title else items[earlier], explorer, grids)
        if earlier == title:
            break


for _title in IN_ORDER:
    claims.try_this(_title, on=MoEExplorer)(
        lambda item, explorer, title=_title: _as_the_learner_does(title, item, explorer)
    )


def test_the_try_this_items_also_hold_in_reverse_order():
    """Each item starts with *back to the exercise*, so it holds after any other: here
    after the ones below it, which leave the explorer changed the most (8 experts, 66
    tokens, a capacity limit)."""
    from dlviz import HandCheck

    items = try_this_items("03")
    explorer = MoEExplorer()
    try:
        grids = {key: HandCheck.follow(explorer, key) for key in FOLLOWING}
        for title in reversed(IN_ORDER):
            IN_ORDER[title](items[title], explorer, grids)
    finally:
        explorer.close()


# --- the capacity part (issue 17) has its own claims module, reading its cells by id ----

claims.checked_in(
    "test_claims_03_capacity",
    "cap-intro", "cap-queue", "cap-queue-answer", "cap-residual", "cap-loss",
    "cap-loss-worked", "cap-load-text", "cap-why", "cap-why-says", "cap-real",
    "cap-real-after",
)  # fmt: skip


def _same_with_the_library():
    from tests.test_claims_03_capacity import BATCH

    r = MixtureOfExperts(EX["gate_W"], EX["gate_b"], EX["experts"], capacity_factor=1)(BATCH)
    assert r.capacity == 2 and r.dropped[0].tolist() == [False, False, False, True]
    return 1


claims.number(r"The library does the same with `capacity_factor=(1)`", _same_with_the_library)


def test_each_try_it_grid_comes_before_the_cells_that_work_out_its_answer():
    """A try-it grid asks before the notebook tells: the grid's cell comes first."""
    order = list(cells_by_id("03"))
    answered_by = {  # the try-it grid's cell → the cells that show its answer
        "275d903e": ["a703827a", "da66d331"],  # logits: step 2's and step 4's products
        "10a13514": ["a703827a", "da66d331", "8f9ae64d"],  # the choice: one-hots, swapped gate
        "2fe3de4d": ["5302499d", "df6fa837", "7048d413"],  # the output: h1, h2, ReLU
        "cap-try-dropped": ["cap-queue-answer", "cap-result", "cap-gate"],
        "cap-try-balance": ["cap-loss-worked", "cap-loss-result", "cap-load"],
        "cap-try-loss": ["cap-loss-worked", "cap-loss-result", "cap-load"],
        "cap-try-live-grid": ["cap-try-live-code"],  # Try this 5, in the Answers
    }
    for grid, answers in answered_by.items():
        for answer in answers:
            assert order.index(grid) < order.index(answer), (grid, answer)
    # the prompts name no answer: the choice prompt gives the rule, not the experts
    cells = cells_by_id("03")
    assert "expert with the **largest logit**" in cells["746513d5"]
    assert order.index("746513d5") + 1 == order.index("10a13514")
    assert order.index("9f139a7e") + 1 == order.index("2fe3de4d")
