"""Experts have a capacity: which slots are dropped, and the load-balancing loss.

Beyond exercise 3 (`shared/exercises.md`), as Switch Transformer and GShard do it.
A batch of n tokens is routed with top-k, so there are k·n slots (a token's first
choice, its second, …). With a capacity factor c every expert takes at most

    capacity = floor(c · k · n / n_experts)

slots. The slots are served in a fixed order, first choices first in token order,
then second choices in token order, and so on; a slot that finds its expert full is
**dropped**: it contributes nothing to the output (in a real layer the residual
connection carries the token on unchanged).

The load-balancing loss of Switch Transformer, without its coefficient, is
n_experts · Σₑ fₑ·Pₑ, with fₑ the fraction of tokens whose first choice is e and Pₑ
the gate's mean probability for e over the tokens: 1 when both are even, up to
n_experts when one expert takes everything.

Numpy only; `dlviz.moe.MixtureOfExperts` calls these.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from dlviz._checks import as_float

__all__ = ["as_capacity_factor", "expert_capacity", "queue_places", "dropped_slots", "balance_loss"]


def as_capacity_factor(value) -> float | None:
    """A capacity factor as a float ≥ 0, None for no limit, or raise naming the problem."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(
            "capacity_factor must be a number such as 1.25 (or None for no limit), got "
            f"{bool(value)}, a yes/no value"
        )
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"capacity_factor must be a number such as 1.25 (or None for no limit), "
            f"got the text {value!r}"
        )
    if not isinstance(value, numbers.Real):
        raise TypeError(
            f"capacity_factor must be a number such as 1.25 (or None for no limit), "
            f"got {type(value).__name__} {value!r}"
        )
    factor = as_float("capacity_factor", value)  # a number beyond a float: said in words
    if math.isnan(factor):
        raise ValueError("capacity_factor is NaN: give a number such as 1.25, or None for no limit")
    if math.isinf(factor):
        raise ValueError(
            f"capacity_factor is {factor}: give a finite number such as 1.25, or None for no limit"
        )
    if factor < 0:
        raise ValueError(
            f"capacity_factor must be 0 or more (it scales each expert's slots), got {factor:g}"
        )
    return factor


def expert_capacity(capacity_factor: float, top_k: int, n_tokens: int, n_experts: int) -> int:
    """floor(capacity_factor · top_k · n_tokens / n_experts): the slots each expert takes.

    Computed exactly on the factor as it is written (1.1 is 11/10, not the float just
    below it), so that, say, 1.1 · 10 / 1 gives 11 and not 10.
    """
    exact = Fraction(repr(float(capacity_factor))) * top_k * n_tokens / n_experts
    return math.floor(exact)


def queue_places(chosen: np.ndarray, n_experts: int) -> np.ndarray:
    """Each slot's place in its expert's queue, from 1: (top_k, n_tokens) int.

    `chosen` (top_k, n_tokens) holds each token's experts, best first. Row-major order
    of `chosen` is the serving order: all first choices in token order, then all
    second choices, … . A slot's place is how many slots of the same expert were
    served up to and including it.
    """
    order = chosen.ravel()  # (top_k · n_tokens,): the slots in serving order
    arrivals = np.zeros((order.size, n_experts), dtype=np.int64)  # (slots, n_experts)
    arrivals[np.arange(order.size), order] = 1
    place = np.cumsum(arrivals, axis=0)[np.arange(order.size), order]  # (slots,)
    return place.reshape(chosen.shape)  # (top_k, n_tokens)


def dropped_slots(chosen: np.ndarray, n_experts: int, capacity: int) -> np.ndarray:
    """Which slots find their expert full: (top_k, n_tokens) bool, True = dropped.

    A slot is dropped when its place in its expert's queue (`queue_places`) is past
    `capacity`.
    """
    return queue_places(chosen, n_experts) > capacity  # (top_k, n_tokens)


def balance_loss(
    gate_probs: np.ndarray, first_choice: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Switch Transformer's load-balancing loss n_experts · Σₑ fₑ·Pₑ, with f and P.

    `gate_probs` (n_experts, n_tokens), `first_choice` (n_tokens,) the best expert of
    each token (whether or not that slot was dropped: f counts what the gate routed).
    Returns (loss, f, P), f and P of shape (n_experts,).
    """
    n_experts, n_tokens = gate_probs.shape
    f = np.bincount(first_choice, minlength=n_experts) / n_tokens  # (n_experts,)
    P = gate_probs.mean(axis=1)  # (n_experts,)
    return float(n_experts * (f @ P)), f, P
