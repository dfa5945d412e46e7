"""The IVF picture (dlviz.plots.ivf): its cells, their colours at every list count, its names.

The lists slider reaches the number of texts, up to the explorer's MAX_TEXTS: ten
colours are told apart, and past ten no two cells that touch share one. Colours are
compared as the eye does (CIEDE2000, on CIELAB), text and marks by WCAG contrast.
"""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest
from matplotlib.colors import to_hex, to_rgb
from matplotlib.path import Path

from benchmarks.bench_explorers import class_texts
from dlviz import VectorDBExplorer
from dlviz.palette import relative_luminance
from dlviz.plots import IVFCellsPlot
from dlviz.plots._voronoi import neighbour_colours, voronoi_cells
from dlviz.plots.ivf import (
    _OTHER_ALPHA,
    _PROBED_ALPHA,
    LABEL_BOX,
    LIST_COLOURS,
    _ink,
    _pale,
)
from dlviz.plots.vectordb import HIT_COLOUR, QUERY_COLOUR
from dlviz.widgets.ivf import ivf_result
from dlviz.widgets.vectordb import MAX_TEXTS
from tests.helpers import assert_labels_drawn_as_modelled

# --- colour as seen ----------------------------------------------------------------------


def lab(colour) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour."""
    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / (0.95047, 1.0, 1.08883)  # fmt: skip
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1, lab2) -> float:
    """The CIEDE2000 colour difference (Sharma, Wu and Dalal 2005)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    mean_c = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(mean_c**7 / (mean_c**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    big_dh = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    mean_l, mean_c = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        mean_h = h1 + h2
    elif abs(h1 - h2) <= 180:
        mean_h = (h1 + h2) / 2
    else:
        mean_h = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    cos = [
        np.cos(np.radians(k * mean_h + shift)) for k, shift in ((1, -30), (2, 0), (3, 6), (4, -63))
    ]
    t = 1 - 0.17 * cos[0] + 0.24 * cos[1] + 0.32 * cos[2] - 0.20 * cos[3]
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / np.sqrt(20 + (mean_l - 50) ** 2)
    s_c, s_h = 1 + 0.045 * mean_c, 1 + 0.015 * mean_c * t
    r_t = (
        -2
        * np.sqrt(mean_c**7 / (mean_c**7 + 25**7))
        * np.sin(np.radians(60 * np.exp(-(((mean_h - 275) / 25) ** 2))))
    )
    terms = ((l2 - l1) / s_l, (c2 - c1) / s_c, big_dh / s_h)
    return float(np.sqrt(sum(x * x for x in terms) + r_t * terms[1] * terms[2]))


def seen_apart(a, b) -> float:
    return ciede2000(lab(a), lab(b))


def contrast(a, b) -> float:
    hi, lo = sorted((relative_luminance(to_rgb(a)), relative_luminance(to_rgb(b))))[::-1]
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    ("one", "other", "difference"),
    [  # Sharma, Wu and Dalal's test data, pairs 1, 7 and 17
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((50, 2.5, 0), (56, -27, -3), 31.9030),
    ],
)
def test_the_colour_difference_is_ciede2000(one, other, difference):
    assert ciede2000(one, other) == pytest.approx(difference, abs=1e-4)


# --- the colours ----------------------------------------------------------------------------


def test_every_list_colour_is_a_colour_of_its_own_seen_on_white():
    # Black (list 7) read as "found"/"best" and as no list at all, grey (list 8) as an
    # unprobed cell, yellow, orange and sky blue (1.3-2.3:1) hid on their pale cells.
    for colour in LIST_COLOURS:
        lightness, a, b = lab(colour)
        assert np.hypot(a, b) >= 30, colour  # a hue, not a grey
        assert lightness >= 35, colour  # not near black
        assert contrast(colour, "white") >= 3, colour  # WCAG's least for a mark
        for mark in (QUERY_COLOUR, HIT_COLOUR, "#333333"):  # the legend's marks
            assert seen_apart(colour, mark) >= 20, (colour, mark)
    # Each apart from every other, also as the darker ink of the names.
    for i, a in enumerate(LIST_COLOURS):
        for b in LIST_COLOURS[:i]:
            assert seen_apart(a, b) >= 14, (a, b)
            assert seen_apart(to_hex(_ink(a)), to_hex(_ink(b))) >= 14, (a, b)


def test_names_read_at_4_5_to_1_on_every_cell():
    box = np.array(to_rgb(LABEL_BOX["facecolor"]))
    for colour in LIST_COLOURS:
        for alpha in (_PROBED_ALPHA, _OTHER_ALPHA):  # a probed cell, and any other
            under = LABEL_BOX["alpha"] * box + (1 - LABEL_BOX["alpha"]) * np.array(
                _pale(colour, alpha)
            )
            assert contrast(_ink(colour), under) >= 4.5, (colour, alpha)
            # and the points, each on its own cell
            assert contrast(colour, _pale(colour, alpha)) >= 2, (colour, alpha)


def test_the_picture_brings_its_own_white_ground():
    # In JupyterLab's dark theme the picture's colours are still seen on white.
    plot = _explorer_plot(VectorDBExplorer(), 3)
    image = PIL.Image.open(io.BytesIO(plot.png()))
    assert image.mode == "RGBA" and image.getextrema()[3] == (255, 255)
    assert to_hex(plot.figure.get_facecolor()) == "#ffffff"


# --- the cells, and their colours at every list count -----------------------------------


def test_each_cell_is_the_part_of_the_frame_nearest_its_centroid():
    rng = np.random.default_rng(3)
    frame = ((-1.0, 5.0), (-1.0, 4.0))
    for n in (1, 2, 3, 7, 40, 120):
        centroids = np.round(rng.uniform(0, 4, (n, 2)), 1)  # rounded: some twice, some ties
        cells, _ = voronoi_cells(centroids, frame)
        samples = rng.uniform((-1, -1), (5, 4), (4000, 2))
        squared = ((samples[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        owner = np.argmin(squared, axis=1)  # ties to the lower, as IVFIndex assigns
        ranked = np.sort(squared, axis=1)
        clear = ranked[:, 1] - ranked[:, 0] > 1e-9 if n > 1 else np.ones(len(samples), bool)
        for i, cell in enumerate(cells):
            inside = Path(cell).contains_points(samples) if len(cell) else np.zeros(4000, bool)
            np.testing.assert_array_equal(inside[clear], (owner == i)[clear], err_msg=f"{n} {i}")
        area = sum(0.5 * abs(x @ np.roll(y, 1) - y @ np.roll(x, 1)) for x, y in
                   (cell.T for cell in cells if len(cell)))  # fmt: skip
        assert area == pytest.approx(6.0 * 5.0)


def _check_list_counts(counts) -> None:
    """Each of the lists its own colour up to ten, and past ten no two touching cells
    of one colour, for the IVF of a class database cut into each of `counts` lists."""
    explorer = VectorDBExplorer(database=class_texts(MAX_TEXTS))
    # The slider reaches the number of texts, which the explorer caps at MAX_TEXTS.
    assert explorer.controls["n_lists"].max == MAX_TEXTS
    grid = np.stack(np.meshgrid(np.linspace(-0.5, 5, 160), np.linspace(-0.5, 3.5, 120)), -1)
    for n in counts:
        index, _ = ivf_result(explorer.database, explorer.result, n, 1)
        centroids = np.asarray(index.centroids)
        cells, neighbours = voronoi_cells(centroids, ((-0.5, 5.0), (-0.5, 3.5)))
        colours = neighbour_colours(neighbours, len(LIST_COLOURS))
        if n <= len(LIST_COLOURS):
            assert colours == list(range(n))  # each its own
        for i, near in enumerate(neighbours):
            assert all(colours[j] != colours[i] for j in near), (n, i)
        if n in (11, 12, 30, 60, MAX_TEXTS):
            assert _touching_cells_of_one_colour(centroids, colours, grid) == [], n
    explorer.close()


def test_neighbouring_cells_never_share_a_colour():
    _check_list_counts([*range(1, 13), 30, 60, MAX_TEXTS])


@pytest.mark.slow  # 200 k-means runs and cuttings
def test_every_list_count_the_slider_allows_gets_colours_neighbours_never_share():
    _check_list_counts(range(1, MAX_TEXTS + 1))


def _touching_cells_of_one_colour(centroids, colours, grid) -> list:
    """Cells of one colour that touch, as seen on a grid of points, without the polygons:
    two neighbouring points in cells of one colour, and nothing else between them."""

    def cell(points):  # of the nearest centroid; repeated ones (to the last bit) are one
        squared = ((points[..., None, :] - centroids) ** 2).sum(axis=-1)
        first = np.argmax(np.abs(centroids[:, None] - centroids[None]).max(-1) < 1e-9, 1)
        return first[np.argmin(squared, axis=-1)]

    cells = cell(grid)
    found = []
    for step in ((0, 1), (1, 0)):  # right, up
        a, b = cells[: -step[0] or None, : -step[1] or None], cells[step[0] :, step[1] :]
        for r, k in np.argwhere((a != b) & (np.take(colours, a) == np.take(colours, b))):
            p, q = grid[r, k], grid[r + step[0], k + step[1]]
            between = set(cell(p + np.linspace(0, 1, 201)[:, None] * (q - p)).tolist())
            if len(between) == 2:
                found.append(tuple(between))
    return found


def _explorer_plot(explorer, n_lists, nprobe=1) -> IVFCellsPlot:
    explorer.ivf_box.selected_index = 0
    with explorer.hold():
        explorer.controls["n_lists"].value = n_lists
        explorer.controls["nprobe"].value = nprobe
    assert explorer.error == ""
    return explorer.ivf_view.plot


def test_the_picture_draws_each_list_in_its_colour_and_says_when_colours_repeat():
    explorer = VectorDBExplorer(database=class_texts(60))
    for n_lists in (3, 10, 11, 12, 60):
        plot = _explorer_plot(explorer, n_lists)
        centroids = [to_hex(c) for c in plot.centroids.get_facecolors()]
        assert len(centroids) == n_lists and "#000000" not in centroids
        if n_lists <= len(LIST_COLOURS):
            assert centroids == [c.lower() for c in LIST_COLOURS[:n_lists]]
            assert plot.note.get_text() == "" and plot.note_glyphs.texts == []
        else:
            note = f"{n_lists} lists in {len(LIST_COLOURS)} colours"
            assert plot.note.get_text().startswith(note)
            assert plot.note_glyphs.texts == [plot.note.get_text()]
        # each text in its list's colour, each cell tinted with it, and outlined
        index, found = ivf_result(explorer.database, explorer.result, n_lists, 1)
        points = [to_hex(c) for c in plot.points.get_facecolors()]
        assert points == [centroids[j] for j in index.list_of]
        assert len(plot.cells.get_paths()) == len(plot.borders.get_paths()) == n_lists
        probed = set(found.probed[0].tolist())
        tints = [to_hex(c) for c in plot.cells.get_facecolors()]
        for j, colour in enumerate(centroids):
            alpha = _PROBED_ALPHA if j in probed else _OTHER_ALPHA
            assert tints[j] == to_hex(_pale(colour, alpha))
        assert plot.caption_glyphs.texts == [plot.caption.get_text()]
    explorer.close()


# --- names and caption: drawn as glyphs, as their models say -------------------------------


def test_names_and_caption_are_drawn_as_their_models_say():
    explorer = VectorDBExplorer(database=class_texts(60))
    for n_lists, nprobe, query in ((3, 1, "who are you"), (12, 2, "am I"), (5, 5, "me a")):
        explorer.controls["query"].value = query
        plot = _explorer_plot(explorer, n_lists, nprobe)
        plot.render()
        assert_labels_drawn_as_modelled(plot, plot.labels, plot.label_marks)
        assert any(label.get_visible() for label in plot.labels)
        for text, glyphs in ((plot.caption, plot.caption_glyphs), (plot.note, plot.note_glyphs)):
            assert text.get_animated() and text not in plot._dynamic
            if text.get_text():  # on the Text's baseline, where it would stand
                ((x, y),) = glyphs.artist.get_offsets()
                assert (x, y) == text.get_position()
    explorer.close()


def test_a_moved_picture_looks_as_one_drawn_anew():
    explorer = VectorDBExplorer(database=class_texts(60))
    plot = _explorer_plot(explorer, 3)
    for n_lists, nprobe, metric in ((12, 2, "dot"), (12, 2, "cosine"), (3, 1, "dot"),
                                    (11, 3, "cosine"), (12, 1, "dot")):  # fmt: skip
        explorer.controls["metric"].value = metric
        _explorer_plot(explorer, n_lists, nprobe)
        index, found = ivf_result(explorer.database, explorer.result, n_lists, nprobe)
        fresh = IVFCellsPlot(index, explorer.result.query.index_vector, found,
                             explorer.database.texts, metric=metric)  # fmt: skip
        np.testing.assert_array_equal(plot.render(), fresh.render(), err_msg=str(n_lists))
        fresh.close()
    explorer.close()
