"""Notebook 04 (multi-head attention): every "Try this" carried out, every quoted number recomputed.

How to add a check, and what the suite demands of the prose: see `tests/claims.py`. The
"Try this" items build on each other (item 5 starts where item 4 leaves the explorer), so
each check first carries out the items before it, as a learner working down the list does.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from dlviz import (
    AttentionExplorer,
    examples,
    multi_head_attention,
    positional_encoding,
    self_attention,
)
from dlviz.sheet import labels
from tests.claims import NOTEBOOKS, Claims, ProseTests, cells_by_id, try_this_items

claims = Claims("04")
TWO = examples.multi_head_exercise()
HAND = multi_head_attention(**TWO, heads=2, mode="hand")
EXACT = multi_head_attention(**TWO, heads=2)
SHEET = examples.attention_exercise()
CODE = cells_by_id("04")


def _in_code(cell_id: str, pattern: str) -> tuple[int, ...]:
    """The numbers `pattern` finds in a code cell of the notebook (as the prose quotes them)."""
    found = re.search(pattern, CODE[cell_id])
    assert found, f"{pattern!r} is not in code cell {cell_id}"
    return tuple(int(g) for g in found.groups())


def _sheet(X, mode="exact"):
    return self_attention(X, SHEET["WQ"], SHEET["WK"], SHEET["WV"], mode=mode)


# --- what is not a result ----------------------------------------------------------------

claims.not_computed(r"[Nn]otebook 1\b", "the number of a notebook")
claims.not_computed(r"\b[Hh]ead [12]\b", "a head's name: head 1 is the sheet's, head 2 this one's")
claims.not_computed(r"(?<![\w.])[1-5]\. \*\*", "the introduction's list numbering")
claims.not_computed(
    r"divide by 2 toward zero, \$3\^x\$", "the sheet's rules, stated (notebook 1 checks them)"
)
claims.not_computed(
    r"\(÷2 for ÷√3, 3ˣ for eˣ with 3⁻¹ rounded to 0, weights to one decimal\)",
    "the sheet's rules, named (their effect is the claim after them)",
)
claims.not_computed(r"\(Vaswani et al\., 2017\)", "a citation")
claims.not_computed(
    r"\$\$P_\{2i,\\,p\} = .*?\\big\)\.\$\$",
    "the paper's formula (tests/test_multi_head.py checks positional_encoding against it)",
)
claims.not_computed(r"only keys \$1 \\dots j\$", "the range of keys a causal query sees")
claims.not_computed(
    r"\$d_k\$ = 64 to 128 and dozens of heads per layer \(GPT-3: 96 heads of 128 numbers each\)",
    "sizes from the literature",
)
claims.not_computed(r"\$n\^2\$", "n squared, the growth this section measures")

# --- two heads by hand -------------------------------------------------------------------


def _stacked():
    assert np.array_equal(TWO["WQ"][:3], SHEET["WQ"])  # head 1 is the sheet's head
    assert np.array_equal(HAND.heads[0].output, _sheet(SHEET["X"], "hand").output)
    assert np.array_equal(HAND.heads[1].Q, TWO["WQ"][3:] @ TWO["X"])  # head 2: rows 4-6
    return (*TWO["WQ"].shape, 1, 3, 4, 6)


claims.number(
    r"here \$W_Q\$ is (\d)×(\d) \(heads·\$d_k\$ × features\)\. Rows (1)–(3) are \*\*head 1, "
    r"the sheet's head\*\*, unchanged: its weights and its \$Z\$ are what you computed in "
    r"notebook 1\. Rows (4)–(6) are \*\*head 2\*\*",
    _stacked,
)


def _patterns():
    A1, A2 = HAND.heads[0].weights, HAND.heads[1].weights
    assert A1[:, 0].argmax() == A1[:, 3].argmax() == 1
    assert A2[:, 0].argmax() == A2[:, 3].argmax() == 2
    assert A2[0, 1] == A2[1, 1] == 0.5 and A2[2:, 1].sum() == 0
    return 2, 1, 4, A1[1, 0], A1[1, 3], 3, A2[2, 0], 2, 1, 2


claims.number(
    r"Head 1 gives key (\d) the largest weight for queries (\d) and (\d) \((0\.\d) and "
    r"(0\.\d)\)\. Head 2 gives key (\d) the largest weight for the same two queries "
    r"\((0\.\d) each\), and splits query (\d) evenly between keys (\d) and (\d)\.",
    _patterns,
)


def _wo():
    I3 = np.eye(3)
    assert np.array_equal(TWO["WO"], np.hstack([I3, I3]))
    assert all(h.V.shape[0] == HAND.d_v for h in HAND.heads)  # d_v: the length of a value
    return (HAND.d_v, *HAND.concat.shape, *TWO["WO"].shape, *I3.shape, 1, 0)


claims.number(
    r"Each head returns (\d) numbers per token\. The layer \*\*stacks\*\* them, head 1 on top: "
    r"\$\\text\{concat\}\$ is (\d)×(\d) \(heads·\$d_v\$ × tokens, \$d_v\$ being the length "
    r"of a value vector\)\. Then an output matrix \$W_O\$ \(here (\d)×(\d)\).*?two copies of "
    r"\$I\$, the (\d)×(\d) identity \((\d) on the diagonal, (\d) elsewhere\)",
    _wo,
)


def _adds_the_heads():
    np.testing.assert_allclose(HAND.output, HAND.heads[0].output + HAND.heads[1].output)
    return ()


claims.number(
    r"picks row \$r\$ of head 1 and row \$r\$ of head 2, so output = \$Z_1 \+ Z_2\$",
    _adds_the_heads,
)


def _pytorch_shapes():
    d_model = TWO["X"].shape[0]
    heads = TWO["WQ"].shape[0] // HAND.d_k
    # Ours in the top rows of a square WO (zeros below, or anything): the top rows of the
    # square one's output are ours; PyTorch's output is that transposed (test_multi_head).
    square = np.vstack([TWO["WO"], np.zeros((3, 6))])
    wide = multi_head_attention(**{**TWO, "WO": square}, heads=heads)
    np.testing.assert_allclose(wide.output[:3], EXACT.output, atol=1e-12)
    return (heads, d_model, d_model, *TWO["WO"].shape, *square.shape)


def test_pytorch_gives_our_output_transposed_in_its_first_columns():
    """The prose's recipe carried out in PyTorch itself (an optional oracle): our W_O in the
    top rows of a square one, zeros below; PyTorch's first three columns are ours, transposed."""
    torch = pytest.importorskip("torch")
    d_model = TWO["X"].shape[0]
    square = np.vstack([TWO["WO"], np.zeros((d_model - TWO["WO"].shape[0], d_model))])
    mha = torch.nn.MultiheadAttention(d_model, 2, bias=False, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.vstack([TWO["WQ"], TWO["WK"], TWO["WV"]])))
        mha.out_proj.weight.copy_(torch.from_numpy(square))
        X = torch.from_numpy(np.asarray(TWO["X"], dtype=float).T[None])  # tokens as rows
        out = mha(X, X, X)[0][0].numpy()  # (tokens, d_model)
    assert out.shape == (TWO["X"].shape[1], d_model)  # a row per token
    np.testing.assert_allclose(out[:, :3], EXACT.output.T, atol=1e-9)
    np.testing.assert_allclose(out[:, 3:], 0, atol=1e-12)


