"""dlviz.attention: the sheet's numbers, properties, independent references, bad input."""

import doctest
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlviz import self_attention
from dlviz.attention import HAND_MAX_EXPONENT, AttentionResult

EXERCISE = "attention"  # what the `ex` fixture (conftest.py) gives

# Values of the by-hand sheet, shared/exercises.md, exercise 1.
SHEET = {
    "Q": [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]],
    "K": [[0, 2, 1, 0], [0, 1, 0, 0], [1, 0, -1, 1]],
    "V": [[20, 0, 0, 20], [0, 0, 10, 10], [0, 10, 0, 0]],
    "scores": [[3, 2, 2, 1], [4, 3, 1, 5], [-1, -1, -2, 1], [3, 2, 2, 1]],
    "scaled": [[1, 1, 1, 0], [2, 1, 0, 2], [0, 0, -1, 0], [1, 1, 1, 0]],
    "exp": [[3, 3, 3, 1], [9, 3, 1, 9], [1, 1, 0, 1], [3, 3, 3, 1]],
    "sums": [16, 10, 7, 12],
    "weights": [[0.2, 0.3, 0.4, 0.1], [0.6, 0.3, 0.1, 0.8],
                [0.1, 0.1, 0.0, 0.1], [0.2, 0.3, 0.4, 0.1]],
    "output": [[8, 12, 16, 4], [3, 4, 4, 2], [6, 3, 1, 8]],
}  # fmt: skip


@pytest.mark.parametrize("field", list(SHEET))
def test_by_hand_reproduces_every_step_of_the_sheet(ex, field):
    result = self_attention(**ex, mode="hand")
    np.testing.assert_allclose(getattr(result, field), SHEET[field], atol=1e-12)


def test_by_hand_columns_sum_to_1_1_and_0_9_as_on_the_sheet(ex):
    result = self_attention(**ex, mode="hand")
    np.testing.assert_allclose(result.weights.sum(axis=0), [1.1, 1.0, 0.9, 1.1], atol=1e-12)


def test_exact_path_matches_the_published_exact_values(ex):
    # Values of shared/exercises.md, exercise 1, "Exact", computed independently.
    result = self_attention(**ex, mode="exact")
    np.testing.assert_allclose(result.weights[:, 0], [0.258, 0.459, 0.026, 0.258], atol=5e-4)
    expected_Z = [[10.31, 10.11, 15.03, 3.06], [2.83, 2.97, 4.13, 1.53], [4.59, 4.50, 2.11, 7.70]]
    np.testing.assert_allclose(result.output, expected_Z, atol=5e-3)
    assert result.divisor == pytest.approx(math.sqrt(3))


def test_default_mode_is_exact(ex):
    assert self_attention(**ex).mode == "exact"


def _random_inputs(rng, n=5, d_model=7, d_k=4, d_v=3, scale=1.0):
    return dict(
        X=rng.normal(size=(d_model, n)) * scale,
        WQ=rng.normal(size=(d_k, d_model)),
        WK=rng.normal(size=(d_k, d_model)),
        WV=rng.normal(size=(d_v, d_model)),
    )


def _reference_rows(X, WQ, WK, WV, causal=False, temperature=1.0):
    """Independent reference: the row convention of papers, with plain Python loops."""
    Xr = [list(col) for col in np.asarray(X, float).T]  # one row per token
    n = len(Xr)

    def project(W, x):
        return [sum(w * v for w, v in zip(row, x, strict=True)) for row in np.asarray(W, float)]

    Qr = [project(WQ, x) for x in Xr]
    Kr = [project(WK, x) for x in Xr]
    Vr = [project(WV, x) for x in Xr]
    d_k = len(Qr[0])
    weights = []  # weights[query][key]
    out = []
    for j in range(n):
        visible = [i for i in range(n) if not causal or i <= j]
        logits = {
            i: sum(a * b for a, b in zip(Qr[j], Kr[i], strict=True)) / math.sqrt(d_k) / temperature
            for i in visible
        }
        top = max(logits.values())
        e = {i: math.exp(v - top) for i, v in logits.items()}
        total = sum(e.values())
        w = [e.get(i, 0.0) / total for i in range(n)]
        weights.append(w)
        out.append([sum(w[i] * Vr[i][c] for i in range(n)) for c in range(len(Vr[0]))])
    return np.array(weights), np.array(out)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("causal", [False, True])
