"""Notebook 03 (mixture of experts): every "Try this" carried out, every quoted number recomputed.

How to add a check, and what the suite demands of the prose: see `tests/claims.py`.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlviz import MixtureOfExperts, MoEExplorer, examples
from dlviz.plots.moe import GATE_MAX_TOKENS
from tests.claims import Claims, ProseTests, cells_by_id

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
    """Switch Transformer's N Σ f_i P_i, written here again from its definition."""
    n = r.gate_probs.shape[0]
    f = np.bincount(r.chosen.ravel(), minlength=n) / r.chosen.size
    return n * float(f @ r.gate_probs.mean(axis=1))


# --- quoted numbers -------------------------------------------------------------------

claims.not_computed(r"Write 1 for the chosen expert and 0 for the other", "how to fill the grid")
claims.not_computed(
    r"two linear layers with a nonlinearity", "Switch Transformer and Mixtral, as published"
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
claims.not_computed(r"A published script of this exercise|X1 to expert|X2 to expert",
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
claims.not_computed(r"Switch Transformer uses k = 1, as the sheet does; GShard and Mixtral use "
                    r"k = 2", "from the papers")  # fmt: skip
claims.number(r"so the k weights add up to (1)", lambda: TOP2.gate_weights.sum(axis=0).max())
claims.number(
    r"With k = (1) there is a single weight, \$e\^\{\\ell\}/e\^\{\\ell\} = (1)\$",
    lambda: (1, R.gate_weights.max()),
)


def _top2_x1():
    g1, g2 = TOP2.gate_weights[:, 0]
    first, second = (
        np.maximum(W @ X1 + b, 0) for W, b in (EX["experts"][i] for i in TOP2.chosen[:, 0])
    )
    return (2, g1, *first, g2, *second, *TOP2.output[:, 0])


claims.number(
    r"With k = (2) and only two experts, both experts work on every token and the weights are "
    r"the gate's probabilities themselves\. For \$X_1\$: \$(0\.731)\\cdot\[(\d), (\d), (\d), "
    r"(\d)\] \+ (0\.269)\\cdot\[(\d), (\d), (\d), (\d)\] = \[(4\.27), (3), (1\.54), (3\.92)\]\$",
    _top2_x1,
)


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
claims.not_computed(
    r"a \*capacity factor\* such as 1\.25", "a typical setting (Switch Transformer)"
)
claims.number(
    r"It is (1) when both are even and grows as one expert takes over, up to \$N\$",
    lambda: _balance_range(),
)


def _balance_range():
    assert balance_loss(R) == pytest.approx(1)  # the sheet: both even
    # one expert takes every token, with all of the gate's probability: N
    gate_b = BIG["gate_b"] + 100.0 * (np.arange(8) == 1)
    takeover = MixtureOfExperts(BIG["gate_W"], gate_b, BIG["experts"])(BIG["X"])
    assert balance_loss(takeover) == pytest.approx(8, rel=1e-6)
    assert balance_loss(R) < balance_loss(R8) < 8
    return balance_loss(R)


claims.not_computed(r"\$N \\sum_i f_i\\,P_i\$|\$f_i\$|\$P_i\$|expert \$i\$", "the formula")


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


class TestProse(ProseTests):
    """Notebook 03's quoted numbers recomputed, its "Try this" carried out (checks below)."""

    claims = claims


# --- Try this -------------------------------------------------------------------------


@claims.try_this("Move X1 until expert 1 takes it", on=MoEExplorer)
def _(item, explorer):
    c = explorer.controls
    assert "the middle number $b$ cannot change the choice" in item
    assert "(try it: the picture does not even redraw)" in item
    image = explorer.gate_image.value
    for b in (-5, -2, 0, 3, 5):
        c["X1[2]"].value = b
        assert explorer.result.chosen[0, 0] == 1  # still expert 2
        assert explorer.gate_image.value is image
    c["X1[2]"].value = 1
    assert "at exactly 3 the scores tie, the probabilities are 0.5 each" in item
    c["X1[1]"].value = 3.0
    assert np.allclose(explorer.result.gate_probs[:, 0], 0.5)
    assert explorer.result.chosen[0, 0] == 0  # the tie goes to expert 1
    assert "Slide X1[1] from 2 to 3.5" in item
    seen = []
    for a in np.arange(2.0, 3.51, c["X1[1]"].step):
        c["X1[1]"].value = a
        seen.append(int(explorer.result.chosen[0, 0]) + 1)
    assert seen[0] == 2 and seen[-1] == 1 and seen == sorted(seen, reverse=True)


@claims.try_this("Make one expert take every token", on=MoEExplorer)
def _(item, explorer):
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


@claims.try_this("Top-2 on the sheet's tokens", on=MoEExplorer)
def _(item, explorer):
    explorer.controls["top_k"].value = 2
    r = explorer.result
    assert "Both experts now work on both tokens" in item
    assert sorted(r.chosen[:, 0]) == [0, 1] and sorted(r.chosen[:, 1]) == [0, 1]
    assert "the weights 0.731 and 0.269 in place of the one-hot 1s" in item
    assert np.allclose(r.gate_weights[:, 0], [0.731, 0.269], atol=5e-4)
    assert "X1's output becomes $[4.27, 3, 1.54, 3.92]$" in item
    assert np.allclose(r.output[:, 0], [4.27, 3, 1.54, 3.92], atol=5e-3)
    assert "($W_2\\,x_2 = [3, 4, 2, 5]$)" in item
    assert list(W2 @ X2) == [3, 4, 2, 5]


@claims.try_this("Watch the load", on=MoEExplorer)
def _(item, explorer):
    assert "Set experts to 8 and random tokens to 64" in item
    explorer.controls["n_experts"].value = 8
    explorer.controls["random_tokens"].value = 64
    counts = explorer.result.tokens_per_expert
    assert np.array_equal(counts, R8.tokens_per_expert)  # the notebook's 66 tokens
    assert "which experts sit idle, and how much busier than the balanced share" in item
    assert (counts == 0).any() and counts.max() > counts.sum() / 8
    assert "Then try top_k 2 and 3" in item
    for k in (2, 3):
        explorer.controls["top_k"].value = k
        assert explorer.result.tokens_per_expert.sum() == 66 * k
    explorer.controls["top_k"].value = 1
    assert "with 66 tokens, two of them barely change the load" in item
    before = explorer.result.tokens_per_expert.copy()
    for name in ("X1[1]", "X1[3]", "X2[1]", "X2[3]"):
        explorer.controls[name].value = -explorer.controls[name].value
    moved = np.abs(explorer.result.tokens_per_expert - before).sum()
    assert moved <= 4  # two tokens move at most two counts each


# --- the capacity part (issue 17) has its own claims module, reading its cells by id ----

claims.checked_in(
    "test_claims_03_capacity",
    "cap-intro", "cap-queue", "cap-residual", "cap-loss", "cap-why", "cap-why-says",
    "cap-real", "cap-real-after",
)  # fmt: skip


@claims.try_this("Predict a drop, then check it live")
def _(item):
    from tests import test_claims_03_capacity as capacity

    cells = cells_by_id("03")
    assert item in " ".join(cells["cap-try-live"].split())
    capacity.test_try_this_5_predict_a_drop_then_check_it_live(cells)


def _same_with_the_library():
    from tests.test_claims_03_capacity import BATCH

    r = MixtureOfExperts(EX["gate_W"], EX["gate_b"], EX["experts"], capacity_factor=1)(BATCH)
    assert r.capacity == 2 and r.dropped[0].tolist() == [False, False, False, True]
    return 1


claims.number(r"The library does the same with `capacity_factor=(1)`", _same_with_the_library)
