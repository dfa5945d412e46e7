"""Tests of dlviz.moe: the by-hand sheet, properties, an independent reference, bad input."""

from __future__ import annotations

import dataclasses
import math
import pathlib

import numpy as np
import pytest

from dlviz.examples import moe_exercise
from dlviz.moe import MixtureOfExperts, MoEResult

REPO = pathlib.Path(__file__).resolve().parents[1]


def sheet_moe(**kwargs) -> tuple[MixtureOfExperts, np.ndarray]:
    ex = moe_exercise()
    return MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], **kwargs), ex["X"]


def random_moe(rng, n_experts, in_dim, out_dim, top_k):
    experts = [
        (rng.normal(size=(out_dim, in_dim)), rng.normal(size=out_dim)) for _ in range(n_experts)
    ]
    gate_W = rng.normal(size=(n_experts, in_dim))
    gate_b = rng.normal(size=n_experts)
    return MixtureOfExperts(gate_W, gate_b, experts, top_k=top_k)


# --- values of the by-hand sheet, exercises.md (exercise 3) --------------------------------


def test_sheet_gate_logits():
    moe, X = sheet_moe()
    r = moe(X)
    # columns are the tokens X1, X2
    np.testing.assert_array_equal(r.gate_logits, [[3, 4], [4, 3]])


def test_sheet_softmax():
    moe, X = sheet_moe()
    r = moe(X)
    assert r.gate_probs[:, 0] == pytest.approx([0.269, 0.731], abs=1e-3)
    assert r.gate_probs[:, 1] == pytest.approx([0.731, 0.269], abs=1e-3)


def test_sheet_choice():
    moe, X = sheet_moe()
    r = moe(X)
    # the sheet's "expert 2" for X1 and "expert 1" for X2, as 0-based indices
    np.testing.assert_array_equal(r.chosen, [[1, 0]])
    np.testing.assert_array_equal(r.gate_weights, [[1.0, 1.0]])  # top-1: weight exactly 1


def test_sheet_chosen_expert_linear_and_relu():
    moe, X = sheet_moe()
    r = moe(X)
    np.testing.assert_array_equal(r.expert_linear[0, :, 0], [4, 3, 1, 5])
    np.testing.assert_array_equal(r.expert_linear[0, :, 1], [5, 4, 2, -1])
    np.testing.assert_array_equal(r.expert_outputs[0, :, 0], [4, 3, 1, 5])
    np.testing.assert_array_equal(r.expert_outputs[0, :, 1], [5, 4, 2, 0])
    np.testing.assert_array_equal(r.output, [[4, 5], [3, 4], [1, 2], [5, 0]])


def test_sheet_tokens_per_expert_and_shapes():
    moe, X = sheet_moe()
    r = moe(X)
    np.testing.assert_array_equal(r.tokens_per_expert, [1, 1])
    assert r.tokens_per_expert.dtype.kind == "i"
    assert r.chosen.dtype.kind == "i"
    assert r.top_k == 1
    assert (moe.n_experts, moe.in_dim, moe.out_dim, moe.top_k) == (2, 3, 4, 1)
    assert r.X.shape == (3, 2)
    assert r.gate_logits.shape == r.gate_probs.shape == (2, 2)
    assert r.chosen.shape == r.gate_weights.shape == (1, 2)
    assert r.expert_linear.shape == r.expert_outputs.shape == (1, 4, 2)
    assert r.output.shape == (4, 2)


def test_sheet_single_token_vector_is_one_column():
    moe, X = sheet_moe()
    r = moe([2, 1, 3])  # X1 as a plain vector
    assert r.X.shape == (3, 1)
    np.testing.assert_array_equal(r.gate_logits[:, 0], [3, 4])
    np.testing.assert_array_equal(r.chosen, [[1]])
    np.testing.assert_array_equal(r.output[:, 0], [4, 3, 1, 5])
    np.testing.assert_array_equal(moe(X[:, :1]).output, r.output)


def test_routing_follows_the_gate():
    # Swap the gate's rows: every token must go to the other expert.
    ex = moe_exercise()
    moe = MixtureOfExperts(ex["gate_W"][::-1], ex["gate_b"], ex["experts"])
    np.testing.assert_array_equal(moe(ex["X"]).chosen, [[0, 1]])


