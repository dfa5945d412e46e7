"""Where things go on a plot: labels beside their points, axes that keep one unit square.

Generic layout for any matplotlib axes, used by the vector database's pictures: no
colours and no exercise here. Sizes come from the figure's renderer, so a fit is exact
for the font in use.
"""

from __future__ import annotations

import numpy as np

# Where a label may sit around its point, in points (1/72 inch); alignment follows the signs.
_LABEL_OFFSETS = (
    (9, 0), (7, 7), (7, -7), (0, 10), (0, -10), (-9, 0), (-7, 7), (-7, -7),
    (16, 12), (16, -12), (-16, 12), (-16, -12), (0, 22), (0, -22),
)  # fmt: skip


def _label_alignment(dx: float, dy: float) -> tuple[str, str]:
    ha = "left" if dx > 0 else "right" if dx < 0 else "center"
    va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
    return ha, va


def _overlaps(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The area each of `boxes` (c, 4) shares with all of `others` (m, 4), summed: (c,).

    Boxes are (x0, y0, x1, y1) in pixels.
    """
    w = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(
        boxes[:, None, 0], others[None, :, 0]
    )  # (c, m)
    h = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(
        boxes[:, None, 1], others[None, :, 1]
    )  # (c, m)
    return (np.clip(w, 0, None) * np.clip(h, 0, None)).sum(axis=1)


def _candidate_boxes(anchor_px, size, offsets_px, aligns) -> np.ndarray:
    """The box (x0, y0, x1, y1) a label of `size` (w, h) takes at each offset: (c, 4)."""
    w, h = size
    x = anchor_px[0] + offsets_px[:, 0]  # (c,)
    y = anchor_px[1] + offsets_px[:, 1]
    x0 = np.where(aligns[:, 0] == 0, x - w / 2, np.where(aligns[:, 0] > 0, x, x - w))
    y0 = np.where(aligns[:, 1] == 0, y - h / 2, np.where(aligns[:, 1] > 0, y, y - h))
    return np.stack([x0, y0, x0 + w, y0 + h], axis=1)


_SIZES: dict = {}  # (text, font, rotation, dpi) -> (width, height) in pixels
_SIZES_KEPT = 2000


def _label_size(label, renderer, dpi: float) -> tuple[float, float]:
    """A label's (width, height) in pixels: measured by the renderer once per text and font.

    A text's layout costs about a millisecond; the names on a picture seldom change.
    """
    font = label.get_fontproperties()
    key = (
        label.get_text(), tuple(font.get_family()), font.get_style(), font.get_weight(),
        font.get_stretch(), font.get_size_in_points(), label.get_rotation(),
        label.get_linespacing(), dpi,
    )  # fmt: skip
    size = _SIZES.get(key)
    if size is None:  # the alignment moves the box, not its size
        extent = label.get_window_extent(renderer)
        if len(_SIZES) >= _SIZES_KEPT:
            _SIZES.clear()
        size = _SIZES[key] = (extent.width, extent.height)
    return size


def place_labels(
    figure, ax, labels, anchors, *, avoid=(), away_from=None, radius: float = 6.0
) -> np.ndarray:
    """Move each label (an `Annotation` in offset points) to a free spot beside its anchor.

    Greedy, in the order given (put the important labels first): a label takes the
    first offset where it covers no label placed before it, no point of `avoid`
    ((m, 2), data coordinates, each kept clear `radius` pixels around) and stays inside
    the axes, or else the offset where it covers least. With `away_from` (a point),
    offsets pointing away from it are tried first. Each label's size comes from the
    figure's renderer (so the fit is exact for the font in use), once per text and
    font; its boxes at every offset follow by arithmetic, and all overlaps are counted
    at once, so the work grows with labels × points, not with matplotlib text layouts.

    Returns where each label now lies: (len(labels), 4) boxes x0, y0, x1, y1 in pixels,
    as the label's `get_window_extent` gives them, without its text layout.
    """
    renderer = figure.canvas.get_renderer()
    frame = np.array([ax.get_window_extent(renderer).extents])  # (1, 4) pixels
    to_px = ax.transData.transform
    r = radius
    points = to_px(np.reshape(avoid, (-1, 2)))  # (m, 2) pixels
    taken = [np.column_stack([points - r, points + r])]  # boxes (m, 4): x0, y0, x1, y1
    base = np.array(_LABEL_OFFSETS, dtype=float)  # (c, 2) points
    scale = figure.dpi / 72.0  # points → pixels
    for label, anchor in zip(labels, anchors, strict=True):
        offsets = base
        if away_from is not None:
            away = to_px(anchor) - to_px(away_from)
            length = float(np.hypot(*away))
            if length > 0:
                # Pointing most nearly away first; a far offset pays for its distance.
                norms = np.hypot(base[:, 0], base[:, 1])
                cost = 0.02 * norms - (base @ away) / (norms * length)
                offsets = base[np.argsort(cost, kind="stable")]
        size = _label_size(label, renderer, figure.dpi)
        aligns = np.sign(offsets)  # (c, 2): left/center/right, bottom/center/top
        boxes = _candidate_boxes(to_px(anchor), size, offsets * scale, aligns)  # (c, 4)
        area = size[0] * size[1]
        # Leaving the axes costs most: the text would be cut or run into the margins.
        costs = 3 * (area - _overlaps(boxes, frame)) + _overlaps(boxes, np.concatenate(taken))
        free = np.flatnonzero(costs <= 1e-9)
        best = int(free[0]) if free.size else int(np.argmin(costs))
        dx, dy = offsets[best]
        ha, va = _label_alignment(dx, dy)
        label.set_position((dx, dy))
        label.set_horizontalalignment(ha)
        label.set_verticalalignment(va)
        taken.append(boxes[best : best + 1])
    return np.concatenate(taken[1:]) if labels else np.zeros((0, 4))


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