def test_exact_path_matches_an_independent_row_convention_reference(seed, causal):
    rng = np.random.default_rng(seed)
    inputs = _random_inputs(rng, n=int(rng.integers(1, 7)))
    temperature = float(rng.uniform(0.3, 3.0))
    result = self_attention(**inputs, causal=causal, temperature=temperature)
    weights_r, out_r = _reference_rows(**inputs, causal=causal, temperature=temperature)
    np.testing.assert_allclose(result.weights, weights_r.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.output, out_r.T, rtol=1e-10, atol=1e-12)


def _reference_hand(X, WQ, WK, WV):
    """Independent reference of the sheet's rules: loops, int() truncation, exact fractions."""
    X, WQ, WK, WV = (np.asarray(m, dtype=int).tolist() for m in (X, WQ, WK, WV))
    n = len(X[0])

    def mat(W, j):
        return [sum(W[r][f] * X[f][j] for f in range(len(X))) for r in range(len(W))]

    Q = [mat(WQ, j) for j in range(n)]
    K = [mat(WK, j) for j in range(n)]
    V = [mat(WV, j) for j in range(n)]
    divisor = round(math.sqrt(len(Q[0])))
    A = [[None] * n for _ in range(n)]
    for j in range(n):
        # int() of a Fraction truncates toward zero, as the sheet does.
        powers = [
            round(
                3.0 ** int(Fraction(sum(a * b for a, b in zip(K[i], Q[j], strict=True)), divisor))
            )
            for i in range(n)
        ]
        total = sum(powers)
        for i in range(n):
            A[i][j] = math.floor(Fraction(powers[i], total) * 10 + Fraction(1, 2)) / 10
    Z = [[sum(V[i][c] * A[i][j] for i in range(n)) for j in range(n)] for c in range(len(V[0]))]
    return np.array(A, float), np.array(Z, float)


def test_by_hand_path_matches_an_independent_loop_reference():
    compared = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        n, d_model = int(rng.integers(2, 6)), int(rng.integers(2, 5))
        inputs = dict(  # small entries: scores stay below the 3^33 limit of the by-hand path
            X=rng.integers(-1, 2, size=(d_model, n)),
            WQ=rng.integers(-1, 2, size=(3, d_model)),
            WK=rng.integers(-1, 2, size=(3, d_model)),
            WV=rng.integers(-3, 4, size=(2, d_model)),
        )
        try:
            result = self_attention(**inputs, mode="hand")
        except ValueError as exc:  # a column whose powers all round to 0 (tested below)
            assert "every rounded" in str(exc)
            continue
        A, Z = _reference_hand(**inputs)
        np.testing.assert_allclose(result.weights, A, atol=1e-12)
        np.testing.assert_allclose(result.output, Z, atol=1e-9)
        compared += 1
    assert compared >= 30


def test_by_hand_rounds_halves_up_like_a_person():
    # One query, two keys with scores 3·... chosen so that exp = [3, 1]: 3/4 = 0.75 → 0.8,
    # 1/4 = 0.25 → 0.3 (half up), where round-half-to-even would give 0.2.
    X = np.eye(2)
    WQ = np.array([[1.0, 1.0]])
    WK = np.array([[2.0, 0.0]])  # scores k1·q = 2 → 2, k2·q = 0 → 0; /1 → 3², 3⁰ = 9, 1
    WV = np.eye(2)
    result = self_attention(X, WQ, WK, WV, mode="hand")
    assert result.divisor == 1
    np.testing.assert_allclose(result.exp[:, 0], [9, 1])
    np.testing.assert_allclose(result.weights[:, 0], [0.9, 0.1])
    WK = np.array([[1.0, 0.0]])  # exp = [3, 1]: shares 0.75 and 0.25
    result = self_attention(X, WQ, WK, WV, mode="hand")
    np.testing.assert_allclose(result.weights[:, 0], [0.8, 0.3])


