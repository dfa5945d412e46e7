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

# Okabe-Ito colours, told apart with every common colour-vision deficiency. The nearest
# texts are also marked by shape (a black ring, a thicker arrow, a black-edged bar) and
# by their label ("#1"), so colour is never the only cue.
STORED_COLOUR = "#0072B2"  # blue: stored texts
STORED_LIGHT = "#a6cee3"  # light blue: bars of texts that are not among the hits
QUERY_COLOUR = "#D55E00"  # vermillion: the query
HIT_COLOUR = "#000000"  # black rings and edges: the k nearest
GUIDE_COLOUR = "#8c8c8c"  # grey: the axes through 0, shadows, the unit circle
LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}

# Where a label may sit around its point, in points (1/72 inch); alignment follows the signs.
_LABEL_OFFSETS = (
    (9, 0), (7, 7), (7, -7), (0, 10), (0, -10), (-9, 0), (-7, 7), (-7, -7),
    (16, 12), (16, -12), (-16, 12), (-16, -12), (0, 22), (0, -22),
)  # fmt: skip


def _label_alignment(dx: float, dy: float) -> tuple[str, str]:
    ha = "left" if dx > 0 else "right" if dx < 0 else "center"
    va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
    return ha, va


def _overlap(a, b) -> float:
    """The area two boxes (x0, y0, x1, y1) share."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(
    figure, ax, labels, anchors, *, avoid=(), away_from=None, radius: float = 6.0
) -> None:
    """Move each label (an `Annotation` in offset points) to a free spot beside its anchor.

    Greedy, in the order given (put the important labels first): a label takes the
    first offset where it covers no label placed before it, no point of `avoid`
    ((m, 2), data coordinates, each kept clear `radius` pixels around) and stays inside
    the axes, or else the offset where it covers least. With `away_from` (a point),
    offsets pointing away from it are tried first. Text sizes come from the figure's
    renderer, so the fit is exact for the font in use; ten labels take a few
    milliseconds.
    """
    renderer = figure.canvas.get_renderer()
    frame = tuple(ax.get_window_extent(renderer).extents)  # (x0, y0, x1, y1) pixels
    to_px = ax.transData.transform
    r = radius
    taken = [(x - r, y - r, x + r, y + r) for x, y in to_px(np.reshape(avoid, (-1, 2)))]
    for label, anchor in zip(labels, anchors, strict=True):
        offsets = _LABEL_OFFSETS
        if away_from is not None:
            away = to_px(anchor) - to_px(away_from)
            length = float(np.hypot(*away))
            if length > 0:
                # Pointing most nearly away first; a far offset pays for its distance.
                offsets = sorted(
                    offsets,
                    key=lambda o: (
                        0.02 * np.hypot(*o)
                        - (o[0] * away[0] + o[1] * away[1]) / (np.hypot(*o) * length)
                    ),
                )
        best, best_cost = None, np.inf
        for dx, dy in offsets:
            ha, va = _label_alignment(dx, dy)
            label.set_position((dx, dy))
            label.set_horizontalalignment(ha)
            label.set_verticalalignment(va)
            box = tuple(label.get_window_extent(renderer).extents)
            area = (box[2] - box[0]) * (box[3] - box[1])
            # Leaving the axes costs most: the text would be cut or run into the margins.
            cost = 3 * (area - _overlap(box, frame)) + sum(_overlap(box, t) for t in taken)
            if cost < best_cost:
                best, best_cost = (dx, dy, ha, va, box), cost
            if cost == 0:
                break
        dx, dy, ha, va, box = best
        label.set_position((dx, dy))
        label.set_horizontalalignment(ha)
        label.set_verticalalignment(va)
        taken.append(box)


def equal_aspect_limits(current, xs, ys, ratio: float, *, room: float = 0.25, bare=None):
    """x and y limits ((x0, x1), (y0, y1)) that hold every point, one unit as long on both axes.

    xs, ys: the labelled points; bare: (m, 2) more points that need no room for a label
    (the origin, the unit circle). ratio: the axes box's width ÷ height, so that
    xspan = ratio · yspan keeps circles round and angles true. `current` is kept while
    the labelled points stay clear of its outer 6 %, the bare ones of its outer 2 %,
    and the points fill more than a third of it: a slider that moves the points a
    little moves neither the axes nor forces a full redraw. New limits leave `room` of
    the span beyond the outermost labelled points, for their labels, and 8 % beyond
    the bare ones.
    """
    labelled = np.column_stack([np.ravel(xs), np.ravel(ys)]).astype(float)  # (n, 2)
    bare = np.reshape(np.asarray([] if bare is None else bare, float), (-1, 2))  # (m, 2)
    every = np.concatenate([labelled, bare])
    lo, hi = every.min(axis=0), every.max(axis=0)
    if current is not None:
        (x0, x1), (y0, y1) = current
        size = np.array([x1 - x0, y1 - y0])

        def inside(points, margin):
            return bool(
                (points >= (x0, y0) + margin * size).all()
                and (points <= (x1, y1) - margin * size).all()
            )

        filled = ((hi - lo) > size / 3).any()
        if inside(labelled, 0.06) and inside(bare, 0.02) and filled:
            return current
    span = max(hi[0] - lo[0], ratio * (hi[1] - lo[1]))  # in x units
    if span == 0:  # every point in one place
        span = 2.0 * max(1.0, float(np.abs(lo).max()))
    pads = np.array([span, span / ratio])  # one x span, and the same length in y

    def side(values, towards):  # the farthest point on one side, with its room
        if values.size == 0:
            return np.full(2, -np.inf)
        return values.max(axis=0) if towards > 0 else -values.min(axis=0)

    far_hi = np.maximum(side(labelled, 1) + room * pads, side(bare, 1) + 0.08 * pads)
    far_lo = np.maximum(side(labelled, -1) + room * pads, side(bare, -1) + 0.08 * pads)
    (x0, y0), (x1, y1) = -far_lo, far_hi
    grow_x = ratio * (y1 - y0) - (x1 - x0)  # stretch the short side to the box's shape
    if grow_x > 0:
        x0, x1 = x0 - grow_x / 2, x1 + grow_x / 2
    else:
        y0, y1 = y0 + grow_x / ratio / 2, y1 - grow_x / ratio / 2
    return (float(x0), float(x1)), (float(y0), float(y1))


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _rank_label(text: str, rank: int | None) -> str:
    return _short(text) if rank is None else f"#{rank} {_short(text)}"


class IndexVectorPlot(LiveFigure):
    """Stored index vectors and the query as arrows from the origin; the k nearest ringed.

    Steps 5-7 of the vector-database exercise as geometry. Each stored text is a blue
    point at its 2-d index vector s, the query a vermillion diamond at q. With the dot
    product, q·s = |q| × (the signed length of the shadow s casts on the query's
    dashed line): dotted lines drop each point onto that line, and the farthest shadow
    wins. With cosine only directions count: each arrow's crossing of the dotted unit
    circle is marked, and the smallest angle wins. The hits get a black ring, a thicker
    arrow and a label "#rank".

    Update with `show(database, result)` (a `VectorDatabase` and its `SearchResult`).
    Everything that changes is a dynamic artist, also for a new number of texts (their
    arrows and labels are added or removed); only new axis limits redraw the rest.
    """

    _RECT = (0.11, 0.23, 0.86, 0.68)  # axes box in figure fractions: left, bottom, w, h

    def __init__(self, database, result, *, figsize: tuple[float, float] = (6.2, 4.6)):
        super().__init__(figsize)
        width, height = self.figure.get_size_inches()
        self._ratio = (self._RECT[2] * width) / (self._RECT[3] * height)
        self.limits = None
        fig = self.figure
        ax = self.ax = fig.add_axes(self._RECT)
        ax.axhline(0, color=GUIDE_COLOUR, lw=0.8, zorder=0)
        ax.axvline(0, color=GUIDE_COLOUR, lw=0.8, zorder=0)
        ax.grid(True, color="#ebebeb", lw=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=9)
        ax.set_xlabel("x: 1st number of the index vector", fontsize=9.5)
        ax.set_ylabel("y: 2nd number", fontsize=9.5, labelpad=2)
        ring = {"mfc": "none", "mec": HIT_COLOUR, "mew": 2, "ms": 12}
        legend = [
            ax.plot([], [], "o", color=STORED_COLOUR, ms=7, label="stored text")[0],
            ax.plot([], [], "D", color=QUERY_COLOUR, ms=7, label="query")[0],
            ax.plot([], [], "o", **ring, label="nearest (#rank)")[0],
        ]
        fig.legend(handles=legend, loc="upper center", ncol=3, frameon=False, fontsize=9.5)
        # Static, for both metrics: a long text takes milliseconds to draw, which every
        # slider move would pay if it changed with the metric.
        fig.text(
            0.5, 0.012,
            "dot: q·s = |q| × the shadow of s on the query's dashed line: longest shadow wins\n"
            "cosine: only directions count (dots on the unit circle): smallest angle wins",
            ha="center", va="bottom", fontsize=9, color="#333333", linespacing=1.5,
        )  # fmt: skip

        def line(**style):
            return ax.plot([], [], **style)[0]

        t = np.linspace(0, 2 * np.pi, 181)
        self.circle = line(color=GUIDE_COLOUR, ls=":", lw=1.2)
        self.circle.set_data(np.cos(t), np.sin(t))
        self.query_line = line(color=QUERY_COLOUR, ls=(0, (6, 4)), lw=1.0, alpha=0.7)
        self.shadows = line(color=GUIDE_COLOUR, ls=":", lw=1.3)
        self.feet = line(ls="none", marker="|", ms=8, mew=1.5, color=GUIDE_COLOUR)
        self.directions = line(ls="none", marker="o", ms=5, mfc="white", mec=STORED_COLOUR)
        self.query_direction = line(ls="none", marker="D", ms=5, mfc="white", mec=QUERY_COLOUR)
        self.query_arrow = self._arrow(QUERY_COLOUR)
        self.points = ax.scatter(np.zeros(0), np.zeros(0), s=45, color=STORED_COLOUR, zorder=3,
                                 edgecolors="white", linewidths=0.8)  # fmt: skip
        self.rings = ax.scatter(np.zeros(0), np.zeros(0), s=230, facecolors="none",
                                edgecolors=HIT_COLOUR, linewidths=2, zorder=4)  # fmt: skip
        self.query_point = line(ls="none", marker="D", ms=8, color=QUERY_COLOUR, mec="white")
        self.query_label = self._label(QUERY_COLOUR)
        self.arrows: list = []  # one per stored text
        self.labels: list = []
        self._set_count(0)
        self.show(database, result)

    def _arrow(self, colour):
        props = {"arrowstyle": "-|>", "color": colour, "lw": 1.4, "shrinkA": 0, "shrinkB": 3}
        return self.ax.annotate(
            "", xy=(0, 0), xytext=(0, 0), arrowprops=props, annotation_clip=False
        )

    def _label(self, colour):
        return self.ax.annotate(
            "", xy=(0, 0), xytext=(9, 0), textcoords="offset points", color=colour,
            fontsize=9.5, va="center", bbox=LABEL_BOX, annotation_clip=False,
        )  # fmt: skip

    def _set_count(self, n: int) -> None:
        """Arrows and labels for n stored texts; all changing artists, in drawing order."""
        while len(self.arrows) > n:
            self.arrows.pop().remove()
            self.labels.pop().remove()
        while len(self.arrows) < n:
            self.arrows.append(self._arrow(STORED_COLOUR))
            self.labels.append(self._label("#000000"))
        self._dynamic = []
        for artist in (
            self.circle, self.query_line, self.shadows, self.feet, self.directions,
            self.query_direction, *self.arrows, self.query_arrow, self.points, self.rings,
            self.query_point, *self.labels, self.query_label,
        ):  # fmt: skip
            self.dynamic(artist)

    def show(self, database, result) -> None:
        """Show another database and search (any number of texts; 2-d index vectors)."""
        S = np.asarray(database.index_vectors, dtype=float)  # (2, n): a column per text
        if S.shape[0] != 2:
            raise ValueError(
                f"this picture draws 2-d index vectors, got {S.shape[0]}-d ones (P has "
                f"{S.shape[0]} rows): use pca_2d for a flat view of more dimensions"
            )
        n = S.shape[1]
        if n != len(self.arrows):
            self._set_count(n)
        q = np.asarray(result.query.index_vector, dtype=float)  # (2,)
        cosine = result.metric == "cosine"
        rank = {hit.index: r for r, hit in enumerate(result.hits, start=1)}
        hit_ids = [hit.index for hit in result.hits]

        # Axes limits: every point with room for its label, the origin, and for cosine
        # the points where the arrows cross the unit circle (inside already when the
        # arrows are longer than 1, so switching the metric seldom moves the axes).
        tips = np.concatenate([S, q[:, None]], axis=1)  # (2, n + 1)
        lengths = np.hypot(*tips)  # (n + 1,)
        ends = tips[:, lengths > 0] / lengths[lengths > 0]  # (2, m): on the unit circle
        bare = np.concatenate([np.zeros((2, 1)), ends], axis=1) if cosine else np.zeros((2, 1))
        limits = equal_aspect_limits(self.limits, *tips, self._ratio, bare=bare.T)
        if limits != self.limits:
            self.limits = limits
            self.ax.set_xlim(*limits[0])
            self.ax.set_ylim(*limits[1])
            self.invalidate()

        # The geometry of the metric.
        length = float(np.hypot(*q))
        unit = q / length if length > 0 else None
        reach = 4 * max(limits[0][1] - limits[0][0], limits[1][1] - limits[1][0])
        self.circle.set_visible(cosine)
        self.directions.set_visible(cosine)
        self.query_direction.set_visible(cosine and unit is not None)
        self.query_line.set_visible(unit is not None)
        self.shadows.set_visible(not cosine and unit is not None)
        self.feet.set_visible(not cosine and unit is not None)
        if unit is not None:
            self.query_line.set_data([-reach * unit[0], reach * unit[0]],
                                     [-reach * unit[1], reach * unit[1]])  # fmt: skip
            feet = np.outer(unit, unit @ S)  # (2, n): where each s lands on the query's line
            gaps = np.full((2, n), np.nan)
            self.shadows.set_data(
                np.stack([S[0], feet[0], gaps[0]]).T.ravel(),
                np.stack([S[1], feet[1], gaps[1]]).T.ravel(),
            )
            self.feet.set_data(feet[0], feet[1])
            self.feet.set_marker((2, 0, np.degrees(np.arctan2(unit[1], unit[0]))))
        if cosine:
            stored_ends = S[:, lengths[:n] > 0] / lengths[:n][lengths[:n] > 0]  # (2, m)
            self.directions.set_data(stored_ends[0], stored_ends[1])
            if unit is not None:
                self.query_direction.set_data([unit[0]], [unit[1]])

        # The vectors themselves.
        for j, arrow in enumerate(self.arrows):
            arrow.xy = tuple(S[:, j])
            arrow.set_visible(bool(S[:, j].any()))
            arrow.arrow_patch.set_linewidth(2.6 if j in rank else 1.2)
        self.query_arrow.xy = tuple(q)
        self.query_arrow.set_visible(bool(q.any()))
        self.points.set_offsets(S.T)
        self.rings.set_offsets(S[:, hit_ids].T.reshape(-1, 2))
        self.query_point.set_data([q[0]], [q[1]])

        # Labels: the query first, then the hits by rank, then the rest, each in the
        # first free spot, so the important ones get the best places.
        self.query_label.set_text(f"query: {_short(result.query.sentence)}")
        self.query_label.xy = tuple(q)
        for j, label in enumerate(self.labels):
            label.set_text(_rank_label(database.texts[j], rank.get(j)))
            label.set_fontweight("bold" if j in rank else "normal")
            label.xy = tuple(S[:, j])
        order = [*hit_ids, *(j for j in range(n) if j not in rank)]
        samples = np.linspace(0.15, 0.85, 6)[:, None, None]  # along each arrow and shadow
        tips = tips.T  # (n + 1, 2)
        avoid = [np.zeros((1, 2)), tips, (samples * tips).reshape(-1, 2)]
        if not cosine and unit is not None:  # keep the shadows' drop lines clear too
            avoid.append((S.T + samples * (feet.T - S.T)).reshape(-1, 2))
        avoid = np.concatenate(avoid)
        place_labels(
            self.figure, self.ax, [self.query_label] + [self.labels[j] for j in order],
            [tuple(q)] + [tuple(S[:, j]) for j in order], avoid=avoid, away_from=(0, 0),
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"<IndexVectorPlot: {len(self.arrows)} texts and the query>"


class ScoreBars(LiveFigure):
    """The score of every stored text against the query, one bar each, value printed.

    Step 7 of the vector-database exercise. Bars run in the order the texts were
    added, top to bottom, each named on its left; values are printed as fractions
    where exact (44/9), or as decimals with fmt=".3f" (cosines, rarely fractions, get
    three decimals). The k hits are dark with a black edge and "#rank" after their
    value, the rest light. Update with `show(database, result, fmt=...)`: bars and
    values are dynamic artists; new names (the texts, or the metric in the title), a
    new number of texts or new x limits redraw the rest too. (Names are static on
    purpose: each dynamic text costs about a millisecond on every update, and names
    change only while a learner types in the database.)
    """

    def __init__(self, database, result, *, fmt: str = "frac", width: float = 4.4):
        super().__init__((width, 2.0))
        self.fmt = fmt
        self.limits = None
        self._left = 0.0  # the left margin, in figure fractions: room for the names
        ax = self.ax = self.figure.add_axes((0.3, 0.2, 0.65, 0.7))  # placed by `_layout`
        ax.tick_params(axis="y", left=False, labelleft=False)
        ax.tick_params(axis="x", labelsize=9)
        ax.axvline(0, color="#333333", lw=0.9)
        ax.grid(True, axis="x", color="#ebebeb", lw=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.title = self.figure.text(0.5, 0.98, "", ha="center", va="top", fontsize=10)
        self.bars: list = []
        self.values: list = []
        self.names: list = []
        self.show(database, result, fmt=fmt)

    def _set_count(self, n: int) -> None:
        """n bars, values and names; the figure's height follows n."""
        for artist in (*self.bars, *self.values, *self.names):
            artist.remove()
        ax = self.ax
        self.bars = list(ax.barh(range(n), np.zeros(n), height=0.6, color=STORED_LIGHT))
        self.values = [
            ax.annotate("", xy=(0, j), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=9.5, annotation_clip=False)
            for j in range(n)
        ]  # fmt: skip
        names = ax.get_yaxis_transform()  # x in axes fractions, y in data: left of the axes
        self.names = [
            ax.text(-0.03, j, "", transform=names, ha="right", va="center", fontsize=9.5)
            for j in range(n)
        ]
        self._dynamic = []
        for artist in (*self.bars, *self.values):
            self.dynamic(artist)
        height = 1.25 + 0.42 * max(n, 2)
        self.figure.set_size_inches(self.figure.get_figwidth(), height)
        self.title.set_y(1 - 0.08 / height)
        ax.set_ylim(n - 0.4, -0.6)  # first text at the top
        self._left = 0.0  # `_layout` places the axes for the new height
        self.invalidate()

    def _layout(self, names: list[str]) -> None:
        """Widen the left margin when a name does not fit (it never shrinks for a count)."""
        renderer = self.figure.canvas.get_renderer()
        prop = matplotlib.font_manager.FontProperties(size=9.5)
        widest = max(renderer.get_text_width_height_descent(t, prop, False)[0] for t in names)
        width, height = self.figure.get_size_inches()
        left = (widest + 18) / (width * self.dpi)
        if left > self._left:
            self._left = max(left, 0.08)
            self.ax.set_position((self._left, 0.62 / height, 0.96 - self._left, 1 - 1.07 / height))
            self.invalidate()

    def show(self, database, result, *, fmt: str | None = None) -> None:
        """Show another search; fmt "frac" (44/9) or a format spec such as ".3f"."""
        if fmt is not None:
            self.fmt = fmt
        scores = np.asarray(result.scores, dtype=float)  # (n,)
        if scores.size != len(self.bars):
            self._set_count(scores.size)
        names = [_short(t) for t in database.texts]
        self._layout(names)
        rank = {hit.index: r for r, hit in enumerate(result.hits, start=1)}
        fmt = ".3f" if result.metric == "cosine" and self.fmt == "frac" else self.fmt
        limits = self._fit(scores)
        if limits != self.limits:
            self.limits = limits
            self.ax.set_xlim(*limits)
            self.invalidate()
        what = "cosine of the angle" if result.metric == "cosine" else "dot product"
        wanted = [f"score = {what} with the query", *names]
        for text, new in zip([self.title, *self.names], wanted, strict=True):
            if text.get_text() != new:
                text.set_text(new)
                self.invalidate()
        for j, (bar, value, score) in enumerate(zip(self.bars, self.values, scores, strict=True)):
            hit = j in rank
            bar.set_width(score)
            bar.set_facecolor(STORED_COLOUR if hit else STORED_LIGHT)
            bar.set_edgecolor(HIT_COLOUR if hit else STORED_LIGHT)
            bar.set_linewidth(2.0 if hit else 0.0)
            text = format_number(score, fmt)
            value.set_text(f"{text}  #{rank[j]}" if hit else text)
            value.set_fontweight("bold" if hit else "normal")
            value.xy = (score, j)
            value.set_position((4, 0) if score >= 0 else (-4, 0))
            value.set_horizontalalignment("left" if score >= 0 else "right")

    def _fit(self, scores: np.ndarray) -> tuple[float, float]:
        """x limits holding 0, every bar and its printed value (30 % of the width)."""
        lo, hi = min(0.0, float(scores.min())), max(0.0, float(scores.max()))
        room_lo = 0.3 if lo < 0 else 0.02
        room_hi = 0.3 if hi > 0 else 0.02
        if self.limits is not None:
            x0, x1 = self.limits
            span = x1 - x0
            inside = x0 + room_lo * span <= lo and hi <= x1 - room_hi * span
            if inside and hi - lo > span / 4:
                return self.limits
        span = (hi - lo) / (1 - room_lo - room_hi - 0.1) if hi > lo else 1.0
        return (lo - (room_lo + 0.05) * span, hi + (room_hi + 0.05) * span)

    def __repr__(self) -> str:
        return f"<ScoreBars: {len(self.bars)} texts>"


