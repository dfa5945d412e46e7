"""The numbers of the three by-hand exercises, as functions that return fresh arrays.

Each call builds new arrays, so a learner who edits one in a notebook cannot change
what the next cell (or a test) gets. Values: `shared/exercises.md`, taken from the
published by-hand sheets. Every vector is a column, as on the sheets.
"""

from __future__ import annotations

import numpy as np


def attention_exercise() -> dict[str, np.ndarray]:
    """Exercise 1, self-attention: `X` (6 features × 4 tokens) and `WQ`, `WK`, `WV` (3×6)."""
    X = np.array(
        [
            [2, 0, 0, 2],
            [0, 1, 0, 0],
            [0, 2, 1, 0],
            [0, 0, 1, 1],
            [2, 0, 0, 0],
            [1, 0, 1, 1],
        ]
    )
    WQ = np.array([[1, 1, 0, 0, 0, 0], [0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 1]])
    WK = np.array([[0, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, -1]])
    WV = np.array([[10, 0, 0, 0, 0, 0], [0, 0, 0, 10, 0, 0], [0, 10, 0, 0, 0, 0]])
    return {"X": X, "WQ": WQ, "WK": WK, "WV": WV}


# The sheet's word table. It lists "she" twice, as [-1, 2, 0, 0] and as [0, 0, -1, 0];
# a vocabulary cannot hold one word twice, so we keep the second, which is also what a
# Python dict literal holding both would keep. No sentence of the exercise uses "she".
_WORDS = {
    "a": [0, 2, -1, 0], "an": [-1, 0, 0, 1], "the": [0, 2, -1, 0], "how": [1, 0, 1, 0],
    "why": [0, 0, 2, 1], "who": [1, 0, 0, 0], "what": [0, -1, 0, 1], "are": [0, 1, 1, 0],
    "is": [-1, 0, 0, 1], "am": [1, 0, 1, 0], "be": [0, 0, -1, 1], "was": [0, 2, 0, -2],
    "you": [0, 1, 0, 0], "we": [3, 0, -1, 0], "I": [1, 2, 0, 0], "they": [0, 0, 3, 1],
    "he": [0, 0, 0, 1], "she": [0, 0, -1, 0], "me": [0, 2, 0, 1], "him": [-1, 0, 2, 0],
    "her": [0, 0, -1, 1],
}  # fmt: skip


def vectordb_exercise() -> dict:
    """Exercise 2, vector database.

    Returns `embeddings` (word → 4-vector), the encoder `W` (4×4) and `b` (4), the
    projection `P` (2×4), the `database` sentences and the `query`.
    """
    return {
        "embeddings": {word: np.array(vec) for word, vec in _WORDS.items()},
        "W": np.array([[1, 1, 0, 0], [0, 1, 0, 1], [1, 0, 1, 0], [1, -1, 0, 0]]),
        "b": np.array([0, 0, -1, 0]),
        "P": np.array([[1, 1, 0, 0], [0, 0, 1, 1]]),
        "database": ["how are you", "who are you", "who am I"],
        "query": "am I you",
    }


def moe_exercise() -> dict:
    """Exercise 3, mixture of experts.

    Returns `X` (3×2: tokens X1 and X2 as columns), the gate's `gate_W` (2×3) and
    `gate_b` (2), and `experts`: a list of two `(W, b)` pairs, W 4×3 and b of 4.
    """
    return {
        "X": np.array([[2, 3], [1, 1], [3, 2]]),
        "gate_W": np.array([[1, 1, 0], [0, 1, 1]]),
        "gate_b": np.array([0, 0]),
        "experts": [
            (np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1], [-1, 0, 1]]), np.zeros(4, dtype=int)),
            (np.array([[0, 1, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1]]), np.zeros(4, dtype=int)),
        ],
    }