@pytest.mark.parametrize("seed", range(5))
def test_exact_columns_sum_to_one_even_for_huge_scores(seed):
    rng = np.random.default_rng(seed)
    inputs = _random_inputs(rng, scale=10.0 ** (20 * seed))  # scores up to ~1e160
    result = self_attention(**inputs)
    assert np.isfinite(result.weights).all() and np.isfinite(result.output).all()
    np.testing.assert_allclose(result.weights.sum(axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("mode", ["hand", "exact"])
def test_permuting_tokens_permutes_the_outputs(mode):
    rng = np.random.default_rng(7)
    inputs = dict(
        X=rng.integers(-2, 3, size=(6, 5)),
        WQ=rng.integers(-1, 2, size=(3, 6)),
        WK=rng.integers(-1, 2, size=(3, 6)),
        WV=rng.integers(-3, 4, size=(3, 6)),
    )
    perm = np.array([3, 0, 4, 1, 2])
    base = self_attention(**inputs, mode=mode)
    moved = self_attention(**{**inputs, "X": inputs["X"][:, perm]}, mode=mode)
    np.testing.assert_allclose(moved.output, base.output[:, perm], atol=1e-12)
    np.testing.assert_allclose(moved.weights, base.weights[np.ix_(perm, perm)], atol=1e-12)


def test_causal_query_sees_only_earlier_keys(ex):
    result = self_attention(**ex, causal=True)
    assert not result.weights[np.triu_indices(4, k=1)[::-1]].any()  # keys after the query
    np.testing.assert_allclose(result.weights[0, 0], 1.0)
    np.testing.assert_allclose(result.output[:, 0], result.V[:, 0])
    np.testing.assert_allclose(result.weights.sum(axis=0), 1.0)
    assert result.mask.tolist() == np.triu(np.ones((4, 4), bool)).tolist()


def test_temperature_flattens_and_sharpens(ex):
    cold = self_attention(**ex, temperature=0.05)
    hot = self_attention(**ex, temperature=1000).weights
    # Cold: all the weight on the best keys, shared equally among ties (k1 = k4 here).
    best = cold.scores == cold.scores.max(axis=0)
    np.testing.assert_allclose(cold.weights, best / best.sum(axis=0), atol=1e-4)
    np.testing.assert_allclose(hot, 0.25, atol=1e-3)


def test_result_is_frozen_and_read_only(ex):
    result = self_attention(**ex)
    with pytest.raises(ValueError, match="read-only"):
        result.weights[0, 0] = 5
    with pytest.raises(AttributeError, match="cannot assign"):
        result.mode = "hand"  # type: ignore[misc]
    ex["X"][0, 0] = 99  # the caller's array is copied, not kept
    assert result.X[0, 0] == 2
    assert isinstance(result, AttentionResult) and result.d_k == 3 and result.n_tokens == 4


def test_no_negative_zero_in_by_hand_scaled(ex):
    scaled = self_attention(**ex, mode="hand").scaled
    assert not np.signbit(scaled[scaled == 0]).any()


# --- bad input --------------------------------------------------------------------


def _with(ex, **changes):
    return {**ex, **changes}


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"WQ": np.ones((3, 5))}, ValueError, r"WQ is 3×5 but X is 6×4.*\(3×6\)"),
        ({"WV": np.ones((3, 7))}, ValueError, r"WV is 3×7 but X is 6×4"),
        ({"WK": np.ones((2, 6))}, ValueError, r"WQ is 3×6 and WK is 2×6.*same size d_k"),
        ({"X": np.ones(6)}, ValueError, r"X must be a matrix.*got shape 6 \(1-D\)"),
        ({"X": np.ones((6, 0))}, ValueError, r"X is empty \(shape 6×0\)"),
        ({"X": [[1, 2], [3]]}, ValueError, r"X has rows of different lengths"),
        ({"X": "hello"}, TypeError, r"X must be numbers, got the text 'hello'"),
        ({"WQ": [[1, "a", 0, 0, 0, 0]] * 3}, TypeError, r"WQ must hold numbers only, found 'a'"),
        ({"X": np.ones((6, 4), bool)}, TypeError, r"X must hold numbers, got booleans"),
        ({"X": None}, TypeError, r"X must be numbers, got None"),
    ],
)
def test_bad_inputs_are_refused_with_the_shapes_and_values(ex, changes, error, message):
    with pytest.raises(error, match=message):
        self_attention(**_with(ex, **changes))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused_naming_the_entry(ex, bad):
    X = ex["X"].astype(float)
    X[2, 3] = bad
    with pytest.raises(ValueError, match=r"X\[2, 3\] is .*finite number"):
        self_attention(**_with(ex, X=X))


