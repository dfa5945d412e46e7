"""The cells of an inverted file as polygons, and colours for them that neighbours never share.

A centroid's cell is the part of the plane nearer to it than to every other centroid
(a Voronoi cell): the frame cut by one half-plane per other centroid. Each cell is cut
out exactly, so the picture draws crisp polygons with their borders (a mesh of pixels,
each coloured by its nearest centroid, gave steps along every border and cost a
product of every pixel with every centroid). Which centroid made each edge is kept:
two cells that share an edge are neighbours, and `neighbour_colours` gives them
different colours also when there are more cells than colours.
"""

from __future__ import annotations

import math

import numpy as np

FRAME = -1  # the edge label of an edge of the frame (not shared with another cell)


def _cut(polygon: list, a: tuple[float, float], b: float, label: int) -> list:
    """The part of convex `polygon` where a·p ≤ b. `polygon` is [(x, y, edge label)], the
    label naming what made the edge from that corner to the next; the new edge gets `label`."""
    kept = []
    n = len(polygon)
    for k in range(n):
        px, py, edge = polygon[k]
        qx, qy, _ = polygon[(k + 1) % n]
        p_side, q_side = a[0] * px + a[1] * py - b, a[0] * qx + a[1] * qy - b
        if p_side <= 0:
            kept.append((px, py, edge))
        if (p_side <= 0) != (q_side <= 0):  # the edge crosses the line: a corner there
            t = p_side / (p_side - q_side)
            corner = (px + t * (qx - px), py + t * (qy - py))
            kept.append((*corner, label if p_side <= 0 else edge))
    return kept


def voronoi_cells(points, frame) -> tuple[list[np.ndarray], list[set[int]]]:
    """(cells, neighbours) of `points` ((n, 2)) within `frame` ((x0, x1), (y0, y1)).

    cells[i]: the corners of point i's cell, (m, 2) counter-clockwise, or (0, 2) when it
    has none (a point repeated: the lower index owns the place, as ties go to the lower
    list). neighbours[i]: the cells sharing an edge with cell i (for a repeated point,
    those of the cell owning its place).
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    (x0, x1), (y0, y1) = frame
    tiny = 1e-9 * (x1 - x0 + y1 - y0)  # closer than this is the same place
    square = [(x0, y0, FRAME), (x1, y0, FRAME), (x1, y1, FRAME), (x0, y1, FRAME)]
    away = points[None, :, :] - points[:, None, :]  # (n, n, 2): c_j − c_i
    gaps = np.hypot(away[..., 0], away[..., 1])
    # nearer to i than to j: p·(c_j − c_i) ≤ (c_j − c_i)·(c_j + c_i)/2 (the midpoint's)
    bounds = (away * (points[None, :, :] + points[:, None, :]) / 2).sum(axis=2)
    corners = np.array(square)[:, :2]
    cells, neighbours = [], []
    same_place = {}  # a repeated point -> the lower one, which owns the place
    for i in range(len(points)):
        twins = np.flatnonzero(gaps[i] <= tiny)  # the same place (k-means' means of equal
        if twins[0] < i:  # texts can differ in the last bit): it is the lower list's
            same_place[i] = int(twins[0])
            cells.append(np.zeros((0, 2)))
            neighbours.append(set())
            continue
        # Only a bisector nearer than the farthest corner of the frame can cut the cell.
        reach = np.hypot(*(corners - points[i]).T).max()
        others = np.flatnonzero((gaps[i] > tiny) & (gaps[i] < 2 * reach))
        # each line as a unit normal and its distance from 0, so that p·n − d is how far
        # p lies beyond it
        normals = away[i, others] / gaps[i, others, None]
        limits = bounds[i, others] / gaps[i, others]
        polygon = square
        while polygon and len(others):  # cut by the line the cell crosses farthest,
            xy = np.array(polygon)[:, :2]  # until it crosses none
            beyond = (xy @ normals.T - limits).max(axis=0)
            k = int(np.argmax(beyond))
            if beyond[k] <= tiny:
                break
            polygon = _cut(polygon, tuple(normals[k]), limits[k], int(others[k]))
        cells.append(np.array([(x, y) for x, y, _ in polygon], dtype=float).reshape(-1, 2))
        neighbours.append(_shared(polygon, tiny))
    # A line through a corner leaves an edge of no length: such a cell only touches at
    # a point, and is no neighbour. Each shared edge is seen from both sides. A repeated
    # point has no cell: its texts lie in the owner's, so it meets the owner's neighbours.
    for i, j in same_place.items():
        neighbours[i] = set(neighbours[j])
    for i, near in enumerate(neighbours):
        for j in near:
            neighbours[j].add(i)
    return cells, neighbours


def _shared(polygon: list, tiny: float) -> set[int]:
    """The cells that made an edge of `polygon` longer than `tiny`."""
    n = len(polygon)
    return {
        edge
        for k, (x, y, edge) in enumerate(polygon)
        if edge != FRAME
        and math.hypot(polygon[(k + 1) % n][0] - x, polygon[(k + 1) % n][1] - y) > tiny
    }


def neighbour_colours(neighbours: list[set[int]], n_colours: int) -> list[int]:
    """A colour (0 … n_colours − 1) for each cell, none shared by two neighbours.

    Up to `n_colours` cells, cell i gets colour i. Beyond, the cells are coloured in
    "smallest last" order (take away a cell with the fewest neighbours left, again
    and again; colour in the reverse order): each cell then meets at most five
    coloured neighbours, as cells in a plane always leave one with five or fewer, so
    six colours always suffice. Each gets the free colour used least so far, so all
    colours are used.
    """
    n = len(neighbours)
    if n <= n_colours:
        return list(range(n))
    left = {i: set(near) for i, near in enumerate(neighbours)}
    degree = {i: len(near) for i, near in left.items()}  # in order: ties to the lower
    removed = []
    while degree:
        i = min(degree, key=degree.__getitem__)
        removed.append(i)
        del degree[i]
        for j in left.pop(i):
            left[j].discard(i)
            degree[j] -= 1
    colours = [-1] * n
    used = [0] * n_colours
    for i in reversed(removed):
        taken = {colours[j] for j in neighbours[i]}
        free = [c for c in range(n_colours) if c not in taken] or list(range(n_colours))
        colours[i] = min(free, key=lambda c: (used[c], c))
        used[colours[i]] += 1
    return colours