# --- the object and its result ----------------------------------------------------------------


def test_result_is_frozen_and_read_only():
    moe, X = sheet_moe()
    r = moe(X)
    assert isinstance(r, MoEResult)
    for field in dataclasses.fields(r):
        value = getattr(r, field.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, field.name
            with pytest.raises(ValueError, match="read-only"):
                value[(0,) * value.ndim] = 7
    with pytest.raises(dataclasses.FrozenInstanceError, match="output"):
        r.output = None


def test_model_is_read_only_and_copies_its_inputs():
    ex = moe_exercise()
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])
    ex["gate_W"][0, 0] = 100  # the learner edits their array afterwards
    ex["experts"][0][0][0, 0] = 100
    np.testing.assert_array_equal(moe.gate_W, [[1, 1, 0], [0, 1, 1]])
    assert moe.experts[0][0][0, 0] == 1
    assert isinstance(moe.experts, tuple)
    for W, b in moe.experts:
        assert not W.flags.writeable and not b.flags.writeable
    assert not moe.gate_W.flags.writeable and not moe.gate_b.flags.writeable
    with pytest.raises(AttributeError, match="with_top_k"):
        moe.top_k = 2
    assert repr(moe) == "MixtureOfExperts(2 experts, 3 → 4, top_k=1)"


def test_with_top_k_gives_a_new_model():
    moe, X = sheet_moe()
    moe2 = moe.with_top_k(2)
    assert moe2 is not moe and moe2.top_k == 2 and moe.top_k == 1
    r = moe2(X)
    assert r.top_k == 2
    np.testing.assert_array_equal(r.chosen, [[1, 0], [0, 1]])
    np.testing.assert_array_equal(r.tokens_per_expert, [2, 2])  # each token counts twice
    with pytest.raises(ValueError, match="top_k must be from 1 to 2, got 3"):
        moe.with_top_k(3)


# --- properties -------------------------------------------------------------------------------


