"""Tests of dlviz.vectordb: the exercise's numbers, plain-loop references, every refusal."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest

from dlviz import vectordb
from dlviz.vectordb import (
    Encoding,
    Hit,
    Neighbours,
    SearchResult,
    SentenceEncoder,
    VectorDatabase,
    VectorIndex,
    Vocabulary,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "vectordb"  # what the `ex` fixture (conftest.py) gives


@pytest.fixture
def encoder(ex):
    return SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])


@pytest.fixture
def db(ex, encoder):
    database = VectorDatabase(encoder)
    database.add(ex["database"])
    return database


# --------------------------------------------------------------------------- the exercise
# Values of the by-hand sheet, exercises.md (exercise 2), computed independently there.

SHEET = {
    "how are you": {
        "encoded": [[1, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0]],  # token columns
        "pooled": np.array([3, 2, 1, 1]) / 3,
        "index_vector": np.array([5, 2]) / 3,
        "dot": 44 / 9,
    },
    "who are you": {
        "encoded": [[1, 0, 0, 1], [1, 1, 0, 0], [1, 1, 0, 0]],
        "pooled": np.array([3, 2, 0, 1]) / 3,
        "index_vector": np.array([5, 1]) / 3,
        "dot": 42 / 9,
    },
    "who am I": {
        "encoded": [[1, 0, 0, 1], [1, 0, 1, 1], [3, 2, 0, 0]],
        "pooled": np.array([5, 2, 1, 2]) / 3,
        "index_vector": np.array([7, 3]) / 3,
        "dot": 62 / 9,
    },
}
QUERY_POOLED = np.array([5, 3, 1, 1]) / 3
QUERY_INDEX_VECTOR = np.array([8, 2]) / 3


@pytest.mark.parametrize("sentence", list(SHEET))
def test_exercise_encoding_matches_the_sheet(encoder, sentence):
    enc = encoder.encode(sentence)
    expected = SHEET[sentence]
    assert enc.tokens == tuple(sentence.split())
    # The sheet lists encoded tokens as columns: column j of `encoded` is token j.
    np.testing.assert_allclose(enc.encoded, np.array(expected["encoded"]).T)
    np.testing.assert_allclose(enc.pooled, expected["pooled"])
    np.testing.assert_allclose(enc.index_vector, expected["index_vector"])
    np.testing.assert_allclose(enc.encoded, np.maximum(enc.linear, 0))
    assert enc.embeddings.shape == (4, 3)
    assert enc.linear.shape == enc.encoded.shape == (4, 3)


def test_exercise_query_encoding(ex, encoder):
    enc = encoder.encode(ex["query"])
    np.testing.assert_allclose(enc.pooled, QUERY_POOLED)
    np.testing.assert_allclose(enc.index_vector, QUERY_INDEX_VECTOR)


def test_exercise_search_finds_who_am_i(ex, db):
    result = db.search(ex["query"], k=3)
    np.testing.assert_allclose(result.scores, [SHEET[t]["dot"] for t in ex["database"]])
    assert [h.text for h in result.hits] == ["who am I", "how are you", "who are you"]
    assert [h.index for h in result.hits] == [2, 0, 1]
    assert [h.score for h in result.hits] == pytest.approx([62 / 9, 44 / 9, 42 / 9])
    np.testing.assert_allclose(result.query.index_vector, QUERY_INDEX_VECTOR)
    assert db.search(ex["query"]).hits[0].text == "who am I"


def test_the_sheets_slip_gives_40_ninths(ex, db, encoder):
    """The handwritten 40/9 and 60/9 come from encoding "who" as [1,0,0,0], not [1,0,0,1]."""
    query = encoder.encode(ex["query"]).index_vector
    for i, wrong in ((1, 40 / 9), (2, 60 / 9)):  # "who are you", "who am I"
        encoded = np.array(db.encodings[i].encoded)  # (hidden, n_tokens), a writable copy
        encoded[:, 0] = [1, 0, 0, 0]  # the slip: the last encoder row dropped for "who"
        slipped = encoder.P @ encoded.mean(axis=1) @ query
        assert slipped == pytest.approx(wrong)
        assert db.search(ex["query"], k=3).scores[i] - slipped == pytest.approx(2 / 9)


def test_exercise_cosine(ex, db):
    result = db.search(ex["query"], k=3, metric="cosine")
    q = QUERY_INDEX_VECTOR
    expected = [
        float(v @ q) / (math.hypot(*v) * math.hypot(*q))
        for v in (SHEET[t]["index_vector"] for t in ex["database"])
    ]
    np.testing.assert_allclose(result.scores, expected)
    assert result.metric == "cosine" and result.k == 3


# --------------------------------------------------------------------------- Vocabulary


def test_vocabulary_basics(ex):
    vocab = Vocabulary(ex["embeddings"])
    assert vocab.dim == 4
    assert len(vocab) == 21
    assert vocab.words[:3] == ("a", "an", "the")
    assert "I" in vocab and "i" not in vocab and 3 not in vocab
    assert vocab.matrix.shape == (4, 21)
    np.testing.assert_allclose(vocab.matrix[:, vocab.words.index("I")], [1, 2, 0, 0])
    with pytest.raises(ValueError, match="read-only"):
        vocab.matrix[0, 0] = 7
    v = vocab.vector("you")
    v[0] = 99  # a fresh copy: the vocabulary does not change
    np.testing.assert_allclose(vocab.vector("you"), [0, 1, 0, 0])


def test_vocabulary_from_pairs_equals_from_dict(ex):
    from_dict = Vocabulary(ex["embeddings"])
    from_pairs = Vocabulary(list(ex["embeddings"].items()))
    assert from_pairs.words == from_dict.words
    np.testing.assert_array_equal(from_pairs.matrix, from_dict.matrix)


def test_vocabulary_refuses_a_word_twice():
    with pytest.raises(ValueError, match=r"the word 'she' is given twice \(entries 1 and 3\)"):
        Vocabulary([("she", [-1, 2, 0, 0]), ("he", [0, 0, 0, 1]), ("she", [0, 0, -1, 0])])


def test_vocabulary_refuses_mixed_sizes():
    with pytest.raises(ValueError, match=r"'a' has 4 numbers but 'b' has 3"):
        Vocabulary({"a": [1, 2, 3, 4], "b": [1, 2, 3]})


@pytest.mark.parametrize(
    ("table", "error", "message"),
    [
        ({}, ValueError, "the vocabulary is empty"),
        ([], ValueError, "the vocabulary is empty"),
        ({"a": [1, float("nan")]}, ValueError, r"the vector of 'a'\[1\] is nan"),
        ({"a": [1, "x"]}, TypeError, "must hold numbers only, found 'x'"),
        ({3: [1, 2]}, TypeError, "words must be text"),
        ({"ice cream": [1, 2]}, ValueError, "'ice cream' is empty or holds whitespace"),
        ({"": [1, 2]}, ValueError, "'' is empty or holds whitespace"),
        ([("a", [1, 2], "extra")], TypeError, r"must be a \(word, vector\) pair"),
        ("a", TypeError, "a dict word"),
        (None, TypeError, "a dict word"),
        (5, TypeError, "a dict word"),
    ],
)
def test_vocabulary_refuses_bad_tables(table, error, message):
    with pytest.raises(error, match=message):
        Vocabulary(table)


def test_suggest_case_first_then_edit_distance(ex):
    vocab = Vocabulary(ex["embeddings"])
    assert vocab.suggest("i")[0] == "I"
    assert vocab.suggest("yuo")[0] == "you"
    assert vocab.suggest("whoo", n=1) == ("who",)
    assert vocab.suggest("HOW", n=2)[0] == "how"
    assert vocab.suggest("xyz") == vocab.suggest("xyz")  # deterministic
    assert len(vocab.suggest("xyz", n=5)) == 5
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        vocab.suggest("i", n=0)
    with pytest.raises(ValueError, match="unknown word 'i'; did you mean 'I'"):
        vocab.vector("i")


# --------------------------------------------------------------------------- SentenceEncoder


def test_encoder_reference_on_random_inputs():
    """Steps 2-4 in plain Python loops, on random integer words and weights."""
    rng = np.random.default_rng(7)
    dim, hidden, index_dim = 5, 6, 3
    table = {f"w{i}": rng.integers(-3, 4, size=dim) for i in range(10)}
    W = rng.integers(-2, 3, size=(hidden, dim))
    b = rng.integers(-2, 3, size=hidden)
    P = rng.integers(-2, 3, size=(index_dim, hidden))
    encoder = SentenceEncoder(table, W, b, P)
    for _ in range(20):
        tokens = [f"w{i}" for i in rng.integers(0, 10, size=rng.integers(1, 6))]
        enc = encoder.encode(" ".join(tokens))
        hs = []
        for t in tokens:
            e = [float(x) for x in table[t]]
            h = [max(0.0, sum(W[r][c] * e[c] for c in range(dim)) + b[r]) for r in range(hidden)]
            hs.append(h)
        pooled = [sum(h[r] for h in hs) / len(hs) for r in range(hidden)]
        index_vector = [sum(P[r][c] * pooled[c] for c in range(hidden)) for r in range(index_dim)]
        np.testing.assert_allclose(enc.encoded, np.array(hs).T)
        np.testing.assert_allclose(enc.pooled, pooled)
        np.testing.assert_allclose(enc.index_vector, index_vector)


def test_encoding_is_frozen_and_read_only(encoder):
    enc = encoder.encode("how are you")
    assert isinstance(enc, Encoding)
    for name in ("embeddings", "linear", "encoded", "pooled", "index_vector"):
        arr = getattr(enc, name)
        assert not arr.flags.writeable, name
        assert arr.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        enc.pooled[0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        enc.pooled = None
    for name in ("W", "b", "P"):
        assert not getattr(encoder, name).flags.writeable
    with pytest.raises(AttributeError, match="W"):
        encoder.W = np.eye(4)


def test_encoder_tokenises_on_whitespace_only(encoder):
    assert encoder.encode("  how\tare\nyou ").tokens == ("how", "are", "you")
    with pytest.raises(ValueError, match=r"unknown word 'you\?'"):
        encoder.encode("how are you?")


def test_unknown_word_names_it_and_suggests(encoder):
    message = "unknown word 'i' in 'am i you'; did you mean 'I'?"
    with pytest.raises(ValueError, match=re.escape(message)):
        encoder.encode("am i you")
    # only the closest: 'you' is one swap away; 'who' (2) and 'a' (3) are no help
    with pytest.raises(ValueError, match=r"unknown word 'yuo' .*did you mean 'you'\?$"):
        encoder.encode("how are yuo")
    with pytest.raises(ValueError, match=r"unknown word 'i' .*\(also unknown: 'yuo'\)"):
        encoder.encode("am i yuo")


KNOWN = (
    "a, am, an, are, be, he, her, him, how, I, is, me, she, the, they, was, we, what, who, why, you"
)


@pytest.mark.parametrize("typed", ["3", "1/0", "q", "xxxxxxxx"])
def test_a_word_like_no_known_one_gets_the_list_not_a_guess(encoder, typed):
    # A learner typing "3" did not mean "a": no known word keeps one of its letters, so
    # the message lists the words there are instead of guessing.
    message = f"unknown word {typed!r} in 'who are {typed}'; the known words are: {KNOWN}"
    with pytest.raises(ValueError) as caught:
        encoder.encode(f"who are {typed}")
    assert str(caught.value) == message


def test_a_suggestion_keeps_a_letter_of_the_word_typed(encoder):
    with pytest.raises(ValueError, match=r"^unknown word 'b'; did you mean 'be'\?$"):
        encoder.encode("b")  # 'a' and 'I' are one edit away too, but share nothing with it


def test_a_large_vocabulary_is_not_listed_whole():
    words = {f"w{i}": [float(i), 1.0] for i in range(100)}
    with pytest.raises(ValueError, match=r"'z'; there are 100 known words, such as w0, w1, w10, "):
        vectordb.Vocabulary(words).vector("z")


@pytest.mark.parametrize("sentence", ["", "   ", "\n\t"])
def test_empty_sentence_is_refused(encoder, sentence):
    with pytest.raises(ValueError, match="has no words"):
        encoder.encode(sentence)


@pytest.mark.parametrize("sentence", [None, 3, ["how", "are", "you"], b"how"])
def test_non_text_sentence_is_refused(encoder, sentence):
    with pytest.raises(TypeError, match="a sentence must be text"):
        encoder.encode(sentence)


def test_encoder_shape_mismatches(ex):
    vocab = Vocabulary(ex["embeddings"])
    W, b, P = ex["W"], ex["b"], ex["P"]
    with pytest.raises(ValueError, match=r"W is 4×3 but the word vectors are 4-d.*\(4×4\)"):
        SentenceEncoder(vocab, W[:, :3], b, P)
    with pytest.raises(ValueError, match=r"b has 3 numbers but W is 4×4.*must have 4"):
        SentenceEncoder(vocab, W, b[:3], P)
    with pytest.raises(ValueError, match=r"P is 2×3 but W is 4×4.*must be \(2×4\)"):
        SentenceEncoder(vocab, W, b, P[:, :3])
    with pytest.raises(ValueError, match="b must be a vector"):
        SentenceEncoder(vocab, W, [[0, 1], [2, 3]], P)
    with pytest.raises(ValueError, match=r"W\[0, 0\] is nan"):
        SentenceEncoder(vocab, np.full((4, 4), np.nan), b, P)


def test_with_params_makes_a_new_encoder(ex, encoder):
    moved = encoder.with_params(P=[[1, 0, 0, 0], [0, 0, 0, 1]], b=[0, 0, 0, 0])
    np.testing.assert_allclose(encoder.P, ex["P"])  # the old one is unchanged
    np.testing.assert_allclose(moved.W, ex["W"])
    enc = moved.encode("am I you")
    np.testing.assert_allclose(enc.index_vector, [enc.pooled[0], enc.pooled[3]])
    np.testing.assert_allclose(enc.linear, ex["W"] @ enc.embeddings)
    with pytest.raises(ValueError, match="b has 2 numbers"):
        encoder.with_params(b=[0, 0])
    # A different hidden size needs W, b and P together.
    wide = encoder.with_params(W=np.ones((5, 4)), b=np.zeros(5), P=np.ones((2, 5)))
    assert wide.hidden_dim == 5 and wide.index_dim == 2


# --------------------------------------------------------------------------- VectorIndex
# Reference: plain Python loops, every score, then sorted by (-score, id).


def reference_search(stored, queries, k, metric):
    stored = [[float(x) for x in row] for row in stored]
    ids, scores = [], []
    for q in ([float(x) for x in row] for row in queries):
        found = []
        for i, s in enumerate(stored):
            score = sum(a * b for a, b in zip(s, q, strict=True))
            if metric == "cosine":
                score /= math.sqrt(sum(a * a for a in s)) * math.sqrt(sum(b * b for b in q))
            found.append((score, i))
        best = sorted(found, key=lambda pair: (-pair[0], pair[1]))[:k]
        ids.append([i for _, i in best])
        scores.append([score for score, _ in best])
    return np.array(ids), np.array(scores)


def check_against_reference(index, stored, queries, k, metric, rtol=1e-9):
    result = index.search(queries, k=k, metric=metric)
    queries_2d = np.atleast_2d(queries)
    ids, scores = reference_search(stored, queries_2d, k, metric)
    assert result.ids.shape == result.scores.shape == (len(queries_2d), k)
    assert result.ids.dtype == np.int64
    np.testing.assert_array_equal(result.ids, ids)
    np.testing.assert_allclose(result.scores, scores, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("metric", ["dot", "cosine"])
@pytest.mark.parametrize("k", [1, 3, 10, 57])
def test_index_matches_reference_on_random_floats(metric, k):
    rng = np.random.default_rng(2024)
    stored = rng.standard_normal((57, 6))
    index = VectorIndex(6)
    assert list(index.add(stored)) == list(range(57))
    check_against_reference(index, stored, rng.standard_normal(6), k, metric)  # one query
    check_against_reference(index, stored, rng.standard_normal((5, 6)), k, metric)  # many


@pytest.mark.parametrize("k", [1, 2, 5, 17, 40, 200])
def test_index_ties_keep_insertion_order_dot(k):
    """Integer vectors with many duplicates: dot products are exact, so ties are real."""
    rng = np.random.default_rng(11)
    stored = rng.integers(-2, 3, size=(200, 3))
    index = VectorIndex(3)
    index.add(stored)
    queries = rng.integers(-2, 3, size=(8, 3))
    check_against_reference(index, stored, queries, k, "dot")
    ids, scores = reference_search(stored, queries, k, "dot")
    # The data do produce ties that straddle the k-th place.
    kth = scores[:, -1:]
    all_dots = queries @ stored.T
    assert k == 200 or ((all_dots == kth).sum(axis=1) > (scores == kth).sum(axis=1)).any()


@pytest.mark.parametrize("k", [1, 4, 9, 30])
def test_index_ties_keep_insertion_order_cosine(k):
    """Exact duplicates of a few directions; distinct directions keep distinct cosines."""
    rng = np.random.default_rng(5)
    bases = rng.integers(-5, 6, size=(12, 8))
    stored = bases[rng.integers(0, 12, size=90)]
    queries = rng.integers(-5, 6, size=(4, 8))
    # Guard the data: no two bases tie (or nearly tie) for any query, so the
    # reference and the index cannot order them differently by rounding alone.
    cos = (queries @ bases.T) / np.outer(
        np.linalg.norm(queries, axis=1), np.linalg.norm(bases, axis=1)
    )
    gaps = np.diff(np.sort(cos, axis=1), axis=1)
    assert gaps.min() > 1e-6
    index = VectorIndex(8)
    index.add(stored)
    check_against_reference(index, stored, queries, k, "cosine")


def test_index_ties_straddling_the_boundary_take_the_earliest():
    index = VectorIndex(1)
    index.add(np.array([[1], [3], [2], [3], [3], [2], [5]]))
    result = index.search([1.0], k=3)
    np.testing.assert_array_equal(result.ids, [[6, 1, 3]])
    np.testing.assert_allclose(result.scores, [[5, 3, 3]])
    np.testing.assert_array_equal(index.search([1.0], k=6).ids, [[6, 1, 3, 4, 2, 5]])
    # All equal: whatever argpartition picks, the answer is the first k ids.
    same = VectorIndex(4)
    same.add(np.ones((1000, 4)))
    np.testing.assert_array_equal(
        same.search(np.ones((3, 4)), k=10).ids, np.tile(range(10), (3, 1))
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_index_computes_in_its_dtype(dtype):
    rng = np.random.default_rng(3)
    stored = rng.integers(-4, 5, size=(300, 16)).astype(dtype)
    index = VectorIndex(16, dtype=dtype)
    index.add(stored)
    assert index.vectors.dtype == dtype
    queries = rng.integers(-4, 5, size=(3, 16))
    result = index.search(queries, k=7)
    assert result.scores.dtype == dtype
    check_against_reference(index, stored, queries, 7, "dot")
    check_against_reference(index, stored, queries.astype(float), 7, "cosine", rtol=1e-5)


def test_index_growth_small_adds_equal_one_big_add():
    rng = np.random.default_rng(9)
    stored = rng.standard_normal((1000, 5))
    one = VectorIndex(5)
    one.add(stored)
    many = VectorIndex(5)
    capacities = [many.capacity]
    start = 0
    for size in rng.integers(1, 4, size=2000):
        if start >= 1000:
            break
        chunk = stored[start : start + size]
        ids = many.add(chunk[0] if len(chunk) == 1 else chunk)
        np.testing.assert_array_equal(ids, np.arange(start, start + len(chunk)))
        start += len(chunk)
        capacities.append(many.capacity)
    assert len(many) == len(one) == 1000
    np.testing.assert_array_equal(many.vectors, one.vectors)
    queries = rng.standard_normal((4, 5))
    for metric in ("dot", "cosine"):
        a, b = many.search(queries, k=9, metric=metric), one.search(queries, k=9, metric=metric)
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.scores, b.scores)
    # Doubling: from 16 to 1024 is 7 allocations, not one per add.
    reallocations = len(set(capacities)) - 1
    assert reallocations <= math.ceil(math.log2(1000 / 16)) + 1
    assert many.capacity < 2 * 1000


def test_many_queries_go_in_blocks(monkeypatch):
    """A small score budget forces several blocks; the answer must not change."""
    monkeypatch.setattr(vectordb.index, "_SCORES_PER_BLOCK", 100)  # blocks of 14 stored vectors
    rng = np.random.default_rng(21)
    stored = rng.integers(-2, 3, size=(40, 3))
    stored[~stored.any(axis=1)] = 1  # no zero vectors, so cosine is defined
    index = VectorIndex(3)
    index.add(stored)
    queries = rng.integers(-2, 3, size=(7, 3))
    queries[~queries.any(axis=1)] = 1
    for metric in ("dot", "cosine"):
        check_against_reference(index, stored, queries, 6, metric)
    queries[6] = 0  # the message counts rows from the first query
    with pytest.raises(ValueError, match="query row 6 is a zero vector"):
        index.search(queries, metric="cosine")


def test_index_vectors_view_and_ids():
    index = VectorIndex(2)
    assert len(index) == 0 and index.vectors.shape == (0, 2)
    np.testing.assert_array_equal(index.add([1, 2]), [0])
    np.testing.assert_array_equal(index.add([[3, 4], [5, 6]]), [1, 2])
    np.testing.assert_array_equal(index.add(np.empty((0, 2))), np.empty(0))
    np.testing.assert_allclose(index.vectors, [[1, 2], [3, 4], [5, 6]])
    with pytest.raises(ValueError, match="read-only"):
        index.vectors[0, 0] = 9
    result = index.search([1, 0], k=2)
    assert isinstance(result, Neighbours)
    assert result.ids.shape == (1, 2)  # always 2-D: one query is m = 1
    assert not result.ids.flags.writeable and not result.scores.flags.writeable


def test_index_refuses_bad_input():
    index = VectorIndex(3)
    with pytest.raises(ValueError, match="the index is empty: add vectors first"):
        index.search([1, 2, 3])
    index.add([[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        index.search([1, 2, 3], k=0)
    with pytest.raises(
        ValueError, match="k = 4 but the index holds only 3 vectors: k must be from 1 to 3"
    ):
        index.search([1, 2, 3], k=4)
    with pytest.raises(TypeError, match="k must be a whole number"):
        index.search([1, 2, 3], k=1.5)
    with pytest.raises(ValueError, match="metric must be one of 'dot', 'cosine'; got 'l2'"):
        index.search([1, 2, 3], metric="l2")
    with pytest.raises(ValueError, match=r"queries have 2 numbers each .* holds 3-d vectors"):
        index.search([1, 2])
    with pytest.raises(ValueError, match=r"shape 3×1.*a column\?"):
        index.search(np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"queries\[1\] is nan"):
        index.search([1, np.nan, 3])
    with pytest.raises(ValueError, match=r"queries\[0, 2\] is inf"):
        index.search(np.array([[1, 2, np.inf]]))
    with pytest.raises(ValueError, match="queries must be one vector"):
        index.search(np.ones((2, 2, 3)))
    with pytest.raises(TypeError, match="queries must be numbers"):
        index.search("abc")
    with pytest.raises(ValueError, match=r"vectors have 2 numbers each .* holds 3-d"):
        index.add([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"vectors\[1, 0\] is nan"):
        index.add(np.array([[1, 2, 3], [np.nan, 0, 0]]))
    assert len(index) == 3  # nothing was added


def test_index_cosine_refuses_zero_vectors():
    index = VectorIndex(3)
    index.add([[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]])
    assert index.search([1, 1, 0], k=4).scores.shape == (1, 4)  # dot is fine with zeros
    with pytest.raises(ValueError, match="stored vectors 2, 3 are zero vectors"):
        index.search([1, 1, 0], metric="cosine")
    small = VectorIndex(2)
    small.add([[1, 0], [1e-300, 0]])  # tiny but not zero: its direction is fine
    np.testing.assert_allclose(small.search([1, 1], k=2, metric="cosine").scores, [[2**-0.5] * 2])
    with pytest.raises(ValueError, match="query row 1 is a zero vector"):
        small.search([[1, 1], [0, 0]], metric="cosine")


def test_index_refuses_bad_construction_and_overflow():
    with pytest.raises(ValueError, match="dim must be at least 1, got 0"):
        VectorIndex(0)
    with pytest.raises(TypeError, match="dtype must be a float dtype"):
        VectorIndex(3, dtype=np.int64)
    index = VectorIndex(2, dtype=np.float32)
    with pytest.raises(ValueError, match=r"vectors\[1\] has entries too large for float32"):
        index.add([[1, 2], [1e300, 0]])
    assert len(index) == 0
    index.add([[3e38, 3e38]])
    with pytest.raises(ValueError, match="the scores overflowed float32"):
        index.search([3e38, 3e38])


def test_index_float32_input_is_not_copied_to_float64():
    index = VectorIndex(4, dtype=np.float32)
    rows = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert index._as_rows("vectors", rows) is rows


# --------------------------------------------------------------------------- VectorDatabase


def test_database_fields(ex, db):
    assert len(db) == 3
    assert db.texts == tuple(ex["database"])
    assert [e.sentence for e in db.encodings] == ex["database"]
    np.testing.assert_allclose(
        db.index_vectors, np.array([SHEET[t]["index_vector"] for t in ex["database"]]).T
    )
    result = db.search(ex["query"], k=2)
    assert isinstance(result, SearchResult)
    assert result.k == 2 and result.metric == "dot" and len(result.hits) == 2
    assert isinstance(result.hits[0], Hit)
    assert result.hits[0] == Hit(index=2, text="who am I", score=result.hits[0].score)
    assert result.scores.shape == (3,) and not result.scores.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        result.hits[0].score = 0.0


def test_database_ties_keep_the_order_added(encoder):
    db = VectorDatabase(encoder)
    np.testing.assert_array_equal(db.add(["you", "how are you", "you"]), [0, 1, 2])
    np.testing.assert_array_equal(db.add("you"), [3])
    hits = db.search("you", k=4).hits
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    you = [h.index for h in hits if h.text == "you"]
    assert you == [0, 2, 3]


def test_database_add_is_atomic_and_empty_add_is_a_no_op(db):
    with pytest.raises(ValueError, match=r"unknown word 'i' in 'am i you'; did you mean 'I'\?"):
        db.add(["how are you", "am i you"])
    assert len(db) == 3 and len(db.encodings) == 3
    assert list(db.add([])) == []
    assert len(db) == 3
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got 5"):
        db.add(["how are you", 5])
    with pytest.raises(TypeError, match="texts must be a str or an iterable of str"):
        db.add(5)
    assert len(db) == 3


def test_database_refuses_bad_searches(encoder, db):
    with pytest.raises(ValueError, match="the database is empty: add texts first"):
        VectorDatabase(encoder).search("how are you")
    with pytest.raises(ValueError, match="k = 4 but the database holds only 3 texts"):
        db.search("how are you", k=4)
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        db.search("how are you", k=0)
    with pytest.raises(ValueError, match="metric must be one of 'dot', 'cosine'; got 'L2'"):
        db.search("how are you", metric="L2")
    with pytest.raises(ValueError, match=r"unknown word 'i' in 'am i you'; did you mean 'I'\?"):
        db.search("am i you")
    with pytest.raises(ValueError, match="has no words"):
        db.search(" ")
    with pytest.raises(TypeError, match="encoder must be a SentenceEncoder"):
        VectorDatabase({"a": [1]})


def test_database_cosine_names_the_text_with_a_zero_index_vector(db):
    # "she" = [0,0,-1,0]: W·e + b = [0,0,-2,0], all ≤ 0, so ReLU gives 0 and so does P.
    assert not db.encoder.encode("she").index_vector.any()
    with pytest.raises(ValueError, match=r"the query 'she' has index vector \[0.0, 0.0\]"):
        db.search("she", metric="cosine")
    db.add("she")
    assert db.search("she", k=4).scores.tolist() == [0, 0, 0, 0]  # dot is defined
    with pytest.raises(ValueError, match=r"the stored text 'she' \(index 3\)"):
        db.search("am I you", metric="cosine")


@pytest.mark.parametrize("order", ["random", "rising", "falling", "ties"])
def test_search_by_threshold_keeps_every_candidate(monkeypatch, order):
    """Tiny blocks, samples and candidate budgets force every path of the threshold search.

    Rising scores make the first block's threshold as weak as possible (every later
    score passes it), so the thresholds must be raised again and again; falling ones
    make it exact at once; whole numbers tie at the k-th place.
    """
    monkeypatch.setattr(vectordb.index, "_SCORES_PER_BLOCK", 24)
    monkeypatch.setattr(vectordb._ranking, "_SAMPLE", 3)
    monkeypatch.setattr(vectordb._ranking, "_MAX_CANDIDATES", 9)
    rng = np.random.default_rng(8)
    if order == "ties":
        stored = rng.integers(-2, 3, size=(300, 2)).astype(float)
        queries = rng.integers(1, 3, size=(5, 2)).astype(float)
    else:
        stored = rng.standard_normal((300, 2))
        queries = np.abs(rng.standard_normal((5, 2))) + 0.1  # positive: scores follow |stored|
        if order != "random":
            stored = stored[np.argsort(stored @ queries.sum(axis=0))]
            stored = stored if order == "rising" else stored[::-1]
    index = VectorIndex(2)
    index.add(stored)
    for k in (1, 4, 11, 300):
        check_against_reference(index, stored, queries, k, "dot")
        check_against_reference(index, stored, queries[0], k, "dot")


# --------------------------------------------------------------------------- doctests


@pytest.mark.parametrize(
    "module", ["words", "encoder", "index", "kmeans", "ivf", "database", "map"]
)
def test_docstring_examples_hold(module):
    """The sheet's worked numbers in `VectorDatabase.search`'s docstring (and any other) run."""
    import doctest
    import importlib

    found = doctest.testmod(importlib.import_module(f"dlviz.vectordb.{module}"))
    assert found.failed == 0
    if module == "database":
        assert found.attempted >= 8  # the sheet's example is there and was run


def test_every_public_name_of_the_package_is_importable_from_dlviz_vectordb():
    """The split into modules kept `from dlviz.vectordb import X` working for every X."""
    import importlib
    import inspect

    import dlviz

    for module in ("words", "encoder", "index", "kmeans", "ivf", "database", "map"):
        mod = importlib.import_module(f"dlviz.vectordb.{module}")
        for name, value in vars(mod).items():
            defined_here = getattr(value, "__module__", None) == mod.__name__
            if (
                defined_here
                and not name.startswith("_")
                and (inspect.isclass(value) or inspect.isfunction(value))
            ):
                assert name in vectordb.__all__, f"{module}.{name} is not re-exported"
                assert getattr(vectordb, name) is value
    for name in ("Vocabulary", "SentenceEncoder", "VectorDatabase", "VectorIndex"):
        assert getattr(dlviz, name) is getattr(vectordb, name)
