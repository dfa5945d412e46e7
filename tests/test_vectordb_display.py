"""The vector database's pictures (dlviz.plots) and its PCA map (dlviz.vectordb.pca_2d)."""

import itertools

import numpy as np
import pytest
from matplotlib.transforms import Affine2D

from dlviz.plots import (
    HIT_COLOUR,
    IndexVectorPlot,
    ScoreBars,
    WordMap,
    equal_aspect_limits,
)
from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary, pca_2d
from tests.helpers import assert_labels_drawn_as_modelled

EXERCISE = "vectordb"  # what the `ex` fixture (conftest.py) gives


def database(ex, texts=None, **changes):
    params = {"W": ex["W"], "b": ex["b"], "P": ex["P"], **changes}
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), **params))
    db.add(ex["database"] if texts is None else texts)
    return db


@pytest.fixture
def db(ex):
    return database(ex)


def boxes(figure, texts):
    renderer = figure.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts]


def assert_readable(figure, ax, texts):
    """Every label lies inside the axes and no two labels overlap."""
    frame = ax.get_window_extent(figure.canvas.get_renderer())
    found = boxes(figure, texts)
    for box, text in zip(found, texts, strict=True):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text.get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text.get_text()
    for (a, ta), (b, tb) in itertools.combinations(zip(found, texts, strict=True), 2):
        assert not a.overlaps(b), (ta.get_text(), tb.get_text())


def assert_drawn_as_modelled(plot):
    """What is drawn is what the labels say (`assert_labels_drawn_as_modelled`), and the
    arrows are where their models point."""
    assert_labels_drawn_as_modelled(plot, [plot.query_label, *plot.labels], plot.label_marks)
    # The arrows likewise: one shaft and one head per shown arrow, from the origin
    # towards its point, in its width (the nearest's thicker).
    shown = [a for a in [*plot.arrows, plot.query_arrow] if a.get_visible() and any(a.xy)]
    assert not any(a in plot._dynamic for a in [*plot.arrows, plot.query_arrow])
    segments = plot.arrow_marks.shafts.get_segments()
    assert len(segments) == len(plot.arrow_marks.heads.get_paths()) == len(shown)
    origin = plot.ax.transData.transform((0, 0))
    for (start, end), arrow in zip(segments, shown, strict=True):
        np.testing.assert_allclose(start, origin)
        towards = plot.ax.transData.transform(arrow.xy) - origin
        (ax_, ay_), (bx_, by_) = end - start, towards  # parallel: their cross product is 0
        assert ax_ * by_ - ay_ * bx_ == pytest.approx(0, abs=1e-6 * towards @ towards)
        assert 0 < (end - start) @ towards < towards @ towards  # short of the point
    widths = list(plot.arrow_marks.shafts.get_linewidths())
    assert widths == [a.arrow_patch.get_linewidth() for a in shown]


# --- the projection of the index vectors ------------------------------------------------


def test_projection_labels_points_and_rings_the_nearest(ex, db):
    result = db.search(ex["query"], k=1)
    plot = IndexVectorPlot(db, result)
    assert [t.get_text() for t in plot.labels] == ["how are you", "who are you", "#1 who am I"]
    assert [t.get_fontweight() for t in plot.labels] == ["normal", "normal", "bold"]
    assert plot.query_label.get_text() == "query: am I you"
    np.testing.assert_allclose(plot.points.get_offsets(), np.array([[5, 2], [5, 1], [7, 3]]) / 3)
    np.testing.assert_allclose(plot.query_point.get_xydata(), [[8 / 3, 2 / 3]])
    np.testing.assert_allclose(plot.rings.get_offsets(), [[7 / 3, 1]])  # shape, not colour
    widths = [a.arrow_patch.get_linewidth() for a in plot.arrows]
    assert widths[2] > widths[0] == widths[1]  # the nearest's arrow is thicker
    np.testing.assert_allclose(
        [a.xy for a in plot.arrows], [[5 / 3, 2 / 3], [5 / 3, 1 / 3], [7 / 3, 1]]
    )
    plot.render()
    assert_readable(plot.figure, plot.ax, [plot.query_label, *plot.labels])
    assert_drawn_as_modelled(plot)
    assert plot.png().startswith(b"\x89PNG\r\n\x1a\n")
    assert repr(plot) == "<IndexVectorPlot: 3 texts and the query>"


