"""The mixture of experts' load (notebook 3): tokens per expert, capacity, dropped, the loss."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from dlviz._format import format_number, labels
from dlviz.palette import ORANGE, text_colour
from dlviz.plots._marks import BarMarks, HatchMarks
from dlviz.plots.base import GlyphLabels, LiveFigure

BALANCED_COLOUR = ORANGE  # the orange end of the grids' PuOr map: apart from blue for all
DROPPED_COLOUR = "#b2182b"  # capacity and what it drops: dark red, drawn solid or hatched
BAR_COLOUR = "#6baed6"
BAR_EDGE = "#08306b"
TOP = 1.15  # the share axis runs to 115 % at most: room above a full bar for its count
# The axis' top goes up and down in these coarse steps only (each change redraws the
# static background once): the first that holds the tallest bar with room for its count
# and both lines.
TOPS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, TOP)
INSIDE_COUNT_COLOUR = text_colour(to_rgb(BAR_COLOUR))  # on the bar: by contrast
COUNT_SIZE = 11  # points
COUNT_PAD = 3  # points between a count and the top of its bar


class LoadBars(LiveFigure):
    """The load: how many tokens each expert got, against the balanced load and its capacity.

    Beyond the sheet. One bar per expert, its count printed on it; the height is the
    expert's share of all routed slots (top-k routing gives each token k slots, so the
    counts add up to k × n_tokens). The dashed line is the balanced share 1/n_experts,
    the load every expert would carry if the gate spread the tokens evenly. With a
    capacity factor, the solid dark-red line is each expert's capacity and the part of
    a bar above it, hatched, is what that expert dropped. The caption gives the
    load-balancing loss and the number of dropped slots.

    The share axis fits the data: it runs to the first of a few coarse tops (`TOPS`)
    that holds the tallest bar, its count and both lines, so eight experts' bars are
    not squashed under an axis to 100 %. Only a change of that top redraws the axes
    (`invalidate`); the expert names and counts are `GlyphLabels`, so every other
    update is a blit. A count sits inside the top of its kept bar, in black or white
    by contrast, or above the bar when the bar is too short: never on the hatching.
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
            figsize = (min(2.7 + 0.4 * self.max_experts, 6.0), 3.6)
        super().__init__(figsize)
        ax = self.ax = self.figure.add_subplot()
        places = np.arange(self.max_experts)
        zeros = np.zeros(self.max_experts)
        self.bars = list(
            ax.bar(places, zeros, width=0.7, color=BAR_COLOUR, edgecolor=BAR_EDGE, linewidth=1.2)
        )
        # The dropped part of each bar: hatched, on top of the kept part (the stripes
        # are `HatchMarks`: a hatched patch costs 1.5 ms a frame).
        self.dropped_bars = list(
            ax.bar(
                places, zeros, width=0.7, color="white", edgecolor=DROPPED_COLOUR,
                linewidth=1.2,
            )
        )  # fmt: skip
        self.bar_marks = BarMarks(ax)  # what the bars draw: one collection each
        self.dropped_marks = BarMarks(ax)
        self.hatching = HatchMarks(ax, DROPPED_COLOUR)
        self.counts = GlyphLabels(ax, size=COUNT_SIZE, transform=ax.transData)
        self.names = GlyphLabels(
            ax, size=10, transform=ax.get_xaxis_transform(), va="top", offset=(0, -5)
        )
        # Capacity: a wide solid line; the balanced load: a narrower dashed one drawn on
        # top, so where the two nearly coincide (8 against 8.25) both still show.
        self.capacity_line = ax.axhline(0, color=DROPPED_COLOUR, lw=4, solid_capstyle="butt")
        self.balanced = ax.axhline(0, color=BALANCED_COLOUR, lw=2, ls=(0, (4, 2.5)))
        # Labelled at their right ends, outside the axes, where no bar can hide them.
        side = {"size": 10, "transform": ax.get_yaxis_transform(), "ha": "left", "offset": (6, 0)}
        self.balanced_label = GlyphLabels(ax, **side)
        self.capacity_label = GlyphLabels(ax, **side)
        self.caption = ""
        self.caption_lines = GlyphLabels(
            self.figure, size=11, transform=self.figure.transFigure, va="top"
        )
        for artist in (
            self.bar_marks.artist, self.dropped_marks.artist, self.hatching.artist,
            self.capacity_line, self.balanced,
            self.counts.artist, self.caption_lines.artist,
        ):  # fmt: skip
            self.dynamic(artist)
        # Below and beside the bars, changing with the shape or the slots only: kept drawn.
        for glyphs in (self.names, self.balanced_label, self.capacity_label):
            self.dynamic(glyphs.artist, seldom=True)
        self.top: float | None = None
        ax.set_xticks([])
        ax.yaxis.grid(True, color="#e0e0e0")
        ax.set_axisbelow(True)
        ax.set_ylabel("share of the routed tokens", fontsize=11)
        ax.set_xlabel("expert", fontsize=11, labelpad=20)  # clear of the names
        ax.tick_params(length=0, labelsize=10)
        for side_name in ("top", "right"):
            ax.spines[side_name].set_visible(False)
        self.figure.subplots_adjust(
            left=0.85 / figsize[0], right=1 - 1.0 / figsize[0],
            top=1 - 0.2 / figsize[1], bottom=1.33 / figsize[1],
        )  # fmt: skip
        self.n_experts: int | None = None
        self.show(result)

    def show(self, result) -> None:
        """Show the load of another `MoEResult` in place."""
        counts = np.asarray(result.tokens_per_expert)  # (n_experts,): routed
        kept = np.asarray(result.kept_per_expert)  # (n_experts,): served
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
        share, kept_share = counts / slots, kept / slots  # (n_experts,) each
        balanced = 1 / n_experts
        capacity = result.capacity
        on_scale = capacity is not None and capacity / slots <= 1.0
        self._fit_axis(share.max(), balanced, capacity / slots if on_scale else 0.0)
        per_point = self.top / (72 * self.ax.get_position().height * self.figure.get_figheight())
        for i, (bar, over) in enumerate(zip(self.bars, self.dropped_bars, strict=True)):
            bar.set_visible(i < n_experts)
            over.set_visible(i < n_experts and counts[i] > kept[i])
            if i < n_experts:
                bar.set_height(kept_share[i])
                over.set_y(kept_share[i])
                over.set_height(share[i] - kept_share[i])
        self.bar_marks.set(self.bars)
        self.dropped_marks.set(self.dropped_bars)
        self.hatching.set(self.dropped_bars)
        on_lines = [balanced] + ([capacity / slots] if on_scale else [])
        heights, inside = _count_places(share, kept_share, per_point, on_lines)
        self.counts.set(
            [str(int(c)) for c in counts],
            np.c_[np.arange(n_experts), heights],
            [INSIDE_COUNT_COLOUR if i else "#000000" for i in inside],
        )

        self.balanced.set_ydata([balanced, balanced])
        step = 14 * per_point  # a label line, in share units
        lines = {"balanced": (balanced, f"balanced:\n{format_number(slots / n_experts)} each")}
        self.capacity_line.set_visible(on_scale)
        if on_scale:
            at = capacity / slots
            self.capacity_line.set_ydata([at, at])
            lines["capacity"] = (at, f"capacity:\n{capacity} each")
        places = _label_places(lines, step)
        self.balanced_label.set_lines(
            lines["balanced"][1], 1.0, places["balanced"], step, BALANCED_COLOUR
        )
        if on_scale:
            self.capacity_label.set_lines(
                lines["capacity"][1], 1.0, places["capacity"], step, DROPPED_COLOUR
            )
        else:
            self.capacity_label.set([], [])
        self.caption = load_caption(result)
        fig_h = self.figure.get_figheight()
        self.caption_lines.set_lines(self.caption, 0.5, 0.78 / fig_h, 0.235 / fig_h)

    def _fit_axis(self, tallest: float, balanced: float, capacity: float) -> None:
        """The share axis' top: the first of `TOPS` holding everything; redraw only on change."""
        need = max(tallest * 1.2, balanced * 1.1, capacity * 1.1)
        top = next((t for t in TOPS if t >= need - 1e-9), TOP)
        if top == self.top:
            return
        self.top = top
        tick = 0.05 if top <= 0.2 else 0.1 if top <= 0.6 else 0.25
        ticks = np.arange(0, min(top, 1.0) + 1e-9, tick)
        self.ax.set_ylim(0, top)
        self.ax.set_yticks(ticks, ["0", *(f"{round(t * 100)} %" for t in ticks[1:])])
        self.invalidate()

    def static_key(self):
        return self.top  # the share axis: the one static part that changes

    def __repr__(self) -> str:
        return f"<LoadBars {self.n_experts} experts: {self.caption!r}>"


