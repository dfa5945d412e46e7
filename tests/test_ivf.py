"""Tests of the inverted-file index: k-means by hand, exactness, plain-loop and faiss oracles."""

from __future__ import annotations

import numpy as np
import pytest

from dlviz import examples
from dlviz.vectordb import (
    IVFIndex,
    SentenceEncoder,
    VectorDatabase,
    VectorIndex,
    Vocabulary,
    assign,
    kmeans,
    lloyd_step,
    nearest_centroids,
)


@pytest.fixture
def by_hand():
    """The notebook's example: the six texts' index vectors (rows), the start and the query."""
    ex, iv = examples.vectordb_exercise(), examples.ivf_exercise()
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"]))
    db.add(iv["texts"])
    query = db.encoder.encode(iv["query"]).index_vector
    return db.index_vectors.T, iv["init"], query


# --------------------------------------------------------------------------- by hand
# Worked by hand in thirds (every index vector of a three-word text is a whole number
# of thirds): points (5,2) (5,1) (7,3) (9,0) (4,4) (2,1), start (5,2) (7,3) (9,0).


def test_the_by_hand_example_is_the_one_worked_in_thirds(by_hand):
    vectors, init, query = by_hand
    np.testing.assert_allclose(vectors * 3, [[5, 2], [5, 1], [7, 3], [9, 0], [4, 4], [2, 1]])
    np.testing.assert_allclose(init * 3, [[5, 2], [7, 3], [9, 0]])
    np.testing.assert_allclose(query * 3, [8, 2])


def test_one_lloyd_step_by_hand(by_hand):
    vectors, init, _ = by_hand
    step = lloyd_step(vectors, init)
    # (4,4): |(4,4)−(5,2)|² = 1 + 4 = 5 < |(4,4)−(7,3)|² = 9 + 1 = 10 < 25 + 16 = 41
    # (2,1): 9 + 1 = 10 < 25 + 4 = 29 < 49 + 1 = 50
    assert step.assignment.tolist() == [0, 0, 1, 2, 0, 0]
    assert step.counts.tolist() == [4, 1, 1]
    # list 1: ((5+5+4+2)/4, (2+1+4+1)/4) = (4, 2), in thirds
    np.testing.assert_allclose(step.new_centroids * 3, [[4, 2], [7, 3], [9, 0]])
    np.testing.assert_allclose(step.centroids, init)


def test_kmeans_stops_when_a_step_moves_nothing(by_hand):
    vectors, init, _ = by_hand
    result = kmeans(vectors, 3, init=init, iterations=10)
    assert result.converged and len(result.steps) == 2
    assert result.steps[1].assignment.tolist() == result.steps[0].assignment.tolist()
    np.testing.assert_allclose(result.centroids * 3, [[4, 2], [7, 3], [9, 0]])
    one = kmeans(vectors, 3, init=init, iterations=1)
    assert not one.converged and len(one.steps) == 1


def test_nprobe_1_misses_the_best_text_and_nprobe_2_finds_it(by_hand):
    vectors, init, query = by_hand
    index = IVFIndex(2, 3)
    index.train(vectors, init=init, iterations=2)
    index.add(vectors)
    assert [ids.tolist() for ids in index.lists] == [[0, 1, 4, 5], [2], [3]]
    # the query (8,2) in thirds: |·−(4,2)|² = 16, |·−(7,3)|² = 2, |·−(9,0)|² = 5
    one = index.search(query, k=2, nprobe=1)
    assert one.probed.tolist() == [[1]] and one.scanned.tolist() == [1]
    assert one.ids.tolist() == [[2, -1]]  # "who am I" only; the list holds one text
    assert one.scores[0, 0] == pytest.approx(62 / 9) and one.scores[0, 1] == -np.inf
    two = index.search(query, k=2, nprobe=2)
    assert two.probed.tolist() == [[1, 2]]
    assert two.ids.tolist() == [[3, 2]]  # "are you me" 72/9, then "who am I" 62/9
    np.testing.assert_allclose(two.scores[0], [72 / 9, 62 / 9])
    exact = VectorIndex(2)
    exact.add(vectors)
    assert exact.search(query, k=1).ids.tolist() == [[3]]


