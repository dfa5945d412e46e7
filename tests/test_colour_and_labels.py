"""Colour by role, one scale per quantity, and labels a learner can read (issue 10)."""

import numpy as np
import pytest

from dlviz import HandCheck, MoEExplorer, VectorDBExplorer, examples
from dlviz._format import distinct_decimals
from dlviz.moe import MixtureOfExperts
from dlviz.plots import LoadBars, ScoreBars
from dlviz.sheet import grid, product, row, tint
from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary
from tests.helpers import cells_of


def _colours(layout, name):
    """The background colour of every cell of grid `name` in `layout`, by (row, col)."""
    html = layout.html
    start = html.index(f'data-name="{name}"')
    table = html[html.rfind("<table", 0, start) : html.index("</table>", start) + 8]
    styles = cells_of(table).styles
    return {k: s.split("background:")[1].split(";")[0] for k, s in styles.items()}


def test_one_negative_entry_does_not_change_the_palette():
    # The same matrix with one entry made negative keeps the colours of the others.
    before = _colours(grid([[1, 2], [3, 4]], name="X"), "X")
    after = _colours(grid([[1, 2], [3, -4]], name="X"), "X")
    assert before[(0, 0)] == after[(0, 0)] and before[(1, 0)] == after[(1, 0)]
    assert after[(1, 1)] != before[(1, 1)]  # the negative one: the other side of 0


def test_signed_is_centred_at_zero_and_positive_starts_white():
    assert tint(0, 5, "signed") == tint(0, 1, "signed")  # grey at 0, whatever the scale
    assert tint(0, 1, "positive") == pytest.approx((0xF7 / 255, 0xFB / 255, 1.0))
    with pytest.raises(ValueError, match="palette must be one of"):
        grid([[1]], palette="rainbow")


def test_grids_of_one_quantity_side_by_side_share_one_scale():
    layout = row(grid([[1, 2]], name="a", quantity="q"), grid([[1, 8]], name="b", quantity="q"))
    assert _colours(layout, "a")[(0, 0)] == _colours(layout, "b")[(0, 0)]  # 1 is 1
    apart = row(grid([[1, 2]], name="a"), grid([[1, 8]], name="b"))  # no quantity: own scales
    assert _colours(apart, "a")[(0, 0)] != _colours(apart, "b")[(0, 0)]
    inside = product(
        grid([[1]], name="l", quantity="q"),
        grid([[4]], name="r"),
        grid([[4]], name="p", quantity="q"),
    )
    assert _colours(inside, "l")[(0, 0)] != _colours(grid([[1]], name="l"), "l")[(0, 0)]


def test_the_attention_explorer_weights_and_values_keep_one_scale():
    from dlviz import AttentionExplorer

    explorer = AttentionExplorer(mode="exact")
    html = explorer.panels[9].value
    assert 'data-name="V"' in html and 'data-name="output"' in html
    explorer.controls["X"].boxes[0][0].value = -2  # a negative input: X keeps its palette
    assert explorer.error == ""
    explorer.close()


@pytest.mark.parametrize(
    ("values", "fmt"),
    [([0.991, 0.999, 0.987], ".3f"), ([0.98612, 0.98637], ".4f"), ([1.0, 1.0], ".3f")],
)
def test_cosines_get_the_decimals_that_tell_them_apart(values, fmt):
    assert distinct_decimals(values) == fmt


def _search(texts, query, metric):
    ex = examples.vectordb_exercise()
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"]))
    db.add(texts)
    return db, db.search(query, k=1, metric=metric)


def test_cosine_bars_zoom_so_that_close_scores_look_different():
    ex = examples.vectordb_exercise()
    db, found = _search(ex["database"], ex["query"], "cosine")
    bars = ScoreBars(db, found)
    x0, x1 = bars.ax.get_xlim()
    assert 0 < x0 < found.scores.min() and x1 < 1.6
    widths = found.scores - x0  # what the eye compares
    assert widths.max() / widths.min() > 1.2
    assert f"axis from {x0:g}" in bars.title.get_text()
    dot_db, dot = _search(ex["database"], ex["query"], "dot")
    bars.show(dot_db, dot)
    assert bars.ax.get_xlim()[0] < 0 < bars.ax.get_xlim()[1]  # a dot product: from 0 again


def assert_counts_clear_of_the_lines(bars, result):
    """At least a point of air between every count's digits and the balanced line (and
    the capacity line, when it is drawn)."""
    bars.figure.canvas.draw()
    k, n_tokens = result.chosen.shape
    shares = [1 / len(result.tokens_per_expert)]
    if bars.capacity_line.get_visible():
        shares.append(result.capacity / (k * n_tokens))
    per_pt = bars.figure.dpi / 72
    offsets = bars.ax.transData.transform(bars.counts.artist.get_offsets())
    for share in shares:
        line_y = bars.ax.transData.transform((0, share))[1]
        half_width = bars.balanced.get_linewidth() / 2 * per_pt
        for path, (_, y) in zip(bars.counts.artist.get_paths(), offsets, strict=True):
            ink = path.get_extents()  # the digits' outline, in points from their position
            bottom, top = y + ink.y0 * per_pt, y + ink.y1 * per_pt
            clear = per_pt + half_width
            assert not (bottom - clear <= line_y <= top + clear), (bottom, top, line_y, share)


def test_load_counts_keep_clear_of_the_balanced_line():
    ex = examples.moe_exercise()
    result = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])(ex["X"])
    bars = LoadBars(result)  # 1 token each: both bars end exactly on the balanced line
    assert_counts_clear_of_the_lines(bars, result)


