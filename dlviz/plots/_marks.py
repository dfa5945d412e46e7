"""Annotations drawn fast: arrows from the origin, placed labels on their boxes, hatching.

A matplotlib arrow patch or a Text with a box costs milliseconds a frame at 2× density;
these draw all arrows as one collection of shafts and one of heads, and all labels as
glyph outlines (`GlyphLabels`) on one collection of boxes. The `Annotation`s stay the
model: where each arrow points and each label sits (placed by `_layout.place_labels`),
what it says, its colour, width and weight; they are animated, so no full draw paints
them, and what is drawn is read from them on each `set`.
"""

from __future__ import annotations

import matplotlib
import matplotlib.collections
import matplotlib.colors
import matplotlib.patches
import matplotlib.path
import matplotlib.transforms
import numpy as np

from dlviz.plots._glyphs import GlyphLabels


class ArrowMarks:
    """Arrows from the data origin to each `Annotation`'s `xy`, as `-|>` arrows look."""

    def __init__(self, ax):
        self.ax = ax
        pixels = matplotlib.transforms.IdentityTransform()
        self.shafts = matplotlib.collections.LineCollection([], transform=pixels)
        self.heads = matplotlib.collections.PathCollection([], transform=pixels)
        ax.add_collection(self.shafts, autolim=False)
        ax.add_collection(self.heads, autolim=False)
        self.artists = (self.shafts, self.heads)

    def set(self, arrows) -> None:
        """Draw the shown `arrows`: the tip 3 points short of its point (`shrinkB`), a
        filled head 0.4 long and 0.4 wide in units of the style's 10-point scale, the
        shaft up to the head, in each arrow patch's colour and width."""
        to_px = self.ax.transData.transform
        origin = to_px((0.0, 0.0))
        points = self.ax.figure.dpi / 72
        shafts, heads, colours, widths = [], [], [], []
        for arrow in arrows:
            if not arrow.get_visible():
                continue
            along = to_px(arrow.xy) - origin
            length = float(np.hypot(*along))
            if length == 0:
                continue
            unit = along / length
            across = np.array([-unit[1], unit[0]])
            tip = origin + unit * max(length - 3 * points, 0.0)
            scale = 10 * points  # the arrow style's mutation scale, in pixels
            base = tip - unit * 0.4 * scale
            shafts.append([origin, base])
            heads.append(matplotlib.path.Path(
                [tip, base + across * 0.2 * scale, base - across * 0.2 * scale, tip],
                closed=True,
            ))  # fmt: skip
            colours.append(arrow.arrow_patch.get_edgecolor())
            widths.append(arrow.arrow_patch.get_linewidth())  # points, as collections take
        self.shafts.set_segments(shafts)
        self.shafts.set_color(colours)
        self.shafts.set_linewidth(widths)
        self.heads.set_paths(heads)
        self.heads.set_facecolor(colours)
        self.heads.set_edgecolor(colours)
        self.heads.set_linewidth(widths)