def test_unknown_mode_lists_the_modes(ex):
    with pytest.raises(ValueError, match=r"mode must be one of 'hand', 'exact'; got 'approx'"):
        self_attention(**ex, mode="approx")


def test_causal_must_be_a_bool(ex):
    with pytest.raises(TypeError, match=r"causal must be True or False, got 'yes'"):
        self_attention(**ex, causal="yes")


@pytest.mark.parametrize("temperature", [0, -1, np.nan, np.inf])
def test_temperature_must_be_positive_and_finite(ex, temperature):
    with pytest.raises(ValueError, match=r"temperature must be a finite number above 0"):
        self_attention(**ex, temperature=temperature)


def test_temperature_by_hand_is_refused(ex):
    with pytest.raises(ValueError, match=r"by-hand rules have no temperature.*got 2"):
        self_attention(**ex, mode="hand", temperature=2)


def test_by_hand_column_of_zeros_is_explained(ex):
    WQ = ex["WQ"].copy()
    WQ[:, 0] = [-5, 0, -5]  # every scaled score of query 1 is -1 or lower
    with pytest.raises(ValueError, match=r"every rounded 3ˣ in column q1 is 0 .*-3, -10, -1, -3"):
        self_attention(**_with(ex, WQ=WQ), mode="hand")
    assert np.isfinite(self_attention(**_with(ex, WQ=WQ), mode="exact").weights).all()


def test_by_hand_exponent_too_large_is_explained(ex):
    X = ex["X"].copy()
    X[1, 0] = 9
    with pytest.raises(ValueError, match=r"scaled score 42 \(key 1, query 1\) is too large"):
        self_attention(**_with(ex, X=X), mode="hand")


def test_by_hand_column_sum_past_2_53_is_refused():
    # 3^33 + 3^33 + 1 is past 2^53: each power is exact, their float sum would be one off.
    with pytest.raises(ValueError, match=r"sum of column q1's rounded 3ˣ .* past 2\^53"):
        self_attention([[1.0, 1.0, 0.0]], [[33.0]], [[1.0]], [[1.0]], mode="hand")
    exact = self_attention([[1.0, 1.0, 0.0]], [[33.0]], [[1.0]], [[1.0]], mode="exact")
    np.testing.assert_allclose(exact.weights.sum(axis=0), 1.0, rtol=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-3, HAND_MAX_EXPONENT), min_size=1, max_size=6))
def test_by_hand_is_exact_or_refused_up_to_the_limits(exponents):
    # One query whose scaled scores are `exponents` (d_k = 1, so the divisor is 1):
    # the sheet's rules in exact integers, or a refusal that says why.
    n = len(exponents)
    X, WQ, WK = np.eye(n), np.ones((1, n)), np.array([exponents], dtype=float)
    powers = [3**e if e >= 0 else round(3.0**e) for e in exponents]  # 3⁻¹ ≈ 0
    total = sum(powers)
    if total >= 2**53:
        with pytest.raises(ValueError, match=r"past 2\^53"):
            self_attention(X, WQ, WK, np.eye(n), mode="hand")
        return
    if total == 0:
        with pytest.raises(ValueError, match=r"every rounded 3ˣ"):
            self_attention(X, WQ, WK, np.eye(n), mode="hand")
        return
    result = self_attention(X, WQ, WK, np.eye(n), mode="hand")
    assert result.sums[0] == total  # whole numbers below 2^53: exact
    expected = [math.floor(Fraction(p, total) * 10 + Fraction(1, 2)) / 10 for p in powers]
    np.testing.assert_allclose(result.weights[:, 0], expected, atol=1e-15)


def test_the_sheets_numbers_in_the_docstring_run():
    # The worked example of shared/exercises.md, exercise 1, as doctests of self_attention.
    import dlviz.attention

    failures, tried = doctest.testmod(dlviz.attention, optionflags=doctest.ELLIPSIS)
    assert tried >= 10
    assert failures == 0


def test_overflow_is_reported_not_returned(ex):
    with pytest.raises(ValueError, match=r"scores overflowed"):
        self_attention(**_with(ex, X=ex["X"] * 1e200))