def test_projection_draws_the_geometry_of_each_metric(ex, db):
    plot = IndexVectorPlot(db, db.search(ex["query"]))
    # Dot: each point drops onto the query's line; the foot is (s·q̂) q̂.
    q = np.array([8, 2]) / 3
    unit = q / np.linalg.norm(q)
    feet = np.outer(db.index_vectors.T @ unit, unit)  # (3, 2)
    np.testing.assert_allclose(plot.feet.get_xydata(), feet)
    assert plot.shadows.get_visible() and not plot.circle.get_visible()
    plot.show(db, db.search(ex["query"], k=2, metric="cosine"))
    assert plot.circle.get_visible() and not plot.shadows.get_visible()
    lengths = np.linalg.norm(db.index_vectors, axis=0)
    np.testing.assert_allclose(plot.directions.get_xydata(), (db.index_vectors / lengths).T)
    np.testing.assert_allclose(plot.query_direction.get_xydata(), [unit])
    assert [t.get_text() for t in plot.labels] == ["#2 how are you", "#1 who are you", "who am I"]
    assert len(plot.rings.get_offsets()) == 2


def test_projection_updates_in_place_and_rebuilds_for_a_new_count(ex, db):
    plot = IndexVectorPlot(db, db.search(ex["query"]))
    ax, labels = plot.ax, plot.labels
    plot.show(db, db.search("you"))
    assert plot.ax is ax and plot.labels is labels  # same artists, new values
    assert plot.query_label.get_text() == "query: you"
    plot.render()
    bigger = database(ex, ex["database"] + ["who is he"])
    plot.show(bigger, bigger.search("you", k=2))
    assert len(plot.labels) == 4 and len(plot.points.get_offsets()) == 4
    assert plot._background is not None  # a new text is new dynamic artists: still a blit
    # The new name is drawn by the dynamic glyph labels (no full redraw), at its label's box.
    assert plot.labels[3].get_text() == "who is he"
    assert plot.label_marks.names.artist in plot._dynamic
    assert_drawn_as_modelled(plot)
    fresh = IndexVectorPlot(db, db.search(ex["query"]))
    fresh.show(db, db.search("you"))
    fresh.show(bigger, bigger.search("you", k=2))
    np.testing.assert_array_equal(plot.render(), fresh.render())
    plot.show(db, db.search("you"))  # and back: the fourth arrow and label are gone
    assert len(plot.arrows) == 3 and len(plot.ax.texts) == len(fresh.ax.texts) - 2


def test_a_small_move_keeps_the_axes_and_blits(ex, db):
    plot = IndexVectorPlot(db, db.search(ex["query"]))
    plot.render()
    limits = plot.limits
    P = ex["P"].astype(float)
    P[0, 0] = 1.25
    moved = database(ex, P=P)
    plot.show(moved, moved.search(ex["query"]))
    assert plot.limits == limits and plot._background is not None  # only the dynamic part


@pytest.mark.parametrize("seed", range(5))
def test_points_never_leave_the_plot_as_sliders_move(ex, seed):
    rng = np.random.default_rng(seed)
    db = database(ex)
    plot = IndexVectorPlot(db, db.search(ex["query"]))
    P, b = ex["P"].astype(float), ex["b"].astype(float)
    redraws = 0
    for _ in range(40):  # a learner dragging sliders: one entry at a time, by quarters
        target = P if rng.random() < 0.7 else b
        index = tuple(rng.integers(0, n) for n in target.shape)
        target[index] = np.clip(target[index] + rng.choice([-0.5, -0.25, 0.25, 0.5]), -2, 2)
        moved = database(ex, P=P, b=b)
        before = plot.limits
        plot.show(moved, moved.search(ex["query"], metric="dot"))
        redraws += plot.limits != before
        (x0, x1), (y0, y1) = plot.limits
        points = np.concatenate(
            [
                moved.index_vectors,
                moved.search(ex["query"]).query.index_vector[:, None],
                np.zeros((2, 1)),
            ],
            axis=1,
        )  # noqa: E501
        assert (x0 < points[0]).all() and (points[0] < x1).all()
        assert (y0 < points[1]).all() and (points[1] < y1).all()
        # One unit is as long on both axes: angles are true.
        box = plot.ax.get_window_extent(plot.figure.canvas.get_renderer())
        assert (x1 - x0) / box.width == pytest.approx((y1 - y0) / box.height)
    assert redraws < 20  # most moves only blit


def test_equal_aspect_limits_keep_room_and_hold_still():
    limits = equal_aspect_limits(None, [1, 2], [0.5, 1], 1.5, bare=[(0, 0)])
    (x0, x1), (y0, y1) = limits
    assert x1 - x0 == pytest.approx(1.5 * (y1 - y0))
    assert x0 < 0 < 2 < x1 and y0 < 0 < 1 < y1
    assert equal_aspect_limits(limits, [1.1, 2.05], [0.5, 1], 1.5, bare=[(0, 0)]) == limits
    assert equal_aspect_limits(limits, [1, 9], [0.5, 1], 1.5, bare=[(0, 0)]) != limits
    # All points in one place (P = 0): a sensible square around them, not a zero span.
    (x0, x1), (y0, y1) = equal_aspect_limits(None, [0], [0], 1.0, bare=[(0, 0)])
    assert x1 - x0 > 0 and y1 - y0 > 0