def test_equal_distances_go_to_the_lower_centroid():
    centroids = [[0, 0], [6, 6], [3, 3]]
    assert nearest_centroids([[3, 3]], centroids, 3).tolist() == [[2, 0, 1]]
    assert assign([[3, 3], [1, 1], [6, 0]], [[0, 0], [6, 6], [6, 0]]).tolist() == [0, 0, 2]
    assert assign([[3, 0]], [[6, 0], [0, 0]]).tolist() == [0]  # 9 = 9: the lower index


def test_an_empty_list_keeps_its_centroid():
    step = lloyd_step([[0, 0], [1, 0]], [[0, 0], [10, 10]])
    assert step.counts.tolist() == [2, 0]
    np.testing.assert_allclose(step.new_centroids, [[0.5, 0], [10, 10]])


def test_the_seeded_start_is_distinct_vectors_and_repeatable():
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((200, 4))
    a, b = kmeans(vectors, 5, seed=7, iterations=0), kmeans(vectors, 5, seed=7, iterations=0)
    np.testing.assert_array_equal(a.centroids, b.centroids)
    assert all((np.abs(vectors - c).sum(axis=1) == 0).any() for c in a.centroids)
    assert len({tuple(c) for c in a.centroids}) == 5
    assert not np.array_equal(a.centroids, kmeans(vectors, 5, seed=8, iterations=0).centroids)


def test_each_lloyd_step_does_not_raise_the_squared_error():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, 3))
    result = kmeans(vectors, 6, seed=1, iterations=15)
    errors = [float(((vectors - s.centroids[s.assignment]) ** 2).sum()) for s in result.steps]
    assert all(later <= earlier + 1e-9 for earlier, later in zip(errors, errors[1:], strict=False))


# --------------------------------------------------------------------------- exactness


def _ivf(vectors, n_lists, dtype=np.float64, seed=0):
    index = IVFIndex(vectors.shape[1], n_lists, dtype=dtype)
    index.train(vectors, seed=seed, iterations=5)
    index.add(vectors)
    return index


@pytest.mark.parametrize("metric", ["dot", "cosine"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_probing_every_list_is_exact_search(metric, dtype):
    rng = np.random.default_rng(5)
    if metric == "dot":  # whole numbers: many equal scores, computed exactly in any order
        vectors = rng.integers(-3, 4, size=(400, 3)).astype(dtype)
        queries = rng.integers(-3, 4, size=(20, 3)).astype(dtype) + 0.5
    else:  # equal cosines of parallel vectors differ in the last bit between products
        vectors = rng.standard_normal((400, 3)).astype(dtype)
        queries = rng.standard_normal((20, 3)).astype(dtype)
    index = _ivf(vectors, 8, dtype)
    exact = VectorIndex(3, dtype=dtype)
    exact.add(vectors)
    for k in (1, 7, 400):
        got = index.search(queries, k, nprobe=8, metric=metric)
        want = exact.search(queries, k, metric=metric)
        np.testing.assert_array_equal(got.ids, want.ids)  # ties: lower id first in both
        np.testing.assert_allclose(got.scores, want.scores, rtol=1e-5, atol=1e-6)
        assert got.scanned.tolist() == [400] * 20


def _reference(vectors, centroids, queries, k, nprobe):
    """Plain loops: each vector's nearest centroid, each query's nprobe nearest, then rank."""

    def dist(a, b):
        return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))

    home = [min(range(len(centroids)), key=lambda j: (dist(v, centroids[j]), j)) for v in vectors]
    ids, scores = [], []
    for q in queries:
        lists = sorted(range(len(centroids)), key=lambda j: (dist(q, centroids[j]), j))[:nprobe]
        found = [
            (-sum(a * b for a, b in zip(vectors[i], q, strict=True)), i)
            for i in range(len(vectors))
            if home[i] in lists
        ]
        found = sorted(found)[:k]
        ids.append([i for _, i in found] + [-1] * (k - len(found)))
        scores.append([-s for s, _ in found] + [-np.inf] * (k - len(found)))
    return np.array(ids), np.array(scores)


