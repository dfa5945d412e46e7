"""Claims of notebook 3's capacity part (issue 17): every number its prose quotes, recomputed,
and its "Try this" carried out on a fresh explorer."""

import math
import re
from fractions import Fraction

import numpy as np
import pytest

from dlviz import HandCheck, MixtureOfExperts, MoEExplorer, examples
from dlviz.capacity_checks import capacity_checks
from dlviz.checking import check
from dlviz.moe_training import train_router
from tests.claims import cells_by_id, try_this_items

BATCH = np.array([[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]])


@pytest.fixture(scope="module")
def cells():
    return cells_by_id("03")


def sheet_moe(**kwargs):
    ex = examples.moe_exercise()
    return MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], **kwargs)


def test_the_batch_in_the_prose_is_the_batch_in_the_code(cells):
    assert "$X_3 = [1, 2, 2]$ and $X_4 = [0, 2, 1]$" in cells["cap-intro"]
    assert "Xb = np.array([[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]])" in cells["cap-batch"]


def test_which_token_is_dropped_and_why(cells):
    text = cells["cap-queue"]
    r = sheet_moe(capacity_factor=1)(BATCH)
    logits = [f"$[{int(a)}, {int(b)}]$" for a, b in r.gate_logits.T]
    assert "The logits are " + ", ".join(logits[:3]) + " and " + logits[3] in text
    assert list(r.chosen[0] + 1) == [2, 1, 2, 2]
    assert r.capacity == 2 and "\\lfloor 1 \\cdot 1 \\cdot 4 / 2 \\rfloor = 2" in text
    # the try-it grid, then the table that answers it: token, expert, place, verdict
    assert "Try it by hand first.** Go along the tokens in order" in text
    assert "| token |" not in text and "dropped**" not in text
    text = cells["cap-queue-answer"]
    order = list(cells)
    assert (
        order.index("cap-queue") < order.index("cap-try-dropped") < order.index("cap-queue-answer")
    )
    rows = re.findall(r"\| \$X_(\d)\$ \| (\d) \| (\d) \| ([^|]*)\|", text)
    assert len(rows) == 4
    places = {}
    for token, expert, place, verdict in rows:
        j = int(token) - 1
        assert int(expert) == r.chosen[0, j] + 1
        places[int(expert)] = places.get(int(expert), 0) + 1
        assert int(place) == places[int(expert)]
        assert ("dropped" in verdict) == bool(r.dropped[0, j])
    # expert 1's second slot stands empty
    assert r.kept_per_expert[0] == 1 < r.capacity and "second slot stands empty" in text


def test_a_dropped_token_gets_output_zero_and_the_pictures_say_so(cells):
    r = sheet_moe(capacity_factor=1)(BATCH)
    np.testing.assert_array_equal(r.output[:, 3], 0)
    assert "$X_4$'s column is all zeros" in cells["cap-residual"]
    assert "its output is simply 0" in cells["cap-residual"]


