"""Claims of notebook 2's approximate-search part (issue 16): every number its prose quotes,
recomputed, and each "Try this" carried out (the by-hand ones and the explorer's)."""

from __future__ import annotations

import itertools
import json
import pathlib
import re

import nbformat
import numpy as np
import pytest

from dlviz import VectorDBExplorer, examples
from dlviz.vectordb import (
    IVFIndex,
    SentenceEncoder,
    VectorDatabase,
    VectorIndex,
    Vocabulary,
    kmeans,
    lloyd_step,
)
from tests.claims import cells_by_id

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_vector_database.ipynb"


@pytest.fixture(scope="module")
def cells():
    return cells_by_id("02")


@pytest.fixture(scope="module")
def six():
    return the_six()


def the_six():
    """The six texts' index vectors in thirds (rows), the start in thirds, the query."""
    ex, iv = examples.vectordb_exercise(), examples.ivf_exercise()
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"]))
    db.add(iv["texts"])
    q = db.encoder.encode(iv["query"]).index_vector
    return iv["texts"], db.index_vectors.T, iv["init"], q


def thirds(v):
    return tuple(int(round(3 * x)) for x in v)


def test_the_six_texts_and_the_start_in_thirds(cells, six):
    texts, X, start, _ = six
    text = cells["ivf-intro"]
    assert "six texts, the sheet's three and three more" in text and len(texts) == 6
    assert all(len(t.split()) == 3 for t in texts)
    named = dict(re.findall(r"\*([a-zA-Z ]+)\* \((\d+, \d+)\)", text))
    assert named == {"how are you": "5, 2", "who am I": "7, 3", "are you me": "9, 0"}
    for name, value in named.items():
        assert thirds(X[texts.index(name)]) == tuple(map(int, value.split(", ")))
    assert [thirds(c) for c in start] == [(5, 2), (7, 3), (9, 0)]


def test_step_1_assign_numbers(cells, six):
    texts, X, start, _ = six
    text = cells["ivf-assign-md"]
    d2 = ((3 * X[:, None, :] - 3 * start[None]) ** 2).sum(axis=2).round().astype(int)
    assert thirds(X[texts.index("how are they")]) == (4, 4)
    assert d2[texts.index("how are they")].tolist() == [5, 10, 41]
    assert "$1^2 + 2^2 = 5$, $3^2 + 1^2 = 10$ and $5^2 + 4^2 = 41$" in text
    assert thirds(X[texts.index("what is he")]) == (2, 1)
    assert d2[texts.index("what is he")].tolist() == [10, 29, 50]
    assert "$9 + 1 = 10$, $25 + 4 = 29$, $49 + 1 = 50$" in text
    step = lloyd_step(X, start)
    assert step.assignment[texts.index("how are they")] == 0
    assert step.assignment[texts.index("what is he")] == 0


def test_step_1_average_numbers(cells, six):
    texts, X, start, _ = six
    text = cells["ivf-answers-md"]  # worked out after the try-it grid, not before it
    step = lloyd_step(X, start)
    members = [texts[i] for i in np.flatnonzero(step.assignment == 0)]
    assert members == ["how are you", "who are you", "how are they", "what is he"]
    assert "*how are you*, *who are you*, *how are they* and\n*what is he*" in text
    assert [thirds(X[texts.index(t)]) for t in members] == [(5, 2), (5, 1), (4, 4), (2, 1)]
    assert "((5 + 5 + 4 + 2)/4, (2 + 1 + 4 + 1)/4) = (4, 2)" in text
    assert thirds(step.new_centroids[0]) == (4, 2)
    np.testing.assert_allclose(step.new_centroids[0], [4 / 3, 2 / 3])
    assert step.counts.tolist()[1:] == [1, 1]  # "Lists 2 and 3 hold one text each"
    np.testing.assert_allclose(step.new_centroids[1:], start[1:])
    assert "(× 9, so in thirds squared)" in " ".join(text.split())
    assert "9 * d2" in cells["ivf-answers"]


def test_step_1_average_asks_before_it_answers(cells, six):
    texts, X, start, _ = six
    ask = cells["ivf-average-md"]
    order = list(cells)
    assert order.index("ivf-average-grid") < order.index("ivf-answers-md")
    assert "(4, 2)" not in ask and "4/3" not in ask  # the answer waits for the grid
    # "write the index vector's own numbers, not thirds: `5/3`, not 5": an example that
    # gives nothing away, and the grid's hint for numbers left in thirds
    assert "not thirds: `5/3`, not 5)" in ask
    centroids = lloyd_step(X, start).new_centroids
    assert not np.isclose(centroids, 5 / 3).any()
    assert cells["ivf-average-grid"].strip() == 'HandCheck(checks["centroids"])'


