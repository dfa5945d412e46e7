"""Matrices as HTML grids, laid out the way the by-hand sheets lay them out.

A `Grid` is one labelled matrix: each cell tinted by its value and its number
printed in a colour chosen for contrast against the tint actually drawn, so colour
is never the only cue. A `Product` puts the left factor on the left, the right
factor above, and their product where the two cross, as a person does on paper.
Both display themselves in a notebook (`_repr_html_`) and give their HTML as
`.html` for an `ipywidgets.HTML`. Inline styles only: notebook front ends strip
style sheets from untrusted output, but keep style attributes.

No matplotlib here: the grids are plain strings, built in well under a millisecond.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Re-exported, so `from dlviz.sheet import labels, format_number` keeps working.
from dlviz._format import format_number as format_number
from dlviz._format import labels as labels

# Colour-blind-safe maps (ColorBrewer "Blues" and "PuOr"), as anchor colours to
# interpolate between: positive-only values run white → blue; signed values run
# orange (negative) → light grey (0) → purple (positive).
_SEQUENTIAL = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
_DIVERGING = ("#b35806", "#fdb863", "#f7f7f7", "#b2abd2", "#542788")
MASKED_COLOUR = "#d9d9d9"
FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px"
# Row and column labels: JupyterLab's secondary text colour, so they keep their contrast
# in the dark theme too (#555 on #212121 is 2.2:1); #555 where no theme is set.
LABEL_COLOUR = "var(--jp-content-font-color2, #555)"


# --- colour -----------------------------------------------------------------------


def _hex_to_rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


_SEQUENTIAL_RGB = tuple(_hex_to_rgb(c) for c in _SEQUENTIAL)
_DIVERGING_RGB = tuple(_hex_to_rgb(c) for c in _DIVERGING)


def _interpolate(anchors, t: float) -> tuple[float, float, float]:
    """The colour at t ∈ [0, 1] along the anchor colours, linearly in sRGB."""
    t = min(max(t, 0.0), 1.0) * (len(anchors) - 1)
    i = min(int(t), len(anchors) - 2)
    f = t - i
    a, b = anchors[i], anchors[i + 1]
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f)


def relative_luminance(rgb: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour with channels in [0, 1]."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_colour(background: Sequence[float]) -> str:
    """Black or white, whichever has the higher WCAG contrast ratio on `background`."""
    lum = relative_luminance(background)
    on_black = (lum + 0.05) / 0.05
    on_white = 1.05 / (lum + 0.05)
    return "#000000" if on_black >= on_white else "#ffffff"


def _css(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb[:3])


def tint(value: float, scale: float, signed: bool) -> tuple[float, float, float]:
    """The cell colour of `value` when the largest magnitude shown is `scale`."""
    if scale <= 0:
        return _DIVERGING_RGB[2] if signed else _SEQUENTIAL_RGB[0]
    if signed:
        return _interpolate(_DIVERGING_RGB, 0.5 + 0.5 * value / scale)
    return _interpolate(_SEQUENTIAL_RGB, value / scale)


# --- grids ------------------------------------------------------------------------


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

    @cached_property
    def html(self) -> str:
        values = self.values
        n_rows, n_cols = values.shape
        visible = values if self.mask is None else np.where(self.mask, values, 0.0)
        signed = bool((visible < 0).any())
        scale = self.scale if self.scale is not None else float(np.abs(visible).max())
        # Front ends style td and th directly (padding, borders, alignment), so those
        # are set on every cell; font and colour are inherited from the table.
        cell = "padding:3px 7px;text-align:center;border:1px solid #bdbdbd"
        head = (
            f"font-size:12px;color:{LABEL_COLOUR};padding:2px 6px;border:0;background:transparent"
        )
        parts = [
            f'<table data-name="{html.escape(self.name)}" style="border-collapse:collapse;'
            f'margin:2px 0;{FONT}">'
        ]
        if self.title:
            parts.append(
                '<caption style="caption-side:top;text-align:left;white-space:nowrap;'
                f'padding-bottom:2px;font-family:inherit">{html.escape(self.title)}</caption>'
            )
        if self.cols is not None:
            corner = f'<th style="{head}"></th>' if self.rows is not None else ""
            heads = "".join(
                f'<th style="{head};text-align:center">{html.escape(c)}</th>' for c in self.cols
            )
            parts.append(f"<tr>{corner}{heads}</tr>")
        for i in range(n_rows):
            parts.append("<tr>")
            if self.rows is not None:
                parts.append(
                    f'<th style="{head};text-align:right">{html.escape(self.rows[i])}</th>'
                )
            for j in range(n_cols):
                extra = ""
                if self.outline is not None and self.outline[i, j]:
                    extra = ";outline:3px solid #000;outline-offset:-3px;font-weight:bold"
                if self.mask is not None and not self.mask[i, j]:
                    colours = f"background:{MASKED_COLOUR};color:#000"
                    text = "–"  # masked: this query may not look at this key
                else:
                    text = format_number(values[i, j], self.fmt)
                    bg = tint(values[i, j], scale, signed) if self.tinted else (1.0, 1.0, 1.0)
                    colours = f"background:{_css(bg)};color:{text_colour(bg)}"
                parts.append(
                    f'<td data-row="{i}" data-col="{j}" style="{cell};{colours}{extra}">'
                    f"{html.escape(text)}</td>"
                )
            parts.append("</tr>")
        parts.append("</table>")
        return "".join(parts)

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
) -> Grid:
    """A matrix (or a vector, shown as one row) as a labelled, tinted HTML grid.

    rows, cols: labels, e.g. `labels("k", 4)`; title: shown above; fmt: see
    `format_number`; mask: False where a cell does not take part (shown as "–");
    outline: True where a cell is marked with a bold outline (not colour alone);
    name: a `data-name` attribute, so tests and the browser can find the grid;
    scale: the magnitude drawn at full colour (default: the largest in the matrix),
    e.g. 1 for weights, so that their tints match a heatmap on a fixed 0-1 scale.
    """
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
    return Product(left, right, result, label)


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
    """Show grids (or products) side by side."""
    return Row(tuple(items))
