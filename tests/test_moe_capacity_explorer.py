"""Capacity in the pictures and the explorer (issue 17): dropped slots crossed out, the
capacity line on the load bars, the loss live, the capacity controls refusing bad values."""

import re

import numpy as np
import pytest

from dlviz import MixtureOfExperts, MoEExplorer, examples
from dlviz.plots import DROPPED_COLOUR, GateHeatmap, LoadBars
from dlviz.plots.moe_load import _label_places
from tests.helpers import outlined, shown


def route(n_experts=2, n_tokens=4, top_k=1, factor=None, X=None):
    setting = examples.random_moe(n_experts, n_tokens, seed=0)
    moe = MixtureOfExperts(
        setting["gate_W"], setting["gate_b"], setting["experts"], top_k=top_k,
        capacity_factor=factor,
    )  # fmt: skip
    return moe(setting["X"] if X is None else X)


BATCH = np.array([[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]])  # the notebook's by-hand batch


# --- the pictures -----------------------------------------------------------------------------


def test_gate_crosses_out_the_dropped_slot_and_says_so():
    r = route(X=BATCH, factor=1)
    gate = GateHeatmap(r)
    assert gate.chosen_cells == {(1, 0): 1, (0, 1): 1, (1, 2): 1, (1, 3): 1}
    assert gate.dropped_cells == {(1, 3)}  # X4's slot at expert 2
    assert len(gate.crosses.get_segments()) == 2  # one ✗: two strokes
    assert gate.caption.splitlines()[1] == "✗ dropped: its expert was full (capacity 2)"
    # the cross is drawn in its colour, over X4's cell
    x0, y0 = gate.crosses.get_segments()[0][0]
    assert 2.5 < x0 < 3.5 and 0.5 < y0 < 1.5
    assert tuple(gate.crosses.get_colors()[0][:3]) == pytest.approx(
        tuple(int(DROPPED_COLOUR[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )
    gate.show(route(X=BATCH))  # no capacity: no cross, no caption line
    assert gate.dropped_cells == set() and len(gate.crosses.get_segments()) == 0
    assert "dropped" not in gate.caption


def test_load_bars_show_capacity_as_a_line_and_the_dropped_part_hatched():
    r = route(X=BATCH, factor=1)
    load = LoadBars(r)
    assert load.counts.texts == ["1", "3"]  # routed, as before
    np.testing.assert_allclose([b.get_height() for b in load.bars], [1 / 4, 2 / 4])  # kept
    assert [b.get_visible() for b in load.dropped_bars] == [False, True]
    assert load.dropped_bars[1].get_y() == pytest.approx(2 / 4)
    assert load.dropped_bars[1].get_height() == pytest.approx(1 / 4)
    # The hatching: stripes rising at 45°, each within the dropped part, a ninth of an
    # inch apart, as matplotlib hatches "///".
    stripes = load.hatching.artist.get_segments()
    box = load.dropped_bars[1].get_window_extent(load.figure.canvas.get_renderer())
    assert len(stripes) >= 3
    for (xa, ya), (xb, yb) in stripes:
        assert xb > xa and yb - ya == pytest.approx(xb - xa)
        for x, y in ((xa, ya), (xb, yb)):
            assert box.x0 - 1e-6 <= x <= box.x1 + 1e-6 and box.y0 - 1e-6 <= y <= box.y1 + 1e-6
    intercepts = sorted(ya - xa for (xa, ya), _ in stripes)
    np.testing.assert_allclose(np.diff(intercepts), load.figure.dpi / 9)
    assert load.hatching.artist in load._dynamic
    assert load.capacity_line.get_visible()
    np.testing.assert_allclose(load.capacity_line.get_ydata(), [2 / 4, 2 / 4])
    assert load.capacity_label.texts == ["capacity:", "2 each"]
    assert (
        load.caption.splitlines()[2]
        == f"balance loss {r.aux_loss:.2f} (1 if first choices even) · dropped 1 of 4"
    )
    assert r.aux_loss == pytest.approx(1.12, abs=0.005)
    load.show(route(X=BATCH))
    assert not load.capacity_line.get_visible() and load.capacity_label.texts == []
    assert not any(b.get_visible() for b in load.dropped_bars)
    assert len(load.hatching.artist.get_segments()) == 0


def test_capacity_above_every_bar_is_said_in_words():
    r = route(X=BATCH, factor=4)  # floor(4 · 4 / 2) = 8 slots for 4 tokens
    load = LoadBars(r)
    assert not load.capacity_line.get_visible()
    assert load.caption.splitlines()[2].endswith("dropped 0 of 4 (capacity 8)")


def test_close_lines_put_their_labels_apart():
    step = 0.05
    apart = _label_places({"balanced": (0.25, ""), "capacity": (0.6, "")}, step)
    assert apart == pytest.approx({"balanced": 0.275, "capacity": 0.625})  # each on its line
    close = _label_places({"balanced": (0.25, ""), "capacity": (0.24, "")}, step)
    assert close["balanced"] - step > close["capacity"]  # two lines each, no overlap
    assert close["balanced"] - step >= 0.25 and close["capacity"] <= 0.24


def test_blitted_renders_with_capacity_equal_fresh_full_renders():
    live_gate = GateHeatmap(route(), max_experts=8, max_tokens=12, figsize=(5.2, 3.6))
    live_load = LoadBars(route(), max_experts=8, figsize=(3.8, 3.6))
    for fig in (live_gate, live_load):
        fig.render()
    for step in (route(8, 66, factor=1.0), route(3, 10, top_k=2, factor=0.5), route(2, 4)):
        live_gate.show(step)
        live_load.show(step)
        live_gate.render()
        live_load.render()
    target = route(4, 9, top_k=2, factor=0.75)
    assert target.dropped.any()
    live_gate.show(target)
    live_load.show(target)
    fresh_gate = GateHeatmap(target, max_experts=8, max_tokens=12, figsize=(5.2, 3.6))
    np.testing.assert_array_equal(live_gate.render(), fresh_gate.render())
    fresh_load = LoadBars(target, max_experts=8, figsize=(3.8, 3.6))
    np.testing.assert_array_equal(live_load.render(), fresh_load.render())


# --- the explorer -----------------------------------------------------------------------------


@pytest.fixture
def explorer():
    return MoEExplorer()


def crowd(explorer, factor=1.0, top_k=1, n_experts=8, random_tokens=64):
    c = explorer.controls
    with explorer.hold():
        c["n_experts"].value = n_experts
        c["top_k"].value = top_k
        c["random_tokens"].value = random_tokens
        c["capacity"].value = factor is not None
        if factor is not None:
            c["capacity_factor"].value = factor


def test_starts_without_a_limit_and_the_factor_waits_for_the_box(explorer):
    c = explorer.controls
    assert c["capacity"].value is False and c["capacity_factor"].disabled
    assert explorer.result.capacity is None and not explorer.result.dropped.any()
    c["capacity_factor"].value = 0.5  # no effect while the box is clear
    assert explorer.result.capacity is None
    c["capacity"].value = True
    assert not c["capacity_factor"].disabled
    assert explorer.result.capacity == 0  # floor(0.5 · 1 · 2 / 2)
    assert explorer.result.dropped.all()
    np.testing.assert_array_equal(explorer.result.output, np.zeros((4, 2)))


def test_capacity_recomputes_everything_together(explorer):
    crowd(explorer, factor=1.0, top_k=2)
    r = explorer.result
    setting = examples.random_moe(8, 66, seed=0)
    expected = MixtureOfExperts(
        setting["gate_W"], setting["gate_b"], setting["experts"], top_k=2, capacity_factor=1.0
    )(setting["X"])
    assert r.capacity == expected.capacity == 16  # floor(1 · 2 · 66 / 8)
    np.testing.assert_array_equal(r.dropped, expected.dropped)
    assert r.aux_loss == pytest.approx(expected.aux_loss)
    # the grids of the last step
    load = shown(explorer, "load")
    assert [load[(0, e)] for e in range(8)] == [str(v) for v in expected.tokens_per_expert]
    assert [load[(1, e)] for e in range(8)] == [str(v) for v in expected.kept_per_expert]
    assert shown(explorer, "aux_loss") == {(0, 0): f"{expected.aux_loss:.3f}"}
    dropped_shown = {(i, j) for i, j in zip(*np.nonzero(expected.dropped[:, :12]), strict=True)}
    assert outlined(explorer, "queue") == dropped_shown
    # the pictures
    assert explorer.gate.dropped_cells == {
        (int(expected.chosen[i, j]), int(j)) for i, j in dropped_shown
    }
    assert explorer.load.capacity_label.texts == ["capacity:", "16 each"]
    assert f"dropped {int(expected.dropped.sum())} of 132" in explorer.load.caption


def test_the_by_hand_batch_live(explorer):
    # X1, X2 of the sheet plus two random tokens at factor 1: the queue grid shows places
    crowd(explorer, factor=1.0, n_experts=2, random_tokens=2)
    r = explorer.result
    assert r.capacity == 2
    places = shown(explorer, "queue")
    expected = {}
    seen = {0: 0, 1: 0}
    for j in range(4):
        seen[int(r.chosen[0, j])] += 1
        expected[(0, j)] = str(seen[int(r.chosen[0, j])])
    assert places == expected
    assert outlined(explorer, "queue") == {(0, j) for j in range(4) if r.dropped[0, j]}
    # a dropped token is not in its expert's work, and is marked in the output grid
    panel = explorer.panels[6].value
    for j in np.flatnonzero(r.dropped[0]):
        assert f"X{j + 1}→e{r.chosen[0, j] + 1} ✗" in panel


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1.0, r"capacity_factor = -1 is outside its range, 0 to 4: a negative capacity"),
        (float("nan"), "capacity_factor = nan is not a number"),
        (5.0, "capacity_factor = 5 is outside its range, 0 to 4"),
    ],
)
def test_bad_factor_from_python_is_explained_and_refused(explorer, value, message):
    explorer.controls["capacity"].value = True
    before = explorer.result
    explorer.controls["capacity_factor"].value = value
    assert explorer.error and pytest.approx(1.0) == explorer.controls["capacity_factor"].value
    assert re.search(message, explorer.error), explorer.error
    assert explorer.result is before
    explorer.controls["capacity_factor"].value = 1.5  # still working
    assert explorer.error == "" and explorer.result.capacity_factor == 1.5


