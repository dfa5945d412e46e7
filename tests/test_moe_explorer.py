"""MoEExplorer driven from Python, as the notebook's learner drives it with the mouse."""

import re

import numpy as np
import pytest

from dlviz import MixtureOfExperts, MoEExplorer, examples
from dlviz.widgets.moe import SHOWN_TOKENS, step_views
from tests.helpers import cells_of, outlined, shown, table


def column(explorer, name, j):
    cells = shown(explorer, name)
    return [cells[(i, j)] for i in range(1 + max(i for i, _ in cells))]


@pytest.fixture
def explorer():
    return MoEExplorer()


def test_starts_on_the_sheet(explorer):
    ex = examples.moe_exercise()
    expected = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])(ex["X"])
    np.testing.assert_array_equal(explorer.result.output, expected.output)
    assert column(explorer, "gate_logits", 0) == ["3", "4"]
    assert column(explorer, "gate_probs", 0) == ["0.269", "0.731"]
    assert shown(explorer, "chosen") == {(0, 0): "2", (0, 1): "1"}  # X1 → e2, X2 → e1
    assert outlined(explorer, "routing") == {(1, 0), (0, 1)}
    assert column(explorer, "expert2_linear", 0) == ["4", "3", "1", "5"]  # W2·X1
    assert column(explorer, "expert1_linear", 0) == ["5", "4", "2", "-1"]  # W1·X2
    assert column(explorer, "output", 1) == ["5", "4", "2", "0"]  # ReLU
    assert explorer.gate.chosen_cells == {(1, 0): 1, (0, 1): 1}
    assert explorer.load.counts.texts == ["1", "1"]
    assert repr(explorer) == (
        "MoEExplorer(X1[1]=2.0, X1[2]=1.0, X1[3]=3.0, X2[1]=3.0, X2[2]=1.0, X2[3]=2.0, "
        "top_k=1, n_experts=2, random_tokens=0, capacity=False, capacity_factor=1.0)"
    )


def test_moving_x1_past_the_threshold_switches_its_expert(explorer):
    # X1 = [a, 1, 3]: expert 1's logit is a + 1, expert 2's is 1 + 3 = 4.
    gate_png, load_png = explorer.gate_image.value, explorer.load_image.value
    explorer.controls["X1[1]"].value = 2.5
    assert explorer.result.chosen[0, 0] == 1  # still expert 2: 3.5 < 4
    assert column(explorer, "gate_logits", 0) == ["3.5", "4.0"]
    assert explorer.gate_image.value != gate_png  # the probabilities moved
    assert explorer.load_image.value == load_png  # the load did not: not redrawn
    explorer.controls["X1[1]"].value = 3.0  # a tie: the lower number wins
    assert explorer.result.chosen[0, 0] == 0
    assert column(explorer, "gate_probs", 0) == ["0.500", "0.500"]
    explorer.controls["X1[1]"].value = 3.5
    assert explorer.result.chosen[0, 0] == 0
    assert shown(explorer, "chosen")[(0, 0)] == "1"
    assert outlined(explorer, "routing") == {(0, 0), (0, 1)}
    # expert 1 now works on both tokens: W1·[3.5, 1, 3] = [6.5, 4.5, 3, -0.5]
    assert column(explorer, "expert1_linear", 0) == ["6.5", "4.5", "3.0", "-0.5"]
    assert column(explorer, "output", 0) == ["6.5", "4.5", "3.0", "0.0"]
    assert "idle, no tokens: e2" in explorer.panels[5].value
    assert explorer.gate.chosen_cells == {(0, 0): 1, (0, 1): 1}
    assert explorer.load.counts.texts == ["2", "0"]
    assert explorer.load_image.value != load_png


def test_the_middle_number_of_x1_cannot_change_the_choice(explorer):
    # Both gate rows have a 1 in the middle: X1[2] adds the same to both logits.
    gate_png = explorer.gate_image.value
    explorer.controls["X1[2]"].value = -4.0
    assert column(explorer, "gate_logits", 0) == ["-2", "-1"]
    assert explorer.result.chosen[0, 0] == 1
    assert column(explorer, "gate_probs", 0) == ["0.269", "0.731"]
    assert explorer.gate_image.value == gate_png  # same probabilities: not redrawn


def test_top_2_mixes_two_experts_with_renormalised_weights(explorer):
    explorer.controls["top_k"].value = 2
    r = explorer.result
    assert r.top_k == 2
    np.testing.assert_allclose(r.gate_weights, [[0.731, 0.731], [0.269, 0.269]], atol=5e-4)
    np.testing.assert_allclose(r.gate_weights.sum(axis=0), 1.0)
    assert shown(explorer, "gate_weights")[(0, 0)] == "0.731"
    # X1: 0.731·ReLU(W2·X1) + 0.269·ReLU(W1·X1) = 0.731·[4,3,1,5] + 0.269·[5,3,3,1]
    assert column(explorer, "output", 0) == ["4.27", "3", "1.54", "3.92"]
    assert column(explorer, "relu_2", 0) == ["5", "3", "3", "1"]
    assert outlined(explorer, "routing") == {(0, 0), (1, 0), (0, 1), (1, 1)}
    assert explorer.gate.chosen_cells == {(1, 0): 1, (0, 1): 1, (0, 0): 2, (1, 1): 2}
    assert explorer.load.counts.texts == ["2", "2"]
    explorer.controls["top_k"].value = 1  # top-1 gives the sheet again
    assert column(explorer, "output", 0) == ["4", "3", "1", "5"]


