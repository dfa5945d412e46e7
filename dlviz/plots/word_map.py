"""A map of every word of a vocabulary (notebook 2): the embeddings' PCA, each point labelled."""

from __future__ import annotations

import numpy as np

from dlviz.plots._layout import equal_aspect_limits, place_labels
from dlviz.plots.base import LiveFigure
from dlviz.plots.vectordb import (
    GUIDE_COLOUR,
    LABEL_BOX,
    QUERY_COLOUR,
    STORED_COLOUR,
    _plain,
)


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
            ax.annotate(_plain(name), xy=tuple(xy), xytext=(7, 0), textcoords="offset points",
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
        self.caption.set_text(_plain(f"ringed: {', '.join(words)}") if words else "")

    def __repr__(self) -> str:
        return f"<WordMap: {len(self._point_of)} words at {len(self.names)} points>"