class WordMap(LiveFigure):
    """Every word of a vocabulary on one page: the embeddings' PCA to 2-d, each labelled.

    Words with the same vector share one point and one label ("a, the"): they are
    the same to the model. The axis labels say how much of the spread each axis
    keeps. `highlight(words)` rings the given words (say, a query's) in place.
    """

    _RECT = (0.1, 0.12, 0.86, 0.8)

    def __init__(self, vocabulary, *, highlight=(), figsize: tuple[float, float] = (6.4, 5.0)):
        from dlviz.vectordb import pca_2d  # computation ← display, never the other way

        super().__init__(figsize)
        self.pca = pca_2d(vocabulary.matrix)
        groups: dict[bytes, list[int]] = {}
        for j in range(len(vocabulary)):
            groups.setdefault(vocabulary.matrix[:, j].tobytes(), []).append(j)
        first = [members[0] for members in groups.values()]
        self.coords = self.pca.coords[:, first]  # (2, n_points)
        self.names = [", ".join(vocabulary.words[j] for j in m) for m in groups.values()]
        self._point_of = {vocabulary.words[j]: p for p, m in enumerate(groups.values()) for j in m}

        ax = self.ax = self.figure.add_axes(self._RECT)
        width, height = self.figure.get_size_inches()
        ratio = (self._RECT[2] * width) / (self._RECT[3] * height)
        (x0, x1), (y0, y1) = equal_aspect_limits(None, *self.coords, ratio, room=0.12)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.axhline(0, color=GUIDE_COLOUR, lw=0.6, zorder=0)
        ax.axvline(0, color=GUIDE_COLOUR, lw=0.6, zorder=0)
        ax.tick_params(labelsize=9)
        share = self.pca.explained
        ax.set_xlabel(f"1st principal axis ({share[0]:.0%} of the spread)", fontsize=9.5)
        ax.set_ylabel(f"2nd principal axis ({share[1]:.0%})", fontsize=9.5)
        ax.scatter(*self.coords, s=30, color=STORED_COLOUR, zorder=3, edgecolors="white")
        self.labels = [
            ax.annotate(name, xy=tuple(xy), xytext=(7, 0), textcoords="offset points",
                        fontsize=9.5, bbox=LABEL_BOX)
            for name, xy in zip(self.names, self.coords.T, strict=True)
        ]  # fmt: skip
        centre = self.coords.mean(axis=1)
        place_labels(self.figure, ax, self.labels, [tuple(xy) for xy in self.coords.T],
                     avoid=self.coords.T, away_from=tuple(centre), radius=9)  # fmt: skip
        self.rings = self.dynamic(
            ax.scatter(np.zeros(0), np.zeros(0), s=130, facecolors="none",
                       edgecolors=QUERY_COLOUR, linewidths=2, zorder=4)
        )  # fmt: skip
        self.caption = self.dynamic(
            self.figure.text(0.5, 0.985, "", ha="center", va="top", fontsize=10)
        )
        self.highlight(highlight)

    def highlight(self, words) -> None:
        """Ring the points of `words` (unknown ones are skipped) and name them above."""
        words = [w for w in dict.fromkeys(words) if w in self._point_of]
        points = sorted({self._point_of[w] for w in words})
        self.rings.set_offsets(self.coords[:, points].T.reshape(-1, 2))
        self.caption.set_text(f"ringed: {', '.join(words)}" if words else "")

    def __repr__(self) -> str:
        return f"<WordMap: {len(self._point_of)} words at {len(self.names)} points>"


