"""The self-attention sheet's checkable steps, from an `AttentionResult` alone.

Each step asks for exactly what its title names: by hand the sheet's pencil step
(3ˣ rounded, weights to one decimal), in exact mode the quantity the notebook's
formula names (Σ eˣ of each column, A = eˣ ÷ Σ eˣ). The slips, and how each is
recognised (the number a cell would hold if the learner had made it):

scores S = Kᵀ·Q
    transposed: Qᵀ·K, i.e. Sᵀ (made once for the grid);
    a lost minus sign: S with one negative product kᵢ[f]·qⱼ[f] added as positive
    (one candidate per negative product; made cell by cell).
column sums
    by hand: −½ floored to −1 (not truncated toward zero) with 3⁻¹ kept as ⅓
    (sums 15⅓, 9⅓, …), or with 3⁻¹ still rounded to 0 (sums 15, 9, 7, 12); e used
    for 3 (eˣ rounded); step 5 skipped (3^S); row sums instead of column sums.
    exact: row sums; the scaling skipped (Σ e^S).
weights A
    by hand: truncated to one decimal instead of rounded (0.1875 → 0.1); divided
    by row sums; Aᵀ; a share of exactly a half rounded down (9/12 = 0.75 → 0.7: the
    sheet rounds a half up). exact: softmax along rows; Aᵀ; the scaling skipped
    (softmax of S); the temperature left out.
output Z = V·A
    V·Aᵀ; by hand also Z from the unrounded weights (exp ÷ sums), and from A with a
    half rounded down (0.7 for 9/12).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dlviz import examples
from dlviz._format import labels
from dlviz.attention import HAND_MAX_EXPONENT, AttentionResult
from dlviz.checking.grade import Given, Slip, Step
from dlviz.checking.sources import origin_of
from dlviz.multi_head import positional_encoding

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sheet_differences(
    result: AttentionResult, exercise=None, *, positions: bool = False
) -> tuple[str, ...]:
    """How the result's inputs and rules differ from the exercise's (the sheet's by default).

    positions: whether the result's X holds the positional encoding added to the X typed
    (as the explorer adds it); said as such, not as an edit of X.
    """
    sheet = examples.attention_exercise() if exercise is None else exercise
    d_model, n = result.X.shape
    X = result.X - positional_encoding(n, d_model) if positions else result.X  # as typed
    given = {"X": X, "WQ": result.WQ, "WK": result.WK, "WV": result.WV}
    edited = [
        name
        for name, M in given.items()
        if M.shape != np.shape(sheet[name]) or not np.allclose(M, sheet[name], rtol=0, atol=1e-12)
    ]
    parts = [f"{', '.join(edited)} edited"] if edited else []
    if positions:
        parts.append("positions added to X")
    if result.mode == "exact":
        parts.append("exact mode")
    if result.causal:
        parts.append("causal")
    if result.temperature != 1:
        parts.append(f"temperature {result.temperature:g}")
    return tuple(parts)


def _column_share(exp: np.ndarray, axis: int) -> np.ndarray:
    totals = exp.sum(axis=axis, keepdims=True)
    return np.divide(exp, totals, out=np.full_like(exp, np.nan), where=totals != 0)


def _lost_minus(result: AttentionResult) -> np.ndarray:
    """(d_k, keys, queries): S with the f-th product's sign lost where it is negative."""
    terms = result.K[:, :, None] * result.Q[:, None, :]  # (d_k, n_keys, n_queries)
    return np.where(terms < 0, result.scores[None] - 2 * terms, np.nan)


def _hand_sum_slips(r: AttentionResult) -> tuple[Slip, ...]:
    floored = np.floor(r.scores / r.divisor)
    slips = []
    if (floored <= HAND_MAX_EXPONENT).all():
        # Each slip only in the columns it can happen in (NaN elsewhere: no number), so
        # that its words are true of the column: a −½ to round down, a 3⁻¹ to keep as ⅓.
        halves = np.where(r.mask, floored != r.scaled, False).any(axis=0)
        exponents = np.where(r.mask, r.scaled, 0.0)  # the sheet's, truncated toward zero
        thirds = (exponents == -1).any(axis=0) & (exponents >= -1).all(axis=0)
        powers = np.where(r.mask, 3.0**floored, 0.0)
        kept = np.where(r.mask, 3.0**r.scaled, 0.0)  # truncated as the sheet does, ⅓ kept
        slips += [
            Slip(np.where(halves, np.where(r.mask, np.round(powers), 0.0).sum(axis=0), np.nan),
                 "Scaling rounded −½ down to −1; the sheet truncates toward zero, so −½ → 0 "
                 "and 3⁰ = 1."),
            Slip(np.where(halves, powers.sum(axis=0), np.nan),
                 "A sum like 15⅓ means −½ was rounded down to −1 instead of toward zero, "
                 "and 3⁻¹ was kept as ⅓ instead of rounding it to 0."),
            Slip(np.where(thirds & ~halves, kept.sum(axis=0), np.nan),
                 "3⁻¹ was kept as ⅓; the sheet rounds it to a whole number, 0."),
        ]  # fmt: skip
    slips.append(
        Slip(np.where(r.mask, np.round(np.exp(r.scaled)), 0.0).sum(axis=0),
             "These add up eˣ rounded; the sheet uses 3ˣ in place of eˣ (3² = 9, not 7).")
    )  # fmt: skip
    if (r.scores <= HAND_MAX_EXPONENT).all():
        unscaled = np.where(r.mask, np.round(3.0**r.scores), 0.0)
        slips.append(
            Slip(unscaled.sum(axis=0), "Step 5 was skipped: divide S by 2 (truncating "
                 "toward zero) before taking 3ˣ.", scope="grid")
        )  # fmt: skip
    slips.append(
        Slip(r.exp.sum(axis=1), "These are row sums: add each column (one per query) "
             "instead.", scope="grid")
    )  # fmt: skip
    return tuple(slips)


def _truncated_hint(shares: np.ndarray) -> str:
    """The truncation slip, shown on the learner's own numbers: the first share (column by
    column) that rounds up, e.g. "0.1875 → 0.2, because the next digit is 8"."""
    for v in shares.T.ravel():
        if np.isfinite(v) and np.floor(v * 10 + 1e-9) != np.floor(v * 10 + 0.5):
            shown, rounded = f"{v:.4f}".rstrip("0"), np.floor(v * 10 + 0.5) / 10
            digit = int(v * 100 + 1e-9) % 10
            return (f"These are truncated: round to one decimal instead ({shown} → "
                    f"{rounded:.1f}, because the next digit is {digit}).")  # fmt: skip
    return "These are truncated: round to one decimal instead."


def _halves(r: AttentionResult) -> np.ndarray:
    """Where a by-hand share is exactly half-way between two decimals (9/12 = 0.75), in
    whole numbers as the sheet rounds: 10·exp ÷ sum ends in a half (exact in int64, as in
    `dlviz.attention`: 20·exp < 2⁶³)."""
    e, s = r.exp.astype(np.int64), np.maximum(r.sums.astype(np.int64), 1)
    return r.mask & (r.sums > 0) & ((20 * e) % (2 * s) == s)


def _half_slips(r: AttentionResult, shares: np.ndarray) -> tuple[np.ndarray, Slip | None, str]:
    """A with every half rounded down (9/12 = 0.75 → 0.7), the weights' slip of doing so
    and the output's hint, both naming the first half, column by column (None and "" when
    no share is a half)."""
    tie = _halves(r)
    half_down = np.where(tie, np.floor(shares * 10 + 1e-9) / 10, r.weights)
    if not tie.any():
        return half_down, None, ""
    j, i = np.argwhere(tie.T)[0]
    e, s, up = int(r.exp[i, j]), int(r.sums[j]), r.weights[i, j]
    share, rule = f"{e}/{s} = {e / s:g}", "a half rounds up"
    slip = Slip(np.where(tie, half_down, np.nan), f"{share} is exactly half-way between two "
                f"decimals: {rule}, as the sheet rounds it ({e / s:g} → {up:.1f}).")  # fmt: skip
    hint = f"This uses A with {share} at (k{i + 1}, q{j + 1}) rounded down: {rule}, to {up:.1f}"
    return half_down, slip, hint + " (step 8)."


def attention_checks(
    result: AttentionResult, exercise=None, *, head: int | None = None, positions: bool = False
) -> dict[str, Step]:
    """Scores, column sums, weights and output of `result`, with their slips (see module).

    exercise: the numbers the grids compare with (`examples.attention_exercise()` by
    default; an explorer passes the exercise it started from): called "the sheet's"
    when they are, "the exercise's own" when not. head: the number of the head
    `result` is, to name its matrices as that head's (S₂ = K₂ᵀ·Q₂ for head 2).
    positions: whether `result.X` holds the positional encoding added to the X typed.
    """
    n_ = "" if head is None else str(head).translate(_SUBSCRIPTS)
    S_, K_, Q_, V_, A_, Z_ = (m + n_ for m in "SKQVAZ")
    r = result
    n = r.n_tokens
    keys, queries = tuple(labels("k", n)), tuple(labels("q", n))
    dims = tuple(labels("d", r.d_k))  # the entries of a key or query, as notebook 1 names them
    hand = r.mode == "hand"
    source = sheet_differences(r, exercise, positions=positions)
    S = r.scores
    # Drawn as the explorer draws them: powers, sums and weights cannot be negative
    # (white to blue), weights on a 0-1 scale, a key hidden from a causal query as "–".
    hidden = r.mask if r.causal else None
    powers = {"palette": "positive", "mask": hidden}
    weights_look = {"palette": "positive", "scale": 1.0, "mask": hidden}
    transposed = Slip(
        S.T, "The whole grid is transposed: these are Qᵀ·K. On the sheet the keys are the "
        "rows and the queries the columns, so S[i, j] = kᵢ · qⱼ.", scope="grid",
    )  # fmt: skip
    minus = Slip(
        _lost_minus(r), "A minus sign got lost: one of the products kᵢ[f]·qⱼ[f] in this "
        "sum is negative and has to be subtracted.",
    )  # fmt: skip
    scores = Step(
        "scores", f"{S_} = {K_}ᵀ·{Q_} (row = key, column = query)", S, keys, queries,
        slips=(transposed, minus), source=source,
        inputs=(Given(f"{K_}ᵀ", r.K.T, keys, dims), Given(Q_, r.Q, dims, queries)),
    )  # fmt: skip

    if hand:
        exp, exp_name = r.exp, "exp = 3ˣ, rounded"
        sums = Step(
            "sums", "Σ 3ˣ: add up each column of the rounded powers of 3", r.sums, ("Σ",),
            queries, slips=_hand_sum_slips(r), source=source, palette="positive",
            inputs=(Given(exp_name, exp, keys, queries, **powers),),
        )  # fmt: skip
    else:
        by = f"{S_} ÷ √d_k" + (f" ÷ {r.temperature:g}" if r.temperature != 1 else "")
        with np.errstate(over="ignore"):
            exp = np.where(r.mask, np.exp(np.where(r.mask, r.scaled, 0.0)), 0.0)
            unscaled = np.where(r.mask, np.exp(np.where(r.mask, S, 0.0)), 0.0)
        if np.isfinite(exp.sum(axis=0)).all():
            exp_name, total, title = "eˣ", exp.sum(axis=0), f"Σ eˣ of each column, x = {by}"
        else:  # e^x overflows: ask for the shifted sums the explorer shows
            exp, exp_name, total = r.exp, "e^(x − m)", r.sums
            title = f"Σ e^(x − m) of each column, x = {by}, m = the column's largest x"
        sums = Step(
            "sums", title, total, ("Σ",), queries, fmt=".2f", source=source, palette="positive",
            inputs=(Given(exp_name, exp, keys, queries, ".2f", **powers),),
            slips=(
                Slip(exp.sum(axis=1), "These are row sums: add each column (one per query) "
                     "instead.", scope="grid"),
                Slip(unscaled.sum(axis=0), "The scaling was skipped: take eˣ of S ÷ √d_k, "
                     "not of S.", scope="grid"),
            ),
        )  # fmt: skip

    A = r.weights
    shares = _column_share(r.exp, axis=0)  # exp ÷ its column's sum, unrounded
    by_rows = Slip(
        _column_share(r.exp, axis=1), "You divided by the row sums: divide each column by "
        "its own sum, so that each query's weights add up to 1.", scope="grid",
    )  # fmt: skip
    A_T = Slip(A.T, "The whole grid is transposed (Aᵀ): keep keys as rows and queries as "
               "columns.", scope="grid")  # fmt: skip
    given_A = (Given(exp_name, exp, keys, queries, "auto" if hand else ".2f", **powers),
               Given("Σ", sums.expected, ("Σ",), queries, sums.fmt, "positive"))  # fmt: skip
    half_down, half_slip, half_hint = _half_slips(r, shares) if hand else (A, None, "")
    if hand:
        weights = Step(
            "weights", f"{A_} = exp ÷ column sum, rounded to one decimal", A, keys, queries,
            fmt=".1f", exact=shares, source=source, inputs=given_A, **weights_look,
            slips=(
                *([half_slip] if half_slip else []),
                Slip(np.floor(shares * 10 + 1e-9) / 10, _truncated_hint(shares)),
                by_rows, A_T,
            ),
        )  # fmt: skip
    else:
        unscaled_A = _column_share(np.where(r.mask, np.exp(S - S.max(axis=0)), 0.0), axis=0)
        no_t = _column_share(np.where(r.mask, np.exp(r.scaled * r.temperature), 0.0), axis=0)
        slips = [by_rows, A_T,
                 Slip(unscaled_A, "The scaling was skipped: this is the softmax of S, not of "
                      "S ÷ √d_k.", scope="grid")]  # fmt: skip
        if r.temperature != 1:
            slips.append(Slip(no_t, "The temperature was left out: divide the scaled scores "
                              f"by {r.temperature:g} too.", scope="grid"))  # fmt: skip
        weights = Step(
            "weights", f"{A_} = eˣ ÷ column sum (two decimals are enough)", A, keys, queries,
            fmt=".2f", source=source, inputs=given_A, slips=tuple(slips), **weights_look,
        )  # fmt: skip

    out_slips = [
        Slip(
            r.V @ A.T,
            "The whole grid is V·Aᵀ: A was transposed. Column j of Z "
            "mixes the values with column j of A (query j's weights).",
            scope="grid",
        )
    ]
    if hand:
        out_slips.append(
            Slip(
                r.V @ shares,
                "This uses the unrounded weights: the sheet "
                "multiplies by A rounded to one decimal (step 8).",
                scope="grid",
            )
        )
    if half_hint:
        out_slips.append(
            Slip(r.V @ half_down, half_hint, scope="grid")
        )  # fmt: skip
    output = Step(
        "output", f"{Z_} = {V_}·{A_}" + (f", with the rounded weights {A_}" if hand else ""),
        r.output,
        None, tuple(labels("z", n)),
        fmt="auto" if hand else ".2f", source=source, slips=tuple(out_slips),
        inputs=(Given(V_, r.V, None, tuple(labels("v", n))),
                Given(A_, A, keys, queries, ".1f" if hand else ".2f", **weights_look)),
    )  # fmt: skip
    origin = origin_of(exercise, examples.attention_exercise())
    steps = {"scores": scores, "sums": sums, "weights": weights, "output": output}
    return {key: replace(step, origin=origin) for key, step in steps.items()}