claims.number(
    r"`multi_head_attention\(X, WQ, WK, WV, WO, heads=(\d)\)`.*?gives the same output as the exact "
    r"path when \$W_O\$ is square, (\d)×(\d) here .*?ours is (\d)×(\d), to keep the output "
    r"short by hand\. Put ours in the top three rows of a (\d)×(\d) \$W_O\$ \(zeros below\): "
    r"PyTorch's output has a row per token, and its first three columns are our output, "
    r"transposed",
    _pytorch_shapes,
)


def _hand_against_exact():
    gap = np.abs(HAND.output - EXACT.output)
    r, j = np.unravel_index(gap.argmax(), gap.shape)
    assert r == 0  # "top row"
    moved = max(
        np.abs(h.weights - e.weights).max() for h, e in zip(HAND.heads, EXACT.heads, strict=True)
    )
    largest = max(np.abs(h.V).max() for h in HAND.heads)
    return gap.max(), j + 1, HAND.output[r, j], EXACT.output[r, j], moved, largest


claims.number(
    r"By hand and exact differ by up to (\d\.\d\d) \(column o(\d), top row: (\d+) against "
    r"(\d+\.\d\d)\)\..*? move single weights by up to (0\.\d\d) here, and values as large as "
    r"(\d+) multiply every move",
    _hand_against_exact,
)