def test_projection_refuses_index_vectors_of_three_numbers(ex):
    db = database(ex, P=np.eye(3, 4))
    with pytest.raises(ValueError, match=r"this picture draws 2-d index vectors, got 3-d"):
        IndexVectorPlot(db, db.search(ex["query"]))


def test_projection_at_the_origin_hides_the_arrows(ex):
    db = database(ex, P=np.zeros((2, 4)))
    plot = IndexVectorPlot(db, db.search(ex["query"]))
    assert not any(a.get_visible() for a in plot.arrows) and not plot.query_arrow.get_visible()
    assert not plot.query_line.get_visible()  # a zero query has no line
    assert plot.render().shape[2] == 4


# --- the score bars -----------------------------------------------------------------------


def test_bars_show_each_score_as_a_fraction_and_mark_the_hits(ex, db):
    bars = ScoreBars(db, db.search(ex["query"], k=1))
    assert [b.get_width() for b in bars.bars] == pytest.approx([44 / 9, 42 / 9, 62 / 9])
    assert [t.get_text() for t in bars.values] == ["44/9", "14/3", "62/9  #1"]
    assert bars.bars[2].get_edgecolor()[:3] == (0, 0, 0) and bars.bars[2].get_linewidth() == 2
    assert bars.bars[0].get_linewidth() == 0
    assert [t.get_text() for t in bars.names] == list(ex["database"])
    assert bars.title.get_text() == "score = dot product with the query"
    bars.show(db, db.search(ex["query"], k=2), fmt=".3f")
    assert [t.get_text() for t in bars.values] == ["4.889  #2", "4.667", "6.889  #1"]
    assert HIT_COLOUR == "#000000"


def test_bars_redraw_in_full_only_for_new_names_counts_or_limits(ex, db):
    bars = ScoreBars(db, db.search(ex["query"]))
    bars.render()
    P = ex["P"].astype(float)
    P[1, 3] = 0.75
    moved = database(ex, P=P)
    bars.show(moved, moved.search(ex["query"]))  # new scores, same names and limits
    assert bars._background is not None
    edited = database(ex, ["how are you", "who are you", "who am we"])
    bars.show(edited, edited.search(ex["query"]))
    assert bars._background is None  # a new name is drawn with the axes
    assert [t.get_text() for t in bars.names][2] == "who am we"
    height = bars.figure.get_figheight()
    bigger = database(ex, ex["database"] + ["why are we", "who is he"])
    bars.show(bigger, bigger.search(ex["query"]))
    assert len(bars.bars) == 5 and bars.figure.get_figheight() > height
    assert len(bars.ax.patches) == 5  # the old bars are gone
    long = database(ex, ["how are you " * 3, "who am I"])
    bars.show(long, long.search(ex["query"]))
    box = bars.names[0].get_window_extent(bars.figure.canvas.get_renderer())
    assert box.x0 >= 0 and bars.names[0].get_text().endswith("…")  # shortened, inside


def test_bars_update_in_place_and_print_cosines_with_three_decimals(ex, db):
    bars = ScoreBars(db, db.search(ex["query"]))
    first = bars.bars
    result = db.search(ex["query"], metric="cosine")
    bars.show(db, result)
    assert bars.bars is first
    assert [t.get_text() for t in bars.values][1] == f"{result.scores[1]:.3f}  #1"
    assert bars.title.get_text().startswith("score = cosine of the angle with the query")
    x0, x1 = bars.limits  # zoomed on cosines close to 1, and the title says from where
    assert 0 < x0 < min(result.scores) and max(result.scores) < 1 < x1
    assert f"(axis from {x0:g})" in bars.title.get_text()


def test_bars_name_every_text_inside_the_picture(ex, db):
    bars = ScoreBars(db, db.search(ex["query"]))
    bars.render()
    for box, name in zip(boxes(bars.figure, bars.names), bars.names, strict=True):
        assert box.x0 >= 0, f"{name.get_text()!r} starts {-box.x0:.1f} px left of the picture"


