"""Every picture's machinery: drawn once, then updated in place and handed out as PNG.

Each picture is a `LiveFigure`: it owns a `matplotlib.figure.Figure` on an Agg
canvas (no pyplot, so no global backend is switched as a side effect), changes its
artists in place (`set_data`, `set_text`) when the numbers change, and gives PNG
bytes (`png()`) for an `ipywidgets.Image`, or displays itself in a notebook.
Values are printed in every cell, in black or white by the higher WCAG contrast
against the colour drawn there, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.axes
import matplotlib.collections
import matplotlib.font_manager
import matplotlib.textpath
import matplotlib.transforms
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from dlviz._format import format_number
from dlviz.palette import MASKED_COLOUR as MASKED_COLOUR  # re-exported by dlviz.plots
from dlviz.palette import text_colours
from dlviz.plots._glyphs import GlyphLabels as GlyphLabels  # re-exported: plots import it here
from dlviz.plots._png import PngStream, encode_aside

# Colour-blind-safe, and the same family as the HTML grids' (dlviz.palette.SEQUENTIAL).
WEIGHTS_CMAP = "Blues"


class LiveFigure:
    """A matplotlib figure that is drawn once and updated in place.

    Subclasses build their artists in `__init__`, register the ones that change
    with `dynamic(artist)`, and change them in their update method. Rendering
    blits: the static part (axes, ticks, colour bar: most of the drawing time) is
    drawn once and kept as pixels; each render restores those pixels and draws
    only the dynamic artists on top, several times faster than a full draw.
    A subclass that changes a static artist calls `invalidate()`.
    """

    dpi = 100  # CSS pixels per inch: the size the picture is shown at
    pixel_ratio = 2  # drawn at twice that density, so it stays sharp zoomed or projected

    def __init__(self, figsize: tuple[float, float]):
        self.figure = Figure(figsize=figsize, dpi=self.dpi * self.pixel_ratio)
        FigureCanvasAgg(self.figure)
        self._dynamic: list = []
        self._background = None
        self._stream = PngStream()  # encodes again only the bands of rows that changed
        self._png = b""  # the last PNG: a move that changes nothing here costs nothing
        self._aside = None  # the PNG being encoded on another thread (`png_aside`)
        self._backgrounds: dict = {}  # static_key() -> its drawn background, a few kept
        # id -> artist, for the dynamic artists that seldom change (held, so that no other
        # artist can be given the id of one that was removed)
        self._seldom: dict = {}
        self._layer = None  # (their ids, the background with them drawn on it)

    def dynamic(self, artist, *, seldom: bool = False):
        """Mark `artist` as one that changes: it is redrawn on every render.

        seldom: it changes on few moves (a caption, the names under the bars), lies
        where no other dynamic artist is drawn, and is drawn before them: it is kept
        drawn on a copy of the background, redrawn only when it changed (a caption is
        a millisecond or more of glyphs on every frame otherwise).
        """
        artist.set_animated(True)  # left out of the full draw, drawn by `render`
        self._dynamic.append(artist)
        if seldom:
            self._seldom[id(artist)] = artist
        return artist

    def invalidate(self) -> None:
        """The static part changed: draw everything again at the next render."""
        self._background = None
        self._layer = None

    @property
    def changed(self) -> bool:
        """Whether anything was changed since the last render (matplotlib marks a changed
        artist stale; a dynamic one only itself, as it is animated)."""
        return self._background is None or any(a.stale for a in self._dynamic)

    def static_key(self):
        """A hashable summary of everything static (axes limits, ticks, titles), or None.

        A subclass that gives one gets its backgrounds kept: going back to a static state
        drawn before (a metric switched back) restores its pixels instead of a full draw.
        """
        return None

    _BACKGROUNDS_KEPT = 4

    def render(self) -> np.ndarray:
        """Draw the figure as it is now; returns its RGBA pixels (height, width, 4)."""
        self._finish()  # the pixels being encoded aside are read until then
        canvas = self.figure.canvas
        if self._background is None:
            key = self.static_key()
            kept = self._backgrounds.get(key) if key is not None else None
            if kept is None:
                canvas.draw()
                kept = canvas.copy_from_bbox(self.figure.bbox)
                if key is not None:
                    if len(self._backgrounds) >= self._BACKGROUNDS_KEPT:
                        self._backgrounds.pop(next(iter(self._backgrounds)))
                    self._backgrounds[key] = kept
            else:
                canvas.restore_region(kept)
            self._background = kept
            self._layer = None
        # The canvas works out its renderer's size from the figure's on every call (about
        # 0.1 ms each, once per artist in `Figure.draw_artist`): asked once per render here.
        renderer = canvas.get_renderer()
        bbox = self.figure.bbox
        seldom = [a for a in self._dynamic if id(a) in self._seldom]
        ids = tuple(id(a) for a in seldom)
        if seldom and (
            self._layer is None or self._layer[0] != ids or any(a.stale for a in seldom)
        ):  # the seldom-changing artists on the background, kept for the next moves
            renderer.restore_region(self._background)
            self._draw(renderer, seldom)
            self._layer = (ids, renderer.copy_from_bbox(bbox))
        else:
            renderer.restore_region(self._layer[1] if seldom else self._background)
        self._draw(renderer, [a for a in self._dynamic if id(a) not in self._seldom])
        return np.asarray(renderer.buffer_rgba())

    @staticmethod
    def _draw(renderer, artists) -> None:
        for artist in artists:
            if artist.get_visible() and not _empty(artist):
                artist.draw(renderer)  # what `Figure.draw_artist` does, without asking again
            artist.stale = False  # drawn as it is now (a hidden one too)

    def png(self) -> bytes:
        """The figure as PNG bytes, as it is now (at `pixel_ratio` × its shown size).

        Drawn only when an artist changed, and encoded only where the pixels changed
        (`PngStream`): if they are the old ones, the last PNG is handed out again (same
        bytes, so an `ipywidgets.Image` given them sends nothing to the page).
        """
        return self.png_aside().result()

    def png_aside(self) -> _Png:
        """`png()` in two halves: draws now, encodes on another thread, and hands back
        what gives the bytes (`.result()`). An explorer draws its next picture while
        this one is encoded; it asks for the bytes before it changes this figure again."""
        self._finish()
        if self._png and not self.changed:
            return _Png(self, None, self._png)
        self._aside = _Png(self, encode_aside(self._stream, self.render()))
        return self._aside

    def _finish(self) -> None:
        """Wait for the PNG being encoded aside, if any (it becomes the last PNG)."""
        if self._aside is not None:
            self._aside.result()

    @property
    def css_size(self) -> tuple[int, int]:
        """(width, height) in CSS pixels: the size to show the picture at."""
        width, height = self.figure.get_size_inches()
        return round(width * self.dpi), round(height * self.dpi)

    def save(self, path) -> None:
        """Write the figure to a PNG file."""
        with open(path, "wb") as fh:
            fh.write(self.png())

    def close(self) -> None:
        """Free the figure's artists and pixels (an explorer closing calls this)."""
        self._finish()
        self.figure.clear()
        self._dynamic = []
        self._seldom = {}
        self._background = None
        self._layer = None
        self._stream.clear()
        self._png = b""
        self._backgrounds = {}

    def _repr_mimebundle_(self, **kwargs):
        # Shown at its CSS size: the extra pixels make it sharp, not larger.
        width, height = self.css_size
        return {"image/png": self.png()}, {"image/png": {"width": width, "height": height}}

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class _Png:
    """A figure's PNG being encoded aside (`LiveFigure.png_aside`): `.result()` waits for
    the bytes, and the first wait makes them the figure's last PNG."""

    def __init__(self, figure: LiveFigure, future, png: bytes = b""):
        self._figure, self._future, self._png = figure, future, png

    def result(self) -> bytes:
        if self._future is not None:
            self._png, self._future = self._future.result(), None
            if self._figure._aside is self:
                self._figure._png, self._figure._aside = self._png, None
        return self._png