def test_the_loss_by_hand(cells):
    text = cells["cap-loss"]
    r = sheet_moe(capacity_factor=1)(BATCH)
    order = list(cells)
    # the try-it grids come before the worked numbers, and before the load picture, whose
    # caption gives the loss
    assert (
        order.index("cap-loss") < order.index("cap-try-balance") < order.index("cap-try-loss")
        < order.index("cap-loss-worked") < order.index("cap-loss-result")
        < order.index("cap-load-text") < order.index("cap-load")
    )  # fmt: skip
    assert "Try it by hand first.** For the batch of four above" in text
    assert not re.search(r"0\.\d{3}|1/4|3/4", text)  # no worked f, P or loss before the grids
    worked = cells["cap-loss-worked"]
    assert "$f = [1/4,\\ 3/4]$: the first choices, counted." in worked
    # folded away: the learner opens the worked answer once the grids are tried
    fold = "<details><summary>The answer, worked out: open it once you have tried</summary>"
    for cid in ("cap-queue-answer", "cap-loss-worked"):
        assert cells[cid].startswith(fold) and cells[cid].rstrip().endswith("</details>")
    np.testing.assert_allclose(r.load_fraction, [1 / 4, 3 / 4])
    # every token's logits are one apart: 0.269 and 0.731
    assert (np.abs(np.diff(r.gate_logits, axis=0)) == 1).all()
    p, q = round(1 / (1 + math.exp(-1)), 3), round(1 / (1 + math.exp(1)), 3)
    assert (p, q) == (0.731, 0.269)
    assert "$P_1 = (0.269 + 0.731 + 0.269 + 0.269) / 4 = 0.3845$ and $P_2 = 0.6155$" in worked
    assert (q + p + q + q) / 4 == pytest.approx(0.3845) and 1 - 0.3845 == pytest.approx(0.6155)
    assert r.mean_gate_probs == pytest.approx([0.3845, 0.6155], abs=5e-5)
    # the arithmetic as written, term by term, exactly
    chain = (
        "2 \\cdot (0.25 \\cdot 0.3845 + 0.75 \\cdot 0.6155) = 2 \\cdot (0.096125 + 0.461625) "
        "= 2 \\cdot 0.55775 = 1.1155 $$ (exactly, 1.11553)"
    )
    assert chain in " ".join(worked.split())
    D = Fraction
    assert D("0.25") * D("0.3845") == D("0.096125") and D("0.75") * D("0.6155") == D("0.461625")
    assert D("0.096125") + D("0.461625") == D("0.55775") and 2 * D("0.55775") == D("1.1155")
    assert round(r.aux_loss, 5) == 1.11553
    assert "$2 \\cdot (0.0961 + 0.4616) = 1.1154$" in " ".join(worked.split())
    assert round(0.25 * 0.3845, 4) == 0.0961 and round(0.75 * 0.6155, 4) == 0.4616
    assert 2 * (D("0.0961") + D("0.4616")) == D("1.1154")
    assert "or 1.115 from the gate picture's 0.27 and 0.73" in " ".join(worked.split())
    from dlviz.plots import GateHeatmap

    picture = GateHeatmap(r)
    assert [picture.cell_text(0, j) for j in range(4)] == ["0.27", "0.73", "0.27", "0.27"]
    picture.close()
    P_picture = [(3 * D("0.27") + D("0.73")) / 4, (3 * D("0.73") + D("0.27")) / 4]
    assert 2 * (D(1, 4) * P_picture[0] + D(3, 4) * P_picture[1]) == D("1.115")
    assert (
        "The loss grid takes each of\nthese, and 1.116. To two decimals it takes 1.12, where "
        "1.11553 rounds, and also 1.11,\nbecause the 1.115 reached from 0.27 and 0.73 lies "
        "exactly halfway between the two."
    ) in worked
    assert round(r.aux_loss, 2) == 1.12  # the exact value rounds to 1.12 only
    assert D("1.115") - D("1.11") == D("1.12") - D("1.115")  # a tie: 1.11 is taken too
    grid = capacity_checks(r)["aux_loss"]
    for typed in ("1.1155", "1.11553", "1.1154", "1.115", "1.116", "1.12", "1.11"):
        assert check(grid, [[typed]]).all_right, typed
    for typed in ("1.117", "1.1153", "1.10", "1.13"):
        assert not check(grid, [[typed]]).all_right, typed
    # even load: exactly 1 whatever the probabilities, the sheet's two tokens 1.00; one
    # expert certain: n_experts; in between it can dip below 1
    assert "$f_e = 1/n_{\\text{experts}}$ for every expert and the loss is exactly\n1, whatever " \
        "the probabilities (the sheet's two tokens give 1.00)" in text  # fmt: skip
    assert sheet_moe()(examples.moe_exercise()["X"]).aux_loss == pytest.approx(1.0)
    even = MixtureOfExperts([[1.0], [-1.0]], [0.0, 0.0], [([[1.0]], [0.0])] * 2)
    assert even([[0.3, -0.2, 1.0, -2.0]]).aux_loss == pytest.approx(1.0)  # f even, P not
    certain = MixtureOfExperts([[0.0]] * 3, [60.0, 0, 0], [([[1.0]], [0.0])] * 3)
    assert certain([[1.0, 2.0]]).aux_loss == pytest.approx(3.0)
    assert "In between it usually grows\nwith the imbalance, but not always" in text
    # two tokens of three to expert 1 (one of them barely), the third to expert 2, sure
    dip = MixtureOfExperts([[1.0], [-1.0]], [0.0, 0.0], [([[1.0]], [0.0])] * 2)
    r_dip = dip([[0.1, 0.1, -2.0]])
    assert list(r_dip.load_fraction) == pytest.approx([2 / 3, 1 / 3]) and r_dip.aux_loss < 1
    # the prose's own example: three tokens with p1 = 0.51, one with p1 ≈ 0 (a logit far down:
    # a softmax is never exactly 0)
    assert "it can even dip below 1 (an example\nfollows the answer below)" in text
    words = " ".join(cells["cap-loss-worked"].split())
    assert (
        "Turn the load around and the loss can dip below 1: three tokens on expert 1, each only "
        "just ($p_1 = 0.51$), and one sure of expert 2 ($p_1 \\approx 0$) give $f = [3/4,\\ 1/4]$, "
        "$P = [0.3825,\\ 0.6175]$ and a loss of $2 \\cdot (0.287 + 0.154) = 0.88$, though "
        "expert 1 takes three tokens of four"
    ) in words
    x = math.log(51 / 49) / 2  # softmax([x, -x]) gives expert 1 exactly 0.51
    r_051 = dip([[x, x, x, -40.0]])
    assert list(r_051.gate_probs[0]) == pytest.approx([0.51, 0.51, 0.51, 0.0], abs=1e-12)
    assert 0 < r_051.gate_probs[0, 3]
    f, P = r_051.load_fraction, r_051.gate_probs.mean(axis=1)
    assert list(f) == [Fraction(3, 4), Fraction(1, 4)] and list(P) == pytest.approx(
        [0.3825, 0.6175]
    )
    assert [round(v, 3) for v in f * P] == [0.287, 0.154]
    assert round(r_051.aux_loss, 2) == 0.88 == round(2 * float((f * P).sum()), 2)
    assert list(r_051.tokens_per_expert) == [3, 1]
    assert "coefficient, 0.01 in the paper" in text.replace("(times a small ", "")


