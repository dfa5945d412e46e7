"""A fresh exercise loads into each explorer and try-it grid in one line; reset returns to it."""

import numpy as np
import pytest

from dlviz import (
    AttentionExplorer,
    HandCheck,
    MixtureOfExperts,
    MoEExplorer,
    SentenceEncoder,
    VectorDatabase,
    VectorDBExplorer,
    Vocabulary,
    examples,
    self_attention,
)


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_attention_explorer_takes_a_fresh_exercise_and_resets_to_it(seed):
    ex = examples.attention_exercise(seed)
    explorer = AttentionExplorer(**ex)
    expected = self_attention(**ex, mode="hand")
    np.testing.assert_array_equal(explorer.result.output, expected.output)
    grid = HandCheck.follow(explorer, "sums")
    np.testing.assert_array_equal(grid.step.expected, expected.sums)
    explorer.controls["X"].value = (ex["X"] + np.eye(6, 4, dtype=int)).tolist()
    assert not np.array_equal(explorer.result.output, expected.output)
    explorer.reset()
    np.testing.assert_array_equal(explorer.result.output, expected.output)
    np.testing.assert_array_equal(grid.step.expected, expected.sums)
    explorer.close()


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_vectordb_explorer_takes_a_fresh_exercise_and_resets_to_it(seed):
    ex = examples.vectordb_exercise(seed)
    explorer = VectorDBExplorer(**ex)
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"]))
    db.add(ex["database"])
    expected = db.search(ex["query"], k=1)
    assert explorer.result.hits[0].text == expected.hits[0].text
    np.testing.assert_allclose(explorer.result.scores, expected.scores)
    explorer.controls["P[1,1]"].value = 2.0
    explorer.controls["database"].value = "who am I"
    explorer.reset()
    np.testing.assert_allclose(explorer.result.scores, expected.scores)
    assert explorer.database.texts == tuple(ex["database"])
    explorer.close()


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_moe_explorer_takes_a_fresh_exercise_and_resets_to_it(seed):
    ex = examples.moe_exercise(seed)
    explorer = MoEExplorer(**ex)
    expected = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])(ex["X"])
    np.testing.assert_allclose(explorer.result.output, expected.output)
    np.testing.assert_array_equal(explorer.result.chosen, expected.chosen)
    assert [explorer.controls[f"X{j + 1}[{i + 1}]"].value for j in range(2) for i in range(3)] == [
        float(ex["X"][i, j]) for j in range(2) for i in range(3)
    ]
    grid = HandCheck.follow(explorer, "logits")
    np.testing.assert_allclose(grid.step.expected, expected.gate_logits)
    # more experts and tokens keep the exercise's two experts and tokens first
    explorer.controls["n_experts"].value = 5
    explorer.controls["random_tokens"].value = 3
    np.testing.assert_allclose(explorer.result.gate_logits[:2, :2], expected.gate_logits)
    explorer.controls["X1[1]"].value = -5.0
    explorer.reset()
    np.testing.assert_allclose(explorer.result.output, expected.output)
    explorer.close()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"X": np.ones((3, 3))}, r"X is 3×2, got 3×3"),
        ({"X": np.full((3, 2), 6)}, r"from -5 to 5 \(the sliders' range\)"),
        ({"gate_W": np.ones((3, 3)), "gate_b": np.zeros(3),
          "experts": examples.random_moe(3, 2)["experts"]}, r"two experts"),
    ],
)  # fmt: skip
def test_moe_explorer_refuses_an_exercise_its_sliders_cannot_hold(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MoEExplorer(**kwargs)
