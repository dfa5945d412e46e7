"""The by-hand steps of one Lloyd step of an IVF index: the assignment and the centroids.

The slips, and how each is recognised: lists counted from 0 (the assignment minus 1);
the new centroid as the list's sum (not its mean); the old centroid averaged in; the
numbers left in thirds (3 × the centroid).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlviz._format import labels
from dlviz.checking.grade import Slip, Step


def ivf_checks(
    step, texts: Sequence[str], origin: str = "the IVF exercise's numbers (beyond the sheet)"
) -> dict[str, Step]:
    """The two by-hand steps of one Lloyd step (`dlviz.vectordb.lloyd_step`): keys
    "assignment" (the list of each text, counted from 1) and "centroids" (the new
    centroid of each list, one per column as on the sheets). origin: where the numbers
    come from, shown with each grid (no sheet has this exercise)."""
    n_lists = step.centroids.shape[0]
    lists = tuple(f"list {j + 1}" for j in range(n_lists))
    assignment = (step.assignment + 1)[None, :].astype(float)  # (1, n): lists from 1
    sums = step.new_centroids * np.maximum(step.counts, 1)[:, None]  # (n_lists, dim)
    with_old = (sums + step.centroids) / (step.counts + 1)[:, None]
    axes = (
        tuple(labels("x", step.centroids.shape[1])) if step.centroids.shape[1] != 2 else ("x", "y")
    )
    return {
        "assignment": Step("assignment", "the list of each text: its nearest centroid",
                           assignment, ("list",), tuple(texts), origin=origin,
                           slips=(Slip(assignment - 1, "Lists are counted from 1 here: the "
                                       "first centroid's list is list 1."),)),
        "centroids": Step("centroids", "the new centroids: the mean of each list",
                          step.new_centroids.T, axes, lists, origin=origin,
                          slips=(
                              Slip(sums.T, "That is the sum of the list: divide by how "
                                   "many texts it holds."),
                              Slip(with_old.T, "The old centroid is not one of the texts: "
                                   "average the list's texts only."),
                              Slip(3 * step.new_centroids.T, "Those are thirds: divide by "
                                   "3 to get the index vector's own numbers."),
                          )),
    }  # fmt: skip
