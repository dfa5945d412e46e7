"""Why the load-balancing loss matters: train a toy router with and without it, in numpy.

Beyond exercise 3 (issue 17), notebook 3's "why the loss matters". A toy, small
enough to train in a fraction of a second, and honest about being one:

- **The task.** Points x in the plane come from `n_clusters` clusters on a circle of
  radius 2 (spread 0.3); each cluster has its own linear target y = a_c · [x, 1]. A
  good mixture gives each cluster its own expert.
- **The layer.** `n_experts` linear experts h_e = A_e · [x, 1] and a linear gate with
  a bias, logits = G · [x, 1]. Top-1 routing as in Switch Transformer: the output is
  p_e · h_e for the best expert e, so the gate learns through p_e.
- **Training.** Plain gradient descent on ½ (output − y)², averaged over a fresh batch
  of `n_tokens` points each step, plus `balance_coef` times the load-balancing loss
  n_experts · Σₑ fₑ·Pₑ (f counts, so its gradient flows through P only, as in Switch).
  Gradients are written out by hand (`loss_and_gradients`), and checked against
  finite differences by the tests.

What it shows: which share of the tokens each expert takes as training goes on. What
it does not: anything about the size of the effect in a real model, whose gate sees
thousands of dimensions and whose coefficient (0.01 in Switch) fits its own loss
scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_int
from dlviz._numerics import softmax_columns

__all__ = ["TrainingRun", "loss_and_gradients", "train_router"]


@dataclass(frozen=True, eq=False)
class TrainingRun:
    """What `train_router` recorded, one row per step.

    `shares` (steps, n_experts): the fraction of the batch whose first choice was each
    expert; `task_error` (steps,): mean squared error of the layer's output;
    `aux_loss` (steps,): n_experts · Σ f·P; `balance_coef` and `seed` as given.
    """

    shares: np.ndarray
    task_error: np.ndarray
    aux_loss: np.ndarray
    balance_coef: float
    seed: int

    def final_shares(self, last: int = 20) -> np.ndarray:
        """Each expert's share of the tokens, averaged over the last `last` steps."""
        return self.shares[-last:].mean(axis=0)


def loss_and_gradients(G, A, X, y, balance_coef):
    """The loss of one batch and its gradients with respect to the gate G and experts A.

    Shapes, tokens as columns: G (n_experts, 3), A (n_experts, 3), X (3, n_tokens) with
    a last row of 1s, y (n_tokens,). Returns (loss, dG, dA, shares, aux_loss), where
    loss = mean ½ (p_e·h_e − y)² + balance_coef · n_experts · Σ f·P.
    """
    n_experts, n_tokens = G.shape[0], X.shape[1]
    cols = np.arange(n_tokens)
    p = softmax_columns(G @ X).weights  # (n_experts, n_tokens)
    best = p.argmax(axis=0)  # (n_tokens,)
    p_best = p[best, cols]  # (n_tokens,)
    h = np.einsum("nd,dn->n", A[best], X)  # (n_tokens,): the chosen expert's output
    residual = p_best * h - y  # (n_tokens,)
    f = np.bincount(best, minlength=n_experts) / n_tokens  # (n_experts,), no gradient
    P = p.mean(axis=1)  # (n_experts,)
    aux = n_experts * float(f @ P)
    loss = 0.5 * float(np.mean(residual**2)) + balance_coef * aux

    r = residual / n_tokens  # (n_tokens,): d loss / d output
    dA = np.zeros_like(A)
    np.add.at(dA, best, (r * p_best)[:, None] * X.T)  # (n_experts, 3)
    # Through p_best: d p_b / d logit_j = p_b (δ_bj − p_j).
    onehot = np.zeros_like(p)
    onehot[best, cols] = 1.0
    d_logits = (r * h * p_best) * (onehot - p)  # (n_experts, n_tokens)
    # Through P: d (Σ f·P) / d logit_j of a token = (p_j f_j − p_j Σₑ fₑ pₑ) / n_tokens.
    d_logits += balance_coef * n_experts / n_tokens * p * (f[:, None] - (f @ p)[None, :])
    dG = d_logits @ X.T  # (n_experts, 3)
    return loss, dG, dA, f, aux


def train_router(
    balance_coef: float,
    seed: int,
    *,
    n_experts: int = 4,
    n_clusters: int = 4,
    n_tokens: int = 128,
    steps: int = 200,
    learning_rate: float = 0.2,
) -> TrainingRun:
    """Train the toy layer from a fixed seed; record each step's shares, error and loss."""
    seed = as_int("seed", seed, low=0)
    steps = as_int("steps", steps, low=1)
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_clusters) / n_clusters
    centres = 2 * np.stack([np.cos(angles), np.sin(angles)])  # (2, n_clusters)
    targets = rng.normal(size=(n_clusters, 3))  # (n_clusters, 3): a_c
    G = rng.normal(scale=0.1, size=(n_experts, 3))
    A = rng.normal(scale=0.1, size=(n_experts, 3))
    shares = np.empty((steps, n_experts))
    error, aux = np.empty(steps), np.empty(steps)
    for step in range(steps):
        cluster = rng.integers(0, n_clusters, size=n_tokens)  # (n_tokens,)
        points = centres[:, cluster] + rng.normal(scale=0.3, size=(2, n_tokens))
        X = np.vstack([points, np.ones(n_tokens)])  # (3, n_tokens)
        y = np.einsum("nd,dn->n", targets[cluster], X)  # (n_tokens,)
        _, dG, dA, shares[step], aux[step] = loss_and_gradients(G, A, X, y, balance_coef)
        p = softmax_columns(G @ X).weights
        best = p.argmax(axis=0)
        output = p[best, np.arange(n_tokens)] * np.einsum("nd,dn->n", A[best], X)
        error[step] = float(np.mean((output - y) ** 2))
        G -= learning_rate * dG
        A -= learning_rate * dA
    return TrainingRun(shares, error, aux, float(balance_coef), seed)
