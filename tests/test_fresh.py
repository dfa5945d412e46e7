"""Fresh exercises (`examples.*_exercise(seed)`): pencil-friendly, checked over many seeds.

Every rule is checked with a computation written here, plainly, with Python loops and
fractions: not the library's, so that a slip in either shows.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from dlviz import examples

SEEDS = range(300)


def for_each_seed(check) -> None:
    """Run check(seed) for every seed of SEEDS; a failure names its seed."""
    for seed in SEEDS:
        try:
            check(seed)
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {exc}") from exc


def whole(a, bound):
    a = np.asarray(a)
    return a.dtype.kind in "iu" and np.abs(a).max() <= bound


# --- attention ----------------------------------------------------------------------


def hand_attention(X, WQ, WK, WV):
    """The sheet's pencil rules, one number at a time."""
    X, WQ, WK, WV = (np.asarray(m).tolist() for m in (X, WQ, WK, WV))
    n, d = len(X[0]), len(X)

    def mat(W):
        return [[sum(W[r][f] * X[f][t] for f in range(d)) for t in range(n)] for r in range(len(W))]

    Q, K, V = mat(WQ), mat(WK), mat(WV)
    S = [[sum(K[r][i] * Q[r][j] for r in range(len(K))) for j in range(n)] for i in range(n)]
    scaled = [[int(S[i][j] / 2) for j in range(n)] for i in range(n)]  # int() truncates
    exp = [[round(Fraction(3) ** s) for s in row] for row in scaled]
    sums = [sum(exp[i][j] for i in range(n)) for j in range(n)]
    A = [[math.floor(Fraction(10 * exp[i][j], sums[j]) + Fraction(1, 2)) / 10 for j in range(n)]
         for i in range(n)]  # fmt: skip
    Z = [[sum(V[r][i] * A[i][j] for i in range(n)) for j in range(n)] for r in range(len(V))]
    return {"S": S, "scaled": scaled, "sums": sums, "A": A, "Z": Z}


def test_fresh_attention_is_pencil_friendly():
    for_each_seed(_fresh_attention_is_pencil_friendly)


def _fresh_attention_is_pencil_friendly(seed):
    ex = examples.attention_exercise(seed)
    sheet = examples.attention_exercise()
    assert set(ex) == set(sheet)
    for key in sheet:
        assert ex[key].shape == sheet[key].shape
        assert whole(ex[key], 10), key
    r = hand_attention(**ex)
    assert max(abs(v) for row in r["scaled"] for v in row) <= 4
    assert all(1 <= s < 250 for s in r["sums"])
    assert len({tuple(col) for col in zip(*r["A"], strict=True)}) >= 3  # queries differ
    # Z = V·A comes out whole: V is in tens, A in tenths
    assert all(abs(z - round(z)) < 1e-9 for row in r["Z"] for z in row)


def test_fresh_attention_agrees_with_the_library():
    from dlviz import self_attention

    for seed in range(0, 300, 7):
        ex = examples.attention_exercise(seed)
        lib = self_attention(**ex, mode="hand")
        mine = hand_attention(**ex)
        np.testing.assert_array_equal(lib.scores, mine["S"])
        np.testing.assert_array_equal(lib.sums, mine["sums"])
        np.testing.assert_allclose(lib.weights, mine["A"], atol=1e-12)
        np.testing.assert_allclose(lib.output, mine["Z"], atol=1e-9)


# --- vector database ------------------------------------------------------------------


def hand_vectordb(embeddings, W, b, P, database, query):
    """Index vectors and dot scores as fractions, one word at a time."""

    def index(sentence):
        words = sentence.split()
        pooled = [Fraction(0)] * len(W)
        for word in words:
            e = embeddings[word].tolist()
            for h in range(len(W)):
                pooled[h] += max(0, sum(W[h][d] * e[d] for d in range(len(e))) + b[h])
        pooled = [p / len(words) for p in pooled]
        return [sum(P[r][h] * pooled[h] for h in range(len(pooled))) for r in range(len(P))]

    W, b, P = (np.asarray(m).tolist() for m in (W, b, P))
    q = index(query)
    vectors = [index(t) for t in database]
    scores = [sum(a * c for a, c in zip(q, v, strict=True)) for v in vectors]
    return {"query": q, "vectors": vectors, "scores": scores}


def test_fresh_vectordb_is_pencil_friendly():
    for_each_seed(_fresh_vectordb_is_pencil_friendly)


