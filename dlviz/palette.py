"""The colours dlviz draws with, in one place: grids, pictures and messages share them.

Colour-blind-safe maps (ColorBrewer "Blues" and "PuOr"), as anchor colours to
interpolate between: the "positive" palette runs white (0) → blue; the "signed"
palette runs orange (negative) → light grey (0) → purple (positive). Which one a
matrix gets follows what it is, never the sign of one of its entries. Text on a coloured cell is
black or white, whichever has the higher WCAG contrast against the colour drawn.

No matplotlib here: the grids are plain strings; `dlviz.plots` reads the same names.
`tints` and `text_colours` do for a whole matrix at once what `tint` and `text_colour`
do for one value, with the same arithmetic, so a grid of 144 cells costs one call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SEQUENTIAL = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
DIVERGING = ("#b35806", "#fdb863", "#f7f7f7", "#b2abd2", "#542788")
MASKED_COLOUR = "#d9d9d9"  # a cell that takes no part (a masked key), in grids and heatmaps
ORANGE = DIVERGING[0]  # the diverging map's orange end: warnings, and "balanced" in the MoE bars
# Row and column labels: JupyterLab's secondary text colour, so they keep their contrast
# in the dark theme too (#555 on #212121 is 2.2:1); #555 where no theme is set.
LABEL_COLOUR = "var(--jp-content-font-color2, #555)"
FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px"


def hex_to_rgb(colour: str) -> tuple[float, float, float]:
    """`"#b35806"` → (0.70, 0.35, 0.02): sRGB channels in [0, 1]."""
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def css(rgb: Sequence[float]) -> str:
    """(0.70, 0.35, 0.02) → `"#b35906"`."""
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb[:3])


_SEQUENTIAL_RGB = tuple(hex_to_rgb(c) for c in SEQUENTIAL)
_DIVERGING_RGB = tuple(hex_to_rgb(c) for c in DIVERGING)


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


PALETTES = ("signed", "positive")


def tint(value: float, scale: float, palette: str) -> tuple[float, float, float]:
    """The cell colour of `value` in `palette` when the largest magnitude shown is `scale`.

    "signed": orange below 0, grey at 0, purple above (centred at 0); "positive": white
    at 0 to dark blue at `scale` (a negative value, which such a quantity should not
    hold, is drawn as 0: its printed number still says what it is).
    """
    if palette not in PALETTES:
        raise ValueError(f"palette must be one of {PALETTES}, got {palette!r}")
    signed = palette == "signed"
    if scale <= 0:
        return _DIVERGING_RGB[2] if signed else _SEQUENTIAL_RGB[0]
    if signed:
        return _interpolate(_DIVERGING_RGB, 0.5 + 0.5 * value / scale)
    return _interpolate(_SEQUENTIAL_RGB, value / scale)


def text_colours(backgrounds) -> np.ndarray:
    """`text_colour` of each colour in `backgrounds` (..., 3 or 4): "#000000" or "#ffffff"."""
    rgb = np.asarray(backgrounds, dtype=float)[..., :3]
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lum = 0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]
    return np.where((lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05), "#000000", "#ffffff")


def tints(values, scale: float, palette: str) -> np.ndarray:
    """`tint` of every entry of `values` at once: an array of shape values.shape + (3,)."""
    if palette not in PALETTES:
        raise ValueError(f"palette must be one of {PALETTES}, got {palette!r}")
    values = np.asarray(values, dtype=float)
    signed = palette == "signed"
    anchors = np.array(_DIVERGING_RGB if signed else _SEQUENTIAL_RGB)
    if scale <= 0:
        return np.broadcast_to(anchors[2 if signed else 0], values.shape + (3,)).copy()
    t = 0.5 + 0.5 * values / scale if signed else values / scale
    t = np.minimum(np.maximum(t, 0.0), 1.0) * (len(anchors) - 1)
    i = np.minimum(t.astype(int), len(anchors) - 2)
    f = (t - i)[..., None]
    a, b = anchors[i], anchors[i + 1]
    return a + (b - a) * f


def css_colours(rgb) -> np.ndarray:
    """`css` of each colour in `rgb` (..., 3): an array of "#rrggbb" strings."""
    levels = np.round(np.asarray(rgb, dtype=float)[..., :3] * 255).astype(int)
    packed = (levels[..., 0] << 16) | (levels[..., 1] << 8) | levels[..., 2]
    if len(_HEX) > 20_000:  # a long session of many different numbers: start again
        _HEX.clear()
    flat = [_HEX.get(v) or _HEX.setdefault(v, f"#{v:06x}") for v in packed.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(packed.shape)


_HEX: dict[int, str] = {}  # 0xrrggbb -> "#rrggbb": the colours drawn so far
