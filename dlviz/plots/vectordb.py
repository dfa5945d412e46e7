"""The vector database's pictures (notebook 2): index vectors, score bars, the word map."""

from __future__ import annotations

import matplotlib
import matplotlib.axes
import matplotlib.collections
import matplotlib.font_manager
import matplotlib.textpath
import matplotlib.transforms
import numpy as np

from dlviz._numerics import unit_rows
from dlviz.plots.base import LiveFigure
from dlviz.sheet import format_number

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
        units = unit_rows(tips.T).T  # (2, n + 1): on the unit circle, 0 where no direction
        ends = units[:, units.any(axis=0)]  # (2, m)
        bare = np.concatenate([np.zeros((2, 1)), ends], axis=1) if cosine else np.zeros((2, 1))
        limits = equal_aspect_limits(self.limits, *tips, self._ratio, bare=bare.T)
        if limits != self.limits:
            self.limits = limits
            self.ax.set_xlim(*limits[0])
            self.ax.set_ylim(*limits[1])
            self.invalidate()

        # The geometry of the metric.
        unit = units[:, -1] if units[:, -1].any() else None  # the query's direction
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
            stored_ends = units[:, :n][:, units[:, :n].any(axis=0)]  # (2, m)
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
        self._container = None  # the BarContainer of `bars`, removed whole on a recount
        self.bars: list = []
        self.values: list = []
        self.names: list = []
        self.show(database, result, fmt=fmt)

    def _set_count(self, n: int) -> None:
        """n bars, values and names; the figure's height follows n."""
        if self._container is not None:
            self._container.remove()  # its bars, and itself from ax.containers
        for artist in (*self.values, *self.names):
            artist.remove()
        ax = self.ax
        self._container = ax.barh(range(n), np.zeros(n), height=0.6, color=STORED_LIGHT)
        self.bars = list(self._container)
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
        left = (widest + 18) / (width * self.figure.dpi)
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
