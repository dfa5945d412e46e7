"""The cells of an inverted-file index on the 2-D index vectors, and the lists a query probes."""

from __future__ import annotations

import matplotlib.collections
import matplotlib.path
import numpy as np
from matplotlib.colors import to_rgb

from dlviz._numerics import same_score, unit_rows
from dlviz.palette import relative_luminance
from dlviz.plots._marks import LabelMarks
from dlviz.plots._voronoi import neighbour_colours, voronoi_cells
from dlviz.plots.base import GlyphLabels, LiveFigure
from dlviz.plots.vectordb import HIT_COLOUR, LABEL_BOX, QUERY_COLOUR

# One colour per list, up to ten lists: Okabe-Ito's blue, bluish green and reddish
# purple (colour-blind safe), then brown, crimson, purple, green, indigo, teal and
# olive, each next one as unlike those before as could be found (CIEDE2000 at least 14
# apart, also once darkened for names). None is black or grey (the found and best
# marks are black, the legend's centroid grey), none near the query's vermillion, and
# each stands out 3:1 from the white picture (WCAG's least for a graphic): Okabe-Ito's
# orange, sky blue and yellow, 2:1 at best, hid on their pale cells. Past ten lists the
# colours repeat, never on two cells that touch (`neighbour_colours`), and every cell
# has a border: the caption says so.
LIST_COLOURS = ("#0072B2", "#009E73", "#CC79A7", "#715601", "#b20b42", "#8831a3", "#147f01",
                "#304fc2", "#0e8f97", "#75840a")  # fmt: skip
BORDER_COLOUR = "#9a9a9a"  # the cells' borders: seen on a pale cell and on a tinted one
_PROBED_ALPHA, _OTHER_ALPHA = 0.30, 0.07
_BEST = {"dot": "best s·q", "cosine": "best cosine"}  # the star: what exact search ranks first
# Up to this many texts (lists) each is named; past it only the starred and found texts
# (the probed lists' centroids): sixty names would cover the cells.
NAMED = 8
_CAPTION_Y = 0.015  # the bottom of the caption's last line, in figure heights


def _ink(colour: str) -> tuple[float, float, float]:
    """`colour` darkened until it reads at 4.5:1 (WCAG AA) on a name's box: white at 80 %
    over a probed cell's tint, luminance 0.9 at the least. A list's names are in it."""
    rgb = np.array(to_rgb(colour))
    while (0.9 + 0.05) / (relative_luminance(rgb) + 0.05) < 4.5:
        rgb = rgb * 0.9
    return tuple(rgb)


def _pale(colour: str, alpha: float) -> tuple[float, float, float]:
    """`colour` mixed with white: an opaque tint, so overlapping labels stay readable."""
    rgb = np.array(to_rgb(colour))
    return tuple(1 - alpha * (1 - rgb))


