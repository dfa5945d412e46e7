"""Many short labels drawn as one collection of glyph outlines (`GlyphLabels`).

The pictures' numbers, names and captions that change with the numbers: a matplotlib
Text each would cost about half a millisecond a frame at 2× density.
"""

from __future__ import annotations

import matplotlib
import matplotlib.axes
import matplotlib.collections
import matplotlib.font_manager
import matplotlib.path
import matplotlib.textpath
import matplotlib.transforms
import numpy as np


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
    digit, so a row of labels lines up), `offset` moves every label by (dx, dy)
    points, and `weight` is the font's ("normal" or "bold").
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
        weight: str = "normal",
    ):
        self.size, self.ha, self.va, self.offset = size, ha, va, offset
        self.font = matplotlib.font_manager.FontProperties(weight=weight)
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
        self._shown = None  # (texts, positions, colours, look) as last set

    def _path(self, text: str):
        key = (text, self.size, self.ha, self.va, self.offset, self.font.get_weight())
        path = self._cache.get(key)
        if path is None:
            raw = _outline(text, self.size, self.font)
            x0, x1 = _ink(raw)[::2]
            _, y0, _, y1 = _ink(_outline("0", self.size, self.font))
            dx = {"center": -(x0 + x1) / 2, "left": -x0, "right": -x1}[self.ha]
            dy = {"center": -(y0 + y1) / 2, "bottom": -y0, "top": -y1}
            move = matplotlib.transforms.Affine2D().translate(
                dx + self.offset[0], dy[self.va] + self.offset[1]
            )
            if len(self._cache) >= self._CACHE_LIMIT:
                self._cache.clear()
            moved = raw.transformed(move)
            path = self._cache[key] = Outline(moved.vertices, moved.codes)
        return path

    def set(self, texts, positions, colours="#000000") -> None:
        """Show `texts` at `positions` ((n, 2)), in one colour or one colour each.

        The same labels again leave the artist as it is (not stale): a picture that
        keeps it drawn (`LiveFigure.dynamic(..., seldom=True)`) need not draw it again.
        """
        texts = list(texts)
        positions = np.array(positions, dtype=float).reshape(-1, 2)  # a copy, kept
        look = (self.size, self.ha, self.va, self.offset, self.font.get_weight())
        if self._shown is not None:
            old_texts, old_positions, old_colours, old_look = self._shown
            if (
                texts == old_texts
                and look == old_look
                and np.array_equal(positions, old_positions)
                and _same_colours(colours, old_colours)
            ):
                return
        self._shown = (texts, positions, colours, look)
        self.texts = texts
        self.artist.set_paths([self._path(t) for t in self.texts])
        self.artist.set_offsets(positions)
        self.artist.set_facecolor(colours)

    def set_lines(self, text: str, x: float, y: float, step: float, colour="#000000") -> None:
        """Show the lines of `text` one under another: the first at (x, y), each `step` lower."""
        lines = text.split("\n") if text else []
        self.set(lines, [(x, y - i * step) for i in range(len(lines))], colour)


class TickLabels(GlyphLabels):
    """One axis' tick labels as glyph outlines, in place of matplotlib's Text ones.

    Added to the axes and not animated, they are drawn with the static part; as Text,
    tick labels took about half of a full draw, which every move to new axes limits
    pays. Placed as matplotlib places them (the tick's length and pad from the axes)
    and saying what its locator and formatter say: call `show(low, high)` after new
    limits. `which`: "x" or "y".
    """

    def __init__(self, ax, which: str, *, size: float):
        x = which == "x"
        ax.tick_params(axis=which, **{"labelbottom" if x else "labelleft": False})
        rc = matplotlib.rcParams
        gap = rc[f"{which}tick.major.size"] + rc[f"{which}tick.major.pad"]
        super().__init__(
            ax, size=size,
            transform=ax.get_xaxis_transform() if x else ax.get_yaxis_transform(),
            ha="center" if x else "right", va="top" if x else "center",
            offset=(0.0, -gap) if x else (-gap, 0.0),
        )  # fmt: skip
        self.axis = ax.xaxis if x else ax.yaxis

    def show(self, low: float, high: float) -> None:
        """The labels of the ticks between `low` and `high` (the axis' new limits)."""
        room = 1e-9 * (high - low)
        ticks = [t for t in self.axis.get_majorticklocs() if low - room <= t <= high + room]
        names = self.axis.get_major_formatter().format_ticks(ticks)
        x = self.axis is self.axis.axes.xaxis
        self.set(names, [(t, 0.0) if x else (0.0, t) for t in ticks])

    def widest(self) -> float:
        """The widest label's width, in points."""
        return max((self._path(t).get_extents().width for t in self.texts), default=0.0)


