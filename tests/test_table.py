"""The one HTML table builder (dlviz._table) and the palette its grids draw with."""

import re

import numpy as np
import pytest

from dlviz import palette
from dlviz._table import CELL, html_table
from tests.helpers import cells_of


def test_cells_labels_caption_and_name_are_laid_out_and_escaped():
    text = html_table(
        2, 3, lambda i, j: (f"<{i}{j}>", "color:#000", f' data-x="{i + j}"'),
        rows=["r&1", "r2"], cols=["a", "b", "c"], title="T <1>", name='n"1',
    )  # fmt: skip
    parsed = cells_of(text)
    assert parsed.cells == {(i, j): f"<{i}{j}>" for i in range(2) for j in range(3)}
    assert parsed.heads == ["a", "b", "c", "r&1", "r2"]
    assert all(style == f"{CELL};color:#000" for style in parsed.styles.values())
    assert 'data-name="n&quot;1"' in text and "T &lt;1&gt;" in text and "&lt;01&gt;" in text
    assert text.count(' data-x="') == 6 and "<caption" in text


def test_without_labels_or_title_there_is_no_header_row_and_no_caption():
    text = html_table(1, 2, lambda i, j: ("1", "", ""))
    assert "<th" not in text and "<caption" not in text
    assert len(re.findall(r"<tr>", text)) == 1


@pytest.mark.parametrize(
    "colour", [palette.MASKED_COLOUR, palette.ORANGE, *palette.SEQUENTIAL, *palette.DIVERGING]
)
def test_palette_colours_are_css_hex_and_round_trip(colour):
    assert re.fullmatch(r"#[0-9a-f]{6}", colour)
    assert palette.css(palette.hex_to_rgb(colour)) == colour


# --- compact: the explorers' tables leave their shared style to the page's sheet ----


def _tables():
    yield html_table(1, 2, lambda i, j: ("1", "", ""))
    yield html_table(
        2, 3, lambda i, j: (f"{i}", "background:#542788;color:#ffffff", ' data-status="wrong"'),
        rows=["r1", "r2"], cols=["a", "b", "c"], title="T", name="n",
    )  # fmt: skip
    yield html_table(1, 2, lambda i, j: ("x", "", ""), cols=["a", "b"])


@pytest.mark.parametrize("text", list(_tables()))
def test_compact_leaves_the_shared_style_to_the_sheet_and_inline_restores_it(text):
    from dlviz._table import CAPTION, HEAD, TABLE, compact, inline

    short = compact(text)
    for style in (CELL, HEAD, TABLE, CAPTION):
        assert style not in short
    assert cells_of(short).cells == cells_of(text).cells  # every number and its place
    assert short.count("background:#542788") == text.count("background:#542788")  # tints stay
    assert inline(short) == text
    assert compact(short) == short and inline(text) == text  # each is done once


def _explorers():
    from benchmarks.bench_explorers import class_texts
    from dlviz import AttentionExplorer, MoEExplorer, VectorDBExplorer

    yield VectorDBExplorer(database=class_texts(60))
    moe = MoEExplorer()
    with moe.hold():
        moe.controls["n_experts"].value = 8
        moe.controls["random_tokens"].value = 64
    yield moe
    yield AttentionExplorer(X=np.random.default_rng(0).integers(0, 3, size=(6, 12)))


def test_explorer_steps_send_half_the_bytes_and_the_still_view_keeps_every_style():
    """A class-sized move rewrites the steps' tables: without the style every cell
    repeats, they are less than half as long; the still view, read where no style
    sheet is, has every style back on its element."""
    import ipywidgets as widgets

    from dlviz._table import CELL as cell_style
    from dlviz._table import inline
    from dlviz.widgets.base import THEME_CSS
    from dlviz.widgets.static import static_view

    for explorer in _explorers():
        htmls = []
        stack = [explorer]
        while stack:
            w = stack.pop()
            if isinstance(w, widgets.HTML):
                htmls.append(w.value)
            stack.extend(getattr(w, "children", ()) or ())
        steps = [v for v in htmls if 'class="dlviz-g"' in v]
        assert steps, type(explorer).__name__
        assert all(cell_style not in v for v in steps)
        assert sum(map(len, steps)) < 0.5 * sum(len(inline(v)) for v in steps)
        still = static_view(explorer)
        assert "dlviz-g" not in still and cell_style in still
        assert ".dlviz-explorer .dlviz-g td{" + cell_style + "}" in THEME_CSS
        explorer.close()


def test_an_outlined_cell_has_a_black_ring_and_a_white_one_inside():
    """The nearest text's score, a chosen expert: seen on the darkest tint (white ring) and
    on the lightest (black ring), in the light and the dark theme alike."""
    from dlviz import sheet

    grid = sheet.grid([[1.0, 9.0]], outline=[[False, True]], name="g")
    styles = cells_of(grid.html).styles
    assert "outline:3px solid #000;outline-offset:-3px" in styles[0, 1]
    assert "box-shadow:inset 0 0 0 5px #fff" in styles[0, 1]
    assert "outline" not in styles[0, 0] and "box-shadow" not in styles[0, 0]
