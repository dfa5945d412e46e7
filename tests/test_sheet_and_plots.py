"""dlviz.sheet (HTML grids) and dlviz.plots (live figures): what a learner reads."""

import numpy as np
import pytest

from dlviz import examples, self_attention
from dlviz.plots import AttentionHeatmap, Heatmap
from dlviz.sheet import (
    format_number,
    grid,
    labels,
    product,
    relative_luminance,
    row,
    text_colour,
    tint,
)
from tests.helpers import cells_of


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (3.0, "auto", "3"),
        (-2.0, "auto", "-2"),
        (2.5, "auto", "2.50"),
        (44 / 9, "frac", "44/9"),
        (2 / 3, "frac", "2/3"),
        (5.0, "frac", "5"),
        (np.pi, "frac", "3.14"),
        (0.258, ".2f", "0.26"),
        (0.999, ".2f", "1.00"),
        (-0.0, "auto", "0"),
        (-0.04, ".1f", "0.0"),
        (0.75, ".1f", "0.8"),
    ],
)
def test_numbers_are_written_as_on_the_sheet(value, fmt, text):
    assert format_number(value, fmt) == text


def _contrast(a, b):
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(("signed", "low"), [(False, 0.0), (True, -1.0)])
def test_text_on_every_tint_meets_wcag_aa(signed, low):
    # Over the whole colour map, the chosen text colour has a contrast ratio of at least 4.5.
    for value in np.linspace(low, 1.0, 201):
        bg = tint(value, 1.0, signed)
        fg = (0.0, 0.0, 0.0) if text_colour(bg) == "#000000" else (1.0, 1.0, 1.0)
        assert _contrast(fg, bg) >= 4.5, (value, bg)


def test_text_colour_picks_the_higher_contrast():
    assert text_colour((1.0, 1.0, 1.0)) == "#000000"
    assert text_colour((0.03, 0.19, 0.42)) == "#ffffff"  # dark blue
    assert text_colour((0.99, 0.72, 0.39)) == "#000000"  # light orange


def test_grid_shows_every_value_with_its_labels():
    S = self_attention(**examples.attention_exercise()).scores
    g = grid(S, rows=labels("k", 4), cols=labels("q", 4), title="S", name="scores")
    parsed = cells_of(g.html)
    assert 'data-name="scores"' in g.html
    assert parsed.cells[(1, 3)] == "5" and parsed.cells[(2, 2)] == "-2"
    assert [parsed.cells[(i, j)] for i in range(4) for j in range(4)] == [
        format_number(v) for v in S.ravel()
    ]
    assert parsed.heads == ["q1", "q2", "q3", "q4", "k1", "k2", "k3", "k4"]


def test_grid_text_repr_is_a_readable_table():
    text = repr(grid([[1, 2], [3, 40]], rows=["a", "b"], cols=["x", "y"], title="M"))
    assert text.splitlines() == ["M", "   x  y", "a  1  2", "b  3 40"]


def test_masked_cells_show_a_dash_and_outline_is_not_colour_alone():
    g = grid(np.eye(2), mask=[[True, False], [True, True]], outline=[[True, False], [False, False]])
    parsed = cells_of(g.html)
    assert parsed.cells[(0, 1)] == "–"
    assert "outline:3px solid" in parsed.styles[(0, 0)]
    assert "font-weight:bold" in parsed.styles[(0, 0)]
    assert "–" in repr(g)


def test_negative_and_positive_values_get_different_hues():
    parsed = cells_of(grid([[-3, 3]]).html)
    assert parsed.styles[(0, 0)] != parsed.styles[(0, 1)]


def test_vector_is_shown_as_one_row():
    assert grid([16, 10, 7, 12]).values.shape == (1, 4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": ["a"]}, r"1 row labels for 2 rows"),
        ({"cols": ["a", "b", "c"]}, r"3 column labels for 2 columns"),
        ({"mask": [[True]]}, r"mask is \(1, 1\) but the values are \(2, 2\)"),
    ],
)
def test_grid_refuses_labels_that_do_not_fit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        grid(np.eye(2), **kwargs)


def test_grid_refuses_three_dimensions():
    with pytest.raises(ValueError, match=r"a grid shows a matrix or a vector"):
        grid(np.zeros((2, 2, 2)))


def test_product_layout_puts_the_left_factor_left_and_the_right_above():
    A, B = np.array([[1, 2]]), np.array([[3], [4]])
    layout = product(A, B, A @ B, "C = A·B")
    html = layout.html
    assert html.index("C = A·B") < html.index(">3<") < html.index(">1<") < html.index(">11<")
    assert "11" in repr(layout)
    both = row(layout, grid(B))
    assert both.html.count("<table") == 5 and "display:flex" in both.html.replace(" ", "")


def test_product_refuses_shapes_that_do_not_multiply():
    with pytest.raises(ValueError, match=r"cannot lay out \(1×2\) · \(1×2\) = \(1×2\)"):
        product(np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 2)))


# --- plots --------------------------------------------------------------------------


def _texts(heatmap):
    n_rows, n_cols = heatmap.shape
    return [[heatmap.cell_text(i, j) for j in range(n_cols)] for i in range(n_rows)]


def test_attention_heatmap_prints_each_weight_and_updates_in_place():
    ex = examples.attention_exercise()
    hand, exact = self_attention(**ex, mode="hand"), self_attention(**ex)
    heatmap = AttentionHeatmap(hand)
    assert _texts(heatmap)[1] == ["0.6", "0.3", "0.1", "0.8"]
    axes_before = heatmap.figure.axes
    heatmap.show(exact)
    assert heatmap.figure.axes is not None and heatmap.figure.axes == axes_before
    assert _texts(heatmap)[0][0] == "0.26"
    assert "exact" in heatmap.title.get_text()
    causal = self_attention(**ex, causal=True)
    heatmap.show(causal)
    assert _texts(heatmap)[3][0] == "–"
    assert heatmap.png().startswith(b"\x89PNG\r\n\x1a\n")


def test_blitted_render_equals_a_full_redraw():
    ex = examples.attention_exercise()
    live = AttentionHeatmap(self_attention(**ex, mode="hand"))
    live.render()  # first render keeps the static background
    target = self_attention(**ex, causal=True, temperature=0.7)
    live.show(target)
    fresh = AttentionHeatmap(target)
    np.testing.assert_array_equal(live.render(), fresh.render())


def test_heatmap_cell_text_contrasts_with_the_drawn_colour():
    heatmap = Heatmap(np.array([[0.0, 1.0]]), rows=["a"], cols=["x", "y"])
    colours = [tuple(c) for c in heatmap.numbers.artist.get_facecolor()]
    assert colours == [(0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0, 1.0)]  # on white, on dark blue


def test_heatmap_refuses_a_new_shape():
    heatmap = Heatmap(np.zeros((2, 2)), rows=["a", "b"], cols=["x", "y"])
    with pytest.raises(ValueError, match=r"this heatmap is \(2, 2\); got values of shape \(3, 3\)"):
        heatmap.update(np.zeros((3, 3)))
