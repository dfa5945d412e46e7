"""The numbers of the three by-hand exercises, as functions that return fresh arrays.

Each call builds new arrays, so a learner who edits one in a notebook cannot change
what the next cell (or a test) gets. Values: `shared/exercises.md`, taken from the
published by-hand sheets. Every vector is a column, as on the sheets.

With a `seed` (a whole number ≥ 0) each function gives a fresh exercise of the same
keys and shapes, chosen so that a pencil still suffices (`fresh.py` says how), for
worksheets (`tools/worksheet.py`) and for practice in the explorers:
``AttentionExplorer(**attention_exercise(7))``.
"""

from __future__ import annotations

import numpy as np

from dlviz._checks import as_int


def attention_exercise(seed: int | None = None) -> dict[str, np.ndarray]:
    """Exercise 1, self-attention: `X` (6 features × 4 tokens) and `WQ`, `WK`, `WV` (3×6).

    seed=None gives the sheet's numbers; a whole number gives fresh ones
    (`dlviz.fresh.attention`): whole numbers, by-hand scaled scores within ±4, column
    sums under 250.
    """
    if seed is not None:
        from dlviz import fresh

        return fresh.attention(seed)
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


def vectordb_exercise(seed: int | None = None) -> dict:
    """Exercise 2, vector database.

    Returns `embeddings` (word → 4-vector), the encoder `W` (4×4) and `b` (4), the
    projection `P` (2×4), the `database` sentences and the `query`. seed=None gives
    the sheet's numbers; a whole number gives fresh ones (`dlviz.fresh.vectordb`): the
    same words with new vectors, new W, b, P, texts and query, one nearest text.
    """
    if seed is not None:
        from dlviz import fresh

        return fresh.vectordb(seed)
    return {
        "embeddings": {word: np.array(vec) for word, vec in _WORDS.items()},
        "W": np.array([[1, 1, 0, 0], [0, 1, 0, 1], [1, 0, 1, 0], [1, -1, 0, 0]]),
        "b": np.array([0, 0, -1, 0]),
        "P": np.array([[1, 1, 0, 0], [0, 0, 1, 1]]),
        "database": ["how are you", "who are you", "who am I"],
        "query": "am I you",
    }


def moe_exercise(seed: int | None = None) -> dict:
    """Exercise 3, mixture of experts.

    Returns `X` (3×2: tokens X1 and X2 as columns), the gate's `gate_W` (2×3) and
    `gate_b` (2), and `experts`: a list of two `(W, b)` pairs, W 4×3 and b of 4.
    seed=None gives the sheet's numbers; a whole number gives fresh ones
    (`dlviz.fresh.moe`): no tied gate logits, each expert chosen once, ReLU at work.
    """
    if seed is not None:
        from dlviz import fresh

        return fresh.moe(seed)
    return {
        "X": np.array([[2, 3], [1, 1], [3, 2]]),
        "gate_W": np.array([[1, 1, 0], [0, 1, 1]]),
        "gate_b": np.array([0, 0]),
        "experts": [
            (np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1], [-1, 0, 1]]), np.zeros(4, dtype=int)),
            (np.array([[0, 1, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1]]), np.zeros(4, dtype=int)),
        ],
    }


