"""One HTML table for every grid dlviz shows: caption, column and row labels, styled cells.

The sheet's number grids (`dlviz.sheet.grid`), the explorers' word tables and the
hand-check verdicts all lay out a labelled matrix the same way; this builds it once.
Inline styles only: notebook front ends strip style sheets from untrusted output but
keep style attributes, and they style td and th directly (padding, borders,
alignment), so those are set on every cell; font and colour come from the table.

Inside a live explorer the page has dlviz's style sheet (`TABLE_CSS`, with the
explorer's theme), so `compact` moves the style every cell shares into it: at class
size a move rewrites ~150 KB of step tables, 56 % of which is that repeated style,
which the kernel sends, the server relays and the browser parses on every key press.
`inline` puts it back, for the still view that travels with a saved notebook.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from dlviz.palette import FONT, LABEL_COLOUR

CELL = "padding:3px 7px;text-align:center;border:1px solid #bdbdbd"
HEAD = f"font-size:12px;color:{LABEL_COLOUR};padding:2px 6px;border:0;background:transparent"
TABLE = f"border-collapse:collapse;margin:2px 0;{FONT}"
CAPTION = (
    "caption-side:top;text-align:left;white-space:nowrap;padding-bottom:2px;font-family:inherit"
)

# A step's heading in an explorer, over its tables: bold, its lines of even length (no
# stub of a last line under a full one).
HEADING = "margin:10px 0 2px;font-weight:bold;line-height:1.3;text-wrap:balance"

# cell(i, j) -> (text, style, attributes): the text (escaped here), CSS added after
# CELL, and extra attributes of the <td>, already escaped (e.g. ' data-status="right"').
CellFn = Callable[[int, int], tuple[str, str, str]]


def html_table(
    n_rows: int,
    n_cols: int,
    cell: CellFn,
    *,
    rows: Sequence[str] | None = None,
    cols: Sequence[str] | None = None,
    title: str = "",
    name: str = "",
) -> str:
    """A labelled (n_rows × n_cols) table; each <td> carries data-row and data-col (from 0).

    rows, cols: labels at the left and on top (none if None); title: a caption above;
    name: the table's `data-name`, by which tests and the browser find it.
    """
    parts = [f'<table data-name="{html.escape(name)}" style="{TABLE}">']
    if title:
        parts.append(f'<caption style="{CAPTION}">{html.escape(title)}</caption>')
    if cols is not None:
        corner = f'<th style="{HEAD}"></th>' if rows is not None else ""
        heads = "".join(f'<th style="{HEAD};text-align:center">{html.escape(c)}</th>' for c in cols)
        parts.append(f"<tr>{corner}{heads}</tr>")
    for i in range(n_rows):
        parts.append("<tr>")
        if rows is not None:
            parts.append(f'<th style="{HEAD};text-align:right">{html.escape(rows[i])}</th>')
        for j in range(n_cols):
            text, style, attributes = cell(i, j)
            parts.append(
                f'<td data-row="{i}" data-col="{j}"{attributes} style="{CELL};{style}">'
                f"{html.escape(text)}</td>"
            )
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)


# What `compact` writes for each shared style, and the style sheet that gives it back.
_SHORT = (
    (f'" style="{TABLE}">', '" class="dlviz-g">'),  # the end of <table data-name="…"
    (f'<caption style="{CAPTION}">', '<caption class="dlviz-g">'),
    (f'<th style="{HEAD};text-align:center">', '<th class="dlviz-gc">'),
    (f'<th style="{HEAD};text-align:right">', '<th class="dlviz-gr">'),
    (f'<th style="{HEAD}">', '<th class="dlviz-gh">'),
    (f'<div style="{HEADING}">', '<div class="dlviz-h">'),
)
_CELL_STYLE = re.compile(r'(<td data-row="\d+" data-col="\d+"[^>]*?) style="')
_COMPACT_CELL = f' style="{CELL};'

# For the explorers' tables only (the selectors start at .dlviz-explorer), whose page
# carries this sheet; a cell's own style (its tint) still comes after, inline. The line
# height is the one a grid has in a cell's output ("normal"), not the 28 px of the
# widget around it, which made every row of an explorer's grid 35 px instead of 22 px.
TABLE_CSS = (
    f".dlviz-explorer table.dlviz-g{{{TABLE};line-height:normal}}"
    f".dlviz-explorer caption.dlviz-g{{{CAPTION}}}"
    f".dlviz-explorer .dlviz-g th{{{HEAD}}}"
    ".dlviz-explorer .dlviz-g th.dlviz-gc{text-align:center}"
    ".dlviz-explorer .dlviz-g th.dlviz-gr{text-align:right}"
    f".dlviz-explorer .dlviz-g td{{{CELL}}}"
    f".dlviz-explorer .dlviz-h{{{HEADING}}}"
)


def compact(text: str) -> str:
    """`html_table`'s tables in `text` with their shared style left to `TABLE_CSS`."""
    if TABLE not in text:
        return text
    for full, short in _SHORT:
        text = text.replace(full, short)
    return text.replace(_COMPACT_CELL, ' style="')


def inline(text: str) -> str:
    """`compact`'s inverse: every style back on its element (`inline(compact(t)) == t`)."""
    if 'class="dlviz-g"' not in text:
        return text
    for full, short in _SHORT:
        text = text.replace(short, full)
    return _CELL_STYLE.sub(rf"\1{_COMPACT_CELL}", text)