def test_step_2_nothing_moves(cells, six):
    texts, X, start, _ = six
    text = cells["ivf-step2-md"]
    km = kmeans(X, 3, init=start)
    assert km.converged and len(km.steps) == 2  # one move, then a step that moves nothing
    assert "counts 2 of them: one that moves the centroids, one that\nfinds nothing" in text
    assert not np.array_equal(km.steps[0].new_centroids, km.steps[0].centroids)
    np.testing.assert_array_equal(km.steps[1].new_centroids, km.steps[1].centroids)
    c = km.centroids * 3
    p = 3 * X[texts.index("how are they")]
    assert round(((p - c[0]) ** 2).sum()) == 4 and round(((p - c[1]) ** 2).sum()) == 10
    assert "$0 + 2^2 = 4$ from (4, 2) against $10$ from (7, 3)" in text


def test_the_query_misses_with_one_list_and_finds_with_two(cells, six):
    texts, X, start, q = six
    text = cells["ivf-query-md"]
    assert thirds(q) == (8, 2) and "(8, 2) in thirds" in text
    index = IVFIndex(2, 3)
    index.train(X, init=start)
    index.add(X)
    d2 = ((3 * q - 3 * index.centroids) ** 2).sum(axis=1).round().astype(int)
    assert d2.tolist() == [16, 2, 5] and "are 16, 2 and 5" in text
    one = index.search(q, k=1, nprobe=1)
    assert one.probed.tolist() == [[1]] and [texts[i] for i in index.lists[1]] == ["who am I"]
    assert round(9 * one.scores[0, 0]) == 62 and "62/9" in text
    best = int(np.argmax(X @ q))
    assert texts[best] == "are you me" and round(9 * float(X[best] @ q)) == 72
    assert "*are you me*, 72/9 = 8, in list 3" in text and index.list_of[best] == 2
    two = index.search(q, k=1, nprobe=2)
    assert two.probed.tolist() == [[1, 2]] and two.ids[0, 0] == best


def _spread(X, labels) -> float:
    """Σ |s − c|² over the texts, each to the mean of its list, in thirds squared (× 9)."""
    return 9 * sum(float(((X[labels == j] - X[labels == j].mean(axis=0)) ** 2).sum())
                   for j in set(labels.tolist()))  # fmt: skip


def test_try_this_by_hand(cells, six):
    texts, X, start, q = six
    text = cells["ivf-try-md"]
    assert "`init=X6.T[[5, 2, 3]]`" in text
    other = IVFIndex(2, 3)
    moves = other.train(X, init=X[[5, 2, 3]])
    other.add(X)
    assert len(moves.steps) == 2 and moves.converged  # "One move again (2 steps)"
    assert "One move again (2 steps)" in text
    # "the total squared distance ... is 9.75 (in thirds squared) against 12 for the first
    # start, and no grouping of the six texts into three lists does better"
    said = re.search(
        r"is (\d+\.\d+) \(in thirds squared\) against (\d+) for the first start, and no "
        r"grouping of the six texts into three lists does better", " ".join(text.split())
    )  # fmt: skip
    first = kmeans(X, 3, init=start)
    best, first_start = (pytest.approx(float(said.group(i))) for i in (1, 2)) if said else (0, 0)
    assert said and _spread(X, other.list_of) == best
    assert _spread(X, first.assignment) == first_start
    every = [np.array(g) for g in itertools.product(range(3), repeat=len(texts))]
    assert min(_spread(X, g) for g in every if len(set(g.tolist())) == 3) == best
    assert "k-means finds the best lists *near its start*, not necessarily the best" in text
    lists = sorted(sorted(texts[i] for i in ids) for ids in other.lists)
    assert lists == sorted(
        [["what is he"], ["are you me"], sorted(["how are you", "who are you", "who am I",
                                                  "how are they"])]
    )  # fmt: skip
    assert texts[int(other.search(q, k=1, nprobe=1).ids[0, 0])] == "are you me"
    assert [texts[i] for i in other.lists[int(other.probe(q)[0, 0])]] == ["are you me"]
    assert "`X6.T[[0, 3]]`" in text
    two = IVFIndex(2, 2)
    two.train(X, init=X[[0, 3]])
    two.add(X)
    assert [len(ids) for ids in two.lists] == [5, 1]
    found = two.search(q, k=1, nprobe=1)
    assert found.scanned[0] == 1 and texts[int(found.ids[0, 0])] == "are you me"


