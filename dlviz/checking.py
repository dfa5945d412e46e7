"""Grade a learner's hand work, cell by cell, and recognise the usual slips.

A learner computes a step with a pencil and types the numbers into a grid. Each
cell is read (`parse_answer`: "3", "-0.5", "44/9", "15 1/3"), compared with the
expected value within the tolerance the by-hand rules imply, and every wrong cell
is compared with the values a known slip would give (`Slip`), so the check can say
not only *which* numbers are wrong but *why*.

`attention_checks`, `vectordb_checks` and `moe_checks` say, for each key step of
the three exercises, what is expected and which slips to look for, computed from
the current inputs, so the grids follow whatever numbers an explorer shows.

Numpy only: the widget that shows all this is `dlviz.widgets.handcheck.HandCheck`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from dlviz._format import format_number, labels
from dlviz._numerics import unit_rows
from dlviz.attention import HAND_MAX_EXPONENT

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_FRACTION = re.compile(r"^([+-]?)(?:(\d+)\s+)?(\d+)\s*/\s*(\d+)$")


def parse_answer(text: str) -> Fraction:
    """Read what a learner typed: a whole number, a decimal, a fraction or a mixed number.

    "3", "-0.5", ".5", "44/9", "-1/3", "15 1/3" (fifteen and a third); a Unicode minus
    and a decimal comma are accepted too. Returns an exact Fraction.

    Raises ValueError with a sentence a learner can act on: empty, not a number, or
    a division by zero.
    """
    if not isinstance(text, str):
        raise TypeError(f"an answer is text, got {text!r}")
    cleaned = text.strip().replace("−", "-").replace("–", "-").replace(",", ".")
    if not cleaned:
        raise ValueError("empty: type a number")
    if _NUMBER.match(cleaned):
        return Fraction(cleaned)
    match = _FRACTION.match(cleaned)
    if match:
        sign, whole, num, den = match.groups()
        if int(den) == 0:
            raise ValueError(f"{text.strip()!r} divides by zero")
        value = int(whole or 0) + Fraction(int(num), int(den))
        return -value if sign == "-" else value
    raise ValueError(f"{text.strip()!r} is not a number: write it like 3, -0.5 or 44/9")


def decimals_typed(text: str) -> int | None:
    """How many decimals a learner wrote ("0.19" → 2), or None for a whole number or fraction."""
    cleaned = text.strip().replace(",", ".")
    if "/" in cleaned or "." not in cleaned:
        return None
    return len(cleaned.split(".")[1])


@dataclass(frozen=True, eq=False)
class Slip:
    """A known wrong way to do a step: the numbers it gives, and what to say."""

    values: np.ndarray
    hint: str


@dataclass(frozen=True, eq=False)
class Step:
    """One step a learner can check by hand: the expected grid and the slips to spot.

    tolerance: how far an answer may be from the expected value and still be right,
    as the by-hand rules imply (0.05 where the sheet rounds to one decimal, 0 where
    its numbers are exact). An answer given as a decimal is also right when the
    expected value rounds to it ("4.89" for 44/9).
    """

    key: str
    title: str
    expected: np.ndarray
    rows: tuple[str, ...] | None = None
    cols: tuple[str, ...] | None = None
    tolerance: float = 0.0
    fmt: str = "auto"
    slips: tuple[Slip, ...] = field(default_factory=tuple)


@dataclass(frozen=True, eq=False)
class Verdict:
    """The result of checking a grid of answers.

    status[i, j] is "right", "wrong", "empty" or "unreadable"; notes[i][j] explains
    the unreadable ones; hints are the slips that explain at least one wrong cell,
    with the cells they explain.
    """

    status: np.ndarray
    notes: tuple[tuple[str, ...], ...]
    hints: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]

    @property
    def all_right(self) -> bool:
        return bool((self.status == "right").all())

    @property
    def counts(self) -> dict[str, int]:
        kinds = ("right", "wrong", "empty", "unreadable")
        return {k: int((self.status == k).sum()) for k in kinds}


def _close(answer: Fraction, typed: str, target: float, tolerance: float) -> bool:
    if abs(float(answer) - target) <= tolerance + 1e-9 * max(1.0, abs(target)):
        return True
    places = decimals_typed(typed)
    # A decimal answer is right to the digits given: the target rounds to it.
    return places is not None and abs(float(answer) - target) <= 0.5 * 10.0**-places + 1e-12


def check(step: Step, answers: Sequence[Sequence[str]]) -> Verdict:
    """Grade a grid of typed answers (same shape as `step.expected`)."""
    expected = np.atleast_2d(step.expected)
    shape = (len(answers), len(answers[0]) if len(answers) else 0)
    if shape != expected.shape:
        raise ValueError(
            f"{shape[0]}×{shape[1]} answers for a {expected.shape[0]}×{expected.shape[1]} grid"
        )
    status = np.empty(expected.shape, dtype=object)
    notes = [["" for _ in range(shape[1])] for _ in range(shape[0])]
    explained: dict[int, list[tuple[int, int]]] = {}
    for i in range(shape[0]):
        for j in range(shape[1]):
            typed = answers[i][j]
            try:
                value = parse_answer(typed)
            except ValueError as exc:
                status[i, j] = "empty" if not typed.strip() else "unreadable"
                notes[i][j] = str(exc)
                continue
            if _close(value, typed, float(expected[i, j]), step.tolerance):
                status[i, j] = "right"
                continue
            status[i, j] = "wrong"
            for s, slip in enumerate(step.slips):
                slip_value = float(np.atleast_2d(slip.values)[i, j])
                differs = not _close(
                    Fraction(slip_value), "", float(expected[i, j]), step.tolerance
                )
                if differs and _close(value, typed, slip_value, step.tolerance):
                    explained.setdefault(s, []).append((i, j))
    hints = tuple((step.slips[s].hint, tuple(cells)) for s, cells in sorted(explained.items()))
    return Verdict(status=status, notes=tuple(tuple(r) for r in notes), hints=hints)


# --- the three exercises' checkable steps ---------------------------------------------


def attention_checks(result) -> dict[str, Step]:
    """Scores, column sums, weights and output of an `AttentionResult`, with their slips.

    The by-hand slips are computed from the same inputs, so they stay right when a
    learner practises on new numbers in the explorer.
    """
    n = result.n_tokens
    keys, queries = labels("k", n), labels("q", n)
    hand = result.mode == "hand"
    S = result.scores
    sum_slips = (
        Slip(result.exp.sum(axis=1), "These are row sums: add each column "
             "(one per query) instead."),
    )  # fmt: skip
    if hand:
        # The classic pencil slip: floor instead of truncation, and 3⁻¹ kept as ⅓.
        floored = np.minimum(np.floor(S / result.divisor), HAND_MAX_EXPONENT)
        floor_sums = np.where(result.mask, 3.0**floored, 0.0).sum(axis=0)
        sum_slips = (
            Slip(floor_sums, "A sum like 15⅓ means −½ was rounded down to −1 instead of "
                 "toward zero, and 3⁻¹ was kept as ⅓ instead of rounding it to 0."),
        ) + sum_slips  # fmt: skip
    row_sums = result.exp / np.maximum(result.exp.sum(axis=1, keepdims=True), 1e-300)
    return {
        "scores": Step(
            "scores", "S = Kᵀ·Q (row = key, column = query)", S, tuple(keys), tuple(queries),
            slips=(
                Slip(S.T, "These are Qᵀ·K, the transpose: on the sheet the keys are the rows "
                     "and the queries the columns, so S[i, j] = kᵢ · qⱼ."),
            ),
        ),
        "sums": Step(
            "sums", "column sums of exp", result.sums, ("Σ",), tuple(queries),
            tolerance=0.0 if hand else 0.005, fmt="auto" if hand else ".2f",
            slips=sum_slips,
        ),
        "weights": Step(
            "weights", "A = exp ÷ column sum" + (", to one decimal" if hand else ""),
            result.weights, tuple(keys), tuple(queries),
            tolerance=0.05 if hand else 0.005, fmt=".1f" if hand else ".2f",
            slips=(
                Slip(row_sums, "You divided by the row sums: divide each column by its own "
                     "sum, so that each query's weights add up to 1."),
                Slip(result.weights.T, "This is Aᵀ: keep keys as rows and queries as columns."),
            ),
        ),
        "output": Step(
            "output", "Z = V·A", result.output, None, tuple(labels("z", n)),
            tolerance=0.0 if hand else 0.005, fmt="auto" if hand else ".2f",
            slips=(
                Slip(result.V @ result.weights.T, "This is V·Aᵀ: A was transposed. Column j "
                     "of Z mixes the values with column j of A (query j's weights)."),
            ),
        ),
    }  # fmt: skip


def _encode_variant(encoder, tokens, *, relu=True, bias=True, drop_last_row_of=None):
    """Encode tokens with one rule changed, the way a slip would."""
    E = np.column_stack([encoder.vocabulary.vector(t) for t in tokens])  # (dim, n_tokens)
    linear = encoder.W @ E + (encoder.b[:, None] if bias else 0.0)
    H = np.maximum(linear, 0.0) if relu else linear
    if drop_last_row_of is not None:
        H = H.copy()
        H[-1, drop_last_row_of] = 0.0
    return H


def vectordb_checks(
    encoder, texts: Sequence[str], query: str, metric: str = "dot"
) -> dict[str, Step]:
    """Pooled vectors, index vectors and scores of a small database, with their slips.

    Slips looked for: a sum instead of a mean, a forgotten ReLU or bias, similarity
    taken on the pooled vectors (no projection), and the sheet's own slip: a token
    that lost the last entry of its encoding ("who" as [1, 0, 0, 0], which turns
    44/9 into 40/9).
    """
    all_texts = list(texts) + [query]
    names = tuple(all_texts[:-1]) + (f"query: {query}",)
    encodings = [encoder.encode(t) for t in all_texts]
    pooled = np.column_stack([e.pooled for e in encodings])  # (hidden, n_texts + 1)
    index = np.column_stack([e.index_vector for e in encodings])  # (index_dim, n_texts + 1)

    def score(qv, dv):
        if metric == "cosine":  # unit vectors measured safely; no direction, no score
            units = unit_rows(np.stack([qv, dv]))  # (2, index_dim), zeros if no direction
            return float(units[0] @ units[1]) if units.any(axis=1).all() else float("nan")
        return float(qv @ dv)

    scores = np.array([score(index[:, -1], index[:, i]) for i in range(len(texts))])
    sums = np.column_stack([e.encoded.sum(axis=1) for e in encodings])
    no_relu = np.column_stack(
        [_encode_variant(encoder, e.tokens, relu=False).mean(axis=1) for e in encodings]
    )
    no_bias = np.column_stack(
        [_encode_variant(encoder, e.tokens, bias=False).mean(axis=1) for e in encodings]
    )
    pooled_slips = (
        Slip(sums, "These are sums: mean pooling divides the sum by the number of words."),
        Slip(no_relu, "A negative number survived: ReLU turns every negative entry into 0."),
        Slip(no_bias, "The bias b was left out: h = ReLU(W·e + b)."),
    )
    P = encoder.P
    index_slips = tuple(Slip(P @ s.values, s.hint) for s in pooled_slips)
    query_index = index[:, -1]
    pooled_scores = np.array([score(pooled[:, -1], pooled[:, i]) for i in range(len(texts))])
    score_slips = [
        Slip(np.array([score(P @ sums[:, -1], P @ sums[:, i]) for i in range(len(texts))]),
             "These are scores of summed vectors: take the mean over the words first."),
        Slip(pooled_scores, "These compare the pooled vectors: project both with P first "
             "and compare the index vectors."),
    ]  # fmt: skip
    last_row = "[" + ", ".join(format_number(v) for v in encoder.W[-1]) + "]"
    for t, enc in enumerate(encodings[:-1]):
        for w, word in enumerate(enc.tokens):
            H = _encode_variant(encoder, enc.tokens, drop_last_row_of=w)
            if np.allclose(H, enc.encoded):
                continue  # that entry was 0 anyway: no visible slip
            wrong = scores.copy()
            wrong[t] = score(query_index, P @ H.mean(axis=1))
            score_slips.append(
                Slip(wrong, f"For {texts[t]!r}: it looks as if {word!r} lost the last entry "
                     f"of its encoding (the last row of W: {last_row}). "
                     "The published sheet made this slip and wrote 40/9.")
            )  # fmt: skip
    cols = names
    return {
        "pooled": Step("pooled", "mean-pooled vectors (one column per sentence)", pooled,
                       tuple(labels("h", pooled.shape[0])), cols, fmt="frac", slips=pooled_slips),
        "index": Step("index", "index vectors P · pooled", index,
                      _index_rows(index.shape[0]), cols, fmt="frac", slips=index_slips),
        "scores": Step("scores", f"{metric} scores against the query", scores, ("score",),
                       tuple(texts), fmt="frac" if metric == "dot" else ".2f",
                       tolerance=0.0 if metric == "dot" else 0.005, slips=tuple(score_slips)),
    }  # fmt: skip


def _index_rows(n: int) -> tuple[str, ...]:
    """The rows of index vectors as the notebook and explorer name them: x, y in 2-d."""
    return ("x", "y") if n == 2 else tuple(labels("i", n))


def moe_checks(moe, result, n_tokens: int = 2) -> dict[str, Step]:
    """Gate logits, the choice (top-1, as a one-hot grid) and the outputs, with slips.

    Only the first `n_tokens` tokens (the sheet's X1 and X2) are asked for: an
    explorer may route dozens of random tokens, which nobody should do by pencil.
    """
    n_tokens = min(n_tokens, result.X.shape[1])
    X = result.X[:, :n_tokens]
    tokens = tuple(labels("X", n_tokens))
    experts = tuple(f"expert {e + 1}" for e in range(moe.n_experts))
    logits = result.gate_logits[:, :n_tokens]
    probs = result.gate_probs[:, :n_tokens]
    top1 = result.chosen[0, :n_tokens]
    onehot = np.zeros_like(logits)
    onehot[top1, np.arange(n_tokens)] = 1.0
    worst = np.zeros_like(logits)
    worst[np.argmin(logits, axis=0), np.arange(n_tokens)] = 1.0
    # Each token sent to its worst expert, or with ReLU forgotten, or to every expert.
    linear_all = np.stack([W @ X + b[:, None] for W, b in moe.experts])  # (E, out, n)
    other = linear_all[np.argmin(logits, axis=0), :, np.arange(n_tokens)].T  # (out, n)
    chosen_linear = linear_all[top1, :, np.arange(n_tokens)].T
    dense = np.einsum("en,eon->on", probs, np.maximum(linear_all, 0.0))
    if result.top_k == 1:
        output_title = "the output ReLU(W·x + b) of each token's chosen expert"
    else:
        output_title = f"the output Σ g·ReLU(W·x + b) over each token's top {result.top_k}"
    return {
        "logits": Step("logits", "gate logits W·x + b (row = expert, column = token)",
                       logits, experts, tokens,
                       slips=(Slip(logits[::-1], "The experts are swapped: row e of the gate "
                                   "is expert e."),)),
        "choice": Step("choice", "the choice: 1 for the chosen expert, 0 elsewhere", onehot,
                       experts, tokens,
                       slips=(Slip(worst, "The gate picks the expert with the LARGEST logit."),)),
        "output": Step("output", output_title,
                       result.output[:, :n_tokens], tuple(labels("o", result.output.shape[0])),
                       tokens, tolerance=0.005,
                       slips=(
                           Slip(chosen_linear, "A negative number survived: the expert's "
                                "output goes through ReLU, which turns it into 0."),
                           Slip(np.maximum(other, 0.0), "That is the other expert's output: "
                                "the token goes to the expert with the larger gate logit."),
                           Slip(dense, "That mixes every expert by its gate probability; with "
                                "top-1 routing only the chosen expert computes."),
                       )),
    }  # fmt: skip


def ivf_checks(step, texts: Sequence[str]) -> dict[str, Step]:
    """The two by-hand steps of one Lloyd step (`dlviz.vectordb.lloyd_step`): keys
    "assignment" (the list of each text, counted from 1) and "centroids" (the new
    centroid of each list, one per column as on the sheets)."""
    n_lists = step.centroids.shape[0]
    lists = tuple(f"list {j + 1}" for j in range(n_lists))
    assignment = (step.assignment + 1)[None, :].astype(float)  # (1, n): lists from 1
    sums = step.new_centroids * np.maximum(step.counts, 1)[:, None]  # (n_lists, dim)
    with_old = (sums + step.centroids) / (step.counts + 1)[:, None]
    axes = (
        tuple(labels("x", step.centroids.shape[1])) if step.centroids.shape[1] != 2 else ("x", "y")
    )
    return {
        "assignment": Step("assignment", "the list of each text: its nearest centroid",
                           assignment, ("list",), tuple(texts),
                           slips=(Slip(assignment - 1, "Lists are counted from 1 here: the "
                                       "first centroid's list is list 1."),)),
        "centroids": Step("centroids", "the new centroids: the mean of each list",
                          step.new_centroids.T, axes, lists,
                          slips=(
                              Slip(sums.T, "That is the sum of the list: divide by how "
                                   "many texts it holds."),
                              Slip(with_old.T, "The old centroid is not one of the texts: "
                                   "average the list's texts only."),
                              Slip(3 * step.new_centroids.T, "Those are thirds: divide by "
                                   "3 to get the index vector's own numbers."),
                          )),
    }  # fmt: skip