@pytest.mark.parametrize("top_k", [1, 2, 3, 5])
def test_columns_of_probabilities_and_weights_sum_to_one(top_k):
    rng = np.random.default_rng(7)
    moe = random_moe(rng, n_experts=5, in_dim=4, out_dim=3, top_k=top_k)
    r = moe(rng.normal(size=(4, 30)) * 5)
    np.testing.assert_allclose(r.gate_probs.sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(r.gate_weights.sum(axis=0), 1.0, rtol=1e-12)
    assert r.tokens_per_expert.sum() == top_k * 30


def test_top_1_weights_are_exactly_one():
    rng = np.random.default_rng(3)
    r = random_moe(rng, n_experts=6, in_dim=3, out_dim=2, top_k=1)(rng.normal(size=(3, 40)))
    assert (r.gate_weights == 1.0).all()
    np.testing.assert_array_equal(r.output, r.expert_outputs[0])


def test_all_experts_is_the_dense_mixture():
    rng = np.random.default_rng(11)
    n_experts = 4
    moe = random_moe(rng, n_experts=n_experts, in_dim=3, out_dim=5, top_k=n_experts)
    X = rng.normal(size=(3, 25))
    r = moe(X)
    logits = moe.gate_W @ X + moe.gate_b[:, None]
    probs = np.exp(logits) / np.exp(logits).sum(axis=0)
    dense = sum(
        probs[e] * np.maximum(W @ X + b[:, None], 0) for e, (W, b) in enumerate(moe.experts)
    )
    np.testing.assert_allclose(r.output, dense, rtol=1e-12, atol=1e-12)
    # with every expert chosen, the renormalised weights are the gate's softmax itself
    np.testing.assert_allclose(
        np.take_along_axis(r.gate_probs, r.chosen, axis=0), r.gate_weights, rtol=1e-12
    )


def test_permuting_tokens_permutes_every_step():
    rng = np.random.default_rng(5)
    moe = random_moe(rng, n_experts=5, in_dim=4, out_dim=3, top_k=2)
    X = rng.normal(size=(4, 12))
    perm = rng.permutation(12)
    r, rp = moe(X), moe(X[:, perm])
    np.testing.assert_array_equal(rp.chosen, r.chosen[:, perm])
    np.testing.assert_allclose(rp.output, r.output[:, perm], rtol=1e-12)
    np.testing.assert_array_equal(rp.tokens_per_expert, r.tokens_per_expert)


@pytest.mark.parametrize("top_k", [1, 2, 3])
def test_huge_logits_stay_finite(top_k):
    experts = [(np.eye(2), np.zeros(2)), (2 * np.eye(2), np.ones(2)), (-np.eye(2), np.zeros(2))]
    X = np.array([[1e6, -1e6, 1.0], [1e6, 1e6, -2.0]])
    cases = [
        (np.full((3, 2), 1e6), np.zeros(3)),  # logits about 1e12, all equal: a tie
        (np.array([[1e6, 0], [0, -1e6], [-1e6, 1e6]]), np.zeros(3)),  # gaps of 1e12
        (np.zeros((3, 2)), np.array([1e300, -1e300, 5e299])),  # 1e300-ish logits
        # a gap wider than float64 holds (3e308): the loser's weight is 0, never NaN
        (np.zeros((3, 2)), np.array([1.5e308, -1.5e308, 0.0])),
    ]
    for gate_W, gate_b in cases:
        r = MixtureOfExperts(gate_W, gate_b, experts, top_k=top_k)(X)
        for name in ("gate_logits", "gate_probs", "gate_weights", "output"):
            assert np.isfinite(getattr(r, name)).all(), name
        np.testing.assert_allclose(r.gate_probs.sum(axis=0), 1.0)
        np.testing.assert_allclose(r.gate_weights.sum(axis=0), 1.0)
    # the last case: expert 0 wins every token with all of the weight
    np.testing.assert_array_equal(r.chosen[0], [0, 0, 0])
    np.testing.assert_array_equal(r.gate_probs, [[1, 1, 1], [0, 0, 0], [0, 0, 0]])


def test_ties_go_to_the_lower_index():
    experts = [(np.eye(2) * (e + 1), np.zeros(2)) for e in range(4)]
    gate_W = np.zeros((4, 2))
    gate_b = np.array([1.0, 2.0, 2.0, 2.0])  # experts 1, 2, 3 tie for best
    moe = MixtureOfExperts(gate_W, gate_b, experts, top_k=3)
    r = moe(np.ones((2, 3)))
    np.testing.assert_array_equal(r.chosen, [[1, 1, 1], [2, 2, 2], [3, 3, 3]])
    np.testing.assert_array_equal(moe.with_top_k(1)(np.ones((2, 1))).chosen, [[1]])
    # all equal, including -0.0 against 0.0: index order
    tied = MixtureOfExperts(np.zeros((4, 2)), [0.0, -0.0, 0.0, -0.0], experts, top_k=4)
    np.testing.assert_array_equal(tied([1.0, 1.0]).chosen[:, 0], [0, 1, 2, 3])
    np.testing.assert_allclose(tied([1.0, 1.0]).gate_weights[:, 0], [0.25] * 4)


# --- an independent reference: plain loops per token, math.exp --------------------------------


def reference(gate_W, gate_b, experts, X, top_k):
    """Route each token by hand: dot products, a sorted list, math.exp, ReLU."""
    n_experts, in_dim = len(gate_W), len(gate_W[0])
    out_dim = len(experts[0][0])
    n_tokens = len(X[0])
    chosen, weights, outputs, mixed = [], [], [], []
    counts = [0] * n_experts
    for t in range(n_tokens):
        x = [X[i][t] for i in range(in_dim)]
        logit = [
            sum(gate_W[e][i] * x[i] for i in range(in_dim)) + gate_b[e] for e in range(n_experts)
        ]
        best = sorted(range(n_experts), key=lambda e: (-logit[e], e))[:top_k]
        top = max(logit[e] for e in best)
        exps = [math.exp(logit[e] - top) for e in best]
        g = [v / sum(exps) for v in exps]
        outs = []
        for e in best:
            W, b = experts[e]
            h = [sum(W[o][i] * x[i] for i in range(in_dim)) + b[o] for o in range(out_dim)]
            outs.append([max(v, 0.0) for v in h])
            counts[e] += 1
        chosen.append(best)
        weights.append(g)
        outputs.append(outs)
        mixed.append([sum(g[j] * outs[j][o] for j in range(top_k)) for o in range(out_dim)])
    # token-major lists -> the package's (top_k, [out_dim,] n_tokens) layout
    return {
        "chosen": np.array(chosen).T,
        "gate_weights": np.array(weights).T,
        "expert_outputs": np.array(outputs).transpose(1, 2, 0),
        "output": np.array(mixed).T,
        "tokens_per_expert": np.array(counts),
    }


@pytest.mark.parametrize("seed", range(12))
def test_matches_independent_reference(seed):
    rng = np.random.default_rng(seed)
    n_experts = int(rng.integers(2, 10))
    in_dim, out_dim = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    n_tokens = int(rng.integers(1, 51))

    def gen(shape):
        # Even seeds: small integers, as on the sheets, which make ties likely (and then
        # the order of the choice matters). Odd seeds: real numbers, where ties are rare.
        if seed % 2 == 0:
            return rng.integers(-3, 4, size=shape).astype(float)
        return rng.normal(size=shape) * 3

    gate_W, gate_b = gen((n_experts, in_dim)), gen(n_experts)
    experts = [(gen((out_dim, in_dim)), gen(out_dim)) for _ in range(n_experts)]
    X = gen((in_dim, n_tokens))
    for top_k in range(1, n_experts + 1):
        r = MixtureOfExperts(gate_W, gate_b, experts, top_k=top_k)(X)
        ref = reference(
            gate_W.tolist(), gate_b.tolist(), [(W.tolist(), b.tolist()) for W, b in experts],
            X.tolist(), top_k,
        )  # fmt: skip
        np.testing.assert_array_equal(r.chosen, ref["chosen"])
        np.testing.assert_array_equal(r.tokens_per_expert, ref["tokens_per_expert"])
        for name in ("gate_weights", "expert_outputs", "output"):
            np.testing.assert_allclose(getattr(r, name), ref[name], rtol=1e-10, atol=1e-12)


# --- bad input ----------------------------------------------------------------------------------


def make(gate_W=None, gate_b=None, experts=None, **kwargs):
    ex = moe_exercise()
    return MixtureOfExperts(
        ex["gate_W"] if gate_W is None else gate_W,
        ex["gate_b"] if gate_b is None else gate_b,
        ex["experts"] if experts is None else experts,
        **kwargs,
    )


W4x3, b4 = np.ones((4, 3)), np.zeros(4)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"experts": []}, ValueError, "at least one expert"),
        ({"experts": W4x3}, TypeError, "list of \\(W, b\\) pairs"),
        ({"experts": [W4x3, W4x3]}, TypeError, "experts\\[0\\] must be a \\(W, b\\) pair, got an array of shape 4×3"),  # noqa: E501
        ({"experts": [(W4x3, b4), (W4x3,)]}, ValueError, "experts\\[1\\] must be a \\(W, b\\) pair, got 1 items"),  # noqa: E501
        ({"experts": [(W4x3, b4), (W4x3, b4, b4)]}, ValueError, "got 3 items instead of 2"),
        ({"experts": [(W4x3, b4), 5]}, TypeError, "experts\\[1\\] must be a \\(W, b\\) pair, got int"),  # noqa: E501
        ({"experts": [(W4x3, b4), (np.ones((4, 2)), b4)]}, ValueError, "experts\\[1\\].W is 4×2 but experts\\[0\\].W is 4×3"),  # noqa: E501
        ({"experts": [(W4x3, b4), (np.ones((5, 3)), np.zeros(5))]}, ValueError, "experts\\[1\\].W is 5×3 but experts\\[0\\].W is 4×3"),  # noqa: E501
        ({"experts": [(W4x3, b4), (W4x3, np.zeros(3))]}, ValueError, "experts\\[1\\].b has 3 numbers but experts\\[1\\].W has 4 rows"),  # noqa: E501
        ({"gate_W": np.ones((3, 3))}, ValueError, "gate_W has 3 rows \\(shape 3×3\\) but there are 2 experts"),  # noqa: E501
        ({"gate_W": np.ones((2, 4))}, ValueError, "gate_W takes tokens of 4 numbers.*experts take tokens of 3"),  # noqa: E501
        ({"gate_b": [0, 0, 0]}, ValueError, "gate_b has 3 numbers but there are 2 experts"),
        ({"top_k": 0}, ValueError, "top_k must be from 1 to 2, got 0"),
        ({"top_k": 3}, ValueError, "top_k must be from 1 to 2, got 3: there are 2 experts"),
        ({"top_k": 1.5}, TypeError, "top_k must be a whole number, got 1.5"),
        ({"top_k": True}, TypeError, "top_k must be a whole number, got True"),
        ({"gate_W": [[1, 1, np.nan], [0, 1, 1]]}, ValueError, "gate_W\\[0, 2\\] is nan"),
        ({"gate_b": [0, np.inf]}, ValueError, "gate_b\\[1\\] is inf"),
        ({"gate_W": [[1, 1, "a"], [0, 1, 1]]}, TypeError, "gate_W must hold (real )?numbers"),
        ({"gate_W": "gate"}, TypeError, "gate_W must be numbers, got the text"),
        ({"experts": [(W4x3, b4), ([[1, 0, np.nan]] * 4, b4)]}, ValueError, "experts\\[1\\].W\\[0, 2\\] is nan"),  # noqa: E501
        ({"experts": [(W4x3, b4), (W4x3, [0, -np.inf, 0, 0])]}, ValueError, "experts\\[1\\].b\\[1\\] is -inf"),  # noqa: E501
        ({"experts": [(W4x3, b4), (W4x3, ["x", 0, 0, 0])]}, TypeError, "experts\\[1\\].b must hold (real )?numbers"),  # noqa: E501
        ({"experts": [(W4x3, b4), (np.ones(3), b4)]}, ValueError, "experts\\[1\\].W must be a matrix"),  # noqa: E501
    ],
)  # fmt: skip
def test_bad_construction_is_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        make(**kwargs)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.ones((4, 2)), ValueError, "X of shape 4×2, tokens of 4 numbers, but the gate takes tokens of 3"),  # noqa: E501
        (np.ones((2, 3)), ValueError, "did you mean X.T"),
        ([2, 1], ValueError, "a token of 2 numbers, but the gate takes tokens of 3"),
        (np.ones((3, 0)), ValueError, "X is empty \\(shape 3×0\\)"),
        ([[2, 3], [1, np.nan], [3, 2]], ValueError, "X\\[1, 1\\] is nan"),
        ([2, np.inf, 3], ValueError, "X\\[1\\] is inf"),
        ([[2, 3], [1, "one"], [3, 2]], TypeError, "X must hold (real )?numbers"),
        ("X1", TypeError, "X must be numbers, got the text"),
        (None, TypeError, "X must be numbers, got None"),
        ([[2, 3], [1], [3, 2]], ValueError, "X has rows of different lengths"),
        (np.ones((3, 2, 1)), ValueError, "X must be a matrix"),
    ],
)  # fmt: skip
def test_bad_tokens_are_refused(X, error, match):
    moe, _ = sheet_moe()
    with pytest.raises(error, match=match):
        moe(X)


def test_overflow_is_refused_not_nan():
    big = np.full((2, 3), 1e300)
    with pytest.raises(ValueError, match="gate logits .* overflowed .* too large"):
        make(gate_W=big)(np.full((3, 2), 1e300))
    huge_expert = (np.full((4, 3), 1e300), b4)
    moe = make(experts=[huge_expert, huge_expert])
    with pytest.raises(ValueError, match="chosen expert's W·x \\+ b overflowed.*token 0"):
        moe(np.full((3, 1), 1e10))


def test_the_steps_number_format_is_what_allclose_says():
    from dlviz._format import whole

    rng = np.random.default_rng(0)
    cases = [
        np.zeros(0), np.array([1.0, 2.0]), np.array([1.0 + 1e-10]), np.array([1.0 + 2e-9]),
        np.array([0.5, 1.5]) * 10, np.array([np.inf, 1.0]), np.array([np.nan]),
        rng.normal(size=(4, 5)), np.round(rng.normal(size=(3, 3)) * 10),
    ]  # fmt: skip
    for values in cases:
        for atol in (1e-9, 1e-8):
            expected = np.allclose(values, np.round(values), rtol=0, atol=atol)
            assert whole(values, atol) == expected, (values, atol)
