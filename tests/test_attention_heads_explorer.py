"""AttentionExplorer's heads and positions controls, driven from Python."""

import numpy as np
import pytest

from dlviz import AttentionExplorer, HandCheck, examples, multi_head_attention, positional_encoding
from dlviz.multi_head_checks import head_checks
from dlviz.palette import css, tint
from tests.helpers import cells_of, table


@pytest.fixture
def explorer():
    return AttentionExplorer()


def _concat_cells(explorer, name):
    return cells_of(table(explorer.heads_view.concat.value, name)).cells


def _shown_heads(explorer):
    html = explorer.heads_view.weights.value
    return [h for h in range(1, 5) if f'data-name="head{h}_weights"' in html]


def test_one_head_is_the_sheet_as_before(explorer):
    assert explorer.multi.n_heads == 1 and explorer.multi.heads[0] is explorer.result
    assert explorer.heads_view.layout.display == "none"
    assert "heads" not in repr(explorer) and "positions" not in repr(explorer)


def test_two_heads_are_notebook_4s_example(explorer):
    explorer.controls["heads"].value = 2
    expected = multi_head_attention(**examples.multi_head_exercise(), heads=2, mode="hand")
    np.testing.assert_allclose(explorer.multi.output, expected.output)
    np.testing.assert_allclose(explorer.multi.heads[1].weights, expected.heads[1].weights)
    assert explorer.multi.heads[0] is explorer.result  # the walk-through is head 1
    assert explorer.heads_view.layout.display is None and _shown_heads(explorer) == [1, 2]
    assert _concat_cells(explorer, "multi_output")[(0, 2)] == "31"  # 16 + 15
    assert _concat_cells(explorer, "concat")[(3, 0)] == "9"  # head 2's z1, first entry
    assert repr(explorer).endswith("step=9, heads=2)")


@pytest.mark.parametrize("mode", ["hand", "exact"])
def test_four_heads_side_by_side(explorer, mode):
    explorer.controls["mode"].value = mode
    explorer.controls["heads"].value = 4
    assert explorer.error == "" and explorer.multi.n_heads == 4
    assert _shown_heads(explorer) == [1, 2, 3, 4]
    assert explorer.multi.concat.shape == (12, 4)
    html = explorer.heads_view.weights.value
    grids = [cells_of(table(html, f"head{h}_weights")).cells for h in range(1, 5)]
    assert len({tuple(sorted(g.items())) for g in grids}) == 4  # four different heads
    for h, g in enumerate(grids):  # each grid shows its own head's numbers
        fmt = ".1f" if mode == "hand" else ".2f"
        assert g[(1, 0)] == format(explorer.multi.heads[h].weights[1, 0], fmt)
    explorer.controls["heads"].value = 1
    assert explorer.heads_view.layout.display == "none"


def test_heads_follow_the_step_slider(explorer):
    explorer.controls["heads"].value = 2
    explorer.controls["step"].value = 8
    assert explorer.heads_view.layout.display is None
    assert explorer.heads_view.concat.layout.display == "none"
    explorer.controls["step"].value = 4
    assert explorer.heads_view.layout.display == "none"


def test_positions_are_added_to_X(explorer):
    explorer.controls["mode"].value = "exact"
    before = explorer.result
    explorer.controls["positions"].value = True
    X = examples.attention_exercise()["X"]
    np.testing.assert_allclose(explorer.result.X, X + positional_encoding(4, 6))
    assert not np.allclose(explorer.result.weights, before.weights)
    # k1 = k4 on the sheet, so rows 1 and 4 of A are equal; positions tell them apart
    np.testing.assert_allclose(before.weights[0], before.weights[3])
    assert not np.allclose(explorer.result.weights[0], explorer.result.weights[3])
    explorer.controls["positions"].value = False
    np.testing.assert_allclose(explorer.result.weights, before.weights)


def test_too_many_heads_are_refused_in_words(explorer):
    good = explorer.multi
    explorer.controls["heads"].value = 5
    assert "heads = 5 is outside its range, 1 to 4" in explorer.error
    assert explorer.multi is good and explorer.controls["heads"].value == 1
    explorer.controls["heads"].value = 2
    assert explorer.error == ""