# --- why divide by √d_k --------------------------------------------------------------------


def _variance():
    rng = np.random.default_rng(1)
    q, k = rng.standard_normal((2, 20_000, 4))
    assert abs(q.mean()) < 0.05 and abs(q.var() - 1) < 0.05  # entries of mean 0, variance 1
    products = q * k
    dots = products.sum(axis=1)
    assert abs(dots.var() - 4) < 0.2  # variance d_k
    return 0, 1, products.var(), (dots / 2).var(), *_in_code("8a1752a2", r"\(2, (\d+), d_k\)")


claims.number(
    r"each of mean (\d) and variance (\d)\. Their dot product .*? each of variance (\d), so its "
    r"\*\*variance is \$d_k\$\*\*.*?brings the variance back to (\d), whatever \$d_k\$ is\. "
    r"Let us measure it, (\d,\d{3}) random pairs",
    _variance,
)


def _saturation_sample():
    keys = _in_code("705893c6", r"K = rng\.standard_normal\(\(d_k, (\d+)\)\)")
    queries = _in_code("705893c6", r"q = rng\.standard_normal\(\(d_k, (\d+)\)\)")
    return (*keys, *queries)


claims.number(
    r"With (\d) keys, here is the largest weight of a query's column, on average over "
    r"(\d,\d{3}) random queries",
    _saturation_sample,
)


def _learning_slows():
    # a saturated softmax hardly moves: its Jacobian diag(a) − a aᵀ is near 0
    for scores, tiny in (([1.0, 0.5, 0.0], False), ([30.0, 15.0, 0.0], True)):
        a = np.exp(np.array(scores) - max(scores))
        a /= a.sum()
        jacobian = np.diag(a) - np.outer(a, a)
        assert (np.abs(jacobian).max() < 1e-6) == tiny
    return ()


claims.number(r"the gradients that training follows become tiny", _learning_slows)


def _largest_weights(text: str) -> tuple[list[float], list[float]]:
    """(without √d_k, with it) for each d_k, from lines "… largest weight A without √d_k, B …"."""
    pairs = re.findall(r"largest weight (\d\.\d+) without √d_k, (\d\.\d+) with it", text)
    return [float(a) for a, _ in pairs], [float(b) for _, b in pairs]


def _toward_one_hot():
    path = next(NOTEBOOKS.glob("04*.ipynb"))
    (cell,) = [
        c
        for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if c.get("id") == "705893c6"
    ]
    shown = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    raw, scaled = _largest_weights(shown)  # what the notebook printed
    assert len(raw) == 3 == len(scaled)
    # the same experiment on a fresh sample, with more queries and larger d_k
    rng, printed = np.random.default_rng(1), []
    for d_k in (4, 64, 256, 1024, 4096):
        S = rng.standard_normal((d_k, 8)).T @ rng.standard_normal((d_k, 2000))
        tops = []
        for scores in (S, S / np.sqrt(d_k)):
            A = np.exp(scores - scores.max(axis=0))
            tops.append((A / A.sum(axis=0)).max(axis=0).mean())
        printed.append(f"largest weight {tops[0]:.3f} without √d_k, {tops[1]:.3f} with it")
    fresh_raw, fresh_scaled = _largest_weights("\n".join(printed))
    for without, with_ in ((raw, scaled), (fresh_raw, fresh_scaled)):
        assert without == sorted(without) and len(set(without)) == len(without)  # climbs
        assert max(with_) - min(with_) <= 0.05  # about the same at every d_k
    assert fresh_raw[-1] > 0.98  # toward 1: close to one-hot
    return 1


claims.number(
    r"Without the division, the largest weight climbs toward (1) as \$d_k\$ grows: the columns "
    r"come close to one-hot\. With it, the largest weight stays about the same at every \$d_k\$ "
    r"measured",
    _toward_one_hot,
)


def _temperature():
    _notebook_1_at_a_low_temperature()
    t = 0.1
    assert math.isclose(1 / t, math.sqrt(100))
    return t, 1 / t, 100, 100, math.sqrt(100), t