def test_the_load_picture_after_the_loss(cells):
    text = cells["cap-load-text"]
    r = sheet_moe(capacity_factor=1)(BATCH)
    assert (
        "Here the capacity, 2\nslots, is exactly the balanced share of 4 tokens among 2 "
        "experts, so the dashed line of\nthe balanced share runs along the solid one"
    ) in text
    assert r.capacity == 2 == BATCH.shape[1] / r.tokens_per_expert.shape[0]
    assert "LoadBars(rb)" in cells["cap-load"]
    assert "In the gate picture the dropped slot is crossed out (✗):" in cells["cap-residual"]


def test_the_toy_experiment_says_what_it_shows(cells):
    runs = {seed: [train_router(c, seed) for c in (0.0, 0.3)] for seed in range(6)}
    assert "for seed in range(6)" in cells["cap-experiment"]
    assert "train_router(coef, seed) for coef in (0.0, 0.3)" in cells["cap-experiment"]
    text = cells["cap-why-says"]
    without = np.array([runs[s][0].final_shares() for s in runs])  # (6, 4)
    with_loss = np.array([runs[s][1].final_shares() for s in runs])
    assert "every one of the six runs ends with at least one expert idle" in text
    assert ((without < 0.02).sum(axis=1) >= 1).all()
    assert "in one run a single expert takes 99 %" in text
    assert (np.round(without.max(axis=1), 2) == 0.99).sum() == 1
    assert "every run ends with each expert close to a quarter" in text
    assert ((with_loss > 0.2) & (with_loss < 0.3)).all()
    errors = np.array([[run.task_error[-20:].mean() for run in runs[s]] for s in runs])
    code = cells["cap-experiment"]
    assert "error = run.task_error[-20:].mean()" in code and "{error:.3f}" in code  # per run
    says = " ".join(text.split())
    without, with_ = f"{errors[:, 0].mean():.3f}", f"{errors[:, 1].mean():.3f}"
    assert f"the mean error is {with_} with the loss and {without} without" in says
    assert (with_, without) == ("0.089", "0.103")
    lower, higher = (errors[:, 1] < errors[:, 0]).sum(), (errors[:, 1] > errors[:, 0]).sum()
    words = {3: "three"}
    assert (
        f"the loss lowers the error in {words[lower]} runs and raises it in the other "
        f"{words[higher]}, so this toy says nothing about whether balance helps the fit"
    ) in says
    assert "the loss lowers the error in {lower} of 6 runs" in code
    why = " ".join(cells["cap-why"].split())
    assert "each expert's share of the tokens and at the task's error (mean squared), both " \
        "over the last 20 steps" in why  # fmt: skip
    assert "run.final_shares()" in code and "run.task_error[-20:]" in code
    assert np.allclose(runs[0][0].final_shares(), runs[0][0].shares[-20:].mean(axis=0))
    assert "in a fraction of a second per run" in cells["cap-why"]
    assert "200 steps" in cells["cap-why"] and "batches of 128 points" in cells["cap-why"]


