"""The vector-database sheet's checkable steps: pooled vectors, index vectors, scores.

Computed from what a search was made with (the encoder, the stored texts, the query,
the metric), so the grids follow whatever an explorer shows. The slips, and how each is
recognised (the number a cell would hold had the learner made it):

pooled (and the same slips carried through P for the index vectors)
    a sum instead of a mean (made for the whole grid); ReLU forgotten (a negative
    W·e + b kept); ReLU taken after pooling instead of per word; the bias b left
    out (made text by text).
scores
    scores of summed instead of mean-pooled vectors; the pooled vectors compared
    without projecting with P; the other metric (dot for cosine, cosine for dot);
    and the sheet's own slip: a word that lost the last entry of its encoding ("who"
    as [1, 0, 0, 0], which turns 42/9 into 40/9 and 62/9 into 60/9). One candidate per
    word and text, and one per word made in every text that has it (the query too),
    so typing the published sheet's 40/9 and 60/9 gets one hint for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from dlviz import examples
from dlviz._format import format_number, labels
from dlviz._numerics import unit_rows
from dlviz.checking.grade import Given, Slip, Step
from dlviz.checking.sources import origin_of

# The published sheet's slip (shared/exercises.md): it encoded "who" as [1, 0, 0, 0]
# and wrote these scores by hand. A hint names them where a learner's numbers are these.
SHEET_SLIP_WORD = "who"
SHEET_SLIP_SCORES = {"who are you": "40/9", "who am I": "60/9"}


def _score(metric: str, q: np.ndarray, d: np.ndarray) -> float:
    if metric == "cosine":  # unit vectors measured safely; no direction, no score
        units = unit_rows(np.stack([q, d]))  # (2, index_dim), zeros if no direction
        return float(units[0] @ units[1]) if units.any(axis=1).all() else float("nan")
    return float(q @ d)


def _pool_variant(encoder, tokens, *, relu=True, bias=True, relu_after=False, lost=None):
    """Mean-pooled encoding of tokens with one rule changed, the way a slip would."""
    E = np.column_stack([encoder.vocabulary.vector(t) for t in tokens])  # (dim, n_tokens)
    linear = encoder.W @ E + (encoder.b[:, None] if bias else 0.0)  # (hidden, n_tokens)
    if relu_after:
        return np.maximum(linear.mean(axis=1), 0.0)
    H = np.maximum(linear, 0.0) if relu else linear
    if lost is not None:
        H = H.copy()
        H[-1, lost] = 0.0
    return H.mean(axis=1)


def sheet_differences(encoder, texts, query: str, metric: str, exercise=None) -> tuple[str, ...]:
    """How a search differs from the sheet's, in a few words."""
    ex = examples.vectordb_exercise() if exercise is None else exercise
    parts = []
    if list(texts) != list(ex["database"]):
        parts.append("texts edited")
    if query != ex["query"]:
        parts.append("query edited")
    edited = [
        name for name in ("W", "b", "P")
        if getattr(encoder, name).shape != np.shape(ex[name])
        or not np.allclose(getattr(encoder, name), ex[name])
    ]  # fmt: skip
    if edited:
        parts.append(f"{', '.join(edited)} edited")
    words = encoder.vocabulary
    if (
        "embeddings" in ex
        and (set(words.words) != set(ex["embeddings"]))
        or "embeddings" in ex
        and any(
            not np.allclose(words.vector(w), v) for w, v in ex["embeddings"].items() if w in words
        )
    ):
        parts.append("word embeddings edited")
    if metric != "dot":
        parts.append(f"{metric} metric")
    return tuple(parts)


