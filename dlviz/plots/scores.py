"""The vector database's score bars (notebook 2, step 7): every stored text against the query."""

from __future__ import annotations

import matplotlib
import matplotlib.axes
import matplotlib.collections
import matplotlib.font_manager
import matplotlib.textpath
import matplotlib.transforms
import numpy as np
from matplotlib.ticker import AutoLocator, MaxNLocator

from dlviz._format import distinct_decimals, format_number
from dlviz.plots._glyphs import TickLabels
from dlviz.plots._marks import BarMarks
from dlviz.plots.base import GlyphLabels, LiveFigure
from dlviz.plots.vectordb import (
    HIT_COLOUR,
    MAX_BARS,
    STORED_COLOUR,
    STORED_LIGHT,
    _short,
)


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

    With more than `MAX_BARS` texts the bars are the best `MAX_BARS`, best first, and
    the title says so; their names and values then change with the ranking, and are
    drawn as glyph outlines (`GlyphLabels`), which cost almost nothing per update.
    """

    def __init__(self, database, result, *, fmt: str = "frac", width: float = 4.4):
        super().__init__((width, 2.0))
        self.fmt = fmt
        self.limits = None
        self._cosine = False  # the axis was set for cosines (ticks up to 1 only)
        self._left = 0.0  # the left margin, in figure fractions: room for the names
        ax = self.ax = self.figure.add_axes((0.3, 0.2, 0.65, 0.7))  # placed by `_layout`
        ax.tick_params(axis="y", left=False, labelleft=False)
        # The x tick labels and the title are glyph outlines in the static part (as
        # matplotlib Text they took 15 of the 25 ms a full draw costs, which a move to new
        # limits or names pays), placed as matplotlib places them (`_label_ticks`).
        self.x_ticks = TickLabels(ax, "x", size=9)
        ax.ticklabel_format(axis="x", useOffset=False)  # 0.98, never "-0.02 … +1"
        ax.axvline(0, color="#333333", lw=0.9)
        ax.grid(True, axis="x", color="#ebebeb", lw=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.title = self.figure.text(0.5, 0.98, "", ha="center", va="top", fontsize=10)
        self.title.set_visible(False)  # what the title says and where: drawn as glyphs
        self.title_glyphs = GlyphLabels(
            self.figure, size=10, transform=self.figure.transFigure, va="top"
        )
        self._container = None  # the BarContainer of `bars`, removed whole on a recount
        self.bars: list = []
        self.values: list = []
        self.names: list = []
        self._ranked = False
        self._glyphs = None  # (names, values) as GlyphLabels, when ranked
        self.bar_marks = BarMarks(ax)  # what the bars draw: one collection
        self.show(database, result, fmt=fmt)

    def _set_count(self, n: int, ranked: bool = False) -> None:
        """n bars, values and names; the figure's height follows n.

        ranked: the bars are the best of a larger database, so their names change with
        the ranking: then names and values are drawn as glyph outlines (`GlyphLabels`,
        dynamic, a fraction of a millisecond) and a new order costs no full draw.
        """
        self._ranked = ranked
        if self._container is not None:
            self._container.remove()  # its bars, and itself from ax.containers
        for artist in (*self.values, *self.names, *self._glyph_artists()):
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
            ax.text(
                -0.03,
                j,
                "",
                transform=names,
                ha="right",
                va="center",
                fontsize=9.5,
            )
            for j in range(n)
        ]
        self._glyphs = None
        if ranked:  # the Text names and values stay, hidden, holding the same strings
            self._glyphs = (
                GlyphLabels(ax, size=9.5, transform=names, ha="right", offset=(-2.0, 0.0)),
                GlyphLabels(ax, size=9.5, transform=ax.transData, ha="left", offset=(4.0, 0.0)),
            )
            for artist in (*self.names, *self.values):
                artist.set_visible(False)
        self._dynamic = []
        for artist in (self.bar_marks.artist, *self.values, *self._glyph_artists()):
            self.dynamic(artist)
        height = 1.25 + 0.42 * max(n, 2)
        self.figure.set_size_inches(self.figure.get_figwidth(), height)
        self.title.set_y(1 - 0.08 / height)
        ax.set_ylim(n - 0.4, -0.6)  # first text at the top
        self._left = 0.0  # `_layout` places the axes for the new height
        self.invalidate()

    def static_key(self):
        names = None if self._ranked else tuple(t.get_text() for t in self.names)
        return (
            tuple(self.figure.get_size_inches()), self.ax.get_position().bounds, self.limits,
            self._cosine, self.title.get_text(), names, self._ranked, len(self.bars),
        )  # fmt: skip

    def _glyph_artists(self) -> tuple:
        return () if self._glyphs is None else tuple(g.artist for g in self._glyphs)

    _WIDTHS: dict = {}  # (name, dpi) -> its width in pixels at the names' size
    _WIDTHS_KEPT = 2000

    def _name_width(self, name: str) -> float:
        """A name's width in pixels, measured by the renderer once (half a millisecond)."""
        key = (name, self.figure.dpi)
        width = self._WIDTHS.get(key)
        if width is None:
            renderer = self.figure.canvas.get_renderer()
            prop = matplotlib.font_manager.FontProperties(size=9.5)
            if len(self._WIDTHS) >= self._WIDTHS_KEPT:
                self._WIDTHS.clear()
            width = self._WIDTHS[key] = renderer.get_text_width_height_descent(name, prop, False)[0]
        return width

    def _layout(self, names: list[str]) -> None:
        """Widen the left margin when a name does not fit (it never shrinks for a count)."""
        widest = max(self._name_width(t) for t in names)
        width, height = self.figure.get_size_inches()
        # A name ends 3 % of the axes' width left of them (x = -0.03; drawn as glyphs, 2
        # points further), and the axes run from `left` to 0.96: solve for the margin
        # that leaves 8 pixels before the name.
        widest += 2 * self.figure.dpi / 72 if self._ranked else 0.0
        left = ((widest + 8) / (width * self.figure.dpi) + 0.03 * 0.96) / 1.03
        if left > self._left:
            self._left = max(left, 0.08)
            self.ax.set_position((self._left, 0.62 / height, 0.96 - self._left, 1 - 1.07 / height))
            self.invalidate()

    def show(self, database, result, *, fmt: str | None = None) -> None:
        """Show another search; fmt "frac" (44/9) or a format spec such as ".3f"."""
        if fmt is not None:
            self.fmt = fmt
        scores = np.asarray(result.scores, dtype=float)  # (n,)
        texts = database.texts
        rank = {hit.index: r for r, hit in enumerate(result.hits, start=1)}
        best = None
        if scores.size > MAX_BARS:  # the best MAX_BARS, best first (ties: the order added)
            best = np.argsort(-scores, kind="stable")[:MAX_BARS]
            rank = {j: rank[i] for j, i in enumerate(best) if i in rank}
            texts, scores = [texts[i] for i in best], scores[best]
        if scores.size != len(self.bars) or (best is not None) != self._ranked:
            self._set_count(scores.size, ranked=best is not None)
        names = [_short(t) for t in texts]
        self._layout(names)
        cosine = result.metric == "cosine"
        fmt = distinct_decimals(scores) if cosine and self.fmt == "frac" else self.fmt
        limits = self._fit(scores, zoom=cosine)
        if (limits, cosine) != (self.limits, self._cosine):
            self.limits, self._cosine = limits, cosine
            self.ax.set_xlim(*limits)
            if cosine:  # a cosine is at most 1: no tick past it
                ticks = MaxNLocator(4, steps=[1, 2, 5, 10]).tick_values(limits[0], 1.0)
                self.ax.set_xticks([t for t in ticks if limits[0] - 1e-9 <= t <= 1 + 1e-9])
            else:
                self.ax.xaxis.set_major_locator(AutoLocator())
            self.x_ticks.show(*limits)
            self.invalidate()
        what = "cosine of the angle" if result.metric == "cosine" else "dot product"
        title = f"score = {what} with the query"
        if best is not None:
            title = f"the best {MAX_BARS} of {len(database.texts)} texts: {what} with the query"
        if limits[0] > 0:  # zoomed: the bars do not start at 0, and the title says so
            title += f" (axis from {limits[0]:g})"
        wanted = [title, *names]
        for text, new in zip([self.title, *self.names], wanted, strict=True):
            if text.get_text() != new:
                text.set_text(new)
                if text is self.title or not self._ranked:
                    self.invalidate()
        self.title_glyphs.set([title], [self.title.get_position()])
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
        self.bar_marks.set(self.bars)
        if self._glyphs is not None:
            rows = np.arange(scores.size)
            self._glyphs[0].set(names, np.column_stack([np.full(scores.size, -0.03), rows]))
            # values right of each bar's end, or of 0 for a negative bar (left-aligned)
            ends = np.column_stack([np.maximum(scores, 0.0), rows])
            colours = [HIT_COLOUR if j in rank else "#333333" for j in range(scores.size)]
            self._glyphs[1].set([v.get_text() for v in self.values], ends, colours)

    def _fit(self, scores: np.ndarray, zoom: bool = False) -> tuple[float, float]:
        """x limits holding 0, every bar and its printed value (30 % of the width).

        zoom (cosines, which are at most 1): when every score is well above 0, the axis
        starts just below the smallest, at a round number, so that scores of 0.987 and
        0.999 look different; the title then says where the axis starts.
        """
        if zoom and float(scores.min()) > 0.5:
            # at least 0.01: cosines that all tie at 1 (a flattened picture) get an axis
            # from 0.98, not one from 0.9998 with ticks too long to read
            spread = max(1.0 - float(scores.min()), 0.01)
            step = 10.0 ** np.floor(np.log10(spread))
            x0 = max(0.0, np.floor((float(scores.min()) - 1.5 * spread) / step) * step)
            x0 = float(np.round(x0, 6))
            return (x0, 1.0 + 0.55 * (1.0 - x0))
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