def test_real_sizes(cells):
    text = cells["cap-real"]
    assert "\\lfloor 1.25 \\cdot 4096 / 64 \\rfloor = 80" in text
    assert math.floor(1.25 * 4096 / 64) == 80
    namespace = {}
    exec(cells["cap-mixtral"].replace("print(", "(lambda *a, **k: None)("), namespace)
    assert namespace["total"] / 1e9 == pytest.approx(46.7, abs=0.05)
    assert namespace["active"] / 1e9 == pytest.approx(12.9, abs=0.05)
    after = cells["cap-real-after"]
    assert "About 46.7 billion parameters held, about 12.9 billion used per token" in after
    assert "up to\n  14,336" in text and "4,096 numbers per token" in text
    # Switch's factors, as the paper reports them: good results at low ones, not the only ones
    words = " ".join(text.split())
    assert "reports good results at low capacity factors, such as 1.0 and 1.25" in words
    # the glosses: SiLU(z) = z·sigmoid(z) = z / (1 + e^(−z)); ⊙ entry by entry
    assert "\\operatorname{SiLU}(z) = z \\cdot \\operatorname{sigmoid}(z) = z / (1 + e^{-z})$" in (
        words
    )
    z = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(z * (1 / (1 + np.exp(-z))), z / (1 + np.exp(-z)))
    assert "$\\odot$ multiplies two vectors entry by entry" in words
    # the layer norms: Mixtral's RMSNorm weights, two a layer (before attention and before the
    # experts) and one at the end, d_model numbers each: "a few hundred thousand numbers"
    after = " ".join(after.split())
    assert "rescale each token's numbers before every attention and expert layer: a few " \
        "hundred thousand numbers in all" in after  # fmt: skip
    norms = (2 * namespace["n_layers"] + 1) * namespace["d_model"]
    assert 100_000 < norms < 1_000_000
    assert "notebook 4 takes their heads apart" in after


