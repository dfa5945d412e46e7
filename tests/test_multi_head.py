"""dlviz.multi_head: several heads and positions — worked numbers, references, properties."""

import math

import numpy as np
import pytest

from dlviz import examples, multi_head_attention, positional_encoding, self_attention
from dlviz.multi_head import MultiHeadResult

# Head 2 of examples.multi_head_exercise(), by the sheet's rules, worked with a pencil:
# scores = K₂ᵀ·Q₂, ÷ 2 toward zero, 3ˣ rounded, column sums, ÷ sum to one decimal.
HEAD2 = {
    "scores": [[0, 0, -2, 0], [0, 0, 0, 0], [2, -2, -1, 2], [0, -2, -3, 0]],
    "exp": [[1, 1, 0, 1], [1, 1, 1, 1], [3, 0, 1, 3], [1, 0, 0, 1]],
    "sums": [6, 2, 2, 6],
    "weights": [[0.2, 0.5, 0.0, 0.2], [0.2, 0.5, 0.5, 0.2],
                [0.5, 0.0, 0.5, 0.5], [0.2, 0.0, 0.0, 0.2]],
    "output": [[9, 10, 15, 9], [4, 10, 0, 4], [9, 5, 5, 9]],
}  # fmt: skip
SHEET_Z = [[8, 12, 16, 4], [3, 4, 4, 2], [6, 3, 1, 8]]  # shared/exercises.md, exercise 1


@pytest.fixture
def two():
    return examples.multi_head_exercise()


def test_two_heads_by_hand_worked_numbers(two):
    r = multi_head_attention(**two, heads=2, mode="hand")
    assert isinstance(r, MultiHeadResult) and r.n_heads == 2 and r.d_k == 3 and r.d_v == 3
    np.testing.assert_allclose(r.heads[0].output, SHEET_Z, atol=1e-9)  # head 1 is the sheet
    for name, expected in HEAD2.items():
        np.testing.assert_allclose(getattr(r.heads[1], name), expected, atol=1e-9)
    np.testing.assert_allclose(r.concat, np.vstack([SHEET_Z, HEAD2["output"]]), atol=1e-9)
    # WO = [I | I]: the output is Z₁ + Z₂
    np.testing.assert_allclose(
        r.output, [[17, 22, 31, 13], [7, 14, 4, 6], [15, 8, 6, 17]], atol=1e-9
    )


def test_each_head_is_self_attention_on_its_rows(two):
    for mode in ("hand", "exact"):
        r = multi_head_attention(**two, heads=2, mode=mode, causal=True)
        for h, head in enumerate(r.heads):
            rows = slice(3 * h, 3 * h + 3)
            alone = self_attention(
                two["X"], two["WQ"][rows], two["WK"][rows], two["WV"][rows],
                mode=mode, causal=True,
            )  # fmt: skip
            np.testing.assert_allclose(head.weights, alone.weights, atol=1e-12)
            assert head.mode == mode and head.causal


def test_one_head_is_self_attention(two):
    ex = examples.attention_exercise()
    r = multi_head_attention(**ex, WO=np.eye(3), heads=1, mode="hand")
    np.testing.assert_allclose(r.output, SHEET_Z, atol=1e-9)


