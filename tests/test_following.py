"""A following grid expects exactly what its explorer shows, after every kind of change.

After each change, the numbers the explorer shows are typed into each following grid,
as a learner would copy them: every cell must be right. And each grid's expected
numbers must equal a recompute from the controls, done here independently.
"""

import numpy as np
import pytest

from dlviz import AttentionExplorer, HandCheck, MoEExplorer, VectorDBExplorer, self_attention
from dlviz.checking import attention_checks
from tests.helpers import outlined, shown


def shown_rows(explorer, name, n_rows, n_cols, transpose=False):
    # A causal grid shows "–" where a query may not look: weight 0, typed as 0.
    cells = {at: "0" if text.strip() == "–" else text for at, text in shown(explorer, name).items()}
    if transpose:
        return [[cells[(j, i)].strip() for j in range(n_cols)] for i in range(n_rows)]
    return [[cells[(i, j)].strip() for j in range(n_cols)] for i in range(n_rows)]


def changed(make, keys, change):
    """A fresh explorer (`make()`) followed by a grid for each of `keys`, then `change`d."""
    explorer = make()
    grids = {k: HandCheck.follow(explorer, k) for k in keys}
    change(explorer)
    return explorer, grids


def assert_copying_the_explorer_is_right(grid, rows):
    grid.type(rows)
    verdict = grid.check()
    assert verdict.all_right, (grid.step.key, rows, verdict.status.tolist())


# --- self-attention ------------------------------------------------------------------------

ATTENTION_CHANGES = [
    ("X box", lambda e: setattr(e.controls["X"].boxes[5][3], "value", -2.0)),
    ("WQ", lambda e: setattr(e.controls["WQ"], "value", np.eye(3, 6).tolist())),
    ("WK", lambda e: setattr(e.controls["WK"].boxes[2][5], "value", 1.0)),
    ("WV", lambda e: setattr(e.controls["WV"].boxes[0][0], "value", 5.0)),
    ("causal", lambda e: setattr(e.controls["causal"], "value", True)),
    ("exact", lambda e: setattr(e.controls["mode"], "value", "exact")),
    ("temperature", lambda e: (setattr(e.controls["mode"], "value", "exact"),
                               setattr(e.controls["temperature"], "value", 2.5))),
    ("step", lambda e: setattr(e.controls["step"], "value", 9)),
    ("reset", lambda e: (setattr(e.controls["X"].boxes[0][0], "value", 7.0), e.reset())),
    ("back to the sheet", lambda e: (setattr(e.controls["mode"], "value", "exact"),
                                     e.back_to_sheet())),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "change"), ATTENTION_CHANGES, ids=[c[0] for c in ATTENTION_CHANGES]
)
def test_attention_grids_follow(what, change):
    explorer, grids = changed(AttentionExplorer, ("scores", "sums", "weights", "output"), change)
    c = explorer.controls
    fresh = self_attention(
        c["X"].value, c["WQ"].value, c["WK"].value, c["WV"].value, mode=c["mode"].value,
        causal=c["causal"].value,
        temperature=c["temperature"].value if c["mode"].value == "exact" else 1.0,
    )  # fmt: skip
    expected = attention_checks(fresh)
    for key, grid in grids.items():
        np.testing.assert_allclose(grid.step.expected, expected[key].expected)
        assert grid.step.title == expected[key].title
    n = fresh.n_tokens
    assert_copying_the_explorer_is_right(grids["scores"], shown_rows(explorer, "scores", n, n))
    assert_copying_the_explorer_is_right(grids["weights"], shown_rows(explorer, "weights", n, n))
    assert_copying_the_explorer_is_right(grids["output"], shown_rows(explorer, "output", 3, n))
    if fresh.mode == "hand":
        assert_copying_the_explorer_is_right(grids["sums"], shown_rows(explorer, "sums", 1, n))
    for grid in grids.values():
        grid.close()
    explorer.close()


# --- vector database -----------------------------------------------------------------------

