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