class IVFCellsPlot(LiveFigure):
    """Each centroid's cell (the part of the plane nearest to it), its texts and the query.

    Beyond the sheet, approximate search. The cells of the lists the query probes are
    tinted strongly, the others faintly, each with a grey border; each text is a point
    in its list's colour, each centroid a cross "c1", "c2", …; the query a vermillion
    diamond; the texts found among the probed lists are ringed, and the text exact
    search ranks first by `metric` (the highest s·q, or cosine; the probe may miss it)
    is marked with a star. The cells are drawn by distance, the star by score: the
    nearest text need not be the best. Past `len(LIST_COLOURS)` lists the colours
    repeat, never on two cells that touch, and the caption says so.

    Update with `show(index, query, result, texts, metric)`: an `IVFIndex` holding 2-d
    vectors, the query's 2-d vector, its `IVFNeighbours`, the texts' names and the
    metric it was searched with.
    """

    def __init__(self, index, query, result, texts, *, metric="dot", figsize=(6.2, 4.6)):
        super().__init__(figsize)
        ax = self.ax = self.figure.add_axes((0.11, 0.185, 0.86, 0.715))
        ax.set_aspect("equal")  # distances are the point: a circle stays round
        ax.tick_params(labelsize=9)
        ax.set_xlabel("x: 1st number of the index vector", fontsize=9.5)
        ax.set_ylabel("y: 2nd number", fontsize=9.5, labelpad=2)
        legend = [
            ax.plot([], [], "X", color="#333333", ms=8, label="centroid")[0],
            ax.plot([], [], "D", color=QUERY_COLOUR, ms=7, label="query")[0],
            ax.plot([], [], "o", mfc="none", mec=HIT_COLOUR, mew=2, ms=11, label="found")[0],
            ax.plot([], [], "*", color=HIT_COLOUR, ms=11, label=_BEST[metric])[0],
        ]
        key = self.figure.legend(handles=legend, loc="upper center", ncol=4, frameon=False,
                                 fontsize=9)  # fmt: skip
        self.star_label = key.get_texts()[-1]  # says which score the star is best by
        # The cells as exact polygons, filled, then their borders over all the fills (a
        # border drawn with its own cell would be half covered by the next cell).
        self.cells = self.dynamic(self._polygons(facecolors="none", edgecolors="none"))
        self.borders = self.dynamic(self._polygons(
            facecolors="none", edgecolors=BORDER_COLOUR, linewidths=0.7
        ))  # fmt: skip
        self.points = self.dynamic(ax.scatter([], [], s=45, zorder=3, edgecolors="white"))
        self.centroids = self.dynamic(ax.scatter([], [], marker="X", s=110, zorder=4,
                                                 edgecolors="white", linewidths=0.8))  # fmt: skip
        self.rings = self.dynamic(ax.scatter([], [], s=230, facecolors="none", zorder=5,
                                             edgecolors=HIT_COLOUR, linewidths=2))  # fmt: skip
        self.best = self.dynamic(ax.plot([], [], "*", color=HIT_COLOUR, ms=13, zorder=6)[0])
        self.query = self.dynamic(ax.plot([], [], "D", color=QUERY_COLOUR, ms=8, mec="white",
                                          zorder=6)[0])  # fmt: skip
        # Under the x label, across the figure: inside the axes (as wide as the cells'
        # equal aspect leaves them) a long caption ran past the picture's edge. Its text
        # is `caption` (a Text never drawn, as the names' Annotations below), drawn as
        # glyph outlines: a Text costs milliseconds a frame at 2× density.
        self.caption, self.caption_glyphs = self._caption_line()
        self.note, self.note_glyphs = self._caption_line()  # a line about the colours
        # The names: Annotations placed as matplotlib places them, never drawn themselves
        # (animated, and not dynamic): `LabelMarks` draws their boxes and glyphs.
        self.labels: list = []
        self.label_marks = LabelMarks(ax, size=8.5, box=LABEL_BOX)
        for artist in self.label_marks.artists:
            self.dynamic(artist)
        self.limits = None
        self.show(index, query, result, texts, metric)

    def _caption_line(self):
        text = self.figure.text(0.5, _CAPTION_Y, "", ha="center", va="bottom", fontsize=9)
        text.set_animated(True)
        glyphs = GlyphLabels(
            self.figure, size=9, transform=self.figure.transFigure, va="bottom",
            offset=(0, _descent(text)),
        )  # fmt: skip
        self.dynamic(glyphs.artist)
        return text, glyphs

    def _polygons(self, **style):
        cells = matplotlib.collections.PathCollection([], zorder=0, **style)
        self.ax.add_collection(cells, autolim=False)
        return cells

    def static_key(self):
        return (self.limits, self.star_label.get_text())  # all else static never changes

    def show(self, index, query, result, texts, metric="dot") -> None:
        """Redraw for `index` (an IVFIndex of 2-d vectors) and one query's `result`,
        searched by `metric` ("dot" or "cosine")."""
        vectors = np.asarray(index.vectors, dtype=float)  # (n, 2) by id
        centroids = np.asarray(index.centroids, dtype=float)  # (n_lists, 2)
        query = np.asarray(query, dtype=float).reshape(2)
        list_of = np.asarray(index.list_of)
        probed = set(np.asarray(result.probed)[0].tolist())
        self._set_limits(np.vstack([vectors, centroids, query[None, :]]))
        cells, neighbours = voronoi_cells(centroids, self.limits)
        colours = [LIST_COLOURS[c] for c in neighbour_colours(neighbours, len(LIST_COLOURS))]
        # closed: the last corner repeated, which a closed Path takes as its end mark
        paths = [matplotlib.path.Path(np.vstack([c, c[:1]]), closed=True) for c in cells]
        self.cells.set_paths(paths)
        self.cells.set_facecolors([_pale(c, _PROBED_ALPHA if j in probed else _OTHER_ALPHA)
                                   for j, c in enumerate(colours)])  # fmt: skip
        self.borders.set_paths(paths)
        self.points.set_offsets(vectors)
        self.points.set_facecolors([colours[j] for j in list_of])
        self.centroids.set_offsets(centroids)
        self.centroids.set_facecolors(colours)
        found = np.asarray(result.ids)[0]
        found = found[found >= 0]
        self.rings.set_offsets(vectors[found] if found.size else np.zeros((0, 2)))
        if metric == "cosine":  # a text without a direction scores 0 here
            scores = unit_rows(vectors) @ unit_rows(query[None, :])[0]
        else:
            scores = vectors @ query
        best = int(np.argmax(scores))  # what exact search ranks first: ties to the lower id
        if self.star_label.get_text() != _BEST[metric]:
            self.star_label.set_text(_BEST[metric])
            self.invalidate()  # the legend is drawn once, with the static part
        self.best.set_data([vectors[best, 0]], [vectors[best, 1]])
        self.query.set_data([query[0]], [query[1]])
        # every text and centroid, or past NAMED only the starred and found texts and the
        # probed lists' centroids
        lists = range(index.n_lists) if index.n_lists <= NAMED else sorted(probed)
        named = range(len(vectors)) if len(vectors) <= NAMED else [best, *found.tolist()]
        self._set_labels(
            [(centroids[j], f"c{j + 1}", colours[j], (-17, -15)) for j in lists]
            + [(vectors[i], texts[i], colours[list_of[i]], (7, 5)) for i in dict.fromkeys(named)]
        )
        # An equal score found elsewhere is not a miss: exact search only ranks the tie
        # to the lower id (a cosine can differ in its last bit between the two).
        as_good = found.size > 0 and same_score(scores[found].max(), scores[best])
        self._set_caption(
            f"nprobe = {len(probed)} of {index.n_lists} "
            f"list{'' if index.n_lists == 1 else 's'}: searched "
            f"{int(np.asarray(result.scanned)[0])} of {len(index)} texts; "
            + (
                "the starred text was found"
                if best in found
                else "found one as good as the starred text"
                if as_good
                else "the starred text was MISSED"
            ),
            f"{index.n_lists} lists in {len(LIST_COLOURS)} colours: two cells of one colour "
            "never touch"
            if index.n_lists > len(LIST_COLOURS)
            else "",
        )

    def _set_caption(self, caption: str, note: str) -> None:
        """The caption, and under it `note` (or nothing): lifted a line when there is one."""
        line = 1.3 * self.caption.get_fontsize() / 72 / self.figure.get_figheight()
        for text, glyphs, value, y in (
            (self.caption, self.caption_glyphs, caption, _CAPTION_Y + line * bool(note)),
            (self.note, self.note_glyphs, note, _CAPTION_Y),
        ):
            text.set_text(value)
            text.set_y(y)
            glyphs.set_lines(value, 0.5, y, 0)

    def _set_limits(self, points: np.ndarray) -> None:
        low, high = points.min(axis=0), points.max(axis=0)
        pad = np.maximum((high - low) * 0.15, 0.5)
        limits = ((low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1]))
        if limits != self.limits:
            self.limits = limits
            self.ax.set_xlim(*limits[0])
            self.ax.set_ylim(*limits[1])
            self.ax.apply_aspect()  # the axes' box now, as drawn: the names are placed in it
            self.invalidate()

    def _set_labels(self, items) -> None:
        while len(self.labels) < len(items):
            label = self.ax.annotate("", xy=(0, 0), xytext=(7, 5), textcoords="offset points",
                                     fontsize=8.5, bbox=LABEL_BOX, zorder=7)  # fmt: skip
            label.set_animated(True)  # the model: drawn by `label_marks`
            self.labels.append(label)
        left, right = self.limits[0]
        for label, item in zip(self.labels, items + [None] * len(self.labels), strict=False):
            label.set_visible(item is not None)
            if item is not None:
                (x, y), text, colour, offset = item
                label.xy = (x, y)
                # a name near the right edge goes left of its point, inside the picture
                flip = offset[0] > 0 and x > left + 0.7 * (right - left)
                label.set_position((-offset[0], offset[1]) if flip else offset)
                label.set_horizontalalignment("right" if flip else "left")
                label.set_text(text)
                label.set_color(_ink(colour))
        self.label_marks.set(self.labels)


def _descent(text) -> float:
    """How far (points) `text`'s font reaches below its baseline: a Text placed by its
    bottom ("va=bottom") has its baseline that high, glyph outlines by their baseline."""
    renderer = text.figure.canvas.get_renderer()
    _, _, descent = renderer.get_text_width_height_descent("lp", text.get_fontproperties(), False)
    return descent * 72 / text.figure.dpi
