"""The vector database's pictures (notebook 2): the index vectors in their plane.

Also the colours and sizes the vector database's pictures share; the score bars are
in `dlviz.plots.scores`, the map of the words in `dlviz.plots.word_map`, and the
label layout they use in `dlviz.plots._layout`.
"""

from __future__ import annotations

import numpy as np

from dlviz._numerics import unit_rows
from dlviz.plots._glyphs import GlyphLabels, TickLabels, outlined
from dlviz.plots._layout import equal_aspect_limits as equal_aspect_limits
from dlviz.plots._layout import place_labels as place_labels
from dlviz.plots._marks import ArrowMarks, LabelMarks
from dlviz.plots.base import LiveFigure

# Okabe-Ito colours, told apart with every common colour-vision deficiency. The nearest
# texts are also marked by shape (a black ring, a thicker arrow, a black-edged bar) and
# by their label ("#1"), so colour is never the only cue.
STORED_COLOUR = "#0072B2"  # blue: stored texts
STORED_LIGHT = "#a6cee3"  # light blue: bars of texts that are not among the hits
QUERY_COLOUR = "#D55E00"  # vermillion: the query
HIT_COLOUR = "#000000"  # black rings and edges: the k nearest
GUIDE_COLOUR = "#8c8c8c"  # grey: the axes through 0, shadows, the unit circle
LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}

# Class-sized databases: the index picture names the query, the hits and the first
# texts up to this many (each name costs about a millisecond to place and draw on every
# move, and sixty names would cover the picture); the bars show the best this many.
LABELLED_TEXTS = 4
MAX_BARS = 6
_XLABEL_PAD, _YLABEL_PAD = 4.0, 2.0  # points between the axis labels and the tick labels


def _plain(text: str) -> str:
    """`text` drawn as typed: matplotlib reads text between two $ as maths, unless escaped."""
    return text.replace("$", r"\$")


