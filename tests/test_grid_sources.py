"""A grid says "the sheet's numbers" only while they are the sheet's.

The try-it grids that follow an explorer (notebooks 1 and 3 follow one; 2 and 4 could)
check whatever numbers the explorer shows now. When a learner changes them, each grid
says where its numbers come from ("from the explorer: …"), never still "the sheet's";
when the explorer started from a fresh exercise, the exercise's own numbers.
"""

import html
import re

import numpy as np
import pytest

from dlviz import AttentionExplorer, HandCheck, MoEExplorer, VectorDBExplorer, examples

SHEET = "the sheet's numbers"


def said(checker) -> str:
    """The words beside the grid that say where its numbers come from, as read."""
    return html.unescape(re.sub(r"<[^>]+>", "", checker.source_area.value))


def following(explorer):
    return {key: HandCheck.follow(explorer, key) for key in explorer.checks()}


def expected(grids):
    return {key: np.array(g.step.expected, dtype=float) for key, g in grids.items()}


def assert_honest(grids, sheet, change):
    """Every grid whose numbers are no longer the sheet's says so, and from where."""
    for key, grid in grids.items():
        now, before = np.array(grid.step.expected, dtype=float), sheet[key]
        if now.shape == before.shape and np.allclose(now, before, equal_nan=True):
            continue  # still the sheet's numbers: either wording is true
        assert SHEET not in said(grid), f"after {change}, grid {key!r} says {said(grid)!r}"
        assert "from the explorer:" in said(grid), (change, key, said(grid))
        assert grid.sheet_button.layout.display is None, (change, key)


def walk(explorer, changes):
    """Follow every step of the explorer, make the changes one by one as a learner would,
    and check what every grid says after each; the grids, by step."""
    grids = following(explorer)
    sheet = expected(grids)
    for name, value in changes:
        if name == "X[1,1]":
            explorer.controls["X"].boxes[0][0].value = value
        else:
            explorer.controls[name].value = value
        assert_honest(grids, sheet, f"{name} = {value}")
    return grids


MOE_CHANGES = [
    ("random_tokens", 2), ("capacity", True), ("capacity_factor", 0.25),
    ("capacity_factor", 1.25), ("random_tokens", 10), ("n_experts", 3), ("top_k", 2),
    ("capacity", False), ("X1[1]", 3.5), ("random_tokens", 0),
]  # fmt: skip


def test_moe_grids_never_call_the_explorers_numbers_the_sheets():
    explorer = MoEExplorer()
    assert all(said(g).strip() == SHEET for g in following(explorer).values())
    grids = walk(explorer, MOE_CHANGES)
    assert set(grids) == {"logits", "choice", "output", "dropped", "balance", "aux_loss"}
    grids["dropped"].sheet_button.click()
    assert all(said(g).strip() == SHEET for g in grids.values())
    explorer.close()


def test_moe_grids_say_the_capacity_and_the_tokens_that_set_it():
    explorer = MoEExplorer()
    grids = following(explorer)
    explorer.controls["capacity"].value = True
    explorer.controls["random_tokens"].value = 2  # notebook 3, exercise 5
    assert "from the explorer: 2 more tokens, capacity factor 1" in said(grids["dropped"])
    # X1 and X2 only, but the tokens after them set the capacity, so they are named too
    assert "from the explorer: 2 more tokens, capacity factor 1" in said(grids["output"])
    explorer.controls["random_tokens"].value = 0
    explorer.controls["capacity_factor"].value = 0.25  # no slot at all: every output is 0
    assert not grids["output"].step.expected.any()
    assert "from the explorer: capacity factor 0.25" in said(grids["output"])
    explorer.close()


def test_moe_grids_name_the_token_that_was_moved_not_both():
    # Moving X2[3] alone said "X1, X2 edited": a learner looked for what changed in X1.
    explorer = MoEExplorer()
    grids = following(explorer)
    explorer.controls["X2[3]"].value += 1
    assert said(grids["logits"]).strip() == "from the explorer: X2 edited"
    explorer.controls["X1[1]"].value += 1
    assert said(grids["logits"]).strip() == "from the explorer: X1, X2 edited"
    explorer.controls["X2[3]"].value -= 1
    assert said(grids["output"]).strip() == "from the explorer: X1 edited"
    explorer.close()


