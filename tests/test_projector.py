"""The projector view of every explorer: the chosen step alone, with its inputs, in large
type; back in the full view everything shows the current numbers. (How it looks at
1280×720 and 150 % zoom: tests/test_browser_projector.py.)"""

import re

import pytest

from dlviz import AttentionExplorer, MoEExplorer, VectorDBExplorer
from dlviz.widgets.base import large_type
from tests.helpers import cells_of, table

CASES = [  # explorer, step, the grids the focus shows (data-name)
    (AttentionExplorer, 4, ["KT", "Q", "scores"]),
    (AttentionExplorer, 8, ["exp", "sums", "weights"]),
    (AttentionExplorer, 9, ["V", "weights", "output"]),
    (VectorDBExplorer, 4, ["P", "pooled_in_step_4", "projected"]),
    (VectorDBExplorer, 7, ["index_vectors_T", "scores", "hits"]),
    (MoEExplorer, 2, ["gate_W", "X"]),
]


def sizes(html: str) -> set[int]:
    return {int(px) for px in re.findall(r"font-size:\s*(\d+)px", html)}


@pytest.mark.parametrize("make, step, names", CASES)
def test_the_projector_shows_the_chosen_step_with_its_inputs_in_large_type(make, step, names):
    explorer = make()
    explorer.controls["view"].value = "projector"
    explorer.controls["step"].value = step
    assert explorer.focus in explorer.children
    assert not any(
        getattr(p, "value", None) for p in explorer.children if p in explorer.panels.values()
    )
    focus = explorer.focus.value
    for name in names:
        assert f'data-name="{name}"' in focus, name
    assert min(sizes(focus)) >= 16 and 18 in sizes(focus)  # labels 16 px, numbers 18 px
    # the numbers are the result's: the same cells as the full view's grid
    explorer.controls["view"].value = "all"
    for name in names:
        full = next(p.value for p in explorer.panels.values() if f'data-name="{name}"' in p.value)
        assert cells_of(table(focus, name)).cells == cells_of(table(full, name)).cells
    explorer.close()


def test_a_change_in_the_projector_view_reaches_the_full_view():
    explorer = VectorDBExplorer()
    explorer.controls["view"].value = "projector"
    explorer.controls["b[1]"].value = 1.0  # steps 2-7 change
    explorer.controls["view"].value = "all"
    fresh = VectorDBExplorer()
    fresh.controls["b[1]"].value = 1.0
    assert [p.value for p in explorer.panels.values()] == [p.value for p in fresh.panels.values()]
    assert explorer.bars_image.value == fresh.bars_image.value
    explorer.close()
    fresh.close()


def test_later_steps_keep_their_place_and_their_numbers():
    explorer = AttentionExplorer()
    explorer.controls["step"].value = 3
    hidden = [k for k, box in explorer.step_boxes.items() if box.layout.visibility == "hidden"]
    assert hidden == [4, 5, 6, 7, 8, 9]
    assert all(explorer.panels[k].value for k in hidden)  # the place is held by the step
    explorer.controls["mode"].value = "exact"
    explorer.controls["step"].value = 9
    assert 'data-name="output"' in explorer.panels[9].value
    explorer.close()


def test_the_view_is_not_part_of_the_text_form():
    explorer = MoEExplorer()
    explorer.controls["view"].value = "projector"
    assert "view" not in repr(explorer) and "step" not in repr(explorer)
    explorer.close()


def test_large_type_grows_the_sheets_type_only():
    html = '<td style="font-size:13px;padding:3px 7px">3</td><th style="font-size:12px">q1</th>'
    assert large_type(html) == (
        '<td style="font-size:18px;padding:0 5px;line-height:1.2">3</td>'
        '<th style="font-size:16px">q1</th>'
    )


@pytest.mark.parametrize(
    ("make", "step", "name", "rows"),
    [(VectorDBExplorer, 4, "projected", ["x", "y"]),
     (AttentionExplorer, 4, "scores", ["k1", "k2", "k3", "k4"])],
)  # fmt: skip
def test_a_product_laid_side_by_side_labels_its_result(make, step, name, rows):
    # Crossed, P · pooled = index vectors reads x and y off P's rows; side by side the
    # index vectors stood without them.
    explorer = make()
    explorer.controls["view"].value = "projector"
    explorer.controls["step"].value = step
    heads = cells_of(table(explorer.focus.value, name)).heads
    assert set(rows) <= set(heads), heads
    explorer.close()


@pytest.mark.parametrize("make", [AttentionExplorer, VectorDBExplorer, MoEExplorer])
def test_the_view_toggle_keeps_its_place_as_the_step_changes(make):
    # In the projector view the toggle sat after the step's name, which is as wide as its
    # words: the buttons shifted sideways with every step. Whatever comes before the
    # toggle on its line now has a width of its own.
    explorer = make()
    explorer.controls["view"].value = "projector"
    toggle = explorer.controls["view"]
    line = next(box for box in explorer.children if toggle in getattr(box, "children", ()))
    before = line.children[: line.children.index(toggle)]
    assert before and all(w.layout.width not in (None, "", "auto") for w in before), [
        (type(w).__name__, w.layout.width) for w in before
    ]
    explorer.close()