def _fresh_vectordb_is_pencil_friendly(seed):
    ex = examples.vectordb_exercise(seed)
    sheet = examples.vectordb_exercise()
    assert set(ex) == set(sheet)
    assert set(ex["embeddings"]) == set(sheet["embeddings"])  # the same words
    for word, vector in ex["embeddings"].items():
        assert vector.shape == (4,) and whole(vector, 10), word
    for key in ("W", "b", "P"):
        assert ex[key].shape == sheet[key].shape
        assert whole(ex[key], 3), key
    texts = ex["database"]
    assert len(texts) == 3 and len(set(texts)) == 3 and ex["query"] not in texts
    r = hand_vectordb(**ex)
    ranked = sorted(r["scores"], reverse=True)
    assert ranked[0] - ranked[1] >= Fraction(2, 9)  # one nearest text, clearly
    assert all(any(v) for v in [*r["vectors"], r["query"]])  # none zero: cosine works too


def test_fresh_vectordb_agrees_with_the_library():
    from dlviz import SentenceEncoder, VectorDatabase, Vocabulary

    for seed in range(0, 300, 7):
        ex = examples.vectordb_exercise(seed)
        db = VectorDatabase(
            SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
        )
        db.add(ex["database"])
        result = db.search(ex["query"], k=3)
        mine = hand_vectordb(**ex)
        np.testing.assert_allclose(result.scores, [float(s) for s in mine["scores"]], atol=1e-12)
        best = max(range(3), key=lambda i: mine["scores"][i])
        assert result.hits[0].text == ex["database"][best]


# --- mixture of experts ---------------------------------------------------------------


def test_fresh_moe_is_pencil_friendly():
    for_each_seed(_fresh_moe_is_pencil_friendly)


def _fresh_moe_is_pencil_friendly(seed):
    ex = examples.moe_exercise(seed)
    sheet = examples.moe_exercise()
    assert set(ex) == set(sheet)
    assert ex["X"].shape == (3, 2) and whole(ex["X"], 5)
    assert ex["gate_W"].shape == (2, 3) and whole(ex["gate_W"], 3)
    assert ex["gate_b"].shape == (2,) and whole(ex["gate_b"], 3)
    assert len(ex["experts"]) == 2
    for W, b in ex["experts"]:
        assert W.shape == (4, 3) and b.shape == (4,)
        assert whole(W, 10) and whole(b, 10)
    X, gW, gb = ex["X"].tolist(), ex["gate_W"].tolist(), ex["gate_b"].tolist()
    chosen = []
    for t in range(2):
        logits = [sum(gW[e][i] * X[i][t] for i in range(3)) + gb[e] for e in range(2)]
        assert 1 <= abs(logits[0] - logits[1]) <= 3  # a choice without a tie
        chosen.append(0 if logits[0] > logits[1] else 1)
    assert chosen[0] != chosen[1]  # both experts at work, as on the sheet
    linear = [
        [sum(ex["experts"][e][0][o][i] * X[i][t] for i in range(3)) + ex["experts"][e][1][o]
         for o in range(4)]
        for t, e in enumerate(chosen)
    ]  # fmt: skip
    assert any(v < 0 for row in linear for v in row)  # ReLU has something to do
    assert all(any(v > 0 for v in row) for row in linear)


# --- all three ------------------------------------------------------------------------


def _key(ex):
    """A hashable fingerprint of an exercise's numbers."""
    parts = []
    for k in sorted(ex):
        v = ex[k]
        if isinstance(v, dict):
            parts.append(tuple((w, tuple(x.tolist())) for w, x in sorted(v.items())))
        elif isinstance(v, list) and v and isinstance(v[0], tuple):
            parts.append(tuple(tuple(np.ravel(m).tolist()) for pair in v for m in pair))
        elif isinstance(v, (list, str)):
            parts.append(tuple(v) if isinstance(v, list) else v)
        else:
            parts.append(tuple(np.ravel(v).tolist()))
    return tuple(parts)


@pytest.mark.parametrize("make", [examples.attention_exercise, examples.vectordb_exercise,
                                  examples.moe_exercise])  # fmt: skip
def test_seeds_give_different_exercises_the_same_seed_the_same(make):
    keys = [_key(make(seed)) for seed in SEEDS]
    assert len(set(keys)) == len(keys)
    assert _key(make(None)) not in set(keys)  # none is the sheet
    assert _key(make(5)) == _key(make(5))
    assert _key(make(None)) == _key(make())


@pytest.mark.parametrize("make", [examples.attention_exercise, examples.vectordb_exercise,
                                  examples.moe_exercise])  # fmt: skip
@pytest.mark.parametrize(
    "seed, error, match",
    [(-1, ValueError, "seed must be at least 0, got -1"), (1.5, TypeError, "seed must be a whole"),
     ("7", TypeError, "seed must be a whole"), (True, TypeError, "seed must be a whole")],
)  # fmt: skip
def test_a_bad_seed_is_refused_in_words(make, seed, error, match):
    with pytest.raises(error, match=match):
        make(seed)


def test_a_fresh_exercise_is_a_new_copy_each_call():
    a = examples.attention_exercise(3)
    a["X"][0, 0] = 99
    assert examples.attention_exercise(3)["X"][0, 0] != 99
