"""Claims of notebook 3's capacity part (issue 17): every number its prose quotes, recomputed,
and its "Try this" carried out on a fresh explorer."""

import math
import re

import numpy as np
import pytest

from dlviz import HandCheck, MixtureOfExperts, MoEExplorer, examples
from dlviz.moe_training import train_router
from tests.claims import cells_by_id

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
    # the table: token, expert, place in the queue, served or dropped
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
    assert "$f = [1/4,\\ 3/4]$" in text
    np.testing.assert_allclose(r.load_fraction, [1 / 4, 3 / 4])
    # every token's logits are one apart: 0.269 and 0.731
    assert (np.abs(np.diff(r.gate_logits, axis=0)) == 1).all()
    p, q = round(1 / (1 + math.exp(-1)), 3), round(1 / (1 + math.exp(1)), 3)
    assert (p, q) == (0.731, 0.269)
    assert "$P_1 = (0.269 + 0.731 + 0.269 + 0.269) / 4 = 0.3845$" in text
    assert (q + p + q + q) / 4 == pytest.approx(0.3845)
    assert r.mean_gate_probs == pytest.approx([0.3845, 0.6155], abs=5e-5)
    assert "2 \\cdot (0.25 \\cdot 0.3845 + 0.75 \\cdot 0.6155) = 2 \\cdot (0.0961 + 0.4616)" in text
    assert 0.25 * 0.3845 == pytest.approx(0.0961, abs=5e-5)
    assert 0.75 * 0.6155 == pytest.approx(0.4616, abs=5e-5)
    assert "= 1.1155$" in text and r.aux_loss == pytest.approx(1.1155, abs=5e-5)
    # even load: exactly 1, the sheet's two tokens 1.00; one expert certain: n_experts
    assert "(the sheet's two tokens give 1.00)" in text
    assert sheet_moe()(examples.moe_exercise()["X"]).aux_loss == pytest.approx(1.0)
    certain = MixtureOfExperts([[0.0]] * 3, [60.0, 0, 0], [([[1.0]], [0.0])] * 3)
    assert certain([[1.0, 2.0]]).aux_loss == pytest.approx(3.0)
    assert "coefficient, 0.01 in the paper" in text.replace("(times a small ", "")


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
    assert "a little better on average, though not\nin every run" in text
    assert errors[:, 1].mean() < errors[:, 0].mean()
    assert (errors[:, 1] > errors[:, 0]).any()
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


def test_try_this_5_predict_a_drop_then_check_it_live(cells):
    text = cells["cap-try-live"]
    explorer = MoEExplorer()
    assert 'HandCheck.follow(explorer, "dropped")' in cells["cap-try-live-grid"]
    assert "the grid below follows the explorer" in text
    follower = HandCheck.follow(explorer, "dropped")
    c = explorer.controls
    with explorer.hold():
        c["capacity"].value, c["capacity_factor"].value, c["random_tokens"].value = True, 1.0, 2
    r = explorer.result
    follower.type([["0", "0", "0", "1"]])  # the answer worked out by hand
    assert follower.check().all_right
    assert "$X_3 = [0, 3, 3]$ and $X_4 = [0, -1, 2]$" in text
    np.testing.assert_array_equal(r.X[:, 2:].T, [[0, 3, 3], [0, -1, 2]])
    assert r.capacity == 2 and list(r.dropped[0]) == [False, False, False, True]
    c["X1[1]"].value = 3.5
    r = explorer.result
    assert "$X_1$ moves to expert 1" in text and r.chosen[0, 0] == 0
    assert "enough to serve every token" in text and not r.dropped.any()
    with explorer.hold():
        c["n_experts"].value, c["random_tokens"].value = 8, 64
    dropped = {}
    for factor in (1.0, 2.0):
        c["capacity_factor"].value = factor
        dropped[factor] = int(explorer.result.dropped.sum())
    assert "falls from 24 to 0" in text and dropped == {1.0: 24, 2.0: 0}
    assert "at 2 the capacity, 16, reaches the\n   busiest expert's load" in text
    assert explorer.result.capacity == 16 == explorer.result.tokens_per_expert.max()
    # the explorer's list of controls names the new ones
    assert "**limit slots** (tick it) and **capacity factor**" in cells["fc304906"]


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


def test_try_this_5_at_factor_1_25_drops_one_more_than_counted_above(cells):
    """After Try this 5's X1[1] = 3.5, factor 1.25 drops 15; the 66 tokens above drop 14."""
    text = cells["cap-try-live"]
    assert "at 1.25, it drops 15, one more than the 14" in text
    big = examples.random_moe(n_experts=8, n_tokens=66, seed=0)
    above = MixtureOfExperts(big["gate_W"], big["gate_b"], big["experts"], capacity_factor=1.25)
    assert int(above(big["X"]).dropped.sum()) == 14
    assert "capacity = int(1.25 * 66 / 8)" in cells["0d0a5f10"]
    explorer = MoEExplorer()
    c = explorer.controls
    with explorer.hold():
        c["capacity"].value, c["capacity_factor"].value, c["random_tokens"].value = True, 1.0, 2
    c["X1[1]"].value = 3.5
    with explorer.hold():
        c["n_experts"].value, c["random_tokens"].value = 8, 64
    c["capacity_factor"].value = 1.25
    r = explorer.result
    np.testing.assert_array_equal(r.X[:, 2:], big["X"][:, 2:])  # the same 64 random tokens
    assert int(r.dropped.sum()) == 15 and r.capacity == 10
    assert "is first in\n   that expert's queue, which was already past its 10 slots" in text
    assert r.chosen[0, 0] == 0 and not r.dropped[0, 0]  # X1 at expert 1, served first
    before = above(big["X"])
    assert before.tokens_per_expert[0] > r.capacity  # expert 1 was already past its slots
    dropped_at_1 = before.dropped[0][before.chosen[0] == 0].sum()
    assert r.dropped[0][r.chosen[0] == 0].sum() == dropped_at_1 + 1  # one more pushed out