claims.number(
    r"A temperature of (0\.1) multiplies every scaled score by (\d+): exactly what forgetting "
    r"the \$\\sqrt\{d_k\}\$ would do at \$d_k = (\d+)\$, since \$\\sqrt\{(\d+)\} = (\d+)\$\. That "
    r"is why sliding the temperature down to (0\.1) put nearly all of each column's weight on "
    r"its best key \(or split it between tied best keys\)",
    _temperature,
)


def _notebook_1_at_a_low_temperature():
    explorer = AttentionExplorer()  # notebook 1's explorer: one head
    try:
        explorer.controls["mode"].value = "exact"
        explorer.controls["temperature"].value = 0.1
        r = explorer.result
    finally:
        explorer.close()
    for j in range(r.n_tokens):
        best = np.isclose(r.scores[:, j], r.scores[:, j].max())  # the best key, or tied best
        assert r.weights[best, j].sum() > 0.99
    assert np.isclose(r.scores[:, 2], r.scores[:, 2].max()).sum() == 2  # query 3: a tie


# --- order is invisible, and positions -----------------------------------------------------

SWAP = [3, 1, 2, 0]
COPY = SHEET["X"].copy()
COPY[:, 3] = COPY[:, 0]  # x4 a copy of x1
P4 = positional_encoding(4, 6)


def _order_is_invisible():
    for mode in ("hand", "exact"):
        base = _sheet(SHEET["X"], mode)
        np.testing.assert_allclose(_sheet(SHEET["X"][:, SWAP], mode).output, base.output[:, SWAP])
        twice = _sheet(COPY, mode).output
        np.testing.assert_allclose(twice[:, 3], twice[:, 0])
        # "as long as the other tokens are the same": x4 changed, z1 changes too
        assert not np.allclose(twice[:, 0], base.output[:, 0])
    return ()


claims.number(
    r"\*\*swapping two tokens swaps the matching columns of the output and changes nothing "
    r"else\*\*, and \*\*a token gets the same output wherever it stands, as long as the "
    r"other tokens are the same\*\* \(in any order\)",
    _order_is_invisible,
)


def _encoding_shown():
    n, d = _in_code("d16d47eb", r"positional_encoding\((\d+), (\d+)\)")
    assert positional_encoding(n, d).shape == (d, n)
    return n, d, d


claims.number(
    r"Here are (\d+) positions of a (\d+)-number encoding \(\$d = (\d+)\$\)", _encoding_shown
)


def _counted_from_0():
    P = positional_encoding(3, 4)
    np.testing.assert_allclose(P[:, 0], [0, 1, 0, 1])  # sin 0, cos 0: position 0
    np.testing.assert_allclose(P[0, 1], math.sin(1))  # the next column is position 1
    return 0, 0


claims.number(
    r"its position \$p\$, counted from (\d) \(the first token is at \$p = (\d)\$\)",
    _counted_from_0,
)


def _rows_counted_from_0():
    P = positional_encoding(4, 6)
    np.testing.assert_allclose(P[0], np.sin(np.arange(4)))  # row 0: 2i = 0, the sine
    np.testing.assert_allclose(P[1], np.cos(np.arange(4)))  # row 1: 2i + 1 = 1, the cosine
    assert 'features = labels("f", 6)' in "".join(CODE.values())
    assert labels("f", 6)[0] == "f1" and "grid(P4, rows=features" in CODE["9990a153"]
    return 0, 0


claims.number(
    r"rows of \$P\$, which are counted from (0) as well \(row (0) is the one the grids label "
    r"f1\)",
    _rows_counted_from_0,
)


def _positions_added():
    d, n = SHEET["X"].shape
    assert _in_code("9990a153", r"P4 = positional_encoding\((\d), (\d)\)") == (n, d)
    np.testing.assert_allclose(P4[:, 3], positional_encoding(10, 6)[:, 3])  # x4: position 3
    with_pos = _sheet(SHEET["X"] + P4)
    moved = _sheet(SHEET["X"][:, SWAP] + P4)
    assert not np.allclose(moved.output, with_pos.output[:, SWAP])  # more than a swap
    twice = _sheet(COPY + P4).output
    assert not np.allclose(twice[:, 3], twice[:, 0], atol=0.1)  # z4 ≠ z1
    return n, d, 0, 3, 4