@pytest.mark.parametrize("nprobe", [1, 2, 5])
def test_ids_match_a_plain_loop_reference(nprobe):
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((300, 4))
    queries = rng.standard_normal((12, 4))
    index = _ivf(vectors, 10)
    ids, scores = _reference(
        vectors.tolist(), index.centroids.tolist(), queries.tolist(), 9, nprobe
    )
    got = index.search(queries, 9, nprobe=nprobe)
    np.testing.assert_array_equal(got.ids, ids)
    np.testing.assert_allclose(got.scores, scores)


def test_ids_match_faiss_ivfflat_with_the_same_centroids():
    faiss = pytest.importorskip("faiss")
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((5000, 16), dtype=np.float32)
    queries = rng.standard_normal((25, 16), dtype=np.float32)
    index = _ivf(vectors, 32, np.float32)
    quantizer = faiss.IndexFlatL2(16)
    quantizer.add(np.ascontiguousarray(index.centroids))
    theirs = faiss.IndexIVFFlat(quantizer, 16, 32, faiss.METRIC_INNER_PRODUCT)
    theirs.add(vectors)
    for nprobe in (1, 3, 32):
        theirs.nprobe = nprobe
        scores, ids = theirs.search(queries, 10)
        got = index.search(queries, 10, nprobe=nprobe)
        np.testing.assert_array_equal(got.ids, ids)
        np.testing.assert_allclose(got.scores[ids >= 0], scores[ids >= 0], rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------- storage


def test_lists_are_contiguous_and_cover_every_id_once():
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((500, 3))
    index = IVFIndex(3, 7)
    index.train(vectors[:100], seed=2)
    first = index.add(vectors[:200])
    second = index.add(vectors[200:])
    assert first.tolist() == list(range(200)) and second.tolist() == list(range(200, 500))
    lists = index.lists
    assert sorted(np.concatenate(lists).tolist()) == list(range(500))
    assert all(np.all(np.diff(ids) > 0) for ids in lists)
    np.testing.assert_array_equal(index.list_of, assign(vectors, index.centroids))
    assert index.list_sizes.tolist() == [len(ids) for ids in lists]
    assert index.offsets.tolist() == [0, *np.cumsum(index.list_sizes).tolist()]
    np.testing.assert_array_equal(index.vectors, vectors)
    one_batch = IVFIndex(3, 7)
    one_batch.train(vectors[:100], seed=2)
    one_batch.add(vectors)
    np.testing.assert_array_equal(
        one_batch.search(vectors[:9], 5, nprobe=2).ids, index.search(vectors[:9], 5, nprobe=2).ids
    )


def test_training_again_moves_the_stored_vectors_into_the_new_lists():
    vectors = np.array([[0, 0], [1, 0], [10, 0], [11, 0]])
    index = IVFIndex(2, 2)
    index.train(vectors, init=[[0, 0], [1, 0]], iterations=0)
    index.add(vectors)
    assert [ids.tolist() for ids in index.lists] == [[0], [1, 2, 3]]
    index.train(vectors, init=[[0, 0], [10, 0]], iterations=0)
    assert [ids.tolist() for ids in index.lists] == [[0, 1], [2, 3]]
    np.testing.assert_array_equal(index.vectors, vectors)


# --------------------------------------------------------------------------- refusals


@pytest.fixture
def small():
    index = IVFIndex(2, 3)
    vectors = np.array([[0, 0], [1, 0], [5, 5], [6, 5], [0, 9], [1, 9]])
    index.train(vectors, seed=0)
    index.add(vectors)
    return index


def test_bad_n_lists_and_dim_are_refused():
    with pytest.raises(ValueError, match="n_lists must be at least 1, got 0"):
        IVFIndex(2, 0)
    with pytest.raises(TypeError, match="n_lists must be a whole number"):
        IVFIndex(2, 1.5)
    with pytest.raises(ValueError, match="dim must be at least 1"):
        IVFIndex(0, 2)
    with pytest.raises(TypeError, match="dtype must be a float dtype"):
        IVFIndex(2, 2, dtype=np.int32)


def test_search_and_add_before_train_are_refused():
    index = IVFIndex(2, 3)
    with pytest.raises(ValueError, match=r"not trained: call train\(vectors\) first.*3 lists"):
        index.search([1, 2], k=1)
    with pytest.raises(ValueError, match="not trained"):
        index.add([1, 2])
    with pytest.raises(ValueError, match="not trained"):
        index.centroids  # noqa: B018


def test_search_of_an_empty_trained_index_is_refused():
    index = IVFIndex(2, 1)
    index.train([[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="the index is empty: add vectors first"):
        index.search([1, 1])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"k": 0}, ValueError, "k must be at least 1, got 0"),
        ({"k": 7}, ValueError, "k = 7 but the index holds only 6 vectors: k must be from 1 to 6"),
        ({"k": "2"}, TypeError, "k must be a whole number"),
        ({"nprobe": 0}, ValueError, "nprobe must be at least 1, got 0"),
        ({"nprobe": 4}, ValueError, "nprobe = 4 but the index has only 3 lists: nprobe must be"),
        ({"nprobe": 2.5}, TypeError, "nprobe must be a whole number"),
        ({"metric": "l2"}, ValueError, "metric must be one of 'dot', 'cosine'"),
    ],
)
def test_bad_search_arguments_are_refused(small, kwargs, error, message):
    with pytest.raises(error, match=message):
        small.search([1, 1], **kwargs)