# --- mixture of experts: gate choices and load ----------------------------------------

# The gate picture shows at most this many tokens, the first ones: beyond that a cell is
# too narrow to read. The load bars count every token.
GATE_MAX_TOKENS = 12
CHOSEN_COLOUR = "#000000"  # outlines and badges: black on a white edge shows on any cell
BALANCED_COLOUR = "#b35806"  # the orange end of the grids' PuOr map: apart from blue for all
# (matplotlib.figure, imported above, loads matplotlib.axes, .collections, .textpath and
# .transforms, used below.)


class GlyphLabels:
    """Many short labels drawn as one collection of glyph outlines, not as a Text each.

    A matplotlib Text lays out and rasterises its glyphs at every draw, about 0.4 ms a
    label, so thirty numbers cost 12 ms a frame. Here each distinct string becomes an
    outline once (a `TextPath` in the same font, cached), and all labels are filled in
    one call: well under a millisecond for a hundred. Used for every label that changes
    with the numbers or the shape; text that never changes (axis labels, the first
    caption line) stays Text, drawn once into the static background.

    `parent` is the Axes or the Figure that draws it; `artist` the collection (register
    it with `LiveFigure.dynamic`); `texts` the strings now shown, in the order given.
    Positions are in `transform`'s coordinates; `ha`/`va` align each label on its
    position ("center", "left"/"right", "bottom"/"top"; vertically by the height of a
    digit, so a row of labels lines up), and `offset` moves every label by (dx, dy)
    points.
    """

    _cache: dict = {}  # (text, size, ha, va, offset) -> Path in points, anchor at (0, 0)
    _CACHE_LIMIT = 5000  # distinct labels kept; captions with counts keep adding new ones

    def __init__(
        self,
        parent,
        *,
        size: float,
        transform,
        ha: str = "center",
        va: str = "center",
        offset: tuple[float, float] = (0.0, 0.0),
    ):
        self.size, self.ha, self.va, self.offset = size, ha, va, offset
        # sizes=[1]: a collection scales its paths by √size points, so paths in points
        # come out at their size.
        self.artist = matplotlib.collections.PathCollection(
            [], sizes=[1.0], offsets=np.zeros((0, 2)), offset_transform=transform,
            transform=matplotlib.transforms.IdentityTransform(),  # paths: points, not data
            facecolors="#000000", edgecolors="none", linewidths=0, clip_on=False,
        )  # fmt: skip
        if isinstance(parent, matplotlib.axes.Axes):
            parent.add_collection(self.artist, autolim=False)
        else:
            parent.add_artist(self.artist)
        self.texts: list[str] = []

    def _path(self, text: str):
        key = (text, self.size, self.ha, self.va, self.offset)
        path = self._cache.get(key)
        if path is None:
            text_path = matplotlib.textpath.TextPath
            raw = text_path((0, 0), text, size=self.size)
            ink = raw.get_extents()
            digit = text_path((0, 0), "0", size=self.size).get_extents()
            dx = {"center": -(ink.x0 + ink.x1) / 2, "left": -ink.x0, "right": -ink.x1}[self.ha]
            dy = {"center": -(digit.y0 + digit.y1) / 2, "bottom": -digit.y0, "top": -digit.y1}
            move = matplotlib.transforms.Affine2D().translate(
                dx + self.offset[0], dy[self.va] + self.offset[1]
            )
            if len(self._cache) >= self._CACHE_LIMIT:
                self._cache.clear()
            path = self._cache[key] = raw.transformed(move)
        return path

    def set(self, texts, positions, colours="#000000") -> None:
        """Show `texts` at `positions` ((n, 2)), in one colour or one colour each."""
        self.texts = list(texts)
        self.artist.set_paths([self._path(t) for t in self.texts])
        self.artist.set_offsets(np.asarray(positions, dtype=float).reshape(-1, 2))
        self.artist.set_facecolor(colours)

    def set_lines(self, text: str, x: float, y: float, step: float, colour="#000000") -> None:
        """Show the lines of `text` one under another: the first at (x, y), each `step` lower."""
        lines = text.split("\n") if text else []
        self.set(lines, [(x, y - i * step) for i in range(len(lines))], colour)