VECTORDB_CHANGES = [
    ("query", lambda e: setattr(e.controls["query"], "value", "you")),
    ("database", lambda e: setattr(e.controls["database"], "value", "who am I\nhow are you")),
    ("k", lambda e: setattr(e.controls["k"], "value", 2)),
    ("metric", lambda e: setattr(e.controls["metric"], "value", "cosine")),
    ("numbers", lambda e: setattr(e.controls["numbers"], "value", ".3f")),
    ("P slider", lambda e: setattr(e.controls["P[1,1]"], "value", 0.5)),
    ("b slider", lambda e: setattr(e.controls["b[3]"], "value", 0.25)),
    ("W", lambda e: setattr(e.controls["W"].boxes[0][0], "value", 2.0)),
    ("reset", lambda e: (setattr(e.controls["P[2,4]"], "value", -1.0), e.reset())),
]


@pytest.mark.parametrize(("what", "change"), VECTORDB_CHANGES, ids=[c[0] for c in VECTORDB_CHANGES])
def test_vectordb_grids_follow(what, change):
    explorer, grids = changed(VectorDBExplorer, ("pooled", "index", "scores"), change)
    result = explorer.result
    n = len(result.scores)
    hidden, cols = grids["pooled"].step.shape
    assert cols == n + 1
    np.testing.assert_allclose(grids["scores"].step.expected, result.scores)
    assert_copying_the_explorer_is_right(
        grids["pooled"], shown_rows(explorer, "pooled", hidden, cols)
    )
    assert_copying_the_explorer_is_right(grids["index"], shown_rows(explorer, "projected", 2, cols))
    assert_copying_the_explorer_is_right(
        grids["scores"], shown_rows(explorer, "scores", 1, n, transpose=True)
    )
    explorer.close()


# --- mixture of experts ---------------------------------------------------------------------

MOE_CHANGES = [
    ("X1 slider", lambda e: setattr(e.controls["X1[1]"], "value", 3.5)),
    ("X2 slider", lambda e: setattr(e.controls["X2[3]"], "value", -4.0)),
    ("top_k", lambda e: setattr(e.controls["top_k"], "value", 2)),
    ("n_experts", lambda e: setattr(e.controls["n_experts"], "value", 4)),
    ("n_experts and top_k", lambda e: (setattr(e.controls["n_experts"], "value", 5),
                                       setattr(e.controls["top_k"], "value", 3))),
    ("random tokens", lambda e: setattr(e.controls["random_tokens"], "value", 12)),
    ("reset", lambda e: (setattr(e.controls["top_k"], "value", 2), e.reset())),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change"), MOE_CHANGES, ids=[c[0] for c in MOE_CHANGES])
def test_moe_grids_follow(what, change):
    explorer, grids = changed(MoEExplorer, ("logits", "choice", "output"), change)
    r = explorer.result
    E = r.gate_logits.shape[0]
    np.testing.assert_allclose(grids["logits"].step.expected, r.gate_logits[:, :2])
    assert (grids["choice"].step.expected.sum(axis=0) == r.top_k).all()
    assert_copying_the_explorer_is_right(grids["logits"], shown_rows(explorer, "gate_logits", E, 2))
    picked = outlined(explorer, "routing")
    choice = [["1" if (e, j) in picked else "0" for j in range(2)] for e in range(E)]
    assert_copying_the_explorer_is_right(grids["choice"], choice)
    assert_copying_the_explorer_is_right(grids["output"], shown_rows(explorer, "output", 4, 2))
    explorer.close()


# --- many following grids: the steps worked out once a move ------------------------------


@pytest.mark.parametrize(
    "make, keys, control, values",
    [
        (VectorDBExplorer, ["pooled", "index", "scores"], "P[1,1]", [1.5, 0.5]),
        (MoEExplorer, ["logits", "choice", "output"], "X1[1]", [3.5, 2.0]),
        (AttentionExplorer, ["scores", "sums", "weights", "output"], "X", None),
    ],
)
def test_every_following_grid_shares_one_working_out_per_move(
    monkeypatch, make, keys, control, values
):
    explorer = make()
    grids = [HandCheck.follow(explorer, k) for k in keys]
    calls = []
    checks = explorer.checks
    monkeypatch.setattr(explorer, "checks", lambda: calls.append(1) or checks())
    for move in range(2):
        if values is None:  # attention: an entry of X
            explorer.controls[control].boxes[0][0].value = float(move + 3)
        else:
            explorer.controls[control].value = values[move]
        assert len(calls) == move + 1, "each grid worked the steps out again"
        for grid in grids:  # and every grid took them from the new numbers
            assert grid.step is explorer.current_checks()[grid.key]
    explorer.close()
