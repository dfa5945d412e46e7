"""The cells of an inverted-file index on the 2-D index vectors, and the lists a query probes."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap, to_rgb

from dlviz._numerics import unit_rows
from dlviz.palette import relative_luminance
from dlviz.plots.base import LiveFigure
from dlviz.plots.vectordb import HIT_COLOUR, LABEL_BOX, QUERY_COLOUR

# Okabe-Ito, colour-blind safe; list j gets colour j (a cycle past eight lists).
LIST_COLOURS = ("#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
                "#999999")  # fmt: skip
_PROBED_ALPHA, _OTHER_ALPHA = 0.30, 0.07
_MESH = 240  # cells drawn on a 240 × 240 mesh: each pixel coloured by its nearest centroid
_BEST = {"dot": "best s·q", "cosine": "best cosine"}  # the star: what exact search ranks first
# Up to this many texts (lists) each is named; past it only the starred and found texts
# (the probed lists' centroids): sixty names would cover the cells, and each costs about
# a millisecond on every move.
NAMED = 8


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
    tinted strongly, the others faintly; each text is a point in its list's colour,
    each centroid a cross "c1", "c2", …; the query a vermillion diamond; the texts
    found among the probed lists are ringed, and the text exact search ranks first by
    `metric` (the highest s·q, or cosine; the probe may miss it) is marked with a star.
    The cells are drawn by distance, the star by score: the nearest text need not be
    the best.

    Update with `show(index, query, result, texts, metric)`: an `IVFIndex` holding 2-d
    vectors, the query's 2-d vector, its `IVFNeighbours`, the texts' names and the
    metric it was searched with.
    """

    def __init__(self, index, query, result, texts, *, metric="dot", figsize=(6.2, 4.6)):
        super().__init__(figsize)
        ax = self.ax = self.figure.add_axes((0.11, 0.17, 0.86, 0.73))
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
        self.cells = self.dynamic(ax.imshow(np.zeros((2, 2)), origin="lower", zorder=0))
        self.points = self.dynamic(ax.scatter([], [], s=45, zorder=3, edgecolors="white"))
        self.centroids = self.dynamic(ax.scatter([], [], marker="X", s=110, zorder=4,
                                                 edgecolors="white", linewidths=0.8))  # fmt: skip
        self.rings = self.dynamic(ax.scatter([], [], s=230, facecolors="none", zorder=5,
                                             edgecolors=HIT_COLOUR, linewidths=2))  # fmt: skip
        self.best = self.dynamic(ax.plot([], [], "*", color=HIT_COLOUR, ms=13, zorder=6)[0])
        self.query = self.dynamic(ax.plot([], [], "D", color=QUERY_COLOUR, ms=8, mec="white",
                                          zorder=6)[0])  # fmt: skip
        # under the x label, across the figure: inside the axes (as wide as the cells'
        # equal aspect leaves them) a long caption ran past the picture's edge
        self.caption = self.dynamic(self.figure.text(0.5, 0.015, "", ha="center",
                                                     va="bottom", fontsize=9))  # fmt: skip
        self.labels: list = []
        self.limits = None
        self.show(index, query, result, texts, metric)

    def show(self, index, query, result, texts, metric="dot") -> None:
        """Redraw for `index` (an IVFIndex of 2-d vectors) and one query's `result`,
        searched by `metric` ("dot" or "cosine")."""
        vectors = np.asarray(index.vectors, dtype=float)  # (n, 2) by id
        centroids = np.asarray(index.centroids, dtype=float)  # (n_lists, 2)
        query = np.asarray(query, dtype=float).reshape(2)
        list_of = np.asarray(index.list_of)
        probed = set(np.asarray(result.probed)[0].tolist())
        colours = [LIST_COLOURS[j % len(LIST_COLOURS)] for j in range(index.n_lists)]
        self._set_limits(np.vstack([vectors, centroids, query[None, :]]))
        (x0, x1), (y0, y1) = self.limits
        xs, ys = np.linspace(x0, x1, _MESH), np.linspace(y0, y1, _MESH)
        mesh = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # (MESH², 2)
        # Nearest centroid of every pixel; |c|² − 2·p·c ranks as |p − c|², ties to the lower.
        owner = np.argmin((centroids**2).sum(axis=1) - 2 * mesh @ centroids.T, axis=1)
        tints = [_pale(c, _PROBED_ALPHA if j in probed else _OTHER_ALPHA)
                 for j, c in enumerate(colours)]  # fmt: skip
        self.cells.set_cmap(ListedColormap(tints))
        self.cells.set_data(owner.reshape(_MESH, _MESH))
        self.cells.set_clim(-0.5, index.n_lists - 0.5)
        self.cells.set_extent((x0, x1, y0, y1))
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
        missed = best not in found
        self.caption.set_text(
            f"nprobe = {len(probed)} of {index.n_lists} lists: searched "
            f"{int(np.asarray(result.scanned)[0])} of {len(index)} texts; "
            + ("the starred text was MISSED" if missed else "the starred text was found")
        )

    def _set_limits(self, points: np.ndarray) -> None:
        low, high = points.min(axis=0), points.max(axis=0)
        pad = np.maximum((high - low) * 0.15, 0.5)
        limits = ((low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1]))
        if limits != self.limits:
            self.limits = limits
            self.ax.set_xlim(*limits[0])
            self.ax.set_ylim(*limits[1])
            self.invalidate()

    def _set_labels(self, items) -> None:
        while len(self.labels) < len(items):
            self.labels.append(
                self.dynamic(
                    self.ax.annotate(
                        "",
                        xy=(0, 0),
                        xytext=(7, 5),
                        zorder=7,
                        textcoords="offset points",
                        fontsize=8.5,
                        bbox=LABEL_BOX,
                    )
                )  # fmt: skip
            )
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
