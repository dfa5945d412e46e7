"""The shared numerics: the column softmax and the non-finite refusal (dlviz._numerics)."""

import math

import numpy as np
import pytest

from dlviz._numerics import first_nonfinite, refuse_nonfinite, softmax_columns


def softmax_by_loop(column, keep):
    """One column's softmax with math.exp, entry by entry, via log-sum-exp: an oracle."""
    kept = [v for v, k in zip(column, keep, strict=True) if k]
    top = max(kept)
    log_total = top + math.log(math.fsum(math.exp(v - top) for v in kept))
    return [math.exp(v - log_total) if k else 0.0 for v, k in zip(column, keep, strict=True)]


@pytest.mark.parametrize("seed", range(5))
def test_softmax_columns_matches_a_loop_with_and_without_a_mask(seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(scale=20, size=(5, 4))  # (rows, columns)
    mask = rng.random((5, 4)) < 0.7
    mask[rng.integers(0, 5, size=4), np.arange(4)] = True  # every column keeps one entry
    for m in (None, mask):
        got = softmax_columns(values, m)
        keep = np.ones_like(values, dtype=bool) if m is None else m
        for j in range(values.shape[1]):
            want = softmax_by_loop(values[:, j], keep[:, j])
            np.testing.assert_allclose(got.weights[:, j], want, rtol=1e-12, atol=1e-300)
            assert got.shift[j] == pytest.approx(values[keep[:, j], j].max())
        np.testing.assert_allclose(got.weights.sum(axis=0), 1.0)
        np.testing.assert_allclose(got.exp / got.sums, got.weights)
        assert (got.sums >= 1.0).all()  # the column's maximum contributes e⁰
        assert (got.weights[~keep] == 0.0).all()


def test_softmax_columns_is_finite_for_huge_gaps():
    values = np.array([[1e308, 0.0], [-1e308, 5.0]])  # (2, 2): a gap past float64
    got = softmax_columns(values)
    assert np.isfinite(got.weights).all()
    np.testing.assert_allclose(got.weights, [[1.0, math.exp(-5) / (1 + math.exp(-5))],
                                             [0.0, 1 / (1 + math.exp(-5))]])  # fmt: skip


def test_first_nonfinite_finds_the_first_in_reading_order():
    values = np.zeros((3, 4))
    assert first_nonfinite(values) is None
    values[2, 0], values[1, 3] = np.nan, np.inf
    assert first_nonfinite(values) == (1, 3)


def test_refuse_nonfinite_words_the_message_with_the_index():
    values = np.array([1.0, 2.0, -np.inf])
    refuse_nonfinite(values[:2], lambda where: "never called")
    with pytest.raises(ValueError, match=r"entry \(2,\) is -inf"):
        refuse_nonfinite(values, lambda where: f"entry {where} is {values[where]}")