def test_cosines_that_all_tie_get_a_readable_axis_that_stops_at_1(ex):
    # "Flatten the picture": P[2,3] = P[2,4] = 0 puts every point on the x axis, so every
    # cosine is 1. The axis once zoomed to 0.9998 with ticks "-0.00020 … +1" run together.
    flat = database(ex, P=[[1, 1, 0, 0], [0, 0, 0, 0]])
    result = flat.search(ex["query"], metric="cosine")
    assert np.allclose(result.scores, 1)
    bars = ScoreBars(flat, result)
    bars.render()
    ticks = bars.ax.get_xticks()
    labels = bars.x_ticks.texts  # drawn as glyph outlines: matplotlib's labels, its places
    assert bars.ax.xaxis.get_offset_text().get_text() == ""  # no "+1" beside the axis
    assert bars.limits[0] <= 0.98 and 3 <= len(ticks) <= 6
    assert max(ticks) == pytest.approx(1) and min(ticks) >= bars.limits[0] - 1e-9
    assert all(len(label) <= 4 for label in labels), labels  # 0.98, never 0.99980
    to_px = bars.ax.get_xaxis_transform().transform
    scale = bars.figure.dpi / 72  # glyph outlines are in points
    found = [
        bars.x_ticks._path(text)
        .get_extents()
        .transformed(Affine2D().scale(scale).translate(*to_px(at)))
        for text, at in zip(labels, bars.x_ticks.artist.get_offsets(), strict=True)
    ]  # each label's ink, in pixels, where it is drawn
    assert not any(a.overlaps(b) for a, b in itertools.combinations(found, 2)), labels
    dot = flat.search(ex["query"])
    bars.show(flat, dot)  # back to the dot product: ticks past 1 again
    assert bars.ax.get_xticks().max() > 1


def test_negative_scores_point_left_with_their_value_outside(ex, db):
    bars = ScoreBars(db, db.search(ex["query"]))
    negative = database(ex, P=[[1, -1, 0, 0], [0, 0, 0, 0]])  # x = h1 - h2, y = 0
    result = negative.search("why")  # the query's x is -1, the texts' are positive
    bars.show(negative, result)
    assert [t.get_text() for t in bars.values] == ["-1/3  #1", "-1/3", "-1"]
    for value, score in zip(bars.values, result.scores, strict=True):
        assert score < 0 and value.get_horizontalalignment() == "right"
    x0, x1 = bars.limits
    assert x0 < min(result.scores) and x1 > 0


# --- blitting -------------------------------------------------------------------------


@pytest.mark.parametrize("figure", [IndexVectorPlot, ScoreBars])
def test_blitted_render_equals_a_full_redraw(ex, db, figure):
    first = db.search(ex["query"])
    P = ex["P"].astype(float)
    P[1, 3] = 0.75
    moved = database(ex, P=P)
    target = moved.search(ex["query"], k=2)
    live = figure(db, first)
    live.render()  # keeps the static background
    live.show(moved, target)
    assert live._background is not None  # this render blits
    fresh = figure(db, first)
    fresh.show(moved, target)  # the same history, never rendered: one full draw
    np.testing.assert_array_equal(live.render(), fresh.render())


# --- the word map and pca_2d --------------------------------------------------------------


def test_word_map_combines_identical_words_and_stays_readable(ex):
    vocabulary = Vocabulary(ex["embeddings"])
    word_map = WordMap(vocabulary, highlight=["am", "I", "you"])
    names = [t.get_text() for t in word_map.labels]
    for shared in ("a, the", "an, is", "how, am", "be, her"):
        assert shared in names
    assert len(names) == 17 and sum(n.count(",") + 1 for n in names) == 21
    word_map.render()
    assert_readable(word_map.figure, word_map.ax, word_map.labels)
    assert word_map.caption.get_text() == "ringed: am, I, you"
    assert len(word_map.rings.get_offsets()) == 3
    word_map.highlight(["a", "the", "nonsense"])  # one point for both; unknown skipped
    assert len(word_map.rings.get_offsets()) == 1
    assert word_map.caption.get_text() == "ringed: a, the"
    assert "44%" in word_map.ax.get_xlabel() and "26%" in word_map.ax.get_ylabel()
    assert repr(word_map) == "<WordMap: 21 words at 17 points>"


def pca_by_covariance(vectors):
    """Reference: eigenvectors of the covariance matrix (not an SVD), largest first."""
    X = np.asarray(vectors, dtype=float)
    centred = X - X.mean(axis=1, keepdims=True)
    cov = centred @ centred.T / X.shape[1]  # (dim, dim)
    values, vecs = np.linalg.eigh(cov)  # ascending
    order = np.argsort(values)[::-1][:2]
    return vecs[:, order].T @ centred, values[order], values[order] / values.sum()


