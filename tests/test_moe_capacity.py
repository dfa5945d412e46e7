"""Capacity, dropped slots and the load-balancing loss (issue 17), and the docstring's doctest.

The worked example is the notebook's by-hand batch: the sheet's gate and experts, four
tokens X1 = [2, 1, 3], X2 = [3, 1, 2], X3 = [1, 2, 2], X4 = [0, 2, 1], capacity factor 1.
"""

from __future__ import annotations

import doctest
import math
from decimal import Decimal

import numpy as np
import pytest

import dlviz.moe
import dlviz.moe_capacity
from dlviz.examples import moe_exercise
from dlviz.moe import MixtureOfExperts

BATCH = np.array([[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]])  # (3, 4): X1 … X4 as columns


def sheet_moe(**kwargs) -> MixtureOfExperts:
    ex = moe_exercise()
    return MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], **kwargs)


# --- the docstrings' examples run as part of the suite (issue 12) -----------------------------


@pytest.mark.parametrize("module", [dlviz.moe, dlviz.moe_capacity])
def test_docstring_examples(module):
    failed, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failed == 0
    if module is dlviz.moe:
        assert tried >= 10  # the sheet's worked numbers and the capacity example


# --- the worked example, by hand -------------------------------------------------------------


def test_worked_example_capacity_and_the_dropped_token():
    r = sheet_moe(capacity_factor=1)(BATCH)
    # logits: expert 1 scores a + b, expert 2 scores b + c
    np.testing.assert_array_equal(r.gate_logits, [[3, 4, 3, 2], [4, 3, 4, 3]])
    np.testing.assert_array_equal(r.chosen, [[1, 0, 1, 1]])  # experts 2, 1, 2, 2
    assert r.capacity == 2  # floor(1 · 1 · 4 / 2)
    # expert 2 serves X1 and X3, then is full: X4 is dropped
    np.testing.assert_array_equal(r.dropped, [[False, False, False, True]])
    np.testing.assert_array_equal(r.tokens_per_expert, [1, 3])
    np.testing.assert_array_equal(r.kept_per_expert, [1, 2])
    np.testing.assert_array_equal(r.output[:, 3], [0, 0, 0, 0])
    # the others keep the sheet's outputs; X3 = [1, 2, 2] through expert 2
    np.testing.assert_array_equal(r.output[:, :2], [[4, 5], [3, 4], [1, 2], [5, 0]])
    np.testing.assert_array_equal(r.output[:, 2], [4, 3, 0, 3])  # ReLU of [4, 3, -1, 3]


def test_worked_example_loss_by_hand():
    r = sheet_moe(capacity_factor=1)(BATCH)
    p = 1 / (1 + math.exp(-1))  # every token's gap is 1: probabilities 0.731 and 0.269
    q = 1 - p
    np.testing.assert_allclose(r.load_fraction, [1 / 4, 3 / 4])
    np.testing.assert_allclose(r.mean_gate_probs, [(3 * q + p) / 4, (3 * p + q) / 4])
    expected = 2 * (1 / 4 * (3 * q + p) / 4 + 3 / 4 * (3 * p + q) / 4)
    assert r.aux_loss == pytest.approx(expected, rel=1e-12)
    assert r.aux_loss == pytest.approx(1.1155, abs=5e-5)


def test_sheet_is_balanced_and_nothing_is_dropped():
    ex = moe_exercise()
    r = sheet_moe(capacity_factor=1)(ex["X"])
    assert r.capacity == 1
    assert not r.dropped.any()
    assert r.aux_loss == pytest.approx(1.0)
    np.testing.assert_array_equal(r.output, sheet_moe()(ex["X"]).output)


def test_without_a_factor_nothing_is_dropped():
    r = sheet_moe()(BATCH)
    assert r.capacity is None and r.capacity_factor is None
    assert r.dropped.shape == (1, 4) and not r.dropped.any()
    np.testing.assert_array_equal(r.kept_per_expert, r.tokens_per_expert)
    np.testing.assert_array_equal(r.output[:, 3], [3, 2, 0, 1])  # X4 served by expert 2


def test_capacity_zero_drops_everything():
    r = sheet_moe(capacity_factor=0.4)(BATCH)  # floor(0.4 · 4 / 2) = 0
    assert r.capacity == 0
    assert r.dropped.all()
    np.testing.assert_array_equal(r.output, np.zeros((4, 4)))
    np.testing.assert_array_equal(r.kept_per_expert, [0, 0])
    np.testing.assert_array_equal(r.tokens_per_expert, [1, 3])  # still what was routed