def _count_places(share, kept_share, per_point: float, lines=()):
    """Where each count goes (the centre of its digits, in share units) and whether inside.

    Inside the top of the kept (solid) part of its bar when that part is tall enough
    to hold it, else just above the whole bar: never on the hatched, dropped part. A
    count that one of the horizontal `lines` (shares) would cross moves just below the
    line while it still fits inside its bar, else above the line and the whole bar.
    """
    half = 0.36 * COUNT_SIZE * per_point  # half a digit's height
    pad = COUNT_PAD * per_point
    inside = kept_share >= 2 * (half + pad) + 2 * per_point
    line = 2 * per_point  # half the capacity line, which the kept part ends at when full
    heights = np.where(inside, kept_share - pad - line - half, share + pad + half)
    clear = half + 4 * per_point  # half a digit, half the line (1 point), 3 points of air
    for y in sorted(lines):
        crossed = np.abs(heights - y) < clear
        below = y - clear
        fits = inside & (below - half >= pad) & (below + half <= kept_share - pad - line)
        above = np.maximum(y + clear, share + pad + half)
        heights = np.where(crossed, np.where(fits, below, above), heights)
        inside = np.where(crossed, fits, inside)
    return heights, inside


def _label_places(lines: dict[str, tuple[float, str]], step: float) -> dict[str, float]:
    """Where the first line of each two-line label goes, beside the end of its line.

    Alone, a label straddles its line. Two lines closer than two label lines would
    make the labels overlap: then the higher line's label goes above it and the lower
    line's below it (the balanced one above when they coincide).
    """
    places = {name: y + step / 2 for name, (y, _) in lines.items()}
    if len(lines) == 2:
        (y_bal, _), (y_cap, _) = lines["balanced"], lines["capacity"]
        if abs(y_bal - y_cap) < 2 * step:
            high, low = ("capacity", "balanced") if y_cap > y_bal else ("balanced", "capacity")
            places[high] = lines[high][0] + 1.6 * step
            places[low] = lines[low][0] - 0.6 * step
    return places


def load_caption(result) -> str:
    """The load picture's caption: tokens and slots, the busiest and idle experts, the loss."""
    counts = np.asarray(result.tokens_per_expert)
    top_k, n_tokens = result.chosen.shape
    slots = top_k * n_tokens
    first = f"tokens per expert: {n_tokens} tokens"
    if top_k > 1:
        first += f" × top-{top_k} = {slots} slots"
    second = f"busiest: {counts.max() / (slots / counts.shape[0]):.2f} × balanced"
    idle = [f"e{i + 1}" for i in np.flatnonzero(counts == 0)]
    if idle:
        second += " · idle: " + ", ".join(idle)
    third = f"balance loss {result.aux_loss:.2f} (1 if first choices even)"
    if result.capacity is not None:
        dropped = int(result.dropped.sum())
        third += f" · dropped {dropped} of {slots}"
        if result.capacity / slots > 1.0:
            third += f" (capacity {result.capacity})"
    return f"{first}\n{second}\n{third}"
