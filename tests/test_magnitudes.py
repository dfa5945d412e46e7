"""Lengths, cosines and the word map at every finite magnitude, from 1e-320 to 1e308 (issue 11).

A vector's direction does not depend on its size, so cosine scores and the word
map's shares must not either, until a vector is too small to have a direction
(entries below the smallest normal float), which is refused in words.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlviz import examples
from dlviz._numerics import direction_problem, row_lengths, unit_rows
from dlviz.checking import vectordb_checks
from dlviz.vectordb import SentenceEncoder, VectorDatabase, VectorIndex, Vocabulary, pca_2d

TINY = np.finfo(np.float64).tiny
magnitudes = st.floats(min_value=1e-320, max_value=1e307)
small_ints = st.lists(st.integers(-8, 8), min_size=3, max_size=3).filter(any)


def _cosine(a, b) -> float:
    """Plain reference on small whole numbers (no scaling needed there)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


@settings(max_examples=300)
@given(st.lists(small_ints, min_size=1, max_size=4), small_ints, magnitudes, magnitudes)
def test_cosine_search_does_not_depend_on_magnitude(stored, query, m_stored, m_query):
    index = VectorIndex(3)
    index.add(np.array(stored, float) * m_stored)
    q = np.array(query, float) * m_query
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning leaks, whatever the size
        try:
            found = index.search(q, k=len(stored), metric="cosine")
        except ValueError as exc:
            assert "too small to have a direction" in str(exc)
            assert np.abs(q).max() < TINY or np.abs(index.vectors).max(axis=1).min() < TINY
            return
    expected = sorted((_cosine(s, query) for s in stored), reverse=True)
    np.testing.assert_allclose(found.scores[0], expected, atol=1e-9)
    assert np.abs(found.scores).max() <= 1 + 1e-12  # never a cosine above 1


@pytest.mark.parametrize(
    ("stored", "query", "expected"),
    [
        ([[1, 0], [0, 1]], [1.7e308, 1.7e308], [2**-0.5, 2**-0.5]),  # was [0, 0]
        ([[1.7e308, 1.7e308], [1.7e308, 0]], [1, 1], [1, 2**-0.5]),
        ([[1e-300, 1e-300], [3e-300, 0]], [1e-300, 1e-300], [1, 2**-0.5]),
    ],
)
def test_cosine_at_the_float_limits_of_the_review(stored, query, expected):
    found = VectorIndex(2)
    found.add(stored)
    np.testing.assert_allclose(found.search(query, k=2, metric="cosine").scores[0], expected)


@pytest.mark.parametrize(
    ("stored", "query", "message"),
    [
        ([[1, 0], [0, 1]], [1e-320, 1e-320], r"query row 0 is too small to have a direction"),
        ([[1e-323, 1e-323], [1e-323, 0]], [1, 1], r"stored vectors 0, 1 are too small to have"),
    ],
)
def test_vectors_too_small_to_have_a_direction_are_refused_in_words(stored, query, message):
    index = VectorIndex(2)
    index.add(stored)
    with pytest.raises(ValueError, match=message):
        index.search(query, k=2, metric="cosine")
    assert index.search(query, k=2, metric="dot").scores.shape == (1, 2)  # dot needs none


def test_a_float32_index_measures_directions_at_its_own_limits():
    index = VectorIndex(2, dtype=np.float32)
    index.add([[3e38, 3e38], [1e-30, 0], [3, 4]])
    np.testing.assert_allclose(
        index.search([1, 1], k=3, metric="cosine").scores[0], [1, 0.98995, 2**-0.5], rtol=1e-5
    )


@given(small_ints, magnitudes)
def test_lengths_and_units_are_right_at_any_magnitude(v, m):
    scaled = np.array(v, float) * m
    length = row_lengths(scaled[None, :])[0]
    assert length == pytest.approx(np.linalg.norm(v) * m, rel=1e-12) or length == np.inf
    if direction_problem(scaled) is None:
        unit = unit_rows(scaled[None, :])[0]
        np.testing.assert_allclose(unit, np.array(v) / np.linalg.norm(v), atol=1e-12)
    else:
        assert np.abs(scaled).max() < TINY


@given(st.lists(small_ints, min_size=3, max_size=5), magnitudes)
def test_word_map_does_not_depend_on_magnitude(columns, m):
    X = np.array(columns, float).T * m  # (3, n), as rounded at this magnitude
    e = int(np.frexp(np.abs(X).max())[1])
    reference = pca_2d(np.ldexp(X, -e))  # the same numbers, scaled exactly by 2**-e
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            picture = pca_2d(X)
        except ValueError as exc:
            assert "too large to map" in str(exc) and e > 500
            return
    np.testing.assert_allclose(picture.explained, reference.explained, atol=1e-9)
    assert np.isfinite(picture.variance).all()
    np.testing.assert_allclose(picture.coords, np.ldexp(reference.coords, e), atol=1e-9 * 2.0**e)


def test_word_map_of_the_review():
    with pytest.raises(ValueError, match=r"too large to map \(largest \|entry\| 2e\+155\)"):
        pca_2d([[1e155, 2e155, -1e155], [1, 2, 3]])
    with pytest.raises(ValueError, match=r"too large to map"):
        pca_2d([[1e308, 2e307, -1e308], [1, 2, 3]])
    tiny = pca_2d(np.array([[1, 2, -1], [1, 3, 0]]) * 1e-170)
    np.testing.assert_allclose(tiny.explained, pca_2d([[1, 2, -1], [1, 3, 0]]).explained)


@pytest.mark.parametrize("scale", [1e-170, 1e-150, 1e150])
def test_database_and_grader_cosine_at_any_size_of_W(scale):
    ex = examples.vectordb_exercise()
    encoder = SentenceEncoder(
        Vocabulary(ex["embeddings"]), ex["W"] * scale, ex["b"] * scale, ex["P"]
    )
    db = VectorDatabase(encoder)
    db.add(ex["database"])
    plain = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"]))
    plain.add(ex["database"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = db.search(ex["query"], k=3, metric="cosine")
        scores = result.scores
        checks = vectordb_checks(result)
    expected = plain.search(ex["query"], k=3, metric="cosine").scores
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    np.testing.assert_allclose(checks["scores"].expected.ravel(), expected, rtol=1e-12)


def test_database_cosine_names_a_text_too_small_to_have_a_direction():
    ex = examples.vectordb_exercise()
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"] * 1e-320)
    db = VectorDatabase(encoder)
    db.add(ex["database"])
    with pytest.raises(ValueError, match=r"the query 'am I you' has index vector .*too small"):
        db.search(ex["query"], metric="cosine")


@settings(max_examples=100)
@given(st.lists(small_ints, min_size=2, max_size=6), small_ints, magnitudes, magnitudes)
def test_ivf_cosine_does_not_depend_on_magnitude(stored, query, m_stored, m_query):
    from dlviz.vectordb import IVFIndex

    rows = np.array(stored, float) * m_stored
    index = IVFIndex(3, n_lists=1)
    index.train(np.array(stored, float))
    index.add(rows)
    q = np.array(query, float) * m_query
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            found = index.search(q, k=len(stored), metric="cosine")
        except ValueError as exc:
            assert "too small to have a direction" in str(exc)
            assert np.abs(q).max() < TINY or np.abs(rows).max(axis=1).min() < TINY
            return
    expected = sorted((_cosine(s, query) for s in stored), reverse=True)
    np.testing.assert_allclose(found.scores[0], expected, atol=1e-9)