claims.number(
    r"Add the encoding of (\d) positions to the sheet's \$X\$ \(\$d = (\d)\$; \$x_1\$ gets "
    r"position \$p = (\d)\$, \$x_4\$ gets \$p = (\d)\$\).*?The copy of \$x_1\$ in column (\d) now "
    r"gets an output of its own, \$z_4 \\ne z_1\$, and swapping \$x_1\$ and \$x_4\$ does more "
    r"than swap two output columns",
    _positions_added,
)


def _minus_infinity():
    assert np.exp(-np.inf) == 0
    causal = self_attention(**SHEET, causal=True).weights
    assert (causal[np.tril_indices(4, k=-1)] == 0).all()  # hidden keys: weight exactly 0
    return 0, 0


claims.number(r"\$e\^\{-\\infty\} = (\d)\$ gives them weight exactly (\d)", _minus_infinity)

# --- at real sizes -------------------------------------------------------------------------


def _timed_head():
    (d_k,) = _in_code("de5bb2bf", r"standard_normal\(\((\d+), n\)")
    assert f"÷ √{d_k}" in CODE["de5bb2bf"] and f"/ {math.sqrt(d_k):.1f}" in CODE["de5bb2bf"]
    return d_k


claims.number(r"One head with \$d_k = (\d+)\$ in `float32`", _timed_head)


def _sizes() -> np.ndarray:
    found = re.search(r"sizes = \[([\d, ]+)\]", CODE["52a346e9"])
    assert found, "the sizes timed are not in cell 52a346e9"
    return np.array([int(n) for n in found.group(1).split(",")], dtype=float)


def _memory_slope():
    n = _sizes()
    mib = 4 * n**2 / 2**20  # float32 scores, as the notebook counts them
    return np.polyfit(np.log(n), np.log(mib), 1)[0]


claims.number(r"The memory line climbs with slope (\d) on the log-log plot", _memory_slope)


def _work_is_n_squared():
    # The timed recipe, on a small n: one score (a dot product) and one eˣ per key and query.
    n, rng = 8, np.random.default_rng(0)
    Q, K = rng.standard_normal((2, 64, n))
    S = K.T @ Q / 8.0
    assert S.shape == (n, n) and np.exp(S - S.max(axis=0)).size == n**2
    assert "S = K.T @ Q" in CODE["de5bb2bf"] and "np.exp(S - S.max(axis=0))" in CODE["de5bb2bf"]
    return ()


claims.number(
    r"The work grows the same way \(\$n\^2\$ dot products and \$n\^2\$ exponentials\), but "
    r"the measured times follow it only roughly",
    _work_is_n_squared,
)


def _memory_at_4096():
    one_head = np.zeros((4096, 4096), dtype=np.float32).nbytes
    return 4096, one_head / 2**20, 32, 32 * one_head / 2**30


claims.number(
    r"At (\d,\d{3}) tokens one head's scores take (\d+) MiB, so a layer of (\d+) heads needs "
    r"(\d) GiB",
    _memory_at_4096,
)

# --- the explorer ---------------------------------------------------------------------------


def _heads_control():
    explorer = AttentionExplorer()
    try:
        heads = explorer.controls["heads"]
        assert (heads.min, heads.max) == (1, 4)
        np.testing.assert_allclose(explorer.multi.output, _sheet(SHEET["X"], "hand").output)
        heads.value = 2
        np.testing.assert_allclose(explorer.multi.output, HAND.output)
    finally:
        explorer.close()
    return 1, 2, 3, 4


claims.number(
    r"\*\*heads\*\*: (\d) is the sheet, as in notebook 1; (\d) adds this notebook's second "
    r"head; (\d) and (\d) add small random heads",
    _heads_control,
)


class TestProse(ProseTests):
    """Notebook 04's quoted numbers recomputed, its "Try this" carried out (checks below)."""

    claims = claims


# --- Try this -------------------------------------------------------------------------------


def _numbers(pattern: str, item: str) -> list[float]:
    found = re.search(pattern, item)
    assert found, f"{pattern!r} is not in the item: {item!r}"
    return [float(g.replace("−", "-")) for g in found.groups()]


