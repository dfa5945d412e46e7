"""A mixture of experts, the by-hand way: a gate scores the experts, each token goes to the best.

Exercise 3 of `shared/exercises.md`. Tokens are **columns**, as on the sheet: X is
(in_dim × n_tokens), the gate's logits are (n_experts × n_tokens), and softmax runs
down each column. Numpy only: no plotting, no widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import frozen
from dlviz._numerics import softmax_columns
from dlviz.moe_capacity import as_capacity_factor, balance_loss, dropped_slots, expert_capacity
from dlviz.moe_inputs import as_tokens, checked_parts, refuse_overflow

__all__ = ["MixtureOfExperts", "MoEResult"]


@dataclass(frozen=True, eq=False)  # eq=False: == on arrays has no single truth value
class MoEResult:
    """Every step of routing tokens through a mixture of experts, the sheet's table as arrays.

    All arrays are read-only. Shapes (k = top_k, E = n_experts):

    - `X` (in_dim, n_tokens): the tokens, one per column.
    - `gate_logits` (E, n_tokens): step 1, gate_W·X + gate_b.
    - `gate_probs` (E, n_tokens): step 2, softmax down each column.
    - `chosen` (k, n_tokens) int: step 3, the 0-based experts each token goes to, best
      first; equal logits go to the lower index. The sheet's "expert 2" is index 1.
    - `gate_weights` (k, n_tokens): softmax over the chosen experts' logits only, so
      with top-1 every weight is exactly 1.
    - `expert_linear` (k, out_dim, n_tokens): step 4, W·x + b of each chosen expert;
      0 in a dropped slot (the expert never sees that token).
    - `expert_outputs` (k, out_dim, n_tokens): step 5, ReLU of `expert_linear`.
    - `output` (out_dim, n_tokens): Σ over the k chosen experts of weight · output. A
      dropped slot adds nothing and the kept weights are not renormalised, so a token
      whose every slot was dropped has output 0.
    - `tokens_per_expert` (E,) int: how many (token, choice) slots the gate routed to
      each expert. With top-k every token counts once for each of its k experts, so
      the counts add up to k · n_tokens.
    - `kept_per_expert` (E,) int: how many of those slots each expert served, at most
      `capacity`; the same as `tokens_per_expert` without a capacity factor.
    - `top_k`: how many experts each token went to.
    - `capacity_factor` (float, or None for no limit) and `capacity` (int, or None):
      each expert serves at most floor(capacity_factor · k · n_tokens / E) slots.
    - `dropped` (k, n_tokens) bool: that choice of that token found its expert full.
      Slots are served first choices first, in token order, then second choices in
      token order, and so on. All False without a capacity factor.
    - `aux_loss`: Switch Transformer's load-balancing loss without its coefficient,
      E · Σₑ fₑ·Pₑ; 1 when the load is even, up to E when one expert takes all.
    - `load_fraction` (E,): fₑ, the fraction of tokens whose first choice is e (routed,
      dropped or not).
    - `mean_gate_probs` (E,): Pₑ, the gate's probability for e averaged over tokens.
    - `gate_WX` (E, n_tokens): gate_W·X, the logits before the bias is added.
    - `model`: the `MixtureOfExperts` that gave this result (its gate and experts), so
      that a picture, a grid or a grader needs nothing else.

    `routing` and `picked` lay the choice out as a table, a row per expert.
    """

    X: np.ndarray
    gate_logits: np.ndarray
    gate_probs: np.ndarray
    chosen: np.ndarray
    gate_weights: np.ndarray
    expert_linear: np.ndarray
    expert_outputs: np.ndarray
    output: np.ndarray
    tokens_per_expert: np.ndarray
    top_k: int
    kept_per_expert: np.ndarray
    capacity_factor: float | None
    capacity: int | None
    dropped: np.ndarray
    aux_loss: float
    load_fraction: np.ndarray
    mean_gate_probs: np.ndarray
    gate_WX: np.ndarray
    model: MixtureOfExperts

    @property
    def picked(self) -> np.ndarray:
        """(E, n_tokens) bool: True where a token went to an expert (the sheet's one-hot)."""
        picked = np.zeros(self.gate_logits.shape, dtype=bool)
        np.put_along_axis(picked, self.chosen, True, axis=0)
        return picked

    @property
    def routing(self) -> np.ndarray:
        """(E, n_tokens): each token's gate weight g in its chosen experts' rows, 0 elsewhere.

        With top-1 this is the sheet's one-hot "max": a single 1 per column.
        """
        route = np.zeros(self.gate_logits.shape)
        np.put_along_axis(route, self.chosen, self.gate_weights, axis=0)
        return route

    def batches(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each expert, the (rank, token) pairs it serves, in token order.

        Step 4 the matrix way: expert e computes W·X[:, tokens] + b for these tokens
        only; `expert_linear[ranks, :, tokens]` holds the results. A dropped slot (its
        expert was full) is served by nobody and is left out.
        """
        out = []
        for e in range(self.gate_logits.shape[0]):
            rank, token = np.nonzero((self.chosen == e) & ~self.dropped)
            order = np.argsort(token, kind="stable")
            out.append((rank[order], token[order]))
        return out


class MixtureOfExperts:
    r"""A gate and a list of experts: route each token to its top-k experts, mix their outputs.

    Exercise 3, all steps: gate logits, softmax, the choice, the chosen expert's linear
    layer, ReLU. With top-k routing, for a token x (a column):

    .. math::

        \text{output} = \sum_{i \in \text{topk}} g_i \,\mathrm{ReLU}(W_i x + b_i),
        \qquad g = \mathrm{softmax}\big((\text{gate\_W}\,x + \text{gate\_b})_{\text{topk}}\big)

    where g is the softmax of the chosen experts' logits, renormalised over those k.
    With top_k=1 (the sheet's hard max) g is exactly 1 and the output is the chosen
    expert's ReLU(W·x + b). With top_k = n_experts it is the dense mixture
    Σ over all experts of softmax(logits)ᵢ · ReLU(Wᵢ·x + bᵢ).

    Shapes: `gate_W` (n_experts, in_dim), `gate_b` (n_experts,), each expert a pair
    `(W, b)` with W (out_dim, in_dim) and b (out_dim,), all experts the same shape.
    `top_k` is from 1 to n_experts.

    Beyond the sheet, `capacity_factor` c (a number ≥ 0; None, the default, for no
    limit) gives each expert room for floor(c · top_k · n_tokens / n_experts) slots per
    call; slots over that are dropped and add nothing to the output
    (`dlviz.moe_capacity`). The result also carries the load-balancing loss.

    The object does not change once built: its arrays are read-only copies of what was
    passed in; `with_top_k(k)` and `with_capacity_factor(c)` give new ones.

    The sheet's numbers (exercise 3): X1 goes to expert 2, X2 to expert 1.

    >>> from dlviz.examples import moe_exercise
    >>> ex = moe_exercise()
    >>> moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])
    >>> r = moe(ex["X"])  # X is 3×2: the tokens X1 = [2, 1, 3] and X2 = [3, 1, 2]
    >>> r.gate_logits  # gate_W·X + gate_b, a row per expert, a column per token
    array([[3., 4.],
           [4., 3.]])
    >>> r.gate_probs.round(3)  # softmax down each column
    array([[0.269, 0.731],
           [0.731, 0.269]])
    >>> r.chosen + 1  # the sheet counts experts from 1
    array([[2, 1]])
    >>> r.expert_linear[0]  # the chosen expert's W·x + b: [4, 3, 1, 5] and [5, 4, 2, -1]
    array([[ 4.,  5.],
           [ 3.,  4.],
           [ 1.,  2.],
           [ 5., -1.]])
    >>> r.output  # ReLU: X2's -1 becomes 0
    array([[4., 5.],
           [3., 4.],
           [1., 2.],
           [5., 0.]])
    >>> print(r.tokens_per_expert, f"balance loss {r.aux_loss:.2f}")  # one token each: even
    [1 1] balance loss 1.00

    Four tokens, three of them for expert 2, at capacity factor 1: each expert has
    floor(1 · 1 · 4 / 2) = 2 slots, so X4, the third in line for expert 2, is dropped.

    >>> X4 = [[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]]  # X3 = [1, 2, 2], X4 = [0, 2, 1]
    >>> r4 = moe.with_capacity_factor(1)(X4)
    >>> print(r4.capacity, r4.chosen[0] + 1, r4.dropped[0])
    2 [2 1 2 2] [False False False  True]
    >>> r4.output[:, 3]  # nothing for X4: a real layer's residual carries it on
    array([0., 0., 0., 0.])
    >>> print(r4.load_fraction, r4.mean_gate_probs.round(4), round(r4.aux_loss, 4))
    [0.25 0.75] [0.3845 0.6155] 1.1155
    """

    def __init__(self, gate_W, gate_b, experts, *, top_k: int = 1, capacity_factor=None):
        gate_W, gate_b, pairs, top_k = checked_parts(gate_W, gate_b, experts, top_k)
        n_experts = len(pairs)
        out_dim, in_dim = pairs[0][0].shape
        capacity_factor = as_capacity_factor(capacity_factor)

        # Instance attributes are set once, here; __setattr__ refuses later changes.
        set_ = object.__setattr__
        set_(self, "gate_W", frozen(gate_W))  # (n_experts, in_dim)
        set_(self, "gate_b", frozen(gate_b))  # (n_experts,)
        set_(self, "experts", tuple((frozen(W), frozen(b)) for W, b in pairs))
        set_(self, "top_k", top_k)
        set_(self, "capacity_factor", capacity_factor)
        set_(self, "n_experts", n_experts)
        set_(self, "in_dim", in_dim)
        set_(self, "out_dim", out_dim)

    def __setattr__(self, name, value):
        raise AttributeError(
            f"a MixtureOfExperts cannot be changed (tried to set {name!r}): use "
            "with_top_k(k), with_capacity_factor(c) or build a new one"
        )

    def __repr__(self) -> str:
        capacity = (
            "" if self.capacity_factor is None else f", capacity_factor={self.capacity_factor:g}"
        )
        return (
            f"MixtureOfExperts({self.n_experts} experts, {self.in_dim} → {self.out_dim}, "
            f"top_k={self.top_k}{capacity})"
        )

    def with_top_k(self, k: int) -> MixtureOfExperts:
        """The same gate and experts, routing each token to its best `k` experts instead."""
        return MixtureOfExperts(
            self.gate_W, self.gate_b, self.experts, top_k=k, capacity_factor=self.capacity_factor
        )

    def with_capacity_factor(self, capacity_factor) -> MixtureOfExperts:
        """The same gate, experts and top_k with another capacity factor (None: no limit)."""
        return MixtureOfExperts(
            self.gate_W, self.gate_b, self.experts, top_k=self.top_k,
            capacity_factor=capacity_factor,
        )  # fmt: skip

    def __call__(self, X) -> MoEResult:
        """Route the tokens X through the gate and the chosen experts; return every step.

        Exercise 3, steps 1-5: gate logits, softmax, choice, the chosen experts' linear
        layer, ReLU, and the gate-weighted sum of the chosen experts' outputs.

        X is (in_dim, n_tokens), one token per column. A single token may also be given
        as a plain vector of in_dim numbers: it is treated as one column, so the result
        has n_tokens = 1. Returns an `MoEResult`.
        """
        X = self._tokens(X)  # (in_dim, n_tokens)
        n_tokens = X.shape[1]
        k = self.top_k

        # Step 1: gate logits.
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
            gate_WX = self.gate_W @ X  # (n_experts, n_tokens)
            gate_logits = gate_WX + self.gate_b[:, None]  # (n_experts, n_tokens)
        refuse_overflow("the gate logits gate_W·X + gate_b", gate_logits, "gate_W, gate_b, X")

        # Step 2: softmax down each column.
        gate_probs = softmax_columns(gate_logits).weights  # (n_experts, n_tokens)

        # Step 3: the choice. A stable sort of -logits keeps equal logits in index order,
        # so ties go to the lower index exactly (argmax-like, but for any k).
        chosen = np.argsort(-gate_logits, axis=0, kind="stable")[:k]  # (top_k, n_tokens)
        chosen_logits = np.take_along_axis(gate_logits, chosen, axis=0)  # (top_k, n_tokens)
        # Renormalise over the chosen k only: row 0 is the best, so top-1 gives exp(0)/1 = 1.
        gate_weights = softmax_columns(chosen_logits).weights  # (top_k, n_tokens)

        # Beyond the sheet: each expert serves at most `capacity` slots, first choices
        # first in token order; the rest are dropped.
        if self.capacity_factor is None:
            capacity = None
            dropped = np.zeros(chosen.shape, dtype=bool)  # (top_k, n_tokens)
        else:
            capacity = expert_capacity(self.capacity_factor, k, n_tokens, self.n_experts)
            dropped = dropped_slots(chosen, self.n_experts, capacity)  # (top_k, n_tokens)

        # Step 4: each chosen expert's linear layer, only on the tokens sent to it and kept.
        # The loop runs over experts (a handful), never over tokens, and skips work an
        # unchosen expert would do for nothing. A dropped slot stays 0.
        expert_linear = np.zeros((k, self.out_dim, n_tokens))  # (top_k, out_dim, n_tokens)
        served = np.where(dropped, -1, chosen)  # (top_k, n_tokens): -1 = dropped
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
            for e, (W, b) in enumerate(self.experts):
                slot, token = np.nonzero(served == e)  # (m,), (m,): the slots e serves
                if slot.size:
                    # (out_dim, m) -> (m, out_dim), the order that fancy indexing fills
                    expert_linear[slot, :, token] = (W @ X[:, token]).T + b
        refuse_overflow("a chosen expert's W·x + b", expert_linear, "the experts' W, b, X")

        # Step 5: ReLU, then mix the k outputs with the gate weights.
        expert_outputs = np.maximum(expert_linear, 0.0)  # (top_k, out_dim, n_tokens)
        output = np.einsum("kn,kon->on", gate_weights, expert_outputs)  # (out_dim, n_tokens)
        refuse_overflow("the mixed output", output, "the experts' W, b, X")

        tokens_per_expert = np.bincount(chosen.ravel(), minlength=self.n_experts)  # (E,)
        kept_per_expert = np.bincount(chosen[~dropped], minlength=self.n_experts)  # (E,)
        aux_loss, load_fraction, mean_gate_probs = balance_loss(gate_probs, chosen[0])

        return MoEResult(
            X=frozen(X),
            gate_logits=frozen(gate_logits),
            gate_probs=frozen(gate_probs),
            chosen=frozen(chosen),
            gate_weights=frozen(gate_weights),
            expert_linear=frozen(expert_linear),
            expert_outputs=frozen(expert_outputs),
            output=frozen(output),
            tokens_per_expert=frozen(tokens_per_expert),
            top_k=k,
            kept_per_expert=frozen(kept_per_expert),
            capacity_factor=self.capacity_factor,
            capacity=capacity,
            dropped=frozen(dropped),
            aux_loss=aux_loss,
            load_fraction=frozen(load_fraction),
            mean_gate_probs=frozen(mean_gate_probs),
            gate_WX=frozen(gate_WX),
            model=self,
        )

    def _tokens(self, X) -> np.ndarray:
        """X as a checked (in_dim, n_tokens) float array; a plain vector is one token."""
        return as_tokens(X, self.in_dim, self.gate_W.shape)