def test_at_scale_prose_matches_the_benchmark(cells):
    text = cells["ivf-trade-md"]
    result = json.loads((ROOT / "benchmarks" / "results" / "ivf.json").read_text())
    row = next(r for r in result["cases"] if r["nprobe"] == 16)
    assert result["vectors"] == 1_000_000 and result["n_lists"] == 1024
    recall = re.search(r"finds (\d+) % of the exact top 10", text)
    read = re.search(r"reading about (\d+(?:\.\d)?) % of the vectors", text)
    assert recall and round(100 * row["recall_at_10"]) == int(recall.group(1))
    assert read and round(100 * row["vectors_scanned_per_query"] / 1e6, 1) == float(read.group(1))


def test_at_scale_why_the_time_falls_so_little(cells, monkeypatch):
    text = " ".join(cells["ivf-trade-md"].split())
    code = cells["ivf-scale"]
    assert "vectors, ivf_queries = draw(n_big), draw(50)" in code
    assert "Exact search scores all 50 queries at once against every vector, in a few" in text
    about = re.search(r"scanning its vectors, about (\d+) of them here", text)
    assert about and round(50_000 / 256, -2) == int(about.group(1))
    assert "at `nprobe = 256` it reads every vector, as exact search does, and pays for 256" in text
    out = cells_outputs("ivf-scale")
    assert re.search(r"nprobe = 256: reads +50,000 vectors a query", out)
    # The mechanism, counted on a small index: exact search, a few products for all the
    # queries; IVF, one product a probed list for each query.
    rng = np.random.default_rng(0)
    vectors, queries = rng.standard_normal((3000, 8)), rng.standard_normal((50, 8))
    flat = VectorIndex(8)
    flat.add(vectors)
    ivf = IVFIndex(8, 16)
    ivf.train(vectors, seed=0)
    ivf.add(vectors)
    calls = []
    matmul = np.matmul
    monkeypatch.setattr(np, "matmul", lambda *a, **k: calls.append(1) or matmul(*a, **k))
    ivf.search(queries, k=10, nprobe=4)
    assert len(calls) == 50 * 4  # every list holds vectors here: one product each
    blocks = []
    scores = VectorIndex._block_scores
    monkeypatch.setattr(
        VectorIndex, "_block_scores", lambda *a, **k: blocks.append(1) or scores(*a, **k)
    )
    flat.search(queries, k=10)
    assert 1 <= len(blocks) <= 3
    assert "13× faster than exact search" in text
    result = json.loads((ROOT / "benchmarks" / "results" / "ivf.json").read_text())
    row = next(r for r in result["cases"] if r["nprobe"] == 16)
    assert round(row["speed_up_over_exact"]) == 13


def cells_outputs(cell_id: str) -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return "".join(o.get("text", "") for o in next(c for c in nb.cells if c.id == cell_id).outputs)


def test_the_explorers_ivf_try_this_comes_after_ivf_is_taught(cells):
    order = list(cells)
    assert order.index("ivf-try") < order.index("ivf-explorer-try") < order.index("ivf-scale-md")
    assert "\n1. **Near is not best.**" in cells["ivf-explorer-try"]


def test_at_scale_recall_rises_to_one_when_every_list_is_read(cells):
    code = cells["ivf-scale"]
    assert "n_big, dim_big, n_lists = 50_000, 32, 256" in code
    nb = nbformat.read(NOTEBOOK, as_version=4)
    out = next(c for c in nb.cells if c.id == "ivf-scale").outputs[0]["text"]
    recalls = [float(x) for x in re.findall(r"recall@10 = ([\d.]+)", out)]
    assert len(recalls) == 8 and recalls[-1] == 1.0
    assert all(a <= b for a, b in zip(recalls, recalls[1:], strict=False))


def near_is_not_best(text: str, e: VectorDBExplorer) -> None:
    """The explorer's IVF item (`text`, on one line), carried out on `e`, which shows the
    sheet's texts with the dot product (a fresh explorer, or one just reset)."""
    assert "set *lists* to 3" in text.lower() and "query *who are you*" in text
    e.ivf_box.selected_index = 0  # "open **approximate search (IVF)**"
    e.controls["n_lists"].value = 3
    e.controls["query"].value = "who are you"
    assert "the dot product's best is *who am I*" in text
    assert e.controls["metric"].value == "dot" and e.result.hits[0].text == "who am I"
    for nprobe, expected in ((1, "who are you"), (2, "how are you"), (3, "who am I")):
        e.controls["nprobe"].value = nprobe
        assert f"finds <b>{expected}</b>" in e.ivf_view.caption.value
    assert "the next nearest centroid is *how are you*'s" in text


def test_try_this_in_the_explorer_near_is_not_best(cells):
    text = " ".join(cells["ivf-explorer-try"].split())
    assert "open **approximate search (IVF)** at its bottom" in text
    e = VectorDBExplorer()
    try:
        near_is_not_best(text, e)
    finally:
        e.close()