def _one_head_is_the_sheet(explorer, item):
    assert "Set *heads* to 1: the heads panel disappears" in item
    explorer.controls["heads"].value = 1
    assert explorer.heads_view.layout.display == "none"
    np.testing.assert_allclose(explorer.result.output, _sheet(SHEET["X"], "hand").output)
    explorer.controls["heads"].value = 2
    token, *z3 = _numbers(r"the output of token (\d) is (\d+), (\d+) and (\d+)", item)
    m = explorer.multi
    np.testing.assert_allclose(m.output[:, int(token) - 1], z3)
    head1 = _numbers(r"of head 1 \((\d+), (\d+), (\d+)\)", item)
    head2 = _numbers(r"of head 2 \((\d+), (\d+), (\d+)\)", item)
    np.testing.assert_allclose(m.heads[0].output[:, 2], head1)
    np.testing.assert_allclose(m.heads[1].output[:, 2], head2)


def _four_heads(explorer, item):
    assert "Switch to *exact* and set *heads* to 4" in item
    explorer.controls["mode"].value = "exact"
    explorer.controls["heads"].value = 4
    html = explorer.heads_view.weights.value
    assert all(f'data-name="head{h}_weights"' in html for h in range(1, 5))
    weights = [h.weights for h in explorer.multi.heads]
    assert all(not np.allclose(a, b) for i, a in enumerate(weights) for b in weights[i + 1 :])
    sizes = _numbers(r"concat grows to (\d+) × (\d) while the output stays (\d) × (\d)", item)
    assert [*explorer.multi.concat.shape, *explorer.multi.output.shape] == sizes


def _break_the_tie(explorer, item):
    assert "With *heads* at 1 and *exact*" in item
    explorer.controls["heads"].value = 1
    explorer.controls["mode"].value = "exact"  # as item 2 left it, when done in order
    X = explorer.controls["X"]
    first, f_a, second, f_b = _numbers(
        r"in column x4 of X, type (\d) for f(\d) and (\d) for f(\d)", item
    )
    X.boxes[int(f_a) - 1][3].value = first
    X.boxes[int(f_b) - 1][3].value = second
    assert [row[3] for row in X.value] == [row[0] for row in X.value]  # x4 is a copy of x1
    z = explorer.result.output
    assert "Columns z1 and z4 of the output are now equal" in item
    np.testing.assert_allclose(z[:, 3], z[:, 0])
    assert "Tick *add positions*: they differ" in item
    explorer.controls["positions"].value = True
    z = explorer.result.output
    assert not np.allclose(z[:, 3], z[:, 0], atol=0.1)
    assert "Press *back to the exercise* (it also unticks *add positions*)" in item
    explorer.controls["reset"].click()
    assert explorer.controls["positions"].value is False
    np.testing.assert_array_equal(X.value, SHEET["X"])


def _positions_by_hand(explorer, item):
    assert "With *heads* at 2 and *by hand*, tick *add positions*" in item
    explorer.controls["heads"].value = 2
    explorer.controls["mode"].value = "hand"
    explorer.controls["positions"].value = True
    query, base, zero = _numbers(
        r"whose query (\d) now has every power of (\d) rounded to (\d)", item
    )
    assert "the message names head 2" in item
    # In the learner's words, as head 1's limit is (notebook 1): the head named, the
    # control to change named, no library spelling (mode='exact', 3ˣ, ASCII minus).
    assert explorer.error.startswith(
        f"Head 2: by hand, every power of {base:g} in column q{query:g} rounds to {zero:g}"
    )
    assert "Switch *mode* to *exact*" in explorer.error and "mode='exact'" not in explorer.error
    assert "−1, −1, −1, −2" in explorer.error
    assert "Switch to *exact*: the formula never rounds, and it works" in item
    explorer.controls["mode"].value = "exact"
    assert explorer.error == ""
    assert math.isclose(explorer.result.X[0, 1], SHEET["X"][0, 1] + math.sin(1))  # x2 at p = 1