class LabelMarks:
    """Placed labels: each text as glyph outlines, centred on its box, in its colour and
    weight; `box` is the labels' bbox style (its "boxstyle", "facecolor", "alpha")."""

    def __init__(self, ax, *, size: float, box: dict):
        self.figure = ax.figure
        pixels = matplotlib.transforms.IdentityTransform()
        fill = matplotlib.colors.to_rgba(box.get("facecolor", "white"), box.get("alpha", 1.0))
        self.boxes = matplotlib.collections.PathCollection(
            [], transform=pixels, facecolors=[fill], edgecolors="none"
        )
        ax.add_collection(self.boxes, autolim=False)
        self.names = GlyphLabels(ax, size=size, transform=pixels)
        self.bold_names = GlyphLabels(ax, size=size, transform=pixels, weight="bold")
        self.artists = (self.boxes, self.names.artist, self.bold_names.artist)
        self._style = matplotlib.patches.BoxStyle(box["boxstyle"])

    def set(self, labels, where=None) -> None:
        """Draw the shown `labels` (placed `Annotation`s) where they lie: `where` gives
        their boxes ((n, 4) pixels, as `place_labels` returns them), or else each label's
        window extent is asked for (a text layout each, about half a millisecond)."""
        renderer = self.figure.canvas.get_renderer()
        boxes, parts = [], {"normal": ([], [], []), "bold": ([], [], [])}
        for i, label in enumerate(labels):
            if not (label.get_visible() and label.get_text()):
                continue
            if where is None:
                box = label.get_window_extent(renderer)  # pixels
            else:
                box = matplotlib.transforms.Bbox.from_extents(*where[i])
            size = label.get_fontsize() * self.figure.dpi / 72  # the box's pad scales with it
            boxes.append(self._style(box.x0, box.y0, box.width, box.height, size))
            weight = "bold" if label.get_fontweight() == "bold" else "normal"
            texts, positions, colours = parts[weight]
            texts.append(label.get_text().replace(r"\$", "$"))  # drawn as typed
            positions.append(((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2))
            colours.append(label.get_color())
        self.boxes.set_paths(boxes)
        for glyphs, (texts, positions, colours) in zip(
            (self.names, self.bold_names), parts.values(), strict=True
        ):
            glyphs.set(texts, np.reshape(positions, (-1, 2)), colours or "#000000")


class BarMarks:
    """Rectangles drawn as one collection: each in its own fill, edge colour and width.

    A bar patch costs about 0.3 ms a frame at 2× density, whatever its size; the
    `Rectangle`s stay the model (where each bar is, its colours, shown or not), animated
    so that no full draw paints them, and what is drawn is read from them on each `set`.
    """

    def __init__(self, ax):
        self.artist = matplotlib.collections.PolyCollection(
            [],
            closed=True,
            joinstyle="miter",  # as a patch joins its corners
        )
        ax.add_collection(self.artist, autolim=False)

    def set(self, rectangles) -> None:
        """Draw the shown `rectangles` (patches in data coordinates) as they are."""
        corners, faces, edges, widths = [], [], [], []
        for rect in rectangles:
            rect.set_animated(True)  # the model: drawn here
            if not rect.get_visible():
                continue
            x, y, w, h = rect.get_x(), rect.get_y(), rect.get_width(), rect.get_height()
            corners.append([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
            faces.append(rect.get_facecolor())
            edges.append(rect.get_edgecolor())
            widths.append(rect.get_linewidth())
        self.artist.set_verts(corners)
        self.artist.set_facecolor(faces or "none")
        self.artist.set_edgecolor(edges or "none")
        self.artist.set_linewidth(widths or 0.0)


class HatchMarks:
    """The "///" hatching of rectangles, as one collection of line segments.

    matplotlib hatches a patch by tiling a pattern, about 1.5 ms a bar at 2× density;
    here the same stripes (rising at 45°, a ninth of an inch apart along x, as
    matplotlib spaces "///", `hatch.linewidth` wide, in line with the canvas so
    neighbours' stripes continue) are cut to each rectangle and drawn in one call.
    """

    LINES_PER_INCH = 9  # "///": 18 lines across the unit square's diagonal extent of 2

    def __init__(self, ax, colour):
        self.ax = ax
        self.artist = matplotlib.collections.LineCollection(
            [], colors=colour, linewidths=matplotlib.rcParams["hatch.linewidth"],
            transform=matplotlib.transforms.IdentityTransform(),  # pixels
        )  # fmt: skip
        ax.add_collection(self.artist, autolim=False)

    def set(self, rectangles) -> None:
        """Hatch the shown `rectangles` (patches in data coordinates) where they lie."""
        spacing = self.ax.figure.dpi / self.LINES_PER_INCH  # pixels between stripes
        to_px = self.ax.transData.transform
        segments = []
        for rect in rectangles:
            if not rect.get_visible() or rect.get_width() == 0 or rect.get_height() == 0:
                continue
            x, y, w, h = rect.get_x(), rect.get_y(), rect.get_width(), rect.get_height()
            (x0, y0), (x1, y1) = np.sort(to_px([(x, y), (x + w, y + h)]), axis=0)
            # the stripes y = x + c, c a multiple of the spacing, that cross the box
            c = np.arange(np.ceil((y0 - x1) / spacing), np.floor((y1 - x0) / spacing) + 1)
            c = c * spacing
            start, stop = np.maximum(x0, y0 - c), np.minimum(x1, y1 - c)
            keep = stop > start
            c, start, stop = c[keep], start[keep], stop[keep]
            segments.append(np.stack([np.c_[start, start + c], np.c_[stop, stop + c]], axis=1))
        self.artist.set_segments(np.concatenate(segments) if segments else [])