def random_moe(n_experts: int = 2, n_tokens: int = 2, seed: int = 0) -> dict:
    """Exercise 3 made bigger: the sheet's experts and tokens first, then random ones.

    Returns the same keys as `moe_exercise()`: `X` (3 × n_tokens), `gate_W`
    (n_experts × 3), `gate_b` (n_experts) and `experts` (n_experts pairs `(W, b)`,
    W 4×3 and b of 4), so that load and imbalance show on more than two tokens.

    - Tokens X1, X2 and experts 1, 2 (with their gate rows) are the sheet's, so
      `random_moe(2, 2)` holds exactly the numbers of `moe_exercise()`.
    - Tokens 3, 4, … are whole numbers from -3 to 3.
    - Experts 3, 4, … have whole-number W from -1 to 1 and b = 0, as on the sheet; their
      gate rows are numbers with one decimal (about -2 to 2). Decimals, because with
      whole-number gate rows many tokens would tie, and ties go to the lower index,
      which would load the first experts for a reason that has nothing to do with the
      tokens. Every gate_b is 0, as on the sheet.
    - Tokens, expert weights and gate rows each come from their own stream of
      `numpy.random.default_rng([seed, …])`, drawn in order, so more tokens or experts
      only add to the end: `random_moe(4, 10)["X"][:, :5]` equals `random_moe(4, 5)["X"]`.
      The same `seed` gives the same numbers on every machine and every call.

    n_experts and n_tokens are at least 2 (the sheet's part is always there).
    """
    n_experts = as_int("n_experts", n_experts, low=2)
    n_tokens = as_int("n_tokens", n_tokens, low=2)
    seed = as_int("seed", seed, low=0)
    sheet = moe_exercise()
    n_more_tokens, n_more_experts = n_tokens - 2, n_experts - 2

    tokens = np.random.default_rng([seed, 1]).integers(-3, 4, size=(n_more_tokens, 3))
    X = np.concatenate([sheet["X"], tokens.T], axis=1)  # (3, n_tokens)

    gate_rows = np.random.default_rng([seed, 2]).normal(0.0, 1.0, size=(n_more_experts, 3))
    gate_rows = gate_rows.round(1) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
    gate_W = np.concatenate([sheet["gate_W"], gate_rows], axis=0)  # (n_experts, 3)
    gate_b = np.zeros(n_experts, dtype=int)

    weights = np.random.default_rng([seed, 3]).integers(-1, 2, size=(n_more_experts, 4, 3))
    experts = sheet["experts"] + [(W, np.zeros(4, dtype=int)) for W in weights]
    return {"X": X, "gate_W": gate_W, "gate_b": gate_b, "experts": experts}


def multi_head_exercise() -> dict[str, np.ndarray]:
    """Two heads on the sheet's tokens: `X` (6×4) and `WQ`, `WK`, `WV` (6×6), `WO` (3×6).

    Head 1 is the sheet's head (rows 1-3 of each W); head 2 (rows 4-6) asks other
    questions of the same tokens. WO = [I | I] adds head 1's output to head 2's, so
    the result is Z₁ + Z₂, easy to check by hand. Not from a published sheet: made for
    notebook 4, with whole numbers and no ties when rounding to one decimal.
    """
    sheet = attention_exercise()
    WQ2 = np.array([[0, 0, -1, 0, 0, 0], [0, 0, 0, 0, 0, 1], [-1, 0, 0, 0, 0, 0]])
    WK2 = np.array([[0, 0, 0, 1, 0, 0], [-1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, -1]])
    WV2 = np.array([[0, 0, 10, 0, 0, 0], [0, 0, 0, 0, 10, 0], [0, 0, 0, 0, 0, 10]])
    return {
        "X": sheet["X"],
        "WQ": np.vstack([sheet["WQ"], WQ2]),
        "WK": np.vstack([sheet["WK"], WK2]),
        "WV": np.vstack([sheet["WV"], WV2]),
        "WO": np.hstack([np.eye(3, dtype=int), np.eye(3, dtype=int)]),
    }


def ivf_exercise() -> dict:
    """Beyond the sheet: an inverted-file index by hand on exercise 2's index vectors.

    Returns `texts` (the sheet's three and three more, all of three words, so every
    index vector is a whole number of thirds), `init` (3×2: the starting centroids,
    one per row: the index vectors of "how are you", "who am I" and "are you me") and
    the sheet's `query`. One Lloyd step moves the first centroid from [5/3, 2/3] to
    [4/3, 2/3]; a second moves nothing. The query's nearest centroid is "who am I"'s,
    whose list holds only "who am I" (62/9), but "are you me" (72/9) scores higher and
    sits in the next nearest list: nprobe = 1 misses it, nprobe = 2 finds it.
    """
    return {
        "texts": ["how are you", "who are you", "who am I", "are you me", "how are they",
                  "what is he"],
        "init": np.array([[5, 2], [7, 3], [9, 0]]) / 3,
        "query": "am I you",
    }  # fmt: skip
