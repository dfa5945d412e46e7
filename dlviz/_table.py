"""One HTML table for every grid dlviz shows: caption, column and row labels, styled cells.

The sheet's number grids (`dlviz.sheet.grid`), the explorers' word tables and the
hand-check verdicts all lay out a labelled matrix the same way; this builds it once.
Inline styles only: notebook front ends strip style sheets from untrusted output but
keep style attributes, and they style td and th directly (padding, borders,
alignment), so those are set on every cell; font and colour come from the table.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from dlviz.palette import FONT, LABEL_COLOUR

CELL = "padding:3px 7px;text-align:center;border:1px solid #bdbdbd"
HEAD = f"font-size:12px;color:{LABEL_COLOUR};padding:2px 6px;border:0;background:transparent"

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
    parts = [
        f'<table data-name="{html.escape(name)}" style="border-collapse:collapse;'
        f'margin:2px 0;{FONT}">'
    ]
    if title:
        parts.append(
            '<caption style="caption-side:top;text-align:left;white-space:nowrap;'
            f'padding-bottom:2px;font-family:inherit">{html.escape(title)}</caption>'
        )
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
