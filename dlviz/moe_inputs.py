"""The checks at the door of a mixture of experts: its gate and experts, top_k, the tokens.

`dlviz.moe` routes; these refuse, in words that carry the shapes involved, what it
could not route: experts that are not (W, b) pairs all of one shape, a gate that does
not fit them, a top_k beyond the experts, tokens of the wrong length; and, on the
way, numbers too large for float64 (`refuse_overflow`). Numpy only.
"""

from __future__ import annotations

import numpy as np

from dlviz._checks import as_int, as_matrix, as_vector, shape_text
from dlviz._numerics import refuse_nonfinite


def checked_parts(gate_W, gate_b, experts, top_k):
    """(gate_W, gate_b, the experts' (W, b) pairs, top_k), each checked and fitting the rest."""
    gate_W = as_matrix("gate_W", gate_W)
    gate_b = as_vector("gate_b", gate_b)
    pairs = expert_pairs(experts)
    n_experts = len(pairs)
    in_dim = pairs[0][0].shape[1]

    if gate_W.shape[0] != n_experts:
        raise ValueError(
            f"gate_W has {gate_W.shape[0]} rows (shape {shape_text(gate_W.shape)}) but "
            f"there are {n_experts} experts: the gate needs one row per expert, so "
            f"gate_W should be {n_experts}×{gate_W.shape[1]}"
        )
    if gate_b.shape[0] != n_experts:
        raise ValueError(
            f"gate_b has {gate_b.shape[0]} numbers but there are {n_experts} experts "
            f"(gate_W is {shape_text(gate_W.shape)}): gate_b needs one per expert"
        )
    if gate_W.shape[1] != in_dim:
        raise ValueError(
            f"gate_W takes tokens of {gate_W.shape[1]} numbers (shape "
            f"{shape_text(gate_W.shape)}) but the experts take tokens of {in_dim} "
            f"(experts[0].W is {shape_text(pairs[0][0].shape)}): gate and experts must "
            "read the same tokens, so their numbers of columns must match"
        )
    if isinstance(top_k, bool):  # as_int would read True as 1
        raise TypeError(f"top_k must be a whole number, got {top_k!r}")
    try:
        top_k = as_int("top_k", top_k, low=1, high=n_experts)
    except ValueError as exc:
        raise ValueError(f"{exc}: there are {n_experts} experts to choose from") from exc
    return gate_W, gate_b, pairs, top_k


def as_tokens(X, in_dim: int, gate_shape: tuple[int, int]) -> np.ndarray:
    """X as a checked (in_dim, n_tokens) float array; a plain vector is one token.

    gate_shape: the shape of the gate's gate_W, named when X does not fit it.
    """
    try:
        one_token = np.ndim(X) == 1
    except ValueError:  # ragged nested lists: as_matrix says so in words
        one_token = False
    if one_token:
        X = as_vector("X", X)[:, None]  # (in_dim, 1)
    else:
        X = as_matrix("X", X)  # refuses no tokens (in_dim × 0), NaN, inf and text
    if X.shape[0] != in_dim:
        hint = ""
        if X.shape[1] == in_dim:
            hint = " (tokens are columns here: did you mean X.T?)"
        if one_token:
            what = f"a token of {X.shape[0]} numbers"
        else:
            what = f"X of shape {shape_text(X.shape)}, tokens of {X.shape[0]} numbers"
        raise ValueError(
            f"got {what}, but the gate takes tokens of {in_dim} numbers "
            f"(gate_W is {shape_text(gate_shape)}), so X must be "
            f"{in_dim}×n_tokens{hint}"
        )
    return X


def expert_pairs(experts) -> list[tuple[np.ndarray, np.ndarray]]:
    """The experts as checked (W, b) float pairs, all the same shape, or raise."""
    if isinstance(experts, (str, bytes, np.ndarray)) or not hasattr(experts, "__len__"):
        raise TypeError(f"experts must be a list of (W, b) pairs, got {type(experts).__name__}")
    if len(experts) == 0:
        raise ValueError("experts is empty: a mixture needs at least one expert (W, b)")
    pairs = []
    for i, pair in enumerate(experts):
        if not isinstance(pair, (tuple, list)):
            got = (
                f"an array of shape {shape_text(pair.shape)}"
                if isinstance(pair, np.ndarray)
                else type(pair).__name__
            )
            raise TypeError(f"experts[{i}] must be a (W, b) pair, got {got}")
        if len(pair) != 2:
            raise ValueError(
                f"experts[{i}] must be a (W, b) pair, got {len(pair)} items instead of 2"
            )
        W = as_matrix(f"experts[{i}].W", pair[0])
        b = as_vector(f"experts[{i}].b", pair[1])
        if b.shape[0] != W.shape[0]:
            raise ValueError(
                f"experts[{i}].b has {b.shape[0]} numbers but experts[{i}].W has "
                f"{W.shape[0]} rows (shape {shape_text(W.shape)}): b needs one per row of W"
            )
        if pairs and W.shape != pairs[0][0].shape:
            raise ValueError(
                f"experts[{i}].W is {shape_text(W.shape)} but experts[0].W is "
                f"{shape_text(pairs[0][0].shape)}: all experts must have the same shape"
            )
        pairs.append((W, b))
    return pairs


def refuse_overflow(what: str, values: np.ndarray, inputs: str) -> None:
    """Raise if finite inputs produced inf or NaN: numbers too large for float64."""
    refuse_nonfinite(
        values,
        lambda where: (
            f"{what} overflowed at index [{', '.join(map(str, where))}] (token {where[-1]}): "
            f"the numbers in {inputs} are too large to multiply in float64 (largest "
            f"about 1.8e308); scale them down"
        ),
    )