def _cell_frames(cells, inset: float) -> list[np.ndarray]:
    """Closed rectangles just inside cells (row, col) of an imshow, as line segments."""
    frames = []
    for i, j in cells:
        x0, x1, y0, y1 = j - 0.5 + inset, j + 0.5 - inset, i - 0.5 + inset, i + 0.5 - inset
        frames.append(np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]))
    return frames


class GateHeatmap(Heatmap):
    """The gate's choices: a row per expert, a column per token, the chosen cells outlined.

    Exercise 3, the gate's decisions (steps 2 and 4 of the sheet) in one picture. Each
    cell holds the gate's probability for that expert and token (softmax of
    gate_W·x + b down the column), printed in the cell. The experts a token goes to get
    a thick black outline on a white edge (solid for its best expert, dashed for the
    others of a top-k) and a badge with the rank, 1 for the best, in the cell's corner
    (in its middle when the cell is too small for a number): the choice never rests on
    colour alone.

    Many tokens: only the first `GATE_MAX_TOKENS` are drawn (the load bars count all
    of them), and when the cells get too small to hold a number (under about 0.5 × 0.33
    inch) the numbers are left out. The caption says when either happens.

    The figure is built once for up to `max_experts` × `max_tokens` cells (by default
    the result's own size); a result with fewer is shown by narrowing the axes to its
    cells. The row and column labels and the numbers are `GlyphLabels`, drawn with the
    cells at every render, so the static part does not depend on the shape: a new
    number of experts or tokens costs no full redraw.
    """

    def __init__(
        self,
        result,
        *,
        max_experts: int | None = None,
        max_tokens: int | None = None,
        figsize: tuple[float, float] | None = None,
    ):
        n_experts, n_tokens = result.gate_probs.shape
        rows = max(max_experts or n_experts, n_experts)
        cols = min(max(max_tokens or n_tokens, 1), GATE_MAX_TOKENS)
        if figsize is None:  # about 0.8 × 0.55 inch a cell, plus room for the labels
            figsize = (min(2.4 + 0.8 * cols, 8.0), min(2.0 + 0.55 * rows, 5.0))
        super().__init__(
            np.zeros((rows, cols)),
            rows=labels("e", rows),
            cols=labels("X", cols),
            xlabel="token (column)",
            ylabel="expert (row)",
            figsize=figsize,
        )
        fig_w, fig_h = figsize
        self.figure.subplots_adjust(
            left=0.75 / fig_w, right=1 - 0.35 / fig_w, top=1 - 0.6 / fig_h, bottom=1.0 / fig_h
        )
        # Heatmap's Text numbers and tick labels give way to glyph labels (see above).
        for row in self.texts:
            for text in row:
                text.set_visible(False)
        ax = self.ax
        ax.set_xticks([])
        ax.set_yticks([])
        ax.xaxis.labelpad = 20  # clear of the token labels
        ax.yaxis.labelpad = 26  # clear of the expert labels
        self.numbers = GlyphLabels(ax, size=11, transform=ax.transData)
        self.token_labels = GlyphLabels(
            ax, size=11, transform=ax.get_xaxis_transform(), va="bottom", offset=(0, 5)
        )
        self.expert_labels = GlyphLabels(
            ax, size=11, transform=ax.get_yaxis_transform(), ha="right", offset=(-6, 0)
        )
        line = {"capstyle": "projecting", "joinstyle": "miter"}
        collections = matplotlib.collections
        self.halo = collections.LineCollection([], colors="white", linewidths=6, **line)
        self.best = collections.LineCollection([], colors=CHOSEN_COLOUR, linewidths=3, **line)
        self.others = collections.LineCollection(
            [], colors=CHOSEN_COLOUR, linewidths=2.5, linestyles="--", **line
        )
        for artist in (self.halo, self.best, self.others):
            ax.add_collection(artist, autolim=False)
        # Badges: a white disc with a black rim, and the rank as a marker on it.
        self.discs = ax.scatter([], [], s=144, c="white", edgecolors=CHOSEN_COLOUR, lw=1.2)
        self.ranks = [
            ax.scatter([], [], s=52, c=CHOSEN_COLOUR, marker=f"${r}$", lw=0)
            for r in range(1, rows + 1)
        ]
        for artist in (
            self.numbers.artist, self.token_labels.artist, self.expert_labels.artist,
            self.halo, self.best, self.others, self.discs, *self.ranks,
        ):  # fmt: skip
            self.dynamic(artist)
        # The caption under the cells: a first line that never changes (a static Text,
        # drawn once), then the lines that do (glyph labels, in place of Heatmap's title).
        self.figure.text(
            0.5, 0.8 / fig_h, "gate probabilities softmax(gate_W·x + b)",
            ha="center", va="top", fontsize=11,
        )  # fmt: skip
        self.title.set_visible(False)
        self.notes = GlyphLabels(self.figure, size=11, transform=self.figure.transFigure, va="top")
        self.dynamic(self.notes.artist)
        self.caption = ""
        self.image.colorbar.set_ticks([0.0, 0.5, 1.0])
        self.view: tuple[int, int] | None = None
        self.printed = False
        self.chosen_cells: dict[tuple[int, int], int] = {}  # (expert, token) -> rank, 1 = best
        self.show(result)

    def _set_view(self, n_experts: int, n_tokens: int) -> None:
        """Narrow the axes to the first n_experts × n_tokens cells and label them."""
        ax = self.ax
        ax.set_xlim(-0.5, n_tokens - 0.5)
        ax.set_ylim(n_experts - 0.5, -0.5)  # row 1 on top, as the matrix is written
        box = ax.get_position()
        fig_w, fig_h = self.figure.get_size_inches()
        w_pt = box.width * fig_w * 72 / n_tokens  # a cell's width and height, in points
        h_pt = box.height * fig_h * 72 / n_experts
        self.printed = w_pt >= 36 and h_pt >= 24
        size = 13 if min(w_pt, 1.6 * h_pt) >= 60 else 11 if min(w_pt, 1.6 * h_pt) >= 48 else 9
        self.numbers.size = size
        self.token_labels.size = 11 if w_pt >= 30 else 9  # "X10" fits a narrow column
        self.token_labels.set(labels("X", n_tokens), [(j, 1.0) for j in range(n_tokens)])
        self.expert_labels.set(labels("e", n_experts), [(0.0, i) for i in range(n_experts)])
        # The badge is 12 points across where it fits: 3 points inside the cell's
        # top-right corner beside a number, or in the middle of a cell without one.
        if self.printed:
            across = min(12.0, 0.4 * w_pt, 0.45 * h_pt)
            self._corner = np.array(
                [0.5 - (across / 2 + 3) / w_pt, -0.5 + (across / 2 + 3) / h_pt]
            )  # (x, y) from the cell's centre
        else:
            across = min(10.0, 0.5 * w_pt, 0.55 * h_pt)
            self._corner = np.zeros(2)
        thin = w_pt < 30 or h_pt < 22  # small cells: thinner outlines leave the colour visible
        self.halo.set_linewidth(4.5 if thin else 6)
        self.best.set_linewidth(2.2 if thin else 3)
        self.others.set_linewidth(2 if thin else 2.5)
        self.discs.set_sizes([across**2])
        for scatter in self.ranks:
            scatter.set_sizes([(0.6 * across) ** 2])
        self.view = (n_experts, n_tokens)

    def show(self, result) -> None:
        """Show another `MoEResult` in place: probabilities, outlines, badges, caption."""
        n_experts, n_tokens = result.gate_probs.shape
        if n_experts > self.shape[0]:
            raise ValueError(
                f"this picture has room for {self.shape[0]} experts; the result has "
                f"{n_experts}: build a GateHeatmap with max_experts={n_experts}"
            )
        shown = min(n_tokens, self.shape[1])
        if self.view != (n_experts, shown):
            self._set_view(n_experts, shown)
        probs = result.gate_probs[:, :shown]  # (n_experts, shown)
        values = np.zeros(self.shape)
        values[:n_experts, :shown] = probs
        inside = np.zeros(self.shape, bool)
        inside[:n_experts, :shown] = True
        self.image.set_data(self._masked(values, inside))
        if self.printed:
            # A little low in the cell, clear of the corner badge; black or white by
            # the higher contrast against the colour drawn there.
            at = [(j, i + 0.1) for i in range(n_experts) for j in range(shown)]
            colours = [text_colour(self.cmap(self.norm(p))) for p in probs.ravel()]
            self.numbers.set([format_number(p, self.fmt) for p in probs.ravel()], at, colours)
        else:
            self.numbers.set([], [])

        chosen = result.chosen[:, :shown]  # (top_k, shown): expert indices, best first
        self.chosen_cells = {
            (int(chosen[r, t]), t): r + 1 for r in range(chosen.shape[0]) for t in range(shown)
        }
        best = [cell for cell, rank in self.chosen_cells.items() if rank == 1]
        others = [cell for cell, rank in self.chosen_cells.items() if rank > 1]
        self.best.set_segments(_cell_frames(best, 0.08))
        self.others.set_segments(_cell_frames(others, 0.08))
        self.halo.set_segments(_cell_frames(best + others, 0.08))
        at = {rank: [] for rank in range(1, len(self.ranks) + 1)}
        for (e, t), rank in self.chosen_cells.items():
            at[rank].append(np.array([t, e]) + self._corner)  # (x, y) of the badge
        self.discs.set_offsets(np.array([p for ps in at.values() for p in ps]).reshape(-1, 2))
        for rank, scatter in zip(at, self.ranks, strict=True):
            scatter.set_offsets(np.array(at[rank]).reshape(-1, 2))
        self.caption = gate_caption(result, shown, self.printed)
        fig_h = self.figure.get_figheight()
        self.notes.set_lines(self.caption, 0.5, 0.56 / fig_h, 0.235 / fig_h)

    def cell_text(self, expert: int, token: int) -> str:
        """The number printed in a cell ("" when numbers are left out)."""
        if not self.numbers.texts:
            return ""
        return self.numbers.texts[expert * self.view[1] + token]

    def __repr__(self) -> str:
        return f"<GateHeatmap {self.view[0]} experts × {self.view[1]} tokens>"