def test_second_choices_come_after_all_first_choices():
    # top-2 with two experts at factor 0.5: 2 slots each. First choices 2, 1, 2, 2 fill
    # expert 2 with X1, X3 and drop X4; expert 1 takes X2's first choice and then X1's
    # second choice; every other second choice is dropped.
    r = sheet_moe(top_k=2, capacity_factor=0.5)(BATCH)
    assert r.capacity == 2
    np.testing.assert_array_equal(r.chosen, [[1, 0, 1, 1], [0, 1, 0, 0]])
    np.testing.assert_array_equal(
        r.dropped, [[False, False, False, True], [False, True, True, True]]
    )
    # X1 keeps both experts with its unrenormalised weights 0.731 and 0.269
    both = sheet_moe(top_k=2)(BATCH)
    np.testing.assert_allclose(r.output[:, 0], both.output[:, 0])
    # X3 keeps only its first choice, weighted 0.731, not renormalised to 1
    np.testing.assert_allclose(r.output[:, 2], r.gate_weights[0, 2] * np.array([4, 3, 0, 3]))
    assert r.gate_weights[0, 2] == pytest.approx(0.731, abs=1e-3)


def test_capacity_is_computed_on_the_factor_as_written():
    # 0.29 · 100 is 28.999999999999996 in floats; the factor as written gives 29
    moe = MixtureOfExperts(np.zeros((1, 1)), [0], [(np.ones((1, 1)), [0])], capacity_factor=0.29)
    assert moe(np.ones((1, 100))).capacity == 29
    assert moe.with_capacity_factor(1.1)(np.ones((1, 10))).capacity == 11


def test_with_top_k_keeps_the_factor_and_with_capacity_factor_keeps_top_k():
    moe = sheet_moe(capacity_factor=1.25)
    assert moe.with_top_k(2).capacity_factor == 1.25
    other = moe.with_top_k(2).with_capacity_factor(None)
    assert other.top_k == 2 and other.capacity_factor is None
    assert "capacity_factor=1.25" in repr(moe)
    with pytest.raises(AttributeError, match="with_capacity_factor"):
        moe.capacity_factor = 2.0


# --- an independent reference: plain loops, one slot at a time ---------------------------------


def reference(gate_W, gate_b, experts, X, top_k, factor):
    """Route token by token with Python lists and dicts; serve slots in order, counting."""
    n_experts, n_tokens = len(experts), len(X[0])
    ranking, probs, weights = [], [], []
    for t in range(n_tokens):
        x = [row[t] for row in X]
        logits = [
            sum(w * v for w, v in zip(gate_W[e], x, strict=True)) + gate_b[e]
            for e in range(n_experts)
        ]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        probs.append([v / sum(exps) for v in exps])
        best = sorted(range(n_experts), key=lambda e: (-logits[e], e))[:top_k]
        ranking.append(best)
        kept = [math.exp(logits[e] - top) for e in best]
        weights.append([v / sum(kept) for v in kept])
    capacity = None
    if factor is not None:
        capacity = int((Decimal(str(factor)) * top_k * n_tokens / n_experts).to_integral_value(
            rounding="ROUND_FLOOR"))  # fmt: skip
    served = dict.fromkeys(range(n_experts), 0)
    dropped = [[False] * n_tokens for _ in range(top_k)]
    for rank in range(top_k):
        for t in range(n_tokens):
            e = ranking[t][rank]
            if capacity is not None and served[e] >= capacity:
                dropped[rank][t] = True
            else:
                served[e] += 1
    out_dim = len(experts[0][1])
    output = [[0.0] * n_tokens for _ in range(out_dim)]
    for t in range(n_tokens):
        x = [row[t] for row in X]
        for rank in range(top_k):
            if dropped[rank][t]:
                continue
            W, b = experts[ranking[t][rank]]
            for o in range(out_dim):
                h = sum(w * v for w, v in zip(W[o], x, strict=True)) + b[o]
                output[o][t] += weights[t][rank] * max(h, 0.0)
    firsts = [ranking[t][0] for t in range(n_tokens)]
    loss = n_experts * sum(
        (firsts.count(e) / n_tokens) * (sum(probs[t][e] for t in range(n_tokens)) / n_tokens)
        for e in range(n_experts)
    )
    return capacity, dropped, output, loss, [served[e] for e in range(n_experts)]


