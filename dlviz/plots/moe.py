"""The mixture of experts' pictures (notebook 3): the gate's choices and the load per expert."""

from __future__ import annotations

import matplotlib
import matplotlib.axes
import matplotlib.collections
import matplotlib.font_manager
import matplotlib.textpath
import matplotlib.transforms
import numpy as np

from dlviz._format import format_number, labels
from dlviz.palette import text_colour
from dlviz.plots._glyphs import outlined
from dlviz.plots.base import GlyphLabels, Heatmap
from dlviz.plots.moe_load import DROPPED_COLOUR

# The gate picture shows at most this many tokens, the first ones: beyond that a cell is
# too narrow to read. The load bars count every token.
GATE_MAX_TOKENS = 12
CHOSEN_COLOUR = "#000000"  # outlines and badges: black on a white edge shows on any cell


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
    colour alone. With a capacity factor, a chosen slot that was dropped (its expert
    was full) is crossed out: a dark-red ✗ on a white edge in the opposite corner, or
    across the whole cell when the cell has no number.

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
            figsize = (min(2.4 + 0.8 * cols, 8.0), min(2.25 + 0.55 * rows, 5.25))
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
            left=0.75 / fig_w, right=1 - 0.35 / fig_w, top=1 - 0.6 / fig_h, bottom=1.24 / fig_h
        )
        # Heatmap's numbers and tick labels give way to glyph labels of its own (see above).
        self._dynamic.remove(self.numbers.artist)
        self.numbers.artist.remove()
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
        self.cross_halo = collections.LineCollection(
            [], colors="white", linewidths=5, capstyle="round"
        )
        self.crosses = collections.LineCollection(
            [], colors=DROPPED_COLOUR, linewidths=2.5, capstyle="round"
        )
        for artist in (self.halo, self.best, self.others, self.cross_halo, self.crosses):
            ax.add_collection(artist, autolim=False)
        # Badges: a white disc with a black rim, and the rank as a marker on it.
        disc = ax.scatter([], [], s=144, c="white", edgecolors=CHOSEN_COLOUR, lw=1.2)
        self.discs = outlined(disc)  # its box from its points: see `Outline`
        self.ranks = [
            outlined(ax.scatter([], [], s=52, c=CHOSEN_COLOUR, marker=f"${r}$", lw=0))
            for r in range(1, rows + 1)
        ]
        for artist in (
            self.numbers.artist,
            self.halo, self.best, self.others, self.cross_halo, self.crosses, self.discs,
            *self.ranks,
        ):  # fmt: skip
            self.dynamic(artist)
        # The caption under the cells: a first line that never changes (a static Text,
        # drawn once), then the lines that do (glyph labels, in place of Heatmap's title).
        self.figure.text(
            0.5, 1.04 / fig_h, "gate probabilities softmax(gate_W·x + b)",
            ha="center", va="top", fontsize=11,
        )  # fmt: skip
        self._dynamic.remove(self.title_glyphs.artist)
        self.title_glyphs.artist.remove()
        self.notes = GlyphLabels(self.figure, size=11, transform=self.figure.transFigure, va="top")
        # Around the cells, changing with the shape or the rules only: kept drawn (seldom).
        for glyphs in (self.token_labels, self.expert_labels, self.notes):
            self.dynamic(glyphs.artist, seldom=True)
        self.caption = ""
        self.image.colorbar.set_ticks([0.0, 0.5, 1.0])
        self.view: tuple[int, int] | None = None
        self.printed = False
        self.chosen_cells: dict[tuple[int, int], int] = {}  # (expert, token) -> rank, 1 = best
        self.dropped_cells: set[tuple[int, int]] = set()  # (expert, token) crossed out
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
        # The cross of a dropped slot: in the top-left corner beside a number (the badge
        # has the top-right one, the number sits low), else across the cell (the badge
        # sits on top of it in the middle).
        if self.printed:
            half = np.array([0.6 * across / w_pt, 0.6 * across / h_pt])  # a bit over a badge
            centre = np.array([-self._corner[0], self._corner[1]])
            self._cross = (centre, half)  # (from the cell's centre, half size)
        else:  # a square cross, 80 % of the cell's shorter side
            side = 0.4 * min(w_pt, h_pt)
            self._cross = (np.zeros(2), np.array([side / w_pt, side / h_pt]))
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
        self.image.set_array(self._masked(values, inside))
        self.image.stale = True  # (set_array does not mark it: it would not be drawn)
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
        dropped = result.dropped[:, :shown]  # (top_k, shown)
        self.dropped_cells = {
            (int(chosen[r, t]), t) for r, t in zip(*np.nonzero(dropped), strict=True)
        }
        centre, half = self._cross
        crosses = []
        for e, t in sorted(self.dropped_cells):
            x, y = np.array([t, e]) + centre
            dx, dy = half
            crosses += [[(x - dx, y - dy), (x + dx, y + dy)], [(x - dx, y + dy), (x + dx, y - dy)]]
        self.crosses.set_segments(crosses)
        self.cross_halo.set_segments(crosses)
        self.discs.set_offsets(np.array([p for ps in at.values() for p in ps]).reshape(-1, 2))
        for rank, scatter in zip(at, self.ranks, strict=True):
            scatter.set_offsets(np.array(at[rank]).reshape(-1, 2))
        self.caption = gate_caption(result, shown, self.printed)
        fig_h = self.figure.get_figheight()
        self.notes.set_lines(self.caption, 0.5, 0.8 / fig_h, 0.235 / fig_h)

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
    if result.capacity is not None:
        first += f"\n✗ dropped: its expert was full (capacity {result.capacity})"
    notes = []
    if shown < n_tokens:
        notes.append(f"the first {shown} of {n_tokens} tokens")
    if not printed:
        notes.append("cells too small for numbers")
    return first + ("\n" + " · ".join(notes) if notes else "")
