"""Several heads and the positions of the tokens: the rest of real attention.

Columns are tokens, as on the sheet. With X (d_model, n) and h heads::

    head_i = self_attention(X, WQ_i, WK_i, WV_i)       (d_v, n) each, i = 1 … h
    concat = [head_1; …; head_h]   (stacked rows)      (h·d_v, n)
    output = WO · concat                               (d_out, n)

WQ_i are rows (i−1)·d_k … i·d_k − 1 of WQ (so WQ is h·d_k × d_model), and likewise
for WK and, with d_v rows a head, WV. In the row convention of papers and PyTorch
this is MultiHead(X_r) = Concat(head_1, …, head_h)·W_Oᵀ with X_r = Xᵀ: the same numbers.

Attention alone cannot tell where a token stands (permute the columns of X and the
output's columns are permuted the same way, nothing else changes), so models add a
`positional_encoding` to X first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlviz._checks import as_int, as_matrix, frozen, shape_text
from dlviz.attention import AttentionResult, checked_projections, self_attention


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare by identity
class MultiHeadResult:
    """Every head of one multi-head attention, their concatenation and the output.

    Shapes, with n tokens and h heads: X (d_model, n); WQ, WK (h·d_k, d_model); WV
    (h·d_v, d_model); WO (d_out, h·d_v); `heads`, one `AttentionResult` per head (each
    with its own scores, weights and output, so every view and check of one head works);
    concat (h·d_v, n); output (d_out, n) = WO·concat.
    """

    X: np.ndarray
    WQ: np.ndarray
    WK: np.ndarray
    WV: np.ndarray
    WO: np.ndarray
    heads: tuple[AttentionResult, ...]
    concat: np.ndarray
    output: np.ndarray
    mode: str
    causal: bool
    temperature: float

    @property
    def n_heads(self) -> int:
        return len(self.heads)

    @property
    def d_k(self) -> int:
        """The size of one head's keys and queries."""
        return self.heads[0].d_k

    @property
    def d_v(self) -> int:
        """The size of one head's values (and of its output)."""
        return self.heads[0].V.shape[0]

    @property
    def n_tokens(self) -> int:
        return self.X.shape[1]


def multi_head_attention(
    X, WQ, WK, WV, WO, *, heads, mode: str = "exact", causal: bool = False,
    temperature: float = 1.0,
) -> MultiHeadResult:  # fmt: skip
    """Multi-head self-attention of the tokens in the columns of X, every head returned.

    Each head is the sheet's steps 2-9 on its own slice of the weights
    (`self_attention`, also with mode="hand": the pencil rules inside each head);
    then the heads' outputs are stacked (concat) and mixed by WO.

    Parameters
    ----------
    X : (d_model, n_tokens) the feature vectors, one per column.
    WQ, WK : (heads·d_k, d_model); head i uses rows (i−1)·d_k … i·d_k − 1.
    WV : (heads·d_v, d_model); head i uses rows (i−1)·d_v … i·d_v − 1.
    WO : (d_out, heads·d_v) the output weights.
    heads : how many heads (a whole number ≥ 1 that divides the rows of WQ and WV).
    mode, causal, temperature : as in `self_attention`, for every head.

    Raises
    ------
    TypeError, ValueError
        as `self_attention`; also `heads` that does not divide the rows, or a WO
        whose columns do not match the concatenation; a head's by-hand refusal is
        prefixed with the head's number.

    Examples
    --------
    Two heads of d_k = d_v = 1 on two tokens; head 2 attends evenly:

    >>> r = multi_head_attention([[1, 0], [0, 1]], [[1, 0], [0, 0]], [[1, 0], [0, 0]],
    ...                          [[2, 0], [0, 4]], [[1, 1]], heads=2)
    >>> r.heads[1].weights.tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> r.concat.shape, r.output.shape
    ((2, 2), (1, 2))
    """
    X, WQ, WK, WV = checked_projections(X, WQ, WK, WV)
    WO = as_matrix("WO", WO)
    h = as_int("heads", heads, low=1)
    for name, W in (("WQ", WQ), ("WV", WV)):
        if W.shape[0] % h:
            raise ValueError(
                f"{name} has {W.shape[0]} rows, which {h} heads cannot share equally: "
                f"give it a multiple of {h} rows (heads × rows per head), or choose a "
                f"number of heads that divides {W.shape[0]}"
            )
    if WO.shape[1] != WV.shape[0]:
        raise ValueError(
            f"WO is {shape_text(WO.shape)} but the concatenated heads have {WV.shape[0]} rows "
            f"({h} heads × {WV.shape[0] // h} values, one per row of WV): WO needs "
            f"{WV.shape[0]} columns, so it must be ({WO.shape[0]}×{WV.shape[0]})"
        )
    d_k, d_v = WQ.shape[0] // h, WV.shape[0] // h
    results = []
    for i in range(h):
        q, v = slice(i * d_k, (i + 1) * d_k), slice(i * d_v, (i + 1) * d_v)
        try:
            head = self_attention(
                X, WQ[q], WK[q], WV[v], mode=mode, causal=causal, temperature=temperature
            )
        except ValueError as exc:
            if h == 1 or not _about_the_numbers(str(exc)):
                raise  # the same for every head (mode, temperature, ...): no head to name
            raise ValueError(f"head {i + 1}: {exc}") from exc
        results.append(head)
    concat = np.vstack([r.output for r in results])  # (h·d_v, n)
    with np.errstate(over="ignore", invalid="ignore"):
        output = WO @ concat  # (d_out, n)
    if not np.isfinite(output).all():
        raise ValueError(
            "output overflowed (entries beyond ±1.8e308): WO or the heads' outputs are too "
            f"large; largest |entry| of WO is {np.abs(WO).max():g}"
        )
    first = results[0]
    return MultiHeadResult(
        X=frozen(X), WQ=frozen(WQ), WK=frozen(WK), WV=frozen(WV), WO=frozen(WO),
        heads=tuple(results), concat=frozen(concat), output=frozen(output),
        mode=first.mode, causal=first.causal, temperature=first.temperature,
    )  # fmt: skip


def _about_the_numbers(message: str) -> bool:
    """Is this refusal about one head's numbers (not an argument every head shares)?"""
    return message.startswith("by hand") or "overflowed" in message


def positional_encoding(n_tokens, d_model) -> np.ndarray:
    """The sinusoidal positions of Vaswani et al. (2017), one column per position.

    Returns P (d_model, n_tokens): column p is position p (counting from 0, as the
    paper does); entry 2i is sin(p / 10000^(2i/d_model)) and entry 2i+1 the cos of
    the same angle. Add it to X (X + P) so that attention can tell positions apart.

    >>> positional_encoding(3, 2).round(3).tolist()
    [[0.0, 0.841, 0.909], [1.0, 0.54, -0.416]]
    """
    n = as_int("n_tokens", n_tokens, low=1)
    d = as_int("d_model", d_model, low=1)
    position = np.arange(n)[None, :]  # (1, n)
    pair = np.arange(d)[:, None] // 2  # (d, 1): i, for rows 2i and 2i+1
    angle = position / 10000.0 ** (2 * pair / d)  # (d, n)
    return np.where(np.arange(d)[:, None] % 2 == 0, np.sin(angle), np.cos(angle))