def test_attention_grids_never_call_the_explorers_numbers_the_sheets():
    explorer = AttentionExplorer()
    assert SHEET in said(HandCheck.follow(explorer, "multi_output"))
    changes = [("positions", True), ("causal", True), ("mode", "exact"), ("temperature", 2.0),
               ("positions", False), ("heads", 3), ("X[1,1]", 1.0)]  # fmt: skip
    grids = walk(explorer, changes)
    assert "X edited" in said(grids["multi_output"]) and "3 heads" in said(grids["concat"])
    explorer.close()


def test_positions_are_said_as_positions_not_as_an_edit_of_x():
    explorer = AttentionExplorer()
    grids = following(explorer)
    explorer.controls["positions"].value = True
    for grid in grids.values():
        assert "from the explorer: positions added to X" in said(grid)
        assert "X edited" not in said(grid)
    explorer.controls["X"].boxes[0][0].value = 1.0
    assert "from the explorer: X edited, positions added to X" in said(grids["scores"])
    explorer.close()


def test_two_heads_are_the_multi_head_exercises_until_edited():
    explorer = AttentionExplorer()
    grids = following(explorer)
    explorer.controls["heads"].value = 2  # notebook 4's second head
    assert said(grids["concat"]).strip() == "the multi-head exercise's numbers (beyond the sheet)"
    explorer.controls["mode"].value = "exact"
    assert "from the explorer: exact mode" in said(grids["concat"])
    explorer.close()


def test_vectordb_grids_never_call_the_explorers_numbers_the_sheets():
    explorer = VectorDBExplorer()
    changes = [("metric", "cosine"), ("k", 2), ("query", "who are you"), ("b[1]", 1.0),
               ("database", "who am I\nhow are you"), ("metric", "dot")]  # fmt: skip
    walk(explorer, changes)
    explorer.close()


@pytest.mark.parametrize(
    ("cls", "exercise", "key"),
    [(AttentionExplorer, examples.attention_exercise, "sums"),
     (VectorDBExplorer, examples.vectordb_exercise, "scores"),
     (MoEExplorer, examples.moe_exercise, "output"),
     (MoEExplorer, examples.moe_exercise, "dropped")],
)  # fmt: skip
def test_a_fresh_exercise_is_not_called_the_sheet(cls, exercise, key):
    explorer = cls(**exercise(7))
    grid = HandCheck.follow(explorer, key)
    assert said(grid).strip() == "the exercise's own numbers (not the sheet's)"
    assert grid.sheet_button.description == "back to the exercise's numbers"
    explorer.close()
    sheet = cls(**exercise())  # the sheet's numbers passed in are the sheet's
    grid = HandCheck.follow(sheet, key)
    assert said(grid).strip() == SHEET and grid.sheet_button.description.endswith("sheet's numbers")
    sheet.close()


def test_grids_beyond_the_sheet_keep_their_own_words():
    from dlviz import MixtureOfExperts, multi_head_attention
    from dlviz.capacity_checks import capacity_checks
    from dlviz.multi_head_checks import multi_head_checks

    two = examples.multi_head_exercise()  # notebook 4
    hand = multi_head_attention(
        two["X"], two["WQ"], two["WK"], two["WV"], two["WO"], heads=2, mode="hand"
    )
    step = multi_head_checks(hand)["multi_output"]
    assert step.source == () and step.origin.startswith("the multi-head exercise's numbers")
    ex = examples.moe_exercise()  # notebook 3's batch of four
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"]).with_capacity_factor(1)
    Xb = np.array([[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]])
    origin = "the capacity exercise's numbers (beyond the sheet)"
    for step in capacity_checks(moe(Xb), origin=origin).values():
        assert step.source == () and step.origin == origin