@pytest.mark.parametrize("seed", range(4))
def test_pca_2d_matches_the_covariance_eigenvectors_up_to_sign(seed):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((5, 30)) * np.array([[3], [2], [1], [0.5], [0.1]])
    pca = pca_2d(vectors)
    coords, variance, explained = pca_by_covariance(vectors)
    for i in range(2):
        sign = np.sign(coords[i] @ pca.coords[i])
        np.testing.assert_allclose(pca.coords[i], sign * coords[i], atol=1e-10)
    np.testing.assert_allclose(pca.variance, variance)
    np.testing.assert_allclose(pca.explained, explained)
    np.testing.assert_allclose(pca.axes @ pca.axes.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(pca.mean, vectors.mean(axis=1))
    # Fixed signs: each axis' largest entry is positive.
    assert all(axis[np.argmax(np.abs(axis))] > 0 for axis in pca.axes)


def test_pca_2d_of_the_exercise_vocabulary(ex):
    vocabulary = Vocabulary(ex["embeddings"])
    pca = pca_2d(vocabulary.matrix)
    coords, _, explained = pca_by_covariance(vocabulary.matrix)
    np.testing.assert_allclose(np.abs(pca.coords), np.abs(coords), atol=1e-10)
    np.testing.assert_allclose(pca.explained, explained)
    a, the = vocabulary.words.index("a"), vocabulary.words.index("the")
    np.testing.assert_array_equal(pca.coords[:, a], pca.coords[:, the])
    assert pca.coords.shape == (2, 21)
    with pytest.raises(ValueError, match="read-only"):
        pca.coords[0, 0] = 1


def test_pca_2d_with_fewer_directions_than_two():
    on_a_line = pca_2d([[0, 1, 2, 3], [0, 2, 4, 6]])  # every vector on one line
    np.testing.assert_allclose(on_a_line.coords[1], 0)
    np.testing.assert_allclose(on_a_line.explained, [1, 0])
    single = pca_2d([[1], [2], [3]])
    np.testing.assert_allclose(single.coords, 0)
    np.testing.assert_allclose(single.explained, 0)


def test_pca_2d_refuses_what_it_cannot_flatten():
    with pytest.raises(ValueError, match=r"each has 1 number, already fewer than the 2"):
        pca_2d([[1, 2, 3]])
    with pytest.raises(ValueError, match=r"vectors\[0, 1\] is nan"):
        pca_2d([[1, np.nan], [0, 1]])


def test_projection_tick_labels_are_matplotlibs_drawn_as_glyphs(ex, db):
    # The tick labels are glyph outlines (a full draw with Text tick labels took twice as
    # long); they say what matplotlib's own would, where it would put them.
    P = ex["P"].astype(float)
    P[0, 0] = 3.0
    for database_ in (db, database(ex, P=P)):
        plot = IndexVectorPlot(database_, database_.search(ex["query"]))
        plot.render()
        ax = plot.ax
        ax.tick_params(labelbottom=True, labelleft=True)
        plot.figure.canvas.draw()  # matplotlib's labels, to compare
        for axis, glyphs, (low, high) in (
            (ax.xaxis, plot.x_ticks, plot.limits[0]),
            (ax.yaxis, plot.y_ticks, plot.limits[1]),
        ):
            shown = [
                (tick.get_loc(), tick.label1.get_text())
                for tick in axis.get_major_ticks()
                if low - 1e-9 <= tick.get_loc() <= high + 1e-9
            ]
            at = glyphs.artist.get_offsets()[:, 0 if axis is ax.xaxis else 1]
            assert [(float(a), t) for a, t in zip(at, glyphs.texts, strict=True)] == shown
        plot.close()


def test_the_best_bars_of_a_class_name_every_text_inside_the_picture(ex):
    # Past MAX_BARS texts the names are glyph outlines (2 points left of where a Text
    # would end): each still starts inside the picture, with room to spare.
    words = list(ex["embeddings"])
    texts = [" ".join(words[(i * 7 + j) % len(words)] for j in range(2 + i % 4)) for i in range(40)]
    db = database(ex)
    db.add(texts)
    bars = ScoreBars(db, db.search(ex["query"]))
    bars.render()
    names = bars._glyphs[0]
    to_px = names.artist.get_offset_transform().transform
    scale = bars.figure.dpi / 72
    for text, at in zip(names.texts, names.artist.get_offsets(), strict=True):
        ink = (
            names._path(text)
            .get_extents()
            .transformed(Affine2D().scale(scale).translate(*to_px(at)))
        )
        assert ink.x0 >= 4, f"{text!r} starts {ink.x0:.1f} px from the picture's left edge"