class Outline(matplotlib.path.Path):
    """A path whose box is the box of its points, not of its curves.

    A collection of one path (a caption, every marker of a scatter) asks for the path's
    box on each draw, to stamp it as a marker; `Path.get_extents` finds each curve's
    extremes in Python, up to a millisecond for a circle or a digit. A curve lies
    inside its control points, so their box holds the curve: for a glyph it is the
    same box (a font puts a point at each extreme), for a circle slightly larger, and
    the collection only compares it with the figure's size.
    """

    def get_extents(self, transform=None, **kwargs):
        points = self.vertices
        if self.codes is not None:
            points = points[self.codes != matplotlib.path.Path.CLOSEPOLY]
        if transform is not None:
            points = transform.transform(points)
        if len(points) == 0:
            return matplotlib.transforms.Bbox.null()
        return matplotlib.transforms.Bbox([points.min(axis=0), points.max(axis=0)])


def outlined(collection):
    """`collection` with its paths made `Outline`s (a scatter's marker): returns it."""
    collection.set_paths([Outline(p.vertices, p.codes) for p in collection.get_paths()])
    return collection


def _same_colours(a, b) -> bool:
    """Whether two colour arguments of `GlyphLabels.set` are the same (a name, or one each)."""
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    try:
        return np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    except (TypeError, ValueError):
        return False


_glyph_maps: dict = {}  # font file -> {glyph id: its outline}, shared by every label


def _outline(text: str, size: float, font) -> matplotlib.path.Path:
    """`text`'s glyph outlines in points, as `TextPath((0, 0), text, size, font)` gives.

    TextPath extracts every glyph's outline again for each string, about a millisecond
    a label; here an outline is extracted once per glyph and kept, and a new string
    costs a tenth of that: new numbers after a move are outlined within the frame.
    """
    if "$" in text:  # mathtext: TextPath's own parser
        return matplotlib.textpath.TextPath((0, 0), text, size=size, prop=font)
    to_path = matplotlib.textpath.text_to_path
    prop = font.copy()
    prop.set_size(size)
    ft_font = to_path._get_font(prop)
    glyphs = _glyph_maps.setdefault(ft_font.fname, {})
    placed, new, rects = to_path.get_glyphs_with_font(
        ft_font, text, glyph_map=glyphs, return_new_glyphs_only=True
    )
    glyphs.update(new)
    vertices, codes = [np.empty((0, 2))], [np.empty(0, np.uint8)]
    for glyph, x, y, scale in placed:
        glyph_vertices, glyph_codes = glyphs[glyph]
        vertices.append(np.asarray(glyph_vertices) * scale + (x, y))
        codes.append(np.asarray(glyph_codes, np.uint8))
    for rect_vertices, rect_codes in rects:
        vertices.append(np.asarray(rect_vertices, float))
        codes.append(np.asarray(rect_codes, np.uint8))
    scale = size / to_path.FONT_SCALE
    return matplotlib.path.Path(np.concatenate(vertices) * scale, np.concatenate(codes))


def _ink(path: matplotlib.path.Path) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a glyph outline, from its points.

    `Path.get_extents` finds each curve's extremes (7 ms for a short label); a font puts
    a point on the outline at every extreme, so the points' box is the same box.
    """
    points = path.vertices[path.codes != matplotlib.path.Path.CLOSEPOLY]
    if len(points) == 0:
        return (0.0, 0.0, 0.0, 0.0)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return (float(x0), float(y0), float(x1), float(y1))