def test_bad_vectors_are_refused(small):
    with pytest.raises(ValueError, match="have 3 numbers each .* holds 2-d vectors"):
        small.search([1, 2, 3])
    with pytest.raises(ValueError, match=r"vectors\[0, 1\] is nan"):
        small.add([[1, np.nan]])
    with pytest.raises(ValueError, match="too large for float32"):
        index = IVFIndex(1, 1, dtype=np.float32)
        index.train([[0.0]])
        index.add([[1e300]])
    with pytest.raises(ValueError, match="query row 0 is a zero vector"):
        small.search([0, 0], metric="cosine")
    with pytest.raises(ValueError, match="stored vector 0 is a zero vector"):
        small.search([1, 1], metric="cosine")
    assert len(small) == 6  # nothing was added


def test_bad_training_is_refused():
    index = IVFIndex(2, 3)
    with pytest.raises(ValueError, match="needs at least 3 vectors to start from, got 2"):
        index.train([[0, 0], [1, 1]])
    with pytest.raises(ValueError, match=r"centroids has 2 rows but the index has 3 lists"):
        index.train([[0, 0], [1, 1], [2, 2]], init=[[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="init has 3 numbers per centroid but the index holds 2-d"):
        index.train([[0, 0], [1, 1], [2, 2]], init=[[0, 0, 0]] * 3)
    with pytest.raises(ValueError, match="iterations must be at least 0, got -1"):
        index.train([[0, 0], [1, 1], [2, 2]], iterations=-1)
    with pytest.raises(ValueError, match="seed must be at least 0"):
        index.train([[0, 0], [1, 1], [2, 2]], seed=-3)
    assert not index.is_trained


@pytest.mark.parametrize("nprobe", [2, 4, 6])
def test_empty_lists_among_the_probed_and_ties_across_lists_match_the_reference(nprobe):
    # Whole numbers: many equal scores, spread over several lists; two centroids far
    # away hold no vector, and lie between the full lists in the store's order.
    rng = np.random.default_rng(3)
    vectors = rng.integers(-2, 3, size=(120, 2)).astype(np.float64)
    queries = rng.integers(-2, 3, size=(9, 2)) + 0.5
    init = np.array([[-1, -1], [50, 50], [1, 1], [-50, 50], [-1, 1], [1, -1]], np.float64)
    index = IVFIndex(2, 6)
    index.train(vectors, init=init, iterations=0)
    index.add(vectors)
    assert [len(index.lists[j]) for j in (1, 3)] == [0, 0]
    for k in (1, 5, 40):
        ids, scores = _reference(vectors.tolist(), init.tolist(), queries.tolist(), k, nprobe)
        got = index.search(queries, k, nprobe=nprobe)
        np.testing.assert_array_equal(got.ids, ids)
        np.testing.assert_allclose(got.scores, scores)
