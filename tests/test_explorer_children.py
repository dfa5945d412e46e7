"""A control move updates an explorer's views in place: its children are never set anew.

Setting `children` again makes the front end re-create the views of the children
after the first changed place (pictures included): slower, and a page that holds a
picture element (the browser test, a learner's zoom) loses it. Found when a style
child added by the base class made every update re-set the children.
"""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from dlviz import AttentionExplorer, MoEExplorer, VectorDBExplorer

MOVES = {
    AttentionExplorer: ("temperature", 1.5),
    VectorDBExplorer: ("k", 2),
    MoEExplorer: ("X1[1]", 3.0),
}


@pytest.mark.parametrize("cls", list(MOVES), ids=lambda c: c.__name__)
def test_a_control_move_keeps_the_children(cls):
    explorer = cls()
    try:
        if cls is AttentionExplorer:
            explorer.controls["mode"].value = "exact"  # temperature acts on the exact path
        sets = []
        explorer.observe(lambda change: sets.append(change), names="children")
        name, value = MOVES[cls]
        explorer.controls[name].value = value
        assert explorer.error == ""
        assert sets == []
    finally:
        explorer.close()


def test_the_theme_style_rides_in_the_message_area():
    explorer = MoEExplorer()
    try:
        assert "jupyter-widget-Collapse-header" in explorer.message.value
        explorer.controls["X1[1]"].value = 3.0
        assert explorer.message.value.startswith("<style>")
    finally:
        explorer.close()


@pytest.mark.parametrize("make", [AttentionExplorer, VectorDBExplorer])
def test_a_refusal_shows_above_the_inputs_editor(make):
    # With "edit the inputs" open, a message below it was out of sight at 1280×720: a
    # learner ticked *add positions* and saw nothing change, the reason 700 px down.
    explorer = make()
    children = list(explorer.children)
    editors = [c for c in children if isinstance(c, widgets.Accordion) and c.titles
               and c.titles[0].startswith("edit the")]  # fmt: skip
    assert editors and children.index(explorer.message) < children.index(editors[0])
    explorer.close()


def _in_sight(widget, box) -> bool:
    """Whether `widget` is shown in `box` without opening anything (an Accordion folds)."""
    if box is widget:
        return True
    if isinstance(box, widgets.Accordion):
        return False
    return any(_in_sight(widget, child) for child in getattr(box, "children", ()))


@pytest.mark.parametrize("make", [AttentionExplorer, VectorDBExplorer, MoEExplorer])
def test_back_to_the_exercise_is_in_sight(make):
    # Every "Try this" starts with it; the attention explorer kept it in the folded editor,
    # where a learner (and the browser) could not see it.
    explorer = make()
    assert _in_sight(explorer.controls["reset"], explorer)
    explorer.close()