def test_more_experts_raise_top_k_s_maximum_and_change_the_load(explorer):
    top_k = explorer.controls["top_k"]
    explorer.controls["n_experts"].value = 4
    assert top_k.max == 4 and explorer.result.gate_probs.shape == (4, 2)
    assert explorer.load.names.texts == ["e1", "e2", "e3", "e4"]
    assert len(explorer.result.tokens_per_expert) == 4
    top_k.value = 3
    calls = []
    original = explorer.compute
    explorer.compute = lambda: calls.append(1) or original()
    explorer.controls["n_experts"].value = 2  # top_k 3 no longer fits: lowered with it
    assert len(calls) == 1 and top_k.value == 2 and top_k.max == 2
    assert explorer.result.top_k == 2 and explorer.error == ""


def test_random_tokens_change_the_load(explorer):
    load_png = explorer.load_image.value
    with explorer.hold():
        explorer.controls["n_experts"].value = 4
        explorer.controls["random_tokens"].value = 30
    r = explorer.result
    assert r.X.shape == (3, 32)
    np.testing.assert_array_equal(r.X[:, :2], examples.moe_exercise()["X"])  # the sliders'
    np.testing.assert_array_equal(r.X, examples.random_moe(4, 32)["X"])
    assert r.tokens_per_expert.sum() == 32
    assert explorer.load.counts.texts == [str(c) for c in r.tokens_per_expert]
    assert explorer.load.caption.startswith("tokens per expert: 32 tokens")
    assert explorer.load_image.value != load_png
    # the grids and the gate picture show the first tokens only, and say so
    assert f"the first {SHOWN_TOKENS} of 32 tokens" in explorer.panels[1].value
    assert len(shown(explorer, "gate_probs")) == 4 * SHOWN_TOKENS
    assert explorer.gate.view == (4, SHOWN_TOKENS)
    explorer.controls["random_tokens"].value = 64
    assert explorer.result.tokens_per_expert.sum() == 66


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("top_k", 5, r"top_k = 5, but there are only 2 experts: a token can go to at most 2"),
        ("top_k", 0, r"top_k = 0 is outside its range, 1 to 2: every token goes to at least"),
        ("n_experts", 1, r"n_experts = 1 is outside its range, 2 to 8: the sheet's two"),
        ("random_tokens", 100, r"random_tokens = 100 is outside its range, 0 to 64"),
        ("X1[1]", 7.0, r"X1\[1\] = 7 is outside its range, -5 to 5"),
        ("X2[2]", float("nan"), r"X2\[2\] = nan is not a number: give one from -5 to 5"),
    ],
)
def test_bad_values_from_python_are_explained_and_refused(explorer, control, value, message):
    good, before = explorer.result, explorer.controls[control].value
    explorer.controls[control].value = value  # no exception: explained instead
    assert re.search(message, explorer.error), explorer.error
    assert "Not recomputed" in explorer.message.value
    assert explorer.message.layout.display is None
    assert explorer.controls[control].value == before  # refused, not capped
    assert explorer.result is good
    explorer.controls["X2[1]"].value = 2.5  # the next good move recovers
    assert explorer.error == "" and explorer.message.layout.display == "none"
    assert explorer.result.X[0, 1] == 2.5


def test_reset_goes_back_to_the_exercise_in_one_recompute(explorer):
    with explorer.hold():
        explorer.controls["n_experts"].value = 6
        explorer.controls["top_k"].value = 4
        explorer.controls["random_tokens"].value = 20
        explorer.controls["X1[3]"].value = -1.0
    calls = []
    original = explorer.compute
    explorer.compute = lambda: calls.append(1) or original()
    explorer.controls["reset"].click()
    assert len(calls) == 1
    r = explorer.result
    assert r.X.shape == (3, 2) and r.top_k == 1 and r.gate_probs.shape == (2, 2)
    np.testing.assert_array_equal(r.output, [[4, 5], [3, 4], [1, 2], [5, 0]])
    assert explorer.controls["top_k"].max == 2
    assert column(explorer, "output", 1) == ["5", "4", "2", "0"]
    assert explorer.gate.view == (2, 2) and explorer.load.counts.texts == ["1", "1"]


def test_explorer_accepts_a_starting_setting_and_refuses_a_bad_one():
    explorer = MoEExplorer(top_k=2, n_experts=3, random_tokens=5)
    assert explorer.result.gate_probs.shape == (3, 7) and explorer.result.top_k == 2
    assert explorer.controls["top_k"].max == 3
    with pytest.raises(ValueError, match=r"n_experts must be from 2 to 8, got 9"):
        MoEExplorer(n_experts=9)
    with pytest.raises(ValueError, match=r"top_k must be from 1 to 2, got 3"):
        MoEExplorer(top_k=3)
    with pytest.raises(ValueError, match=r"random_tokens must be from 0 to 64, got -1"):
        MoEExplorer(random_tokens=-1)


def test_step_views_show_a_bias_when_there_is_one():
    ex = examples.moe_exercise()
    experts = [(W, np.arange(4)) for W, _ in ex["experts"]]
    moe = MixtureOfExperts(ex["gate_W"], [0.5, 0], experts)
    views = step_views(moe(ex["X"]), moe)
    assert [k for k in views] == [1, 2, 3, 4, 5, 6, 7]
    html = views[5][1].html
    assert "+ b" in html and "= W·x + b" in html
    # logits X1: [3.5, 4] → e2. W2·X1 + b = [4, 3, 1, 5] + [0, 1, 2, 3]
    cells = cells_of(table(html, "expert2_linear")).cells
    assert [cells[(i, 0)] for i in range(4)] == ["4", "4", "3", "8"]
    assert cells_of(table(views[2][1].html, "gate_b")).cells == {(0, 0): "0.5", (1, 0): "0.0"}