def test_a_heads_by_hand_refusal_names_the_head_and_keeps_the_views(explorer):
    explorer.controls["heads"].value = 2
    good = explorer.multi
    explorer.controls["positions"].value = True  # head 2's q2 powers all round to 0 by hand
    assert explorer.error.startswith("Head 2: by hand, every power of 3 in column q2 rounds to 0")
    assert explorer.multi is good and explorer.result is good.heads[0]
    explorer.controls["mode"].value = "exact"  # the formula never rounds
    assert explorer.error == "" and explorer.multi.n_heads == 2


def test_a_grid_follows_the_heads(explorer):
    check = HandCheck.follow(explorer, "multi_output")
    np.testing.assert_allclose(check.step.expected, explorer.result.output)  # one head: Z
    explorer.controls["heads"].value = 2
    np.testing.assert_allclose(check.step.expected[:, 2], [31, 4, 6])
    check.type([["17", "22", "31", "13"], ["7", "14", "4", "6"], ["15", "8", "6", "17"]])
    assert check.check().all_right


def test_reset_turns_positions_off(explorer):
    explorer.controls["positions"].value = True
    explorer.reset()
    assert not explorer.controls["positions"].value and explorer.error == ""


def test_the_heads_weights_are_drawn_as_the_walk_throughs_weights(explorer):
    # "tinted like a heatmap" (notebook 4): head 1's A in the heads panel has the
    # colours of step 8's A above it, white (0) to blue (1), and so does every head.
    from tests.helpers import grid_html

    explorer.controls["heads"].value = 3
    panel = explorer.heads_view.weights.value
    step_8 = cells_of(grid_html(explorer, "weights")).styles
    assert cells_of(table(panel, "head1_weights")).styles == step_8
    for h in (2, 3):
        head = explorer.multi.heads[h - 1].weights
        styles = cells_of(table(panel, f"head{h}_weights")).styles
        for (i, j), style in styles.items():
            assert f"background:{css(tint(head[i, j], 1.0, 'positive'))}" in style


def test_a_later_heads_grids_say_whose_weights_they_are():
    # Head 2 has weights of its own: its try-it grids say so, never "WQ, WK, WV edited".
    hand = multi_head_attention(**examples.multi_head_exercise(), heads=2, mode="hand")
    for step in head_checks(hand, 2).values():
        assert step.source == ("head 2's own weights, rows 4–6 of WQ, WK, WV",)
    assert all(step.source == () for step in head_checks(hand, 1).values())  # the sheet
    np.testing.assert_allclose(head_checks(hand, 2)["weights"].expected, hand.heads[1].weights)
    edited = dict(examples.multi_head_exercise(), X=np.ones((6, 4)))
    causal = multi_head_attention(**edited, heads=2, mode="exact", causal=True)
    assert head_checks(causal, 2)["scores"].source == (
        "head 2's own weights, rows 4–6 of WQ, WK, WV", "X edited", "exact mode", "causal",
    )  # fmt: skip
    with pytest.raises(ValueError, match="head must be from 1 to 2, got 3"):
        head_checks(hand, 3)


def test_the_truncation_hint_quotes_the_learners_own_numbers():
    # Head 2's weights grid said "0.1875 → 0.2": a share of the sheet's head 1, found
    # nowhere in head 2's numbers. The example is now the grid's own first share that
    # rounds up (head 2: 1/6).
    from dlviz.checking import check

    hand = multi_head_attention(**examples.multi_head_exercise(), heads=2, mode="hand")
    for head, example in ((1, "(0.1875 → 0.2, because the next digit is 8)"),
                          (2, "(0.1667 → 0.2, because the next digit is 6)")):  # fmt: skip
        step = head_checks(hand, head)["weights"]
        truncated = np.floor(step.exact * 10 + 1e-9) / 10
        verdict = check(step, [[f"{v:.1f}" for v in row] for row in truncated])
        assert [h.text for h in verdict.hints] == [
            f"These are truncated: round to one decimal instead {example}."
        ]