def _reference_rows(X, WQ, WK, WV, WO, heads, causal, temperature):
    """Independent reference: tokens as rows, every sum a plain Python loop."""
    Xr = np.asarray(X, float).T.tolist()  # (n, d_model)
    n = len(Xr)
    d_k, d_v = len(WQ) // heads, len(WV) // heads

    def dot(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    concat = [[] for _ in range(n)]  # (n, heads·d_v), filled head by head
    for h in range(heads):
        q = [[dot(WQ[h * d_k + c], x) for c in range(d_k)] for x in Xr]
        k = [[dot(WK[h * d_k + c], x) for c in range(d_k)] for x in Xr]
        v = [[dot(WV[h * d_v + c], x) for c in range(d_v)] for x in Xr]
        for t in range(n):
            seen = range(t + 1) if causal else range(n)
            logits = [dot(q[t], k[s]) / math.sqrt(d_k) / temperature for s in seen]
            top = max(logits)
            e = [math.exp(z - top) for z in logits]
            w = [x / sum(e) for x in e]
            concat[t] += [sum(w[i] * v[s][c] for i, s in enumerate(seen)) for c in range(d_v)]
    return [[dot(row, c) for row in WO] for c in concat]  # (n, d_out)


@pytest.mark.parametrize("seed", range(10))
def test_matches_an_independent_row_convention_reference(seed):
    rng = np.random.default_rng(seed)
    heads, d_k, d_v = (int(x) for x in rng.integers(1, 4, size=3))
    n, d_model, d_out = (int(x) for x in rng.integers(1, 6, size=3))
    W = {
        "X": rng.normal(size=(d_model, n)),
        "WQ": rng.normal(size=(heads * d_k, d_model)),
        "WK": rng.normal(size=(heads * d_k, d_model)),
        "WV": rng.normal(size=(heads * d_v, d_model)),
        "WO": rng.normal(size=(d_out, heads * d_v)),
    }
    causal, temperature = bool(seed % 2), float(rng.uniform(0.5, 2.0))
    r = multi_head_attention(**W, heads=heads, causal=causal, temperature=temperature)
    expected = _reference_rows(
        **{k: v.tolist() for k, v in W.items()}, heads=heads, causal=causal,
        temperature=temperature,
    )  # fmt: skip
    np.testing.assert_allclose(r.output.T, expected, rtol=1e-10, atol=1e-12)
    assert r.concat.shape == (heads * d_v, n) and r.output.shape == (d_out, n)


@pytest.mark.parametrize("causal", [False, True])
def test_equals_pytorch_multihead_attention_without_biases(causal):
    torch = pytest.importorskip("torch")  # an optional oracle: PyTorch itself
    rng = np.random.default_rng(3)
    heads, d_model, n = 2, 6, 5
    WQ, WK, WV, WO = (rng.normal(size=(d_model, d_model)) for _ in range(4))
    X = rng.normal(size=(d_model, n))
    mha = torch.nn.MultiheadAttention(d_model, heads, bias=False, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.vstack([WQ, WK, WV])))
        mha.out_proj.weight.copy_(torch.from_numpy(WO))
        Xr = torch.from_numpy(X.T[None])  # (batch 1, n tokens, d_model): tokens as rows
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool), 1) if causal else None
        out, weights = mha(Xr, Xr, Xr, attn_mask=mask, average_attn_weights=False)
    r = multi_head_attention(X, WQ, WK, WV, WO, heads=heads, causal=causal)
    np.testing.assert_allclose(r.output, out[0].numpy().T, rtol=1e-9, atol=1e-12)
    for h in range(heads):  # torch: (query, key); ours: (key, query)
        np.testing.assert_allclose(r.heads[h].weights, weights[0, h].numpy().T, atol=1e-12)


def test_permuting_tokens_permutes_the_output_columns_and_nothing_else(two):
    perm = [3, 1, 2, 0]  # swap tokens 1 and 4
    for mode in ("hand", "exact"):
        base = multi_head_attention(**two, heads=2, mode=mode)
        moved = multi_head_attention(**{**two, "X": two["X"][:, perm]}, heads=2, mode=mode)
        np.testing.assert_allclose(moved.output, base.output[:, perm], atol=1e-9)
        for a, b in zip(moved.heads, base.heads, strict=True):
            np.testing.assert_allclose(a.weights, b.weights[np.ix_(perm, perm)], atol=1e-12)


def test_positions_break_the_symmetry():
    rng = np.random.default_rng(0)
    W = {k: rng.normal(size=(4, 4)) for k in ("WQ", "WK", "WV", "WO")}
    X = rng.normal(size=(4, 3))
    perm = [1, 0, 2]
    P = positional_encoding(3, 4)
    base = multi_head_attention(X + P, **W, heads=2)
    moved = multi_head_attention(X[:, perm] + P, **W, heads=2)
    assert not np.allclose(moved.output, base.output[:, perm], atol=1e-6)


@pytest.mark.parametrize(("n", "d"), [(1, 1), (4, 6), (7, 5), (50, 16)])
def test_positional_encoding_is_the_sinusoid_formula(n, d):
    P = positional_encoding(n, d)
    assert P.shape == (d, n)
    for p in range(n):
        for i in range(d):
            angle = p / 10000 ** ((i - i % 2) / d)
            expected = math.sin(angle) if i % 2 == 0 else math.cos(angle)
            assert P[i, p] == pytest.approx(expected, abs=1e-12)


def test_positional_encoding_of_position_0_is_sin_0_cos_0():
    np.testing.assert_allclose(positional_encoding(2, 4)[:, 0], [0, 1, 0, 1])


@pytest.mark.parametrize(
    ("changes", "heads", "message"),
    [
        ({}, 4, r"WQ has 6 rows, which 4 heads cannot share equally"),
        ({"WV": np.ones((4, 6))}, 2, r"WO is 3×6 but the concatenated heads have 4 rows"),
        ({"WO": np.ones((3, 5))}, 2, r"WO is 3×5 .* must be \(3×6\)"),
        ({"WK": np.ones((4, 6))}, 2, r"WQ is 6×6 and WK is 4×6"),
        ({"WQ": np.ones((6, 5))}, 2, r"WQ is 6×5 but X is 6×4"),
        ({"WO": [[1, "a"]]}, 2, r"WO must hold numbers only, found 'a'"),
    ],
)
def test_bad_shapes_are_named(two, changes, heads, message):
    with pytest.raises((ValueError, TypeError), match=message):
        multi_head_attention(**{**two, **changes}, heads=heads)


