"""The explorer's approximate-search section: lists and nprobe sliders, picture and caption."""

from __future__ import annotations

import numpy as np
import pytest

from dlviz import VectorDBExplorer, examples
from dlviz.palette import relative_luminance
from dlviz.plots.ivf import LIST_COLOURS, _ink, _pale
from dlviz.vectordb import IVFIndex
from dlviz.widgets.ivf import ivf_result


@pytest.fixture
def explorer():
    e = VectorDBExplorer()
    yield e
    e.close()


def test_closed_section_draws_nothing(explorer):
    explorer.controls["nprobe"].value = 2
    assert explorer.ivf_view.plot is None and explorer.ivf_view.caption.value == ""
    explorer.ivf_box.selected_index = 0
    assert explorer.ivf_view.plot is not None
    assert explorer.ivf_view.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_near_is_not_best_and_more_lists_probed_find_it(explorer):
    explorer.ivf_box.selected_index = 0
    c = explorer.controls
    c["n_lists"].value = 3
    c["query"].value = "who are you"
    caption = explorer.ivf_view.caption.value
    assert "nprobe = 1: reads 1 of 3 texts and finds <b>who are you</b>" in caption
    assert "exact search: <b>who am I</b>" in caption
    c["nprobe"].value = 2
    assert "finds <b>how are you</b>" in explorer.ivf_view.caption.value
    c["nprobe"].value = 3
    assert "finds <b>who am I</b> (the same as exact search)" in explorer.ivf_view.caption.value


def test_the_picture_shows_what_an_independent_index_finds(explorer):
    explorer.ivf_box.selected_index = 0
    explorer.controls["n_lists"].value = 2
    db, result = explorer.database, explorer.result
    index, found = ivf_result(db, result, 2, 1)
    own = IVFIndex(2, 2)
    own.train(db.index_vectors.T, seed=0)
    own.add(db.index_vectors.T)
    np.testing.assert_array_equal(index.centroids, own.centroids)
    assert found.ids.tolist() == own.search(result.query.index_vector, k=1, nprobe=1).ids.tolist()
    plot = explorer.ivf_view.plot
    np.testing.assert_allclose(plot.centroids.get_offsets(), own.centroids)
    np.testing.assert_allclose(plot.points.get_offsets(), db.index_vectors.T)


def test_slider_maxima_follow_the_texts_and_the_lists(explorer):
    c = explorer.controls
    assert c["n_lists"].max == 3 and c["nprobe"].max == 2  # 3 texts; 2 lists to start
    c["n_lists"].value = 3
    assert c["nprobe"].max == 3
    c["nprobe"].value = 3
    c["database"].value = "how are you\nwho am I"
    assert c["n_lists"].max == 2 and c["nprobe"].max == 2
    assert explorer.error == ""


def test_out_of_range_is_refused_on_screen_and_the_explorer_keeps_working(explorer):
    explorer.ivf_box.selected_index = 0
    before = explorer.ivf_view.caption.value
    explorer.controls["nprobe"].value = 5
    assert "nprobe = 5 is outside its range, 1 to 2" in explorer.error
    assert explorer.ivf_view.caption.value == before
    explorer.controls["nprobe"].value = 2
    assert explorer.error == "" and "nprobe = 2" in explorer.ivf_view.caption.value


def test_cosine_is_followed(explorer):
    explorer.ivf_box.selected_index = 0
    explorer.controls["metric"].value = "cosine"
    explorer.controls["n_lists"].value = 1
    assert "finds <b>who are you</b> (the same as exact search)" in explorer.ivf_view.caption.value


def test_the_star_marks_exact_searchs_best_by_the_explorers_metric(explorer):
    # One list holds every text, so IVF finds what exact search finds, by either metric.
    explorer.ivf_box.selected_index = 0
    explorer.controls["n_lists"].value = 1
    plot, vectors = explorer.ivf_view.plot, explorer.database.index_vectors.T
    for metric, best, label in (("dot", "who am I", "best s·q"),
                                ("cosine", "who are you", "best cosine")):  # fmt: skip
        explorer.controls["metric"].value = metric
        assert explorer.result.hits[0].text == best
        star = np.ravel(plot.best.get_data())
        np.testing.assert_allclose(star, vectors[explorer.database.texts.index(best)])
        assert plot.star_label.get_text() == label
        assert plot.caption.get_text().endswith("the starred text was found")


def test_the_picture_says_the_best_scoring_text_was_missed_not_the_nearest(explorer):
    explorer.ivf_box.selected_index = 0
    explorer.controls["n_lists"].value = 3
    explorer.controls["query"].value = "who are you"  # nearest point: itself; best s·q: who am I
    caption = explorer.ivf_view.plot.caption.get_text()
    assert caption.endswith("the starred text was MISSED") and "nearest" not in caption


def _inside_the_picture(plot) -> list[str]:
    """The texts of the picture (caption, names) that run past its edges, or across the
    frame of the cells (a text is inside the cells or outside them, not half and half)."""
    plot.render()
    renderer = plot.figure.canvas.get_renderer()
    picture, cells = plot.figure.bbox, plot.ax.get_window_extent(renderer)
    wrong = []
    for text in [plot.caption, *(label for label in plot.labels if label.get_visible())]:
        box = text.get_window_extent(renderer)
        within = picture.x0 <= box.x0 and box.x1 <= picture.x1
        crosses = box.overlaps(cells) and not (cells.x0 <= box.x0 and box.x1 <= cells.x1)
        if not within or crosses:
            wrong.append(text.get_text())
    return wrong


def test_caption_and_names_stay_inside_the_picture(explorer):
    # The caption sat inside the axes, which the cells' equal aspect makes narrow: "the
    # starred text was MISSED" ran off the picture; a name near the right edge did too.
    explorer.ivf_box.selected_index = 0
    explorer.controls["n_lists"].value = 3
    explorer.controls["query"].value = "who are you"
    assert _inside_the_picture(explorer.ivf_view.plot) == []
    explorer.controls["database"].value = "\n".join(examples.ivf_exercise()["texts"])
    explorer.controls["query"].value = "am I you"  # 'are you me' is the rightmost point
    assert _inside_the_picture(explorer.ivf_view.plot) == []


def test_a_class_sized_database_names_only_the_starred_and_found_texts(explorer):
    vocabulary = list(examples.vectordb_exercise()["embeddings"])
    rng = np.random.default_rng(2)
    texts = [" ".join(rng.choice(vocabulary, size=3)) for _ in range(60)]
    explorer.controls["database"].value = "\n".join(texts)
    explorer.ivf_box.selected_index = 0
    explorer.controls["n_lists"].value = 12
    explorer.controls["nprobe"].value = 2
    plot = explorer.ivf_view.plot
    names = {label.get_text() for label in plot.labels if label.get_visible()}
    assert len(names) <= 2 + 2  # the starred text, the one found, the two probed centroids
    assert {"c" + str(j + 1) for j in range(12)} & names  # the probed lists are named
    assert explorer.result.hits[0].text in names  # the starred text
    assert _inside_the_picture(plot) == []


def test_names_are_dark_enough_to_read_on_their_cells():
    # Names are written in their list's colour: Okabe-Ito's sky blue, orange, yellow and
    # grey read at 2-3:1 on a pale cell; they are darkened to 4.5:1 (WCAG AA).
    for colour in LIST_COLOURS:
        box = 0.8 + 0.2 * np.array(_pale(colour, 0.30))  # a name's box on a probed cell
        ratio = (relative_luminance(box) + 0.05) / (relative_luminance(_ink(colour)) + 0.05)
        assert ratio >= 4.5, (colour, round(ratio, 2))
