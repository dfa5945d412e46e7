"""The one HTML table builder (dlviz._table) and the palette its grids draw with."""

import re

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