@pytest.mark.parametrize(("heads", "error", "message"), [
    (0, ValueError, r"heads must be at least 1, got 0"),
    (1.5, TypeError, r"heads must be a whole number, got 1.5"),
    (True, TypeError, r"heads must be a whole number, got True"),
])  # fmt: skip
def test_bad_heads_are_named(two, heads, error, message):
    with pytest.raises(error, match=message):
        multi_head_attention(**two, heads=heads)


def test_a_heads_by_hand_refusal_names_the_head(two):
    WQ = two["WQ"].copy()
    WQ[3:] *= 40  # head 2 only: k3 · q1 = 80, ÷ 2 = 40, past the 3^33 limit
    with pytest.raises(ValueError, match=r"^head 2: by hand, scaled score 40 \(key 3, query 1\)"):
        multi_head_attention(**{**two, "WQ": WQ}, heads=2, mode="hand")


def test_shared_argument_errors_name_no_head(two):
    with pytest.raises(ValueError, match=r"^mode must be one of"):
        multi_head_attention(**two, heads=2, mode="pencil")


@pytest.mark.parametrize(("args", "error", "message"), [
    ((0, 4), ValueError, r"n_tokens must be at least 1, got 0"),
    ((3, 0), ValueError, r"d_model must be at least 1, got 0"),
    ((2.5, 4), TypeError, r"n_tokens must be a whole number, got 2.5"),
])  # fmt: skip
def test_positional_encoding_bad_sizes(args, error, message):
    with pytest.raises(error, match=message):
        positional_encoding(*args)


def test_result_is_read_only(two):
    r = multi_head_attention(**two, heads=2)
    with pytest.raises(ValueError, match="read-only"):
        r.concat[0, 0] = 1.0


def test_docstring_examples_run():
    import doctest

    import dlviz.multi_head

    failures, tried = doctest.testmod(dlviz.multi_head)
    assert tried >= 4 and failures == 0


def test_importable_from_dlviz_attention_too():
    from dlviz.attention import multi_head_attention as from_attention

    assert from_attention is multi_head_attention


def test_a_head_checked_alone_is_named_as_that_head(two):
    from dlviz.checking import attention_checks

    head2 = multi_head_attention(**two, heads=2, mode="hand").heads[1]
    named = attention_checks(head2, head=2)
    assert named["scores"].title.startswith("S₂ = K₂ᵀ·Q₂")
    assert [g.name for g in named["scores"].inputs] == ["K₂ᵀ", "Q₂"]
    assert named["weights"].title.startswith("A₂ = ")
    assert named["output"].title == "Z₂ = V₂·A₂, with the rounded weights A₂"
    assert [g.name for g in named["output"].inputs] == ["V₂", "A₂"]
    plain = attention_checks(head2)
    assert plain["scores"].title.startswith("S = Kᵀ·Q") and plain["output"].title.startswith(
        "Z = V·A"
    )
    for key, step in named.items():  # only the names change
        np.testing.assert_array_equal(step.expected, plain[key].expected)
    from dlviz.multi_head_checks import head_checks  # a head's checks use its names

    assert head_checks(multi_head_attention(**two, heads=2, mode="hand"), 2)[
        "scores"
    ].title.startswith("S₂ = K₂ᵀ·Q₂")


def test_the_joining_steps_grade_right_answers_and_name_their_slips(two):
    from dlviz.checking import check
    from dlviz.multi_head_checks import multi_head_checks

    steps = multi_head_checks(multi_head_attention(**two, heads=2, mode="hand"))
    as_text = lambda m: [[f"{v:g}" for v in row] for row in np.asarray(m)]  # noqa: E731
    assert (
        check(steps["concat"], as_text(np.vstack([HEAD2["output"], SHEET_Z])))
        .hints[0]
        .text.startswith("The heads are stacked in the wrong order")
    )
    assert check(steps["concat"], as_text(np.vstack([SHEET_Z, HEAD2["output"]]))).all_right
    verdict = check(steps["multi_output"], as_text(SHEET_Z))  # head 1 alone, through WO's I
    assert verdict.hints[0].text.startswith("Only head 1 was mixed in")
    right = check(steps["multi_output"], as_text(np.add(SHEET_Z, HEAD2["output"])))
    assert right.all_right and not right.hints
