"""The still view each explorer and try-it grid puts in its display bundle (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dlviz import AttentionExplorer, HandCheck, MoEExplorer, VectorDBExplorer
from dlviz.widgets.static import static_view

ROOT = Path(__file__).resolve().parent.parent
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("cls", [AttentionExplorer, VectorDBExplorer, MoEExplorer])
def test_an_explorer_bundle_has_the_live_widget_and_a_still_view(cls):
    explorer = cls()
    try:
        bundle = explorer._repr_mimebundle_()
        assert WIDGET in bundle  # a front end with a kernel shows the live widget
        view = bundle["text/html"]
        assert "Run All Cells" in view and 'data-kind="explorer"' in view
        assert view.count("data:image/png;base64,") >= 1  # its pictures travel with it
        assert "<table" in view  # and its grids
    finally:
        explorer.close()


def test_the_still_view_shows_the_current_values():
    explorer = AttentionExplorer()
    try:
        explorer.controls["mode"].value = "exact"
        view = explorer._repr_mimebundle_()["text/html"]
        assert re.search(r"<b>\[exact\]</b>", view)
        assert "0.26" in view  # A's first entry, exact (exercises.md: 0.258)
    finally:
        explorer.close()


def test_a_try_it_grid_shows_empty_boxes_and_not_the_answer():
    explorer = AttentionExplorer()
    try:
        grid = HandCheck.follow(explorer, "scores")
        view = grid._repr_mimebundle_()["text/html"]
        assert 'data-kind="try-it grid"' in view
        assert view.count(">?</span>") == 16  # 4 × 4 empty boxes, placeholder shown
        assert "answer-scores" not in view  # the hidden answer stays hidden
        grid.answer_button.value = True
        assert "answer-scores" in static_view(grid)
    finally:
        explorer.close()


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_saved_widget_output_carries_its_still_view(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    widget_outputs = [
        out
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell["outputs"]
        if WIDGET in out.get("data", {})
    ]
    assert widget_outputs
    for out in widget_outputs:
        view = "".join(out["data"].get("text/html", ""))
        assert "Run All Cells" in view, out["data"]["text/plain"]
    # The saved notebooks stay small enough to open and diff comfortably.
    assert path.stat().st_size < 2_000_000
