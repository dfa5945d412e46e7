"""Matrices as HTML grids, laid out the way the by-hand sheets lay them out.

A `Grid` is one labelled matrix: each cell tinted by its value (colours from
`dlviz.palette`) and its number printed in a colour chosen for contrast against the
tint actually drawn, so colour is never the only cue. Colour follows what the matrix
*is*, never the sign of one entry: `palette="signed"` (the default) for quantities
that may be negative (inputs, weights, scores, logits), a diverging map centred at 0;
`"positive"` for quantities that cannot be (powers, sums, probabilities, attention
weights, ReLU outputs), white to blue from 0. Grids of one `quantity` laid out
together by `row` or `product` share one scale, so the same number has one colour.

A `Product` puts the left factor on the left, the right factor above, and their
product where the two cross, as a person does on paper.
Both display themselves in a notebook (`_repr_html_`) and give their HTML as
`.html` for an `ipywidgets.HTML`, built by `dlviz._table.html_table` (inline styles
only: notebook front ends strip style sheets from untrusted output).

No matplotlib here: the grids are plain strings, built in well under a millisecond.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

# `x as x`: re-exported, so every name dlviz.sheet has offered keeps working.
from dlviz._format import format_number
from dlviz._format import labels as labels
from dlviz._table import html_table
from dlviz.palette import (
    FONT,
    LABEL_COLOUR,
    MASKED_COLOUR,
    PALETTES,
    css_colours,
    text_colours,
    tints,
)
from dlviz.palette import css as css
from dlviz.palette import relative_luminance as relative_luminance
from dlviz.palette import text_colour as text_colour
from dlviz.palette import tint as tint

# --- grids ------------------------------------------------------------------------

_HTML_CACHE: dict[tuple, str] = {}  # a grid's content -> its HTML (see Grid.html)
_HTML_CACHE_LIMIT = 2000


@dataclass(frozen=True)
class Grid:
    """A labelled matrix as an HTML table (see `grid`)."""

    values: np.ndarray
    rows: tuple[str, ...] | None
    cols: tuple[str, ...] | None
    title: str
    fmt: str
    tinted: bool
    mask: np.ndarray | None
    outline: np.ndarray | None
    name: str
    scale: float | None = None
    palette: str = "signed"
    quantity: str = ""

    @property
    def largest(self) -> float:
        """The largest magnitude among the cells that take part (the default scale)."""
        visible = self.values if self.mask is None else np.where(self.mask, self.values, 0.0)
        return float(np.abs(visible).max()) if visible.size else 0.0

    @cached_property
    def html(self) -> str:
        # Explorers rebuild their grids on every move, most with the same numbers as
        # before: those come from the cache, so a move costs what it changed.
        key = self._key()
        text = _HTML_CACHE.get(key)
        if text is None:
            if len(_HTML_CACHE) >= _HTML_CACHE_LIMIT:
                _HTML_CACHE.clear()
            text = _HTML_CACHE[key] = self._build_html()
        return text

    def _key(self) -> tuple:
        arrays = (self.values, self.mask, self.outline)
        data = tuple(None if a is None else (a.shape, a.tobytes()) for a in arrays)
        return (*data, self.rows, self.cols, self.title, self.fmt, self.tinted, self.name,
                self.scale, self.palette)  # fmt: skip

    def _build_html(self) -> str:
        values = self.values
        scale = self.scale if self.scale is not None else self.largest
        if self.tinted:
            backgrounds = tints(values, scale, self.palette)
            colours = np.char.add(
                np.char.add("background:", css_colours(backgrounds).astype(str)),
                np.char.add(";color:", text_colours(backgrounds)),
            ).tolist()
        else:
            colours = [["background:#ffffff;color:#000000"] * values.shape[1]] * values.shape[0]
        outline = self.outline
        mask = self.mask
        # A black ring and a white one inside it: seen on the darkest tint, on the lightest
        # and on a dark page (a black ring alone vanished on a dark cell in the dark theme).
        strong = (
            ";outline:3px solid #000;outline-offset:-3px;box-shadow:inset 0 0 0 5px #fff;"
            "font-weight:bold"
        )

        def cell(i: int, j: int) -> tuple[str, str, str]:
            extra = strong if outline is not None and outline[i, j] else ""
            if mask is not None and not mask[i, j]:
                # masked: this query may not look at this key
                return "–", f"background:{MASKED_COLOUR};color:#000{extra}", ""
            return format_number(values[i, j], self.fmt), colours[i][j] + extra, ""

        return html_table(
            *values.shape, cell, rows=self.rows, cols=self.cols, title=self.title, name=self.name
        )

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        # A plain-text view for consoles, and for nbval's text comparison.
        body = [[format_number(v, self.fmt) for v in row] for row in self.values]
        if self.mask is not None:
            body = [
                [t if self.mask[i, j] else "–" for j, t in enumerate(row)]
                for i, row in enumerate(body)
            ]
        width = max(len(t) for row in body for t in row)
        if self.cols is not None:
            width = max(width, *(len(c) for c in self.cols))
        lead = max((len(r) for r in self.rows), default=0) if self.rows is not None else 0
        lines = [self.title] if self.title else []
        if self.cols is not None:
            lines.append(
                " " * (lead + 1 if lead else 0) + " ".join(c.rjust(width) for c in self.cols)
            )
        for i, row in enumerate(body):
            label = (self.rows[i].rjust(lead) + " ") if lead else ""
            lines.append(label + " ".join(t.rjust(width) for t in row))
        return "\n".join(lines)


def grid(
    values,
    *,
    rows: Sequence[str] | None = None,
    cols: Sequence[str] | None = None,
    title: str = "",
    fmt: str = "auto",
    tinted: bool = True,
    mask=None,
    outline=None,
    name: str = "",
    scale: float | None = None,
    palette: str = "signed",
    quantity: str = "",
) -> Grid:
    """A matrix (or a vector, shown as one row) as a labelled, tinted HTML grid.

    rows, cols: labels, e.g. `labels("k", 4)`; title: shown above; fmt: see
    `format_number`; mask: False where a cell does not take part (shown as "–");
    outline: True where a cell is marked with a bold outline (not colour alone);
    name: a `data-name` attribute, so tests and the browser can find the grid;
    scale: the magnitude drawn at full colour (default: the largest in the matrix,
    or in every grid of the same `quantity` beside it), e.g. 1 for weights, so that
    their tints match a heatmap on a fixed 0-1 scale; palette: what the matrix is,
    "signed" (may be negative: a diverging map centred at 0) or "positive" (cannot be:
    white to blue), never chosen by the sign of an entry; quantity: a name such as
    "weights" shared by grids of one quantity, so that `row` and `product` give them
    one scale.
    """
    if palette not in PALETTES:
        raise ValueError(f"palette must be one of {PALETTES}, got {palette!r}")
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError(f"a grid shows a matrix or a vector, got shape {values.shape}")
    for what, lab, n in (("row", rows, values.shape[0]), ("column", cols, values.shape[1])):
        if lab is not None and len(lab) != n:
            raise ValueError(f"{len(lab)} {what} labels for {n} {what}s: {list(lab)}")
    for what, arr in (("mask", mask), ("outline", outline)):
        if arr is not None and np.shape(arr) != values.shape:
            raise ValueError(f"{what} is {np.shape(arr)} but the values are {values.shape}")
    return Grid(
        values=values,
        rows=tuple(rows) if rows is not None else None,
        cols=tuple(cols) if cols is not None else None,
        title=title,
        fmt=fmt,
        tinted=tinted,
        mask=None if mask is None else np.asarray(mask, dtype=bool),
        outline=None if outline is None else np.asarray(outline, dtype=bool),
        name=name or title,
        scale=scale,
        palette=palette,
        quantity=quantity,
    )


@dataclass(frozen=True)
class Product:
    """`left · right = result`, laid out by hand: left on the left, right above."""

    left: Grid
    right: Grid
    result: Grid
    label: str = ""

    @property
    def html(self) -> str:
        cell = "vertical-align:bottom;padding:4px;border:0;background:transparent"
        label = (
            f'<div style="{FONT}; color: {LABEL_COLOUR}; text-align: center">'
            f"{html.escape(self.label)}</div>"
            if self.label
            else ""
        )
        return (
            '<table style="border-collapse: collapse; background: transparent">'
            f'<tr><td style="{cell}">{label}</td><td style="{cell}">{self.right.html}</td></tr>'
            f'<tr><td style="{cell};vertical-align:top">{self.left.html}</td>'
            f'<td style="{cell};vertical-align:top">{self.result.html}</td></tr></table>'
        )

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"{self.label}\n{self.result!r}" if self.label else repr(self.result)


def product(left, right, result, label: str = "") -> Product:
    """Lay out `left · right = result` the by-hand way (checks that the shapes fit).

    Each factor is a `Grid`, or a plain matrix shown without labels.
    """
    left, right, result = (m if isinstance(m, Grid) else grid(m) for m in (left, right, result))
    (a, b), (c, d), (e, f) = left.values.shape, right.values.shape, result.values.shape
    if b != c or (a, d) != (e, f):
        raise ValueError(
            f"cannot lay out ({a}×{b}) · ({c}×{d}) = ({e}×{f}): the inner sizes must match "
            "and the result must have the left's rows and the right's columns"
        )
    return share_scales(Product(left, right, result, label))


@dataclass(frozen=True)
class Row:
    """Several grids or products side by side, wrapping on a narrow screen."""

    items: tuple

    @property
    def html(self) -> str:
        inner = "".join(
            f'<div style="margin: 0 18px 8px 0">{item.html}</div>' for item in self.items
        )
        return f'<div style="display: flex; flex-wrap: wrap; align-items: flex-end">{inner}</div>'

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return "\n\n".join(repr(item) for item in self.items)


def row(*items) -> Row:
    """Show grids (or products) side by side; grids of one `quantity` share one scale."""
    return share_scales(Row(tuple(items)))


def _grids(item):
    if isinstance(item, Grid):
        yield item
    elif isinstance(item, Product):
        yield from (item.left, item.right, item.result)
    elif isinstance(item, Row):
        for inner in item.items:
            yield from _grids(inner)


def _rescaled(item, scales: dict):
    if isinstance(item, Grid):
        if item.quantity in scales and item.scale is None:
            return replace(item, scale=scales[item.quantity])
        return item
    if isinstance(item, Product):
        return replace(
            item, **{k: _rescaled(getattr(item, k), scales) for k in ("left", "right", "result")}
        )
    if isinstance(item, Row):
        return Row(tuple(_rescaled(inner, scales) for inner in item.items))
    return item


def share_scales(layout):
    """`layout` with one colour scale for each `quantity`: the largest of its grids.

    Grids with an explicit `scale`, or no `quantity`, keep their own.
    """
    scales: dict[str, float] = {}
    for g in _grids(layout):
        if g.quantity and g.scale is None:
            scales[g.quantity] = max(scales.get(g.quantity, 0.0), g.largest)
    return _rescaled(layout, scales) if scales else layout