def vectordb_steps(
    encoder, texts: Sequence[str], query: str, metric: str = "dot", exercise=None
) -> dict:
    """The three steps for a search of `query` among `texts` (see `vectordb_checks`)."""
    texts = list(texts)
    all_texts = [*texts, query]
    names = (*labels("s", len(texts)), "q")
    cols = (*texts, f"query: {query}")
    encodings = [encoder.encode(t) for t in all_texts]
    pooled = np.column_stack([e.pooled for e in encodings])  # (hidden, n_texts + 1)
    index = np.column_stack([e.index_vector for e in encodings])  # (index_dim, n_texts + 1)
    n = len(texts)
    source = sheet_differences(encoder, texts, query, metric, exercise)
    origin = origin_of(exercise, examples.vectordb_exercise())

    def scores_of(vectors):  # (dim, n + 1) → (n,): each text against the query (last)
        return np.array([_score(metric, vectors[:, -1], vectors[:, i]) for i in range(n)])

    variants = {
        "sum": np.column_stack([e.encoded.sum(axis=1) for e in encodings]),
        "relu": np.column_stack([_pool_variant(encoder, e.tokens, relu=False) for e in encodings]),
        "after": np.column_stack(
            [_pool_variant(encoder, e.tokens, relu_after=True) for e in encodings]
        ),
        "bias": np.column_stack([_pool_variant(encoder, e.tokens, bias=False) for e in encodings]),
    }
    words = {
        "sum": ("These are sums: mean pooling divides the sum by the number of words.", "grid"),
        "relu": ("A negative number survived: ReLU turns every negative entry of W·e + b "
                 "into 0, word by word.", "cell"),
        "after": ("ReLU came after pooling: apply it to each word's W·e + b, then take the "
                  "mean.", "cell"),
        "bias": ("The bias b was left out: h = ReLU(W·e + b).", "cell"),
    }  # fmt: skip
    P = encoder.P
    pooled_slips = tuple(Slip(v, *words[k]) for k, v in variants.items())
    index_slips = tuple(Slip(P @ v, *words[k]) for k, v in variants.items())

    scores = scores_of(index)
    other = "dot" if metric == "cosine" else "cosine"
    with np.errstate(invalid="ignore", divide="ignore"):
        other_scores = np.array([_score(other, index[:, -1], index[:, i]) for i in range(n)])
    score_slips = [
        Slip(scores_of(P @ variants["sum"]), "These are scores of summed vectors: take the "
             "mean over the words first.", scope="grid"),
        Slip(scores_of(pooled), "These compare the pooled vectors: project both with P first "
             "and compare the index vectors.", scope="grid"),
        Slip(other_scores, f"These are {other} scores; the metric here is {metric}"
             + (": the plain dot product s·q." if metric == "dot"
                else ": s·q ÷ (|s|·|q|)."), scope="grid"),
    ]  # fmt: skip
    score_slips += _lost_entry_slips(encoder, encodings, texts, metric)

    h = tuple(labels("h", pooled.shape[0]))
    p = ("x", "y") if index.shape[0] == 2 else tuple(labels("i", index.shape[0]))
    fmt = "frac"
    # H and the pooled vectors never negative (blue, as in the explorer); H on one scale
    # for all texts: a 1 is one shade
    top = max(float(np.abs(e.encoded).max()) for e in encodings) or None
    per_text = tuple(
        Given(f"H of {name}", e.encoded, h, e.tokens, fmt, palette="positive", scale=top)
        for name, e in zip(names, encodings, strict=True)
    )
    sfmt = "frac" if metric == "dot" else ".3f"
    how = "dot products s·q" if metric == "dot" else "cosines s·q ÷ (|s|·|q|)"
    return {
        "pooled": Step("pooled", "mean-pooled vectors (one column per sentence)", pooled,
                       h, cols, fmt=fmt, slips=pooled_slips, source=source, origin=origin,
                       inputs=per_text, palette="positive"),
        "index": Step("index", "index vectors P · pooled", index, p, cols, fmt=fmt,
                      slips=index_slips, source=source, origin=origin,
                      inputs=(Given("P", P, p, h, fmt),
                              Given("pooled", pooled, h, names, fmt, palette="positive"))),
        "scores": Step("scores", f"scores: the {how} with the query q", scores, ("score",),
                       tuple(texts), fmt=sfmt, slips=tuple(score_slips), source=source,
                       origin=origin,
                       inputs=(Given("index vectors", index, p, names, fmt),)),
    }  # fmt: skip


def _places(tokens, word) -> list[int]:
    return [i for i, token in enumerate(tokens) if token == word]


def _lost_entry_slips(encoder, encodings, texts, metric: str) -> list[Slip]:
    """A word's encoding that lost its last entry: once in one text (a candidate per
    word of each text), or in every text that has the word, the query (last) included."""
    P, n, q = encoder.P, len(texts), encodings[-1].index_vector
    last_row = "[" + ", ".join(format_number(v) for v in encoder.W[-1]) + "]"
    cause = f"lost the last entry of its encoding (the last row of W: {last_row})"

    def sheet_wrote(word, t, value) -> str | None:  # what the published sheet wrote there
        wrote = SHEET_SLIP_SCORES.get(texts[t]) if word == SHEET_SLIP_WORD else None
        return wrote if wrote and np.isclose(value, float(Fraction(wrote))) else None

    slips = []
    for t, enc in enumerate(encodings[:-1]):
        for w, word in enumerate(enc.tokens):
            lost = P @ _pool_variant(encoder, enc.tokens, lost=w)
            if np.allclose(lost, enc.index_vector):
                continue  # that entry was 0 anyway: no visible slip
            wrong = np.full(n, np.nan)
            wrong[t] = _score(metric, q, lost)
            wrote = sheet_wrote(word, t, wrong[t])
            slips.append(Slip(wrong, f"For {texts[t]!r}: it looks as if {word!r} {cause}."
                              + (f" The published sheet made this slip and wrote {wrote} here."
                                 if wrote else "")))  # fmt: skip
    for word in dict.fromkeys(t for e in encodings for t in e.tokens):
        vectors = np.column_stack(
            [P @ _pool_variant(encoder, e.tokens, lost=_places(e.tokens, word)) for e in encodings]
        )  # (index_dim, n + 1): every index vector, `word` slipped wherever it is
        changed = [
            t for t, e in enumerate(encodings) if not np.allclose(vectors[:, t], e.index_vector)
        ]
        if len(changed) < 2 and n not in changed:
            continue  # one text at most: the candidates above
        scores = np.array([_score(metric, vectors[:, -1], vectors[:, t]) for t in range(n)])
        wrote = [(texts[t], sheet_wrote(word, t, scores[t])) for t in changed if t < n]
        sheet = (" The published sheet made this slip and wrote "
                 + " and ".join(f"{w} for {text!r}" for text, w in wrote) + "."
                 if n not in changed and all(w for _, w in wrote) else "")  # fmt: skip
        slips.append(Slip(scores, f"It looks as if {word!r} {cause}, in every text that "
                          f"has it.{sheet}", scope="grid"))  # fmt: skip
    return slips


def vectordb_checks(result, exercise=None) -> dict[str, Step]:
    """Pooled vectors, index vectors and scores of a `SearchResult`, with their slips.

    The result carries the database it searched (its encoder and texts), so nothing
    else is read.
    """
    db = result.database
    return vectordb_steps(db.encoder, db.texts, result.query.sentence, result.metric, exercise)