def _saturated(explorer, item):
    assert item.startswith("5. **A big d_k without √d_k.** Untick *add positions*. In *exact* mode")
    explorer.controls["positions"].value = False
    explorer.controls["mode"].value = "exact"  # as item 4 left it, when done in order
    (t,) = _numbers(r"slide the temperature down to (0\.\d)", item)
    explorer.controls["temperature"].value = t
    assert "head 1's weights turn almost one-hot" in item
    A = explorer.result.weights  # head 1's
    q1, q2, q4, share, key = _numbers(
        r"Queries (\d), (\d) and (\d) put (0\.\d\d) or more on key (\d)", item
    )
    assert (A[int(key) - 1, [int(q1) - 1, int(q2) - 1, int(q4) - 1]] >= share).all()
    q3, a, b, k1, k4 = _numbers(
        r"query (\d) splits (0\.\d\d) and (0\.\d\d) between keys (\d) and (\d)", item
    )
    column = A[:, int(q3) - 1]
    assert [round(column[int(k1) - 1], 2), round(column[int(k4) - 1], 2)] == [a, b]
    assert "which are the same key twice (k1 = k4)" in item
    K = explorer.result.K
    np.testing.assert_array_equal(K[:, int(k1) - 1], K[:, int(k4) - 1])


IN_ORDER = {  # the "Try this" items, as the notebook lists them, and what each does
    "One head is the sheet": _one_head_is_the_sheet,
    "Four heads": _four_heads,
    "Break the tie": _break_the_tie,
    "Positions by hand": _positions_by_hand,
    "A big d_k without √d_k": _saturated,
}


def _as_the_notebook_starts() -> AttentionExplorer:
    explorer = AttentionExplorer()
    explorer.controls["heads"].value = 2  # as the notebook starts it
    return explorer


for _title, _step in IN_ORDER.items():
    claims.try_this(_title, on=_as_the_notebook_starts)(
        lambda item, explorer, step=_step: step(explorer, item)
    )


def test_try_this_in_order():
    """Every item, in the notebook's order, on one explorer, as a learner does them."""
    assert list(try_this_items("04")) == list(IN_ORDER), "the items' order changed"
    claims.carry_out_in_order()


# --- what the saved notebook shows: colours by role, and grids that say whose numbers ---

WEIGHTS = {  # grids of attention weights: white (0) to blue (1), as in notebook 1
    "A₂", "A₁ (head 1, the sheet)", "A₂ (head 2)", "A, causal",
    "weights", "head1_weights", "head2_weights",
}  # fmt: skip
POWERS = {"exp ≈ 3ˣ", "column sums", "exp = 3ˣ, rounded", "Σ", "exp", "sums"}  # from 0 up


def _saved_html():
    (path,) = NOTEBOOKS.glob("04*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        "".join(o.get("data", {}).get("text/html", "")) for c in cells for o in c.get("outputs", [])
    ]


def test_weights_powers_and_sums_are_drawn_white_to_blue():
    # A weight, a power of 3 or a column sum cannot be negative: the notebook draws them
    # white to blue (weights on a 0-1 scale), never in the signed purple-orange map of
    # inputs and scores, in its own grids, in its try-it grids and in the explorer.
    from dlviz.palette import hex_to_rgb, tint
    from tests.helpers import cells_of, table

    seen = set()
    for html in _saved_html():
        for name in set(re.findall(r'<table data-name="([^"]*)"', html)) & (WEIGHTS | POWERS):
            seen.add(name)
            grid = cells_of(table(html, name))
            values = {at: float(t.replace("−", "-")) for at, t in grid.cells.items() if t != "–"}
            scale = 1.0 if name in WEIGHTS else max(values.values())
            for at, value in values.items():
                drawn = hex_to_rgb(grid.styles[at].split("background:")[1].split(";")[0])
                wanted = tint(value, scale, "positive")  # (the printed value may be rounded)
                assert max(abs(a - b) for a, b in zip(drawn, wanted, strict=True)) < 5 / 255, (
                    name,
                    at,
                )
    assert seen == WEIGHTS | POWERS  # every one of them was looked at


def test_the_try_it_grids_say_whose_numbers_they_check():
    # Head 2's grids check head 2's own weights: "edited" would tell the learner they
    # changed something they never touched.
    sources = [
        s
        for html in _saved_html()
        for s in re.findall(r'data-name="source-[^"]*"[^>]*>(.*?)</div>', html)
    ]
    assert len(sources) == 3, sources  # head 2's scores and weights, the output WO·concat
    assert "edited" not in " ".join(sources)
    assert sum("head 2&#x27;s own weights, rows 4–6 of WQ, WK, WV" in s for s in sources) == 2
    assert "the multi-head exercise's numbers (beyond the sheet)" in sources  # WO·concat
