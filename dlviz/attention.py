"""Self-attention, step by step, in the column convention of the by-hand sheet.

Every vector is a column. With X of shape (d_model, n_tokens)::

    Q = WQ·X    K = WK·X    V = WV·X          step 2    (d_k, n), (d_k, n), (d_v, n)
    S = Kᵀ·Q                                  step 4    (n_keys, n_queries)
    A = softmax(S / √d_k), down each column   steps 5-8 (n_keys, n_queries)
    Z = V·A                                   step 9    (d_v, n_queries)

Column j of A says how much query j takes from each key, so it sums to 1, and
column j of Z is the new feature vector of token j.

Papers and PyTorch write tokens as rows instead: with Q_r = Qᵀ, K_r = Kᵀ, V_r = Vᵀ,
softmax(Q_r·K_rᵀ / √d_k)·V_r (softmax along each row) is exactly Zᵀ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_matrix, as_positive, choice, frozen, shape_text
from dlviz._numerics import refuse_nonfinite, softmax_columns

MODES = ("hand", "exact")

# 3**33 is the largest power of three below 2**53, the last whole number a float
# holds exactly: beyond it "3ˣ rounded to a whole number" stops being what it says.
HAND_MAX_EXPONENT = 33


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare by identity
class AttentionResult:
    """Every intermediate matrix of one self-attention computation (all read-only).

    Shapes, with n tokens: X (d_model, n); WQ, WK (d_k, d_model); WV (d_v, d_model);
    Q, K (d_k, n); V (d_v, n); scores, scaled, exp, weights, mask (n_keys, n_queries);
    sums, shift (n_queries,); output (d_v, n_queries).

    `mask[i, j]` is True where query j may look at key i (all True unless causal);
    where it is False, `exp` and `weights` are 0. `shift` is what the exact path
    subtracts from each column before exponentiating (its maximum, for stability:
    softmax does not change when a column is shifted), so there
    ``exp = e^(scaled - shift)``; the by-hand path never shifts (shift = 0).
    """

    X: np.ndarray
    WQ: np.ndarray
    WK: np.ndarray
    WV: np.ndarray
    Q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    scores: np.ndarray
    scaled: np.ndarray
    exp: np.ndarray
    sums: np.ndarray
    weights: np.ndarray
    output: np.ndarray
    mask: np.ndarray
    shift: np.ndarray
    mode: str
    causal: bool
    temperature: float
    divisor: float

    @property
    def d_k(self) -> int:
        """The size of a key (and query) vector."""
        return self.Q.shape[0]

    @property
    def n_tokens(self) -> int:
        return self.X.shape[1]


# What each intermediate is computed from, so an overflow names the inputs at fault.
_MADE_FROM = {
    "Q": ("WQ", "X"), "K": ("WK", "X"), "V": ("WV", "X"), "scores": ("WQ", "WK", "X"),
    "scaled": ("WQ", "WK", "X"), "exp": ("WQ", "WK", "X"), "sums": ("WQ", "WK", "X"),
    "weights": ("WQ", "WK", "X"), "output": ("WV", "X"), "shift": ("WQ", "WK", "X"),
}  # fmt: skip


def _overflowed(name: str, arrays: dict) -> str:
    """Why intermediate `name` holds inf or NaN, naming the inputs it was computed from."""
    made_from = _MADE_FROM[name]
    largest = ", ".join(f"{m} {np.abs(arrays[m]).max():g}" for m in made_from)
    return (
        f"{name} overflowed (entries beyond ±1.8e308): {', '.join(made_from)} are too large "
        f"to multiply (largest |entry|: {largest}); scale them down"
    )


def self_attention(
    X, WQ, WK, WV, *, mode: str = "exact", causal: bool = False, temperature: float = 1.0
) -> AttentionResult:
    """Self-attention of the tokens in the columns of X, returning every step.

    Implements steps 2 to 9 of the by-hand exercise; step 1 is X itself.

    Parameters
    ----------
    X : (d_model, n_tokens) the feature vectors, one per column.
    WQ, WK : (d_k, d_model) the query and key weights.
    WV : (d_v, d_model) the value weights.
    mode : "exact" is the formula: scaled = S / √d_k / temperature, then a softmax
        down each column (stable for any finite scores). "hand" follows the sheet's
        rules, chosen so a pencil suffices (`by_hand_softmax`):

        - step 5: divide by round(√d_k) (2 for d_k = 3), truncating toward zero;
        - step 6: e^x ≈ 3^x, rounded to a whole number (so 3⁻¹ ≈ 0);
        - step 7: sum each column;
        - step 8: divide each column by its sum, rounded to one decimal (half up),
          which is why a column can add up to 1.1 or 0.9.
    causal : if True, query j sees only keys i ≤ j (the others get weight 0).
    temperature : divides the scaled scores in the exact path (above 1 flattens
        the weights, below 1 sharpens them). The by-hand rules have none: it must
        be 1 there.

    Raises
    ------
    TypeError
        a matrix holds text or booleans, or `causal` is not a bool.
    ValueError
        shapes that do not fit, NaN or inf, an unknown mode, a temperature other
        than 1 by hand, a by-hand exponent above 33 or a column sum of 2⁵³ or more
        (whole numbers a float no longer holds exactly), or a by-hand column whose
        rounded exponentials are all 0.

    Examples
    --------
    The sheet's worked numbers (shared/exercises.md, exercise 1), by hand:

    >>> from dlviz import examples
    >>> r = self_attention(**examples.attention_exercise(), mode="hand")
    >>> r.scores.astype(int).tolist()                  # step 4, S = Kᵀ·Q
    [[3, 2, 2, 1], [4, 3, 1, 5], [-1, -1, -2, 1], [3, 2, 2, 1]]
    >>> r.scaled.astype(int).tolist()                  # step 5, S ÷ 2 toward zero
    [[1, 1, 1, 0], [2, 1, 0, 2], [0, 0, -1, 0], [1, 1, 1, 0]]
    >>> r.exp.astype(int).tolist()                     # step 6, 3ˣ rounded
    [[3, 3, 3, 1], [9, 3, 1, 9], [1, 1, 0, 1], [3, 3, 3, 1]]
    >>> r.sums.astype(int).tolist()                    # step 7
    [16, 10, 7, 12]
    >>> r.weights.tolist()                             # step 8, to one decimal
    [[0.2, 0.3, 0.4, 0.1], [0.6, 0.3, 0.1, 0.8], [0.1, 0.1, 0.0, 0.1], [0.2, 0.3, 0.4, 0.1]]
    >>> r.output.round(9).tolist()                     # step 9, Z = V·A
    [[8.0, 12.0, 16.0, 4.0], [3.0, 4.0, 4.0, 2.0], [6.0, 3.0, 1.0, 8.0]]

    and exactly, the sheet's "exact" values:

    >>> e = self_attention(**examples.attention_exercise())
    >>> e.weights[:, 0].round(3).tolist()
    [0.258, 0.459, 0.026, 0.258]
    >>> e.output.round(2).tolist()
    [[10.31, 10.11, 15.03, 3.06], [2.83, 2.97, 4.13, 1.53], [4.59, 4.5, 2.11, 7.7]]
    """
    mode = choice("mode", mode, MODES)
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal must be True or False, got {causal!r}")
    temperature = as_positive("temperature", temperature)
    if mode == "hand" and temperature != 1.0:
        raise ValueError(
            f"the by-hand rules have no temperature: it must be 1 with mode='hand', "
            f"got {temperature!r} (use mode='exact' to explore temperature)"
        )
    X, WQ, WK, WV = checked_projections(X, WQ, WK, WV)

    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, in words
        return _steps(X, WQ, WK, WV, mode=mode, causal=bool(causal), temperature=temperature)


def checked_projections(X, WQ, WK, WV):
    """X, WQ, WK, WV as float matrices whose shapes fit together (step 2), or raise naming them."""
    X = as_matrix("X", X)
    WQ, WK, WV = as_matrix("WQ", WQ), as_matrix("WK", WK), as_matrix("WV", WV)
    d_model = X.shape[0]
    for name, W in (("WQ", WQ), ("WK", WK), ("WV", WV)):
        if W.shape[1] != d_model:
            raise ValueError(
                f"{name} is {shape_text(W.shape)} but X is {shape_text(X.shape)}: {name} needs "
                f"one column per feature of X, so it must be ({W.shape[0]}×{d_model})"
            )
    if WQ.shape[0] != WK.shape[0]:
        raise ValueError(
            f"WQ is {shape_text(WQ.shape)} and WK is {shape_text(WK.shape)}: queries and "
            "keys must have the same size d_k to be compared, so both need the same rows"
        )
    return X, WQ, WK, WV


def _steps(X, WQ, WK, WV, *, mode, causal, temperature) -> AttentionResult:
    """Steps 2-9 on checked inputs (see `self_attention`)."""
    n = X.shape[1]
    Q, K, V = WQ @ X, WK @ X, WV @ X  # step 2: (d_k, n), (d_k, n), (d_v, n)
    scores = K.T @ Q  # step 4: (n_keys, n_queries), scores[i, j] = k_i · q_j
    mask = np.ones((n, n), dtype=bool)  # (n_keys, n_queries): may query j see key i?
    if causal:
        mask = np.tril(mask).T  # keys i ≤ query j: the upper triangle, diagonal included
    if mode == "hand":
        divisor, scaled, exp, sums, weights = by_hand_softmax(scores, mask, Q.shape[0])
        shift = np.zeros(n)
    else:
        divisor = math.sqrt(Q.shape[0])
        scaled = scores / divisor / temperature  # step 5
        _refuse_tiny_temperature(scores, scaled, Q.shape[0], temperature)
        softmax = softmax_columns(scaled, mask)  # steps 6-8, down each column
        shift, exp, sums, weights = softmax.shift, softmax.exp, softmax.sums, softmax.weights
    output = V @ weights  # step 9: (d_v, n_queries)

    arrays = dict(
        X=X, WQ=WQ, WK=WK, WV=WV, Q=Q, K=K, V=V, scores=scores, scaled=scaled, exp=exp,
        sums=sums, weights=weights, output=output, mask=mask, shift=shift,
    )  # fmt: skip
    for name, arr in arrays.items():
        # Only reachable with inputs near the float limit (~1e308): say so, never pass inf on.
        refuse_nonfinite(arr, lambda _, name=name: _overflowed(name, arrays))
    return AttentionResult(
        **{k: frozen(v) for k, v in arrays.items()},
        mode=mode,
        causal=causal,
        temperature=temperature,
        divisor=divisor,
    )


def _refuse_tiny_temperature(scores, scaled, d_k: int, temperature: float) -> None:
    """Step 5 in words when finite scores ÷ √d_k ÷ temperature pass the largest float."""
    if np.isfinite(scores).all() and not np.isfinite(scaled).all():
        top, divisor = float(np.abs(scores).max()), math.sqrt(d_k)
        raise ValueError(
            f"temperature={temperature!r} is too small for these scores: S ÷ √{d_k} ÷ "
            f"temperature passes the largest float (about 1.8e308); with scores up to "
            f"{top:g} the temperature must be at least {top / divisor / 1.7e308:.2g}"
        )


# 2**53: from here on, not every whole number has a float of its own.
_EXACT_INTEGERS = 2**53


def by_hand_softmax(scores: np.ndarray, mask: np.ndarray, d_k: int):
    """Steps 5-8 by the sheet's pencil rules; returns (divisor, scaled, exp, sums, weights).

    - step 5: divide by round(√d_k) (2 for d_k = 3), truncating toward zero;
    - step 6: e^x ≈ 3^x, rounded to a whole number (so 3⁻¹ ≈ 0);
    - step 7: sum each column;
    - step 8: divide each column by its sum, rounded to one decimal, half up.

    scores and mask are (n_keys, n_queries). Every number stays a whole number a float
    holds exactly (below 2⁵³), or this refuses in words: a power above 3³³, a column
    sum of 2⁵³ or more, or a column with nothing to divide by.
    """
    divisor = float(round(math.sqrt(d_k)))
    scaled = np.trunc(scores / divisor) + 0.0  # toward zero: -1/2 → 0, not -1 (+0.0: no -0)
    too_big = (scaled > HAND_MAX_EXPONENT) & mask
    if too_big.any():
        i, j = np.argwhere(too_big)[0]
        raise ValueError(
            f"by hand, scaled score {scaled[i, j]:g} (key {i + 1}, query {j + 1}) is too "
            f"large: 3^{scaled[i, j]:g} has more digits than a float holds exactly "
            f"(the limit is 3^{HAND_MAX_EXPONENT}); use mode='exact' for scores this large"
        )
    exp = np.where(mask, np.round(3.0 ** np.minimum(scaled, HAND_MAX_EXPONENT)), 0.0)
    # Each power is exact; their sum is exact while it stays below 2⁵³ (and if the true
    # sum is 2⁵³ or more, the float sum is too, so this test cannot be fooled by rounding).
    sums = exp.sum(axis=0)  # (n_queries,)
    big = np.flatnonzero(sums >= _EXACT_INTEGERS)
    if big.size:
        j = int(big[0])
        raise ValueError(
            f"by hand, the sum of column q{j + 1}'s rounded 3ˣ is about {sums[j]:.4g}, at or "
            f"past 2^53 = {_EXACT_INTEGERS:,}: from there on a float cannot hold every whole "
            "number, so the sum could be off by one; use mode='exact' for scores this large"
        )
    empty = np.flatnonzero(sums == 0)
    if empty.size:
        j = int(empty[0])
        shown = ", ".join(f"{v:g}" for v in scaled[mask[:, j], j])
        raise ValueError(
            f"by hand, every rounded 3ˣ in column q{j + 1} is 0 (its scaled scores are "
            f"{shown}), so there is nothing to divide by; use mode='exact', which never rounds"
        )
    # Half up, as a person rounds, in whole numbers (exact in int64: 20·exp + sum < 2⁶³):
    # round(10·e/s) = floor((20·e + s) / (2·s)).
    e, s = exp.astype(np.int64), sums.astype(np.int64)
    weights = ((20 * e + s) // (2 * s)) / 10
    return divisor, scaled, exp, sums, weights


def __getattr__(name: str):
    # Several heads and positions live in their own module (one idea each), but
    # belong to attention: `from dlviz.attention import multi_head_attention` works too.
    if name in ("multi_head_attention", "positional_encoding", "MultiHeadResult"):
        from dlviz import multi_head

        return getattr(multi_head, name)
    raise AttributeError(f"module 'dlviz.attention' has no attribute {name!r}")