def test_reset_clears_the_limit(explorer):
    crowd(explorer, factor=0.5)
    explorer.controls["reset"].click()
    assert explorer.controls["capacity"].value is False
    assert explorer.result.capacity is None
    assert explorer.controls["capacity_factor"].value == 1.0


def test_starting_factor_and_bad_ones():
    e = MoEExplorer(capacity_factor=1.25, n_experts=8, random_tokens=64)
    assert e.controls["capacity"].value and e.result.capacity == 10  # floor(1.25 · 66 / 8)
    with pytest.raises(ValueError, match="capacity_factor must be from 0 to 4 in the explorer"):
        MoEExplorer(capacity_factor=6)
    with pytest.raises(TypeError, match="capacity_factor must be a number"):
        MoEExplorer(capacity_factor="1")
    with pytest.raises(ValueError, match="capacity_factor is NaN"):
        MoEExplorer(capacity_factor=float("nan"))


@pytest.mark.parametrize(("factor", "said"), [(1.0, "= 1 slot,"), (2.0, "= 2 slots,")])
def test_the_capacity_heading_counts_slots_in_good_english(factor, said):
    # the sheet's 2 tokens, 2 experts, top-1: floor(factor · 1 · 2 / 2) slots an expert
    explorer = MoEExplorer()
    with explorer.hold():
        explorer.controls["capacity"].value = True
        explorer.controls["capacity_factor"].value = factor
    page = "".join(p.value for p in explorer.panels.values())
    assert re.search(r"Capacity: each expert serves floor\([^)]*\) " + re.escape(said), page)
    explorer.close()


def test_the_capacity_grids_captions_are_short_and_the_heading_says_the_rest():
    """A long caption stretched its grid: 0.500 sat in a cell 155 px wide. The captions are
    a few words; the heading explains f, P and the outlined slots, in both views."""
    from dlviz.widgets.moe_capacity import CAPTIONS, capacity_view

    assert max(map(len, CAPTIONS.values())) <= 16
    for factor in (None, 1.0):
        title, _ = capacity_view(route(factor=factor, X=BATCH), 12)
        assert title.endswith(
            ". f: share of first choices, P: mean gate probability; the loss is 1 when f is even"
        )
        assert ("(outlined)" in title) == (factor is not None)
