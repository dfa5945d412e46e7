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
    and the sheet's own slip: one word that lost the last entry of its encoding
    ("who" as [1, 0, 0, 0], which turns 42/9 into 40/9 and 62/9 into 60/9), made in the
    word table, so in every text holding the word: one candidate per word.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlviz import examples
from dlviz._format import format_number, labels
from dlviz._numerics import unit_rows
from dlviz.checking.grade import Given, Slip, Step


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


def _places(tokens, word: str) -> list[int]:
    return [i for i, t in enumerate(tokens) if t == word]


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
    last_row = "[" + ", ".join(format_number(v) for v in encoder.W[-1]) + "]"
    for word in dict.fromkeys(t for e in encodings for t in e.tokens):  # each word once
        # Made in the word table, so in every text that holds the word, the query too.
        lost = np.column_stack(
            [P @ _pool_variant(encoder, e.tokens, lost=_places(e.tokens, word)) for e in encodings]
        )  # (index_dim, n + 1)
        if np.allclose(lost, index):
            continue  # that entry was 0 anyway: no visible slip
        changed = ~np.isclose(lost, index).all(axis=0)  # (n + 1,)
        wrong = np.where(changed[:n] | changed[-1], scores_of(lost), np.nan)
        score_slips.append(
            Slip(wrong, f"It looks as if {word!r} lost the last entry of its encoding (the "
                 f"last row of W: {last_row})."
                 + ("" if source or word != "who" else  # the sheet's numbers, the sheet's slip
                    " The published sheet made this slip and wrote 40/9 and 60/9."))
        )  # fmt: skip

    h = tuple(labels("h", pooled.shape[0]))
    p = ("x", "y") if index.shape[0] == 2 else tuple(labels("i", index.shape[0]))
    fmt = "frac"
    per_text = tuple(
        Given(f"H of {name}", e.encoded, h, e.tokens, fmt)
        for name, e in zip(names, encodings, strict=True)
    )
    sfmt = "frac" if metric == "dot" else ".3f"
    how = "dot products s·q" if metric == "dot" else "cosines s·q ÷ (|s|·|q|)"
    return {
        "pooled": Step("pooled", "mean-pooled vectors (one column per sentence)", pooled,
                       h, cols, fmt=fmt, slips=pooled_slips, source=source,
                       inputs=per_text),
        "index": Step("index", "index vectors P · pooled", index, p, cols, fmt=fmt,
                      slips=index_slips, source=source,
                      inputs=(Given("P", P, p, h, fmt), Given("pooled", pooled, h, names, fmt))),
        "scores": Step("scores", f"scores: the {how} with the query q", scores, ("score",),
                       tuple(texts), fmt=sfmt, slips=tuple(score_slips), source=source,
                       inputs=(Given("index vectors", index, p, names, fmt),)),
    }  # fmt: skip


def vectordb_checks(result, exercise=None) -> dict[str, Step]:
    """Pooled vectors, index vectors and scores of a `SearchResult`, with their slips.

    The result carries the database it searched (its encoder and texts), so nothing
    else is read.
    """
    db = result.database
    return vectordb_steps(db.encoder, db.texts, result.query.sentence, result.metric, exercise)
