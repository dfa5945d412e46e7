"""Pictures: drawn once with matplotlib, then updated in place and handed out as PNG.

Each picture is a `LiveFigure`: it owns a `matplotlib.figure.Figure` on an Agg
canvas (no pyplot, so no global backend is switched as a side effect), changes its
artists in place (`set_data`, `set_text`) when the numbers change, and gives PNG
bytes (`png()`) for an `ipywidgets.Image`, or displays itself in a notebook.
Values are printed in every cell, in black or white by the higher WCAG contrast
against the colour drawn there, so colour is never the only cue.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from dlviz.sheet import format_number, labels, text_colour

# Colour-blind-safe, and the same families as the HTML grids of dlviz.sheet.
WEIGHTS_CMAP = "Blues"
MASKED_COLOUR = "#d9d9d9"


class LiveFigure:
    """A matplotlib figure that is drawn once and updated in place.

    Subclasses build their artists in `__init__`, register the ones that change
    with `dynamic(artist)`, and change them in their update method. Rendering
    blits: the static part (axes, ticks, colour bar: most of the drawing time) is
    drawn once and kept as pixels; each render restores those pixels and draws
    only the dynamic artists on top, several times faster than a full draw.
    A subclass that changes a static artist calls `invalidate()`.
    """

    dpi = 100

    def __init__(self, figsize: tuple[float, float]):
        self.figure = Figure(figsize=figsize, dpi=self.dpi)
        FigureCanvasAgg(self.figure)
        self._dynamic: list = []
        self._background = None

    def dynamic(self, artist):
        """Mark `artist` as one that changes: it is redrawn on every render."""
        artist.set_animated(True)  # left out of the full draw, drawn by `render`
        self._dynamic.append(artist)
        return artist

    def invalidate(self) -> None:
        """The static part changed: draw everything again at the next render."""
        self._background = None

    def render(self) -> np.ndarray:
        """Draw the figure as it is now; returns its RGBA pixels (height, width, 4)."""
        canvas = self.figure.canvas
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._dynamic:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def png(self) -> bytes:
        """The figure as PNG bytes, as it is now."""
        buffer = io.BytesIO()
        # Fast zlib level: a few per cent larger, several milliseconds quicker.
        PIL.Image.fromarray(self.render()).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def save(self, path) -> None:
        """Write the figure to a PNG file."""
        with open(path, "wb") as fh:
            fh.write(self.png())

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class Heatmap(LiveFigure):
    """A matrix as coloured cells with each value printed in its cell.

    Rows are drawn top to bottom and columns left to right, as the matrix is
    written, so a heatmap of the attention weights reads like the grid of A: a row
    per key, a column per query.
    """

    def __init__(
        self,
        values,
        *,
        rows: Sequence[str],
        cols: Sequence[str],
        title: str = "",
        xlabel: str = "",
        ylabel: str = "",
        vmin: float = 0.0,
        vmax: float = 1.0,
        fmt: str = ".2f",
        cmap: str = WEIGHTS_CMAP,
        mask=None,
        figsize: tuple[float, float] = (4.0, 3.4),
    ):
        super().__init__(figsize)
        values = np.asarray(values, dtype=float)
        self.shape = values.shape
        self.fmt = fmt
        self.cmap = matplotlib.colormaps[cmap].with_extremes(bad=MASKED_COLOUR)
        self.norm = Normalize(vmin=vmin, vmax=vmax)
        self.ax = self.figure.add_subplot()
        self.image = self.dynamic(
            self.ax.imshow(
                self._masked(values, mask), cmap=self.cmap, norm=self.norm, aspect="auto"
            )
        )
        self.ax.set_xticks(range(values.shape[1]), cols)
        self.ax.set_yticks(range(values.shape[0]), rows)
        self.ax.xaxis.tick_top()
        self.ax.xaxis.set_label_position("top")
        self.ax.tick_params(length=0, labelsize=11)
        self.ax.set_xlabel(xlabel, fontsize=11)
        self.ax.set_ylabel(ylabel, fontsize=11)
        # White lines between cells, drawn after the image (a grid would sit under it).
        n_rows, n_cols = values.shape
        self.dynamic(self.ax.hlines(np.arange(0.5, n_rows - 1), -0.5, n_cols - 0.5, "white", lw=2))
        self.dynamic(self.ax.vlines(np.arange(0.5, n_cols - 1), -0.5, n_rows - 0.5, "white", lw=2))
        for spine in self.ax.spines.values():
            spine.set_visible(False)
        self.title = self.dynamic(self.figure.suptitle(title, fontsize=12, y=0.04, va="bottom"))
        self.texts = [
            [
                self.dynamic(self.ax.text(j, i, "", ha="center", va="center", fontsize=12))
                for j in range(values.shape[1])
            ]
            for i in range(values.shape[0])
        ]
        self.figure.colorbar(self.image, ax=self.ax, fraction=0.05, pad=0.03)
        self.figure.subplots_adjust(left=0.14, right=0.9, top=0.84, bottom=0.15)
        self.update(values, mask=mask)

    @staticmethod
    def _masked(values: np.ndarray, mask) -> np.ma.MaskedArray:
        hidden = np.zeros(values.shape, bool) if mask is None else ~np.asarray(mask, bool)
        return np.ma.masked_array(values, mask=hidden)

    def update(self, values, *, mask=None, title: str | None = None) -> None:
        """Show new values (same shape) without redrawing the axes."""
        values = np.asarray(values, dtype=float)
        if values.shape != self.shape:
            raise ValueError(f"this heatmap is {self.shape}; got values of shape {values.shape}")
        data = self._masked(values, mask)
        self.image.set_data(data)
        for i in range(self.shape[0]):
            for j in range(self.shape[1]):
                text = self.texts[i][j]
                if data.mask is not np.ma.nomask and data.mask[i, j]:
                    text.set_text("–")
                    text.set_color("#000000")
                else:
                    text.set_text(format_number(values[i, j], self.fmt))
                    text.set_color(text_colour(self.cmap(self.norm(values[i, j]))))
        if title is not None:
            self.title.set_text(title)

    def __repr__(self) -> str:
        return f"<Heatmap {self.shape[0]}×{self.shape[1]}: {self.title.get_text()}>"


def attention_title(result) -> str:
    how = "by hand" if result.mode == "hand" else "exact"
    extra = ", causal" if result.causal else ""
    if result.mode == "exact" and result.temperature != 1:
        extra += f", temperature {result.temperature:g}"
    return f"attention weights A ({how}{extra})"


class AttentionHeatmap(Heatmap):
    """The attention weights of an `AttentionResult`: a row per key, a column per query."""

    def __init__(self, result, figsize: tuple[float, float] = (4.0, 3.4)):
        n = result.n_tokens
        super().__init__(
            result.weights,
            rows=labels("k", n),
            cols=labels("q", n),
            xlabel="query (column)",
            ylabel="key (row)",
            title=attention_title(result),
            fmt=".1f" if result.mode == "hand" else ".2f",
            mask=result.mask,
            figsize=figsize,
        )

    def show(self, result) -> None:
        """Update to another result with the same number of tokens."""
        self.fmt = ".1f" if result.mode == "hand" else ".2f"
        self.update(result.weights, mask=result.mask, title=attention_title(result))


# --- vector database: embedding projection and scores --------------------------------


# --- mixture of experts: gate choices and load ----------------------------------------