def gate_caption(result, shown: int, printed: bool) -> str:
    """The changing lines of the gate picture's caption: the marks, and what is left out."""
    k, n_tokens = result.chosen.shape
    if k == 1:
        first = "outlined: the chosen expert"
    else:
        first = f"outlined: the top-{k} experts, 1 = best"
    notes = []
    if shown < n_tokens:
        notes.append(f"the first {shown} of {n_tokens} tokens")
    if not printed:
        notes.append("cells too small for numbers")
    return first + ("\n" + " · ".join(notes) if notes else "")


class LoadBars(LiveFigure):
    """The load: how many tokens each expert got, against the balanced load.

    Beyond the sheet. One bar per expert, its count printed on it; the height is the
    expert's share of all routed slots (top-k routing gives each token k slots, so the
    counts add up to k × n_tokens). The dashed line is the balanced share 1/n_experts,
    the load every expert would carry if the gate spread the tokens evenly.

    The share axis (0 to 100 %) does not change with the tokens, top_k or the number
    of experts, and the expert names and counts are `GlyphLabels`, so no change of the
    result redraws the axes: every update is a blit.
    """

    def __init__(
        self,
        result,
        *,
        max_experts: int | None = None,
        figsize: tuple[float, float] | None = None,
    ):
        n_experts = result.tokens_per_expert.shape[0]
        self.max_experts = max(max_experts or n_experts, n_experts)
        if figsize is None:  # about 0.4 inch a bar, plus room for the labels
            figsize = (min(2.7 + 0.4 * self.max_experts, 6.0), 3.4)
        super().__init__(figsize)
        ax = self.ax = self.figure.add_subplot()
        places = np.arange(self.max_experts)
        self.bars = list(
            ax.bar(
                places, np.zeros(self.max_experts), width=0.7, color="#6baed6",
                edgecolor="#08306b", linewidth=1.2,
            )
        )  # fmt: skip
        self.counts = GlyphLabels(ax, size=11, transform=ax.transData, va="bottom", offset=(0, 3))
        self.names = GlyphLabels(
            ax, size=10, transform=ax.get_xaxis_transform(), va="top", offset=(0, -5)
        )
        self.balanced = ax.axhline(0, color=BALANCED_COLOUR, lw=2, ls="--")
        # Labelled at its right end, outside the axes, where no bar can hide the label.
        self.balanced_label = GlyphLabels(
            ax, size=10, transform=ax.get_yaxis_transform(), ha="left", offset=(6, 0)
        )
        self.caption = ""
        self.caption_lines = GlyphLabels(
            self.figure, size=11, transform=self.figure.transFigure, va="top"
        )
        for artist in (
            *self.bars, self.balanced, self.counts.artist, self.names.artist,
            self.balanced_label.artist, self.caption_lines.artist,
        ):  # fmt: skip
            self.dynamic(artist)
        ax.set_ylim(0, 1.15)  # room above a full bar for its count
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25 %", "50 %", "75 %", "100 %"])
        ax.set_xticks([])
        ax.yaxis.grid(True, color="#e0e0e0")
        ax.set_axisbelow(True)
        ax.set_ylabel("share of the routed tokens", fontsize=11)
        ax.set_xlabel("expert", fontsize=11, labelpad=20)  # clear of the names
        ax.tick_params(length=0, labelsize=10)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.figure.subplots_adjust(
            left=0.85 / figsize[0], right=1 - 1.0 / figsize[0],
            top=1 - 0.2 / figsize[1], bottom=1.1 / figsize[1],
        )  # fmt: skip
        self.n_experts: int | None = None
        self.show(result)

    def show(self, result) -> None:
        """Show the load of another `MoEResult` in place."""
        counts = np.asarray(result.tokens_per_expert)  # (n_experts,)
        n_experts = counts.shape[0]
        if n_experts > self.max_experts:
            raise ValueError(
                f"this picture has room for {self.max_experts} experts; the result has "
                f"{n_experts}: build LoadBars with max_experts={n_experts}"
            )
        if n_experts != self.n_experts:
            self.ax.set_xlim(-0.6, n_experts - 0.4)
            self.names.set(labels("e", n_experts), [(i, 0.0) for i in range(n_experts)])
            self.n_experts = n_experts
        k, n_tokens = result.chosen.shape
        slots = k * n_tokens
        share = counts / slots  # (n_experts,)
        for i, bar in enumerate(self.bars):
            bar.set_visible(i < n_experts)
            if i < n_experts:
                bar.set_height(share[i])
        self.counts.set([str(int(c)) for c in counts], np.c_[np.arange(n_experts), share])
        self.balanced.set_ydata([1 / n_experts, 1 / n_experts])
        step = 14 / 72 / (self.ax.get_position().height * self.figure.get_figheight())
        self.balanced_label.set_lines(
            f"balanced:\n{format_number(slots / n_experts)} each",
            1.0, 1 / n_experts + step / 2, step, BALANCED_COLOUR,
        )  # fmt: skip
        self.caption = load_caption(counts, k, n_tokens)
        fig_h = self.figure.get_figheight()
        self.caption_lines.set_lines(self.caption, 0.5, 0.55 / fig_h, 0.235 / fig_h)

    def __repr__(self) -> str:
        return f"<LoadBars {self.n_experts} experts: {self.caption!r}>"


def load_caption(counts, top_k: int, n_tokens: int) -> str:
    """The load picture's caption: tokens and slots, the busiest expert, the idle ones."""
    counts = np.asarray(counts)
    slots = top_k * n_tokens
    first = f"tokens per expert: {n_tokens} tokens"
    if top_k > 1:
        first += f" × top-{top_k} = {slots} slots"
    second = f"busiest: {counts.max() / (slots / counts.shape[0]):.2f} × balanced"
    idle = [f"e{i + 1}" for i in np.flatnonzero(counts == 0)]
    if idle:
        second += " · idle: " + ", ".join(idle)
    return f"{first}\n{second}"