@pytest.mark.parametrize(
    "make",
    [AttentionExplorer, VectorDBExplorer, MoEExplorer, lambda: MoEExplorer(capacity_factor=1.0)],
    ids=["attention", "vectordb", "moe", "moe_capacity"],
)
def test_every_step_of_the_walk_through_is_a_step_of_the_projector(make):
    # The mixture of experts' step 7 (the load, the balance loss, the capacity) once had no
    # place on the step slider, which stopped at 6: a teacher could not project it.
    explorer = make()
    explorer.controls["step"].value = explorer.controls["step"].max  # every step shown
    walk = [k for k, panel in explorer.panels.items() if panel.value]
    slider = explorer.controls["step"]
    assert walk == list(range(slider.min, slider.max + 1))
    explorer.controls["view"].value = "projector"
    for step in walk:
        slider.value = step
        focus = explorer.focus.value
        assert f'data-step="{step}"' in focus and "data-name=" in focus, step
    explorer.close()


@pytest.mark.parametrize("capacity", [None, 1.0])
def test_the_projectors_last_moe_step_is_the_balance_loss_and_the_capacity_if_limited(capacity):
    explorer = MoEExplorer(random_tokens=2, capacity_factor=capacity)
    explorer.controls["view"].value = "projector"
    explorer.controls["step"].value = 7
    focus = explorer.focus.value
    for name in ("load", "balance", "aux_loss"):  # the balance loss always applies
        assert f'data-name="{name}"' in focus, name
    # The heading says which: no limit (and how to set one), or the slots each expert serves.
    if capacity is None:
        assert 'data-name="queue"' not in focus and "no capacity limit" in focus
    else:
        assert 'data-name="queue"' in focus and "Capacity: each expert serves" in focus
    explorer.controls["view"].value = "all"
    for name in ("balance", "aux_loss"):  # the same numbers as the full view's step 7
        full = explorer.panels[7].value
        assert cells_of(table(focus, name)).cells == cells_of(table(full, name)).cells
    explorer.close()


def test_the_vectordb_view_toggle_comes_before_the_answer_that_follows_the_query():
    # In the full view the toggle sat after "nearest to <query>: <text>", as wide as its
    # words: the buttons shifted sideways as the query changed.
    explorer = VectorDBExplorer()
    toggle = explorer.controls["view"]
    line = next(box for box in explorer.children if toggle in getattr(box, "children", ()))
    before = line.children[: line.children.index(toggle)]
    states = [w.get_state() for w in before]
    answer = explorer.nearest.value
    explorer.controls["query"].value = "how are you"
    assert explorer.nearest.value != answer  # the answer on the toggle's line changed ...
    assert [w.get_state() for w in before] == states  # ... and nothing before the toggle
    explorer.close()


def test_several_heads_side_by_side_under_the_step_in_the_projector_view():
    """With several heads the projector's step is head 1's; from step 8 every head's weights
    follow under what is set once, and at step 9 the concatenation and WO·concat, in large
    type, with the full view's numbers."""
    explorer = AttentionExplorer(mode="exact")
    explorer.controls["view"].value = "projector"
    children = list(explorer.children)
    assert children.index(explorer.focus) < children.index(explorer.heads_focus)
    assert explorer.heads_focus.value == ""  # one head: the sheet, nothing more
    explorer.controls["heads"].value = 3
    for step in range(1, 8):
        explorer.controls["step"].value = step
        assert explorer.heads_focus.value == "", step
    explorer.controls["step"].value = 8
    shown = explorer.heads_focus.value
    assert "3 heads side by side: each head&#x27;s weights A (the step above is head 1&#x27;s)" in (
        shown
    )
    assert [f'data-name="head{h}_weights"' in shown for h in (1, 2, 3, 4)] == [1, 1, 1, 0]
    assert 'data-name="concat"' not in shown
    assert min(sizes(shown)) >= 16 and 18 in sizes(shown)
    explorer.controls["step"].value = 9
    shown = explorer.heads_focus.value
    assert all(f'data-name="{name}"' in shown for name in ("concat", "WO", "multi_output"))
    explorer.controls["view"].value = "all"  # the same numbers as the full view's
    full = explorer.heads_view.weights.value + explorer.heads_view.concat.value
    for name in ("head1_weights", "head2_weights", "head3_weights", "concat", "multi_output"):
        assert cells_of(table(shown, name)).cells == cells_of(table(full, name)).cells, name
    explorer.controls["view"].value = "projector"
    explorer.controls["heads"].value = 1
    assert explorer.heads_focus.value == ""
    explorer.close()


def test_an_outlined_cell_keeps_room_for_its_rings_in_large_type():
    # The projector's cells have no padding above and below their numbers: the rings of
    # the best score (3 px black, 5 px in all) sat on its digits ("[62/9]").
    explorer = VectorDBExplorer()
    explorer.controls["step"].value = 7
    explorer.controls["view"].value = "projector"
    styles = cells_of(table(explorer.focus.value, "scores")).styles
    last_padding = {at: re.findall(r"padding:([^;]+)", s)[-1] for at, s in styles.items()}
    outlined = {at for at, s in styles.items() if "outline:3px solid" in s}
    assert outlined and all(last_padding[at] == "5px 8px" for at in outlined), last_padding
    assert all(last_padding[at] == "0 5px" for at in styles if at not in outlined)
    explorer.close()