def _empty(artist) -> bool:
    """A collection with nothing to draw (no paths, or an empty list of places)."""
    if not isinstance(artist, matplotlib.collections.Collection):
        return False
    return len(artist.get_paths()) == 0 or len(artist.get_offsets()) == 0


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
        # One quadrilateral per cell (an image would be resampled to every pixel of the
        # 2× figure on each draw, ten times slower); row 0 on top, as the matrix is written.
        n_rows, n_cols = values.shape
        self.image = self.dynamic(
            self.ax.pcolormesh(
                np.arange(n_cols + 1) - 0.5, np.arange(n_rows + 1) - 0.5,
                self._masked(values, mask), cmap=self.cmap, norm=self.norm,
            )
        )  # fmt: skip
        self.ax.set_xlim(-0.5, n_cols - 0.5)
        self.ax.set_ylim(n_rows - 0.5, -0.5)
        self.ax.set_xticks(range(values.shape[1]), cols)
        self.ax.set_yticks(range(values.shape[0]), rows)
        self.ax.xaxis.tick_top()
        self.ax.xaxis.set_label_position("top")
        self.ax.tick_params(length=0, labelsize=11)
        if values.shape[1] > 6:  # many columns: their names shrink to stay apart
            self.ax.tick_params(axis="x", labelsize=max(6.5, 11 * 6 / values.shape[1]))
        self.ax.set_xlabel(xlabel, fontsize=11)
        self.ax.set_ylabel(ylabel, fontsize=11)
        # White lines between cells, drawn after the cells (a grid would sit under them).
        self.dynamic(self.ax.hlines(np.arange(0.5, n_rows - 1), -0.5, n_cols - 0.5, "white", lw=2))
        self.dynamic(self.ax.vlines(np.arange(0.5, n_cols - 1), -0.5, n_rows - 0.5, "white", lw=2))
        for spine in self.ax.spines.values():
            spine.set_visible(False)
        # The caption under the picture: its text in `title` (a Text never drawn), drawn
        # as glyph outlines, a millisecond less on every move than a Text.
        self.title = self.figure.suptitle(title, fontsize=12, y=0.04, va="bottom")
        self.title.set_visible(False)
        self.title_glyphs = GlyphLabels(self.figure, size=12, transform=self.figure.transFigure,
                                   va="bottom")  # fmt: skip
        self.dynamic(self.title_glyphs.artist, seldom=True)  # under the cells, changes little
        # The numbers, one per cell, as glyph outlines: a Text each would cost about a
        # millisecond per cell on every update (144 of them for 12 tokens). The type
        # shrinks when many columns share the width, so that "0.25" stays in its cell.
        size = 12.0 if n_cols <= 6 else max(6.5, 12.0 * 6 / n_cols)
        self.numbers = GlyphLabels(self.ax, size=size, transform=self.ax.transData)
        self.dynamic(self.numbers.artist)
        self.figure.colorbar(self.image, ax=self.ax, fraction=0.05, pad=0.03)
        self.figure.subplots_adjust(left=0.14, right=0.9, top=0.84, bottom=0.15)
        self.update(values, mask=mask, title=title)

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
        self.image.set_array(data)
        self.image.stale = True  # (set_array does not mark it: it would not be drawn)
        hidden = np.ma.getmaskarray(data).ravel()
        # Row by row, as the matrix is written; the colours of all cells in one call.
        on = text_colours(self.cmap(self.norm(values.ravel())))
        texts = [
            "–" if h else format_number(v, self.fmt)
            for v, h in zip(values.ravel(), hidden, strict=True)
        ]
        colours = np.where(hidden, "#000000", on).tolist()
        rows, cols = np.indices(self.shape)
        self.numbers.set(texts, np.column_stack([cols.ravel(), rows.ravel()]), colours)
        if title is not None:
            self.title.set_text(title)
            self.title_glyphs.set_lines(title, 0.5, 0.04, 0)

    def cell_text(self, i: int, j: int) -> str:
        """The number printed in cell (i, j), as shown."""
        return self.numbers.texts[i * self.shape[1] + j]

    def __repr__(self) -> str:
        return f"<Heatmap {self.shape[0]}×{self.shape[1]}: {self.title.get_text()}>"