def _short(text: str, width: int = 28) -> str:
    """A learner's text for a label: cut to `width` characters, drawn as typed."""
    return _plain(text if len(text) <= width else text[: width - 1] + "…")


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
    arrow and a label "#rank". With more than `LABELLED_TEXTS` texts only the query,
    the hits and the first texts are named (the others are points and arrows).

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
        # Tick labels and the caption are glyph outlines (static, drawn with the axes):
        # as matplotlib Text they took 30 of the 55 ms a full draw costs, which every move
        # to new axes limits pays.
        self.x_ticks = TickLabels(ax, "x", size=9)
        self.y_ticks = TickLabels(ax, "y", size=9)
        ax.set_xlabel("x: 1st number of the index vector", fontsize=9.5)
        ax.set_ylabel("y: 2nd number", fontsize=9.5)  # both labelpads: `_label_ticks`
        ring = {"mfc": "none", "mec": HIT_COLOUR, "mew": 2, "ms": 12}
        legend = [
            ax.plot([], [], "o", color=STORED_COLOUR, ms=7, label="stored text")[0],
            ax.plot([], [], "D", color=QUERY_COLOUR, ms=7, label="query")[0],
            ax.plot([], [], "o", **ring, label="nearest (#rank)")[0],
        ]
        fig.legend(handles=legend, loc="upper center", ncol=3, frameon=False, fontsize=9.5)
        # Static, for both metrics: a long text takes milliseconds to draw, which every
        # slider move would pay if it changed with the metric.
        self.caption = GlyphLabels(fig, size=9, transform=fig.transFigure, va="bottom")
        step = 1.5 * 9 / 72 / height  # a line of 9-point type, spaced 1.5, in figure units
        self.caption.set_lines(
            "dot: q·s = |q| × the shadow of s on the query's dashed line: longest shadow wins\n"
            "cosine: only directions count (dots on the unit circle): smallest angle wins",
            0.5, 0.022 + step, step, "#333333",
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
        # `outlined`: a scatter's marker box from its points (see `Outline`), 1 ms a frame
        points = ax.scatter(np.zeros(0), np.zeros(0), s=45, color=STORED_COLOUR, zorder=3,
                            edgecolors="white", linewidths=0.8)  # fmt: skip
        rings = ax.scatter(np.zeros(0), np.zeros(0), s=230, facecolors="none",
                           edgecolors=HIT_COLOUR, linewidths=2, zorder=4)  # fmt: skip
        self.points, self.rings = outlined(points), outlined(rings)
        self.query_point = line(ls="none", marker="D", ms=8, color=QUERY_COLOUR, mec="white")
        self.query_label = self._label(QUERY_COLOUR)
        self.arrows: list = []  # one per stored text
        self.labels: list = []
        self.arrow_marks = ArrowMarks(self.ax)  # what the arrows and labels draw
        self.label_marks = LabelMarks(self.ax, size=9.5, box=LABEL_BOX)
        self._set_count(0)
        self.show(database, result)

    def static_key(self):
        return self.limits  # the axes; the rest of the static part never changes

    def _arrow(self, colour):
        # An arrow from the origin to `xy`: its model (tip, colour, width, shown or not),
        # drawn by `ArrowMarks` as a shaft and a head in two collections for all arrows
        # (an arrow patch costs milliseconds a frame). Animated: no full draw paints it.
        props = {"arrowstyle": "-|>", "color": colour, "lw": 1.4, "shrinkA": 0, "shrinkB": 3}
        arrow = self.ax.annotate(
            "", xy=(0, 0), xytext=(0, 0), arrowprops=props, annotation_clip=False
        )
        arrow.set_animated(True)
        return arrow

    def _label(self, colour):
        # Where a name goes, and what it says: placed by `place_labels`, drawn by
        # `LabelMarks` (as glyph outlines on a box: a Text with a box costs several
        # milliseconds a frame at 2× density). Animated, so no full draw paints it.
        label = self.ax.annotate(
            "", xy=(0, 0), xytext=(9, 0), textcoords="offset points", color=colour,
            fontsize=9.5, va="center", bbox=LABEL_BOX, annotation_clip=False,
        )  # fmt: skip
        label.set_animated(True)
        return label

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
            self.query_direction, *self.arrow_marks.artists, self.points, self.rings,
            self.query_point, *self.label_marks.artists,
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
            self.x_ticks.show(*limits[0])
            self.y_ticks.show(*limits[1])
            # The axis labels keep matplotlib's distance from the tick labels (its pads, 4
            # and 2 points) beyond a line of 9-point type, or the widest y tick label.
            self.ax.xaxis.labelpad = _XLABEL_PAD + 9 * 1.17
            self.ax.yaxis.labelpad = _YLABEL_PAD + self.y_ticks.widest() + 1.5
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

        # The vectors themselves: an arrow for each named text (all of them, up to
        # LABELLED_TEXTS), a point for every text.
        order = [*hit_ids, *(j for j in range(n) if j not in rank)][:LABELLED_TEXTS]
        named = set(order)
        drawn = S.any(axis=0)  # (n,): no arrow to the origin itself
        for j, arrow in enumerate(self.arrows):  # only the shown ones are set: 60 cost 1 ms
            shown = bool(drawn[j]) and j in named
            if arrow.get_visible() != shown:
                arrow.set_visible(shown)
            if shown:
                arrow.xy = tuple(S[:, j])
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
            if label.get_visible() != (j in named):
                label.set_visible(j in named)
            if j in named:
                label.set_text(_rank_label(database.texts[j], rank.get(j)))
                label.set_fontweight("bold" if j in rank else "normal")
                label.xy = tuple(S[:, j])
        samples = np.linspace(0.15, 0.85, 6)[:, None, None]  # along each arrow and shadow
        tips = tips.T  # (n + 1, 2)
        avoid = [np.zeros((1, 2)), tips, (samples * tips).reshape(-1, 2)]
        if not cosine and unit is not None:  # keep the shadows' drop lines clear too
            avoid.append((S.T + samples * (feet.T - S.T)).reshape(-1, 2))
        avoid = np.concatenate(avoid)
        named_labels = [self.query_label] + [self.labels[j] for j in order]
        where = place_labels(
            self.figure, self.ax, named_labels, [tuple(q)] + [tuple(S[:, j]) for j in order],
            avoid=avoid, away_from=(0, 0),
        )  # fmt: skip
        self.label_marks.set(named_labels, where)
        self.arrow_marks.set([*self.arrows, self.query_arrow])

    def __repr__(self) -> str:
        return f"<IndexVectorPlot: {len(self.arrows)} texts and the query>"