def carry_out_try_this_5(item: str, explorer, follower) -> None:
    """Item 5 as written, after its *back to the exercise*, on `explorer`; `follower` is
    the notebook's grid that follows the explorer's dropped slots."""
    c = explorer.controls
    assert "tick *limit slots* (factor 1) and set random tokens to 2" in item
    with explorer.hold():
        c["capacity"].value, c["capacity_factor"].value, c["random_tokens"].value = True, 1.0, 2
    r = explorer.result
    assert "$X_3 = [0, 3, 3]$ and $X_4 = [0, -1, 2]$" in item
    np.testing.assert_array_equal(r.X[:, 2:].T, [[0, 3, 3], [0, -1, 2]])
    assert "the grid below follows the explorer, so you can write your answer there" in item
    follower.type([["0", "0", "0", "1"]])  # the answer worked out by hand
    assert follower.check().all_right
    assert r.capacity == 2 and list(r.dropped[0]) == [False, False, False, True]
    assert "Then slide X1[1] to 3.5: $X_1$ moves to expert 1" in item
    c["X1[1]"].value = 3.5
    r = explorer.result
    assert r.chosen[0, 0] == 0
    assert "the slot it frees at expert 2 is enough to serve every token" in item
    assert not r.dropped.any()
    assert "Last, set experts to 8 and random tokens to 64 and raise the capacity factor " \
        "from 1 to 2" in item  # fmt: skip
    with explorer.hold():
        c["n_experts"].value, c["random_tokens"].value = 8, 64
    dropped, capacity = {}, {}
    for factor in np.arange(1.0, 2.01, c["capacity_factor"].step):  # raised step by step
        c["capacity_factor"].value = factor
        r = explorer.result
        dropped[factor], capacity[factor] = int(r.dropped.sum()), r.capacity
        assert f"dropped {dropped[factor]} of 66" in explorer.load.caption  # the load picture
    assert "the dropped count in the load picture falls from 24 to 0" in item
    assert (dropped[1.0], dropped[2.0]) == (24, 0)
    assert "because at 2 the capacity, 16, reaches the busiest expert's load" in item
    assert capacity[2.0] == 16 == explorer.result.tokens_per_expert.max()
    assert "On the way, at 1.25, it drops 15, one more than the 14 counted for these 66 " \
        "tokens above" in item  # fmt: skip
    assert dropped[1.25] == 15 and capacity[1.25] == 10
    big = examples.random_moe(n_experts=8, n_tokens=66, seed=0)
    np.testing.assert_array_equal(explorer.result.X[:, 2:], big["X"][:, 2:])  # same 64 tokens
    above = MixtureOfExperts(big["gate_W"], big["gate_b"], big["experts"], capacity_factor=1.25)
    before = above(big["X"])
    assert int(before.dropped.sum()) == 14
    assert "$X_1$, moved to expert 1 earlier, is first in that expert's queue, which was " \
        "already past its 10 slots, and pushes one more token out" in item  # fmt: skip
    c["capacity_factor"].value = 1.25
    r = explorer.result
    assert r.chosen[0, 0] == 0 and not r.dropped[0, 0]  # X1 at expert 1, served first
    assert before.tokens_per_expert[0] > r.capacity  # expert 1 was already past its slots
    dropped_at_1 = before.dropped[0][before.chosen[0] == 0].sum()
    assert r.dropped[0][r.chosen[0] == 0].sum() == dropped_at_1 + 1  # one more pushed out


def test_try_this_5_predict_a_drop_then_check_it_live(cells):
    assert 'HandCheck.follow(explorer, "dropped")' in cells["cap-try-live-grid"]
    item = try_this_items("03")["Predict a drop, then check it live"]
    assert item in " ".join(cells["cap-try-live"].split())
    explorer = MoEExplorer()
    try:
        carry_out_try_this_5(item, explorer, HandCheck.follow(explorer, "dropped"))
    finally:
        explorer.close()
    # the explorer's list of controls names the new ones
    assert "**limit slots** (tick it) and **capacity factor**" in cells["fc304906"]
    assert "capacity = int(1.25 * 66 / 8)" in cells["0d0a5f10"]  # the 14 counted above


def test_the_batch_is_scored_as_the_prose_says(cells):
    """Expert 1 adds a token's first two numbers, expert 2 its last two."""
    text = cells["cap-intro"]
    assert "expert 1 scores a token by adding its first two numbers" in text
    assert "expert 2 by adding its last two" in text
    r = sheet_moe()(BATCH)
    np.testing.assert_allclose(r.gate_logits, [BATCH[0] + BATCH[1], BATCH[1] + BATCH[2]])
    # the sheet could not have a residual connection: its experts turn 3 numbers into 4
    assert "its experts turn 3\nnumbers into 4" in cells["cap-residual"]
    assert BATCH.shape[0] == 3 and r.output.shape[0] == 4