@pytest.mark.parametrize("seed", range(12))
def test_matches_a_plain_loops_reference_on_random_batches(seed):
    rng = np.random.default_rng(seed)
    n_experts = int(rng.integers(2, 7))
    in_dim, out_dim = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    n_tokens = int(rng.integers(1, 30))
    gate_W = rng.normal(size=(n_experts, in_dim)).tolist()
    gate_b = rng.normal(size=n_experts).tolist()
    experts = [
        (rng.normal(size=(out_dim, in_dim)).tolist(), rng.normal(size=out_dim).tolist())
        for _ in range(n_experts)
    ]
    X = rng.normal(size=(in_dim, n_tokens)).tolist()
    for top_k in range(1, min(3, n_experts) + 1):
        for factor in (None, 0.0, 0.3, 0.5, 1.0, 1.25, 2.0):
            moe = MixtureOfExperts(gate_W, gate_b, experts, top_k=top_k, capacity_factor=factor)
            r = moe(X)
            capacity, dropped, output, loss, kept = reference(
                gate_W, gate_b, experts, X, top_k, factor
            )
            where = f"top_k={top_k}, factor={factor}"
            assert r.capacity == capacity, where
            np.testing.assert_array_equal(r.dropped, dropped, err_msg=where)
            np.testing.assert_allclose(r.output, output, rtol=1e-9, atol=1e-12, err_msg=where)
            assert r.aux_loss == pytest.approx(loss, rel=1e-9), where
            np.testing.assert_array_equal(r.kept_per_expert, kept, err_msg=where)
            if capacity is not None:
                assert (r.kept_per_expert <= capacity).all(), where


def test_an_expert_serves_exactly_min_of_routed_and_capacity():
    rng = np.random.default_rng(7)
    moe = MixtureOfExperts(
        rng.normal(size=(8, 3)), np.zeros(8), [(rng.normal(size=(4, 3)), np.zeros(4))] * 8,
        top_k=2, capacity_factor=1.0,
    )  # fmt: skip
    r = moe(rng.normal(size=(3, 66)))
    np.testing.assert_array_equal(r.kept_per_expert, np.minimum(r.tokens_per_expert, r.capacity))
    assert r.dropped.sum() == (r.tokens_per_expert - r.kept_per_expert).sum()
    assert 0 < r.aux_loss <= 8


def test_one_expert_taking_everything_gives_the_largest_loss():
    # a gate that always picks expert 1 with probability ≈ 1: loss ≈ n_experts
    gate_W = np.zeros((4, 1))
    gate_b = np.array([50.0, 0, 0, 0])
    experts = [(np.ones((1, 1)), np.zeros(1))] * 4
    r = MixtureOfExperts(gate_W, gate_b, experts)(np.ones((1, 10)))
    assert r.aux_loss == pytest.approx(4.0)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "error", "match"),
    [
        (-0.5, ValueError, r"capacity_factor must be 0 or more .* got -0\.5"),
        (float("nan"), ValueError, "capacity_factor is NaN"),
        (float("inf"), ValueError, "capacity_factor is inf: give a finite number"),
        (float("-inf"), ValueError, "capacity_factor is -inf"),
        (True, TypeError, "capacity_factor must be a number .* got True"),
        (np.bool_(False), TypeError, "capacity_factor must be a number .* got False"),
        ("1.25", TypeError, "capacity_factor must be a number .* got the text '1.25'"),
        ([1.0], TypeError, r"capacity_factor must be a number .* got list \[1\.0\]"),
        (1 + 2j, TypeError, "capacity_factor must be a number .* got complex"),
    ],
)
def test_bad_capacity_factor_is_refused(factor, error, match):
    with pytest.raises(error, match=match):
        sheet_moe(capacity_factor=factor)
    with pytest.raises(error, match=match):
        sheet_moe().with_capacity_factor(factor)


def test_numpy_and_whole_number_factors_are_accepted():
    assert sheet_moe(capacity_factor=np.float32(1.25)).capacity_factor == 1.25
    assert sheet_moe(capacity_factor=np.int64(2))(BATCH).capacity == 4
    assert sheet_moe(capacity_factor=0)(BATCH).dropped.all()


def test_result_arrays_are_read_only():
    r = sheet_moe(capacity_factor=1)(BATCH)
    for name in ("dropped", "kept_per_expert", "load_fraction", "mean_gate_probs"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(r, name)[0] = 0
