"""A map of the words: `pca_2d` flattens vectors onto the plane of their largest spread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_matrix, frozen, shape_text


@dataclass(frozen=True, eq=False)
class PCA2D:
    """Vectors seen from their two directions of largest spread (`pca_2d`); read-only.

    mean : (dim,) the average vector, the new origin.
    axes : (2, dim) the two principal directions, as unit-length rows.
    coords : (2, n) column j is vector j's position along the two axes.
    variance : (2,) the variance of the coordinates along each axis.
    explained : (2,) the fraction of the total variance each axis keeps (0 if all
        vectors are equal): how faithful the flat picture is.
    """

    mean: np.ndarray
    axes: np.ndarray
    coords: np.ndarray
    variance: np.ndarray
    explained: np.ndarray


def pca_2d(vectors) -> PCA2D:
    """Project vectors (columns) onto the plane of their largest spread: PCA by SVD.

    Used to draw the 4-d word embeddings of the exercise on a page. With X the
    centred vectors (dim, n) and X = U·S·Vᵀ its singular value decomposition, the
    axes are the first two columns of U, coords = U[:, :2]ᵀ·X, and axis i keeps
    S[i]² of the total Σ S² (variance = S²/n).

    vectors : (dim, n), one vector per column as on the sheets; dim ≥ 2.

    Each axis' sign is fixed so that its largest |entry| is positive, so the picture
    does not flip between LAPACK builds. With fewer than two independent directions
    (n < 3, or vectors on a line) the missing axis is all zeros.
    """
    X = as_matrix("vectors", vectors)  # (dim, n)
    dim, n = X.shape
    if dim < 2:
        raise ValueError(
            f"vectors are {shape_text(X.shape)}: each has {dim} number, already fewer than "
            "the 2 of a picture (one vector per column)"
        )
    # Measured in units of the largest |entry|, so that no square overflows (1e155²) or
    # underflows (1e-170²) on the way; the picture is scaled back at the end.
    unit = float(np.abs(X).max())
    unit = unit if unit > 0 else 1.0
    X = X / unit  # (dim, n), entries in [-1, 1]
    mean = X.mean(axis=1)  # (dim,)
    centred = X - mean[:, None]  # (dim, n)
    U, S, _ = np.linalg.svd(centred, full_matrices=False)  # U (dim, r), S (r,), r = min(dim, n)
    axes = np.zeros((2, dim))
    spread = np.zeros(2)
    for i in range(min(2, S.size)):
        if S[i] > S[0] * 1e-12:  # a real direction, not rounding noise
            direction = U[:, i]
            biggest = np.argmax(np.abs(direction))
            axes[i] = direction if direction[biggest] > 0 else -direction
            spread[i] = S[i]
    total = float(np.sum(S**2))
    explained = spread**2 / total if total > 0 else np.zeros(2)
    with np.errstate(over="ignore", invalid="ignore"):  # refused just below, in words
        coords = (axes @ centred) * unit  # (2, n)
        variance = spread**2 / n * np.float64(unit) ** 2  # (2,)
    if not (np.isfinite(coords).all() and np.isfinite(variance).all()):
        raise ValueError(
            f"the vectors are too large to map (largest |entry| {unit:.3g}): their spread "
            "does not fit in a float (beyond 1.8e308); scale them down"
        )
    return PCA2D(
        mean=frozen(mean * unit),
        axes=frozen(axes),
        coords=frozen(coords),
        variance=frozen(variance),
        explained=frozen(explained),
    )