def test_load_counts_keep_clear_of_the_lines_at_a_class_s_sizes():
    # A class: up to 8 experts, 64 random tokens, top-1 or 2, capacity on or off. The
    # case seen in the browser: 8 experts, 66 tokens, e2's count 10 crossed by the line.
    explorer = MoEExplorer()
    c = explorer.controls
    rng = np.random.default_rng(3)
    cases = [(8, 64, 1, None)] + [
        (int(rng.integers(2, 9)), int(rng.integers(0, 65)), int(rng.integers(1, 3)),
         [None, 1.0, 1.25, 0.75][rng.integers(0, 4)])
        for _ in range(40)
    ]  # fmt: skip
    for n_experts, tokens, top_k, factor in cases:
        with explorer.hold():
            c["n_experts"].value = n_experts
            c["random_tokens"].value = tokens
            c["top_k"].value = min(top_k, n_experts)
            c["capacity"].value = factor is not None
            c["capacity_factor"].value = factor or 1.0
        assert explorer.error == ""
        assert_counts_clear_of_the_lines(explorer.load, explorer.result)
    explorer.close()


def test_the_w_editor_packs_its_labels_beside_its_boxes():
    explorer = VectorDBExplorer()
    layout = explorer.controls["W"].layout
    assert layout.grid_template_columns.startswith("max-content")
    assert layout.justify_content == "flex-start"
    explorer.close()


def test_every_reset_button_is_as_wide_as_its_words():
    from dlviz import AttentionExplorer

    for explorer in (AttentionExplorer(), VectorDBExplorer(), MoEExplorer()):
        assert explorer.controls["reset"].layout.width == "auto"
        explorer.close()


def test_column_labels_sit_centred_over_their_boxes():
    # In JupyterLab an HTML widget's content spans its grid column, so a bare label sat
    # at the left edge of its column ("q1" over the first character of its box), in the
    # try-it grids and the input editors alike.
    from dlviz import AttentionExplorer, HandCheck

    explorer = AttentionExplorer()
    editor = explorer.controls["X"]  # the corner (its name), then x1 … x4
    checker = HandCheck.follow(explorer, "scores")  # an empty corner, then q1 … q4
    for heads, names in ((editor.children[1:5], "x"), (checker.grid.children[1:5], "q")):
        assert [h.value for h in heads] == [
            f'<div style="text-align:center">{names}{i}</div>' for i in range(1, 5)
        ]
    explorer.close()


def _shades_of_one(html, names):
    """The backgrounds of every cell that reads 1 in the grids `names` of `html`."""
    shades = set()
    for name in names:
        start = html.index(f'data-name="{name}"')
        grid_cells = cells_of(html[html.rfind("<table", 0, start) : html.index("</table>", start)])
        shades |= {
            style.split("background:")[1].split(";")[0]
            for at, style in grid_cells.styles.items()
            if grid_cells.cells[at] == "1"
        }
    return shades


def test_a_number_is_one_shade_in_every_texts_block():
    # Step 2 shows E, W·E + b and H for each text; each block once took its own scale,
    # so a 1 of H was dark navy for 'how are you' and pale blue for 'who am I' (whose
    # largest entry is 3). The try-it grid of step 3 shows the same H matrices.
    explorer = VectorDBExplorer()
    step_2 = next(p.value for p in explorer.panels.values() if "encoded_s1" in p.value)
    for quantity in ("embeddings", "linear", "encoded"):
        names = [f"{quantity}_{s}" for s in ("s1", "s2", "s3", "q")]
        assert len(_shades_of_one(step_2, names)) == 1, quantity
    checker = HandCheck.follow(explorer, "pooled")
    given = checker.inputs_area.value
    assert len(_shades_of_one(given, [f"H of {s}" for s in ("s1", "s2", "s3", "q")])) == 1
    explorer.close()


def test_an_outline_box_holds_its_curves_and_is_the_ink_of_a_glyph():
    import matplotlib.path
    import matplotlib.textpath
    import matplotlib.transforms

    from dlviz.plots._glyphs import Outline

    move = matplotlib.transforms.Affine2D().scale(2.5, 1.5).rotate_deg(30).translate(3, -4)
    circle = matplotlib.path.Path.unit_circle()
    exact = circle.get_extents(move)
    box = Outline(circle.vertices, circle.codes).get_extents(move)
    assert box.x0 <= exact.x0 and box.y0 <= exact.y0 and box.x1 >= exact.x1
    assert box.y1 >= exact.y1 and box.width < 1.1 * exact.width  # holds it, only just
    glyphs = matplotlib.textpath.TextPath((0, 0), "0.25 #3", size=11)
    ink = Outline(glyphs.vertices, glyphs.codes).get_extents()
    np.testing.assert_allclose(ink.extents, glyphs.get_extents().extents, atol=1e-9)


def test_bars_drawn_as_one_collection_look_as_their_patches_do():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from dlviz.plots._marks import BarMarks

    def picture(as_marks: bool) -> np.ndarray:
        figure = Figure(figsize=(3, 2), dpi=200)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        ax.set_xlim(-1, 4)
        ax.set_ylim(-0.5, 2.5)
        bars = list(ax.barh([0, 1, 2], [1.5, -0.5, 3.25], height=0.6, color="#a6cee3"))
        bars[0].set_edgecolor("#000000")
        bars[0].set_linewidth(2.0)
        bars[2].set_facecolor("white")
        bars[2].set_edgecolor("#b35806")
        bars[2].set_linewidth(1.2)
        bars[1].set_visible(False)
        if as_marks:
            BarMarks(ax).set(bars)  # the patches become the model only
        figure.canvas.draw()
        return np.asarray(figure.canvas.buffer_rgba()).copy()

    np.testing.assert_array_equal(picture(True), picture(False))
