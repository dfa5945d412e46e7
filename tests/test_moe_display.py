"""The mixture-of-experts pictures (gate choices, load) and the random setting of examples."""

import numpy as np
import pytest

from dlviz import MixtureOfExperts, examples
from dlviz.plots import GATE_MAX_TOKENS, GateHeatmap, GlyphLabels, LoadBars


def route(n_experts=2, n_tokens=2, top_k=1, X=None):
    ex = examples.random_moe(n_experts, n_tokens)
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], top_k=top_k)
    return moe(ex["X"] if X is None else X)


def numbers(gate):
    """The printed probabilities as {(expert, token): text}."""
    n_experts, n_tokens = gate.view
    return {(e, t): gate.cell_text(e, t) for e in range(n_experts) for t in range(n_tokens)}


def frames(collection):
    """The cells (expert, token) a LineCollection of cell outlines goes round."""
    return {(round(seg[:, 1].mean()), round(seg[:, 0].mean())) for seg in collection.get_segments()}


# --- examples.random_moe ------------------------------------------------------------------


def test_random_moe_with_the_sheets_size_is_the_sheet():
    sheet, same = examples.moe_exercise(), examples.random_moe(2, 2)
    for key in ("X", "gate_W", "gate_b"):
        np.testing.assert_array_equal(same[key], sheet[key])
    for (W, b), (W0, b0) in zip(same["experts"], sheet["experts"], strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_random_moe_embeds_the_sheet_and_adds_to_the_end():
    sheet = examples.moe_exercise()
    big = examples.random_moe(6, 40)
    assert big["X"].shape == (3, 40) and big["gate_W"].shape == (6, 3)
    assert big["gate_b"].shape == (6,) and len(big["experts"]) == 6
    np.testing.assert_array_equal(big["X"][:, :2], sheet["X"])  # X1, X2
    np.testing.assert_array_equal(big["gate_W"][:2], sheet["gate_W"])
    np.testing.assert_array_equal(big["experts"][1][0], sheet["experts"][1][0])
    # more tokens or experts only add to the end
    small = examples.random_moe(4, 10)
    np.testing.assert_array_equal(big["X"][:, :10], examples.random_moe(6, 10)["X"])
    np.testing.assert_array_equal(small["X"], examples.random_moe(2, 10)["X"])
    np.testing.assert_array_equal(big["gate_W"][:4], small["gate_W"])
    for (W, _), (W_small, _) in zip(big["experts"][:4], small["experts"], strict=True):
        np.testing.assert_array_equal(W, W_small)


def test_random_moe_is_deterministic_fresh_and_whole_numbered():
    a, b = examples.random_moe(5, 30), examples.random_moe(5, 30)
    np.testing.assert_array_equal(a["X"], b["X"])
    np.testing.assert_array_equal(a["gate_W"], b["gate_W"])
    a["X"][0, 0] = 99  # a learner edits the arrays of one call ...
    a["experts"][3][0][0, 0] = 99
    c = examples.random_moe(5, 30)  # ... the next call is untouched
    assert c["X"][0, 0] == 2 and c["experts"][3][0][0, 0] != 99
    assert not np.array_equal(examples.random_moe(5, 30, seed=1)["X"], c["X"])
    X = c["X"][:, 2:]
    assert np.array_equal(X, np.round(X)) and X.min() >= -3 and X.max() <= 3
    assert np.array_equal(c["gate_W"] * 10, np.round(c["gate_W"] * 10))  # one decimal
    zeros = c["gate_W"][c["gate_W"] == 0]
    assert zeros.size and not np.signbit(zeros).any()  # no rounded -0.0
    assert all(set(np.unique(W)) <= {-1, 0, 1} and not b.any() for W, b in c["experts"])
    assert not c["gate_b"].any()


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((1, 2), ValueError, r"n_experts must be at least 2, got 1"),
        ((2, 1), ValueError, r"n_tokens must be at least 2, got 1"),
        ((2.5, 2), TypeError, r"n_experts must be a whole number, got 2.5"),
        ((True, 2), TypeError, r"n_experts must be a whole number, got True"),
    ],
)
def test_random_moe_refuses_sizes_without_the_sheet(args, error, message):
    with pytest.raises(error, match=message):
        examples.random_moe(*args)


# --- the gate picture ---------------------------------------------------------------------


def test_gate_prints_the_probabilities_and_outlines_the_chosen_experts():
    gate = GateHeatmap(route())  # the sheet: X1 → expert 2, X2 → expert 1
    assert gate.view == (2, 2) and gate.printed
    assert numbers(gate) == {(0, 0): "0.27", (1, 0): "0.73", (0, 1): "0.73", (1, 1): "0.27"}
    assert gate.chosen_cells == {(1, 0): 1, (0, 1): 1}
    assert frames(gate.best) == {(1, 0), (0, 1)} and frames(gate.others) == set()
    assert len(gate.discs.get_offsets()) == 2
    assert gate.token_labels.texts == ["X1", "X2"] and gate.expert_labels.texts == ["e1", "e2"]
    assert gate.caption == "outlined: the chosen expert"
    assert gate.notes.texts == ["outlined: the chosen expert"]
    # white on the dark chosen cells, black on the light ones
    colours = gate.numbers.artist.get_facecolor()
    np.testing.assert_allclose(colours[1][:3], 1.0)  # (e2, X1): 0.73
    np.testing.assert_allclose(colours[0][:3], 0.0)  # (e1, X1): 0.27


def test_gate_top_2_marks_the_best_solid_and_the_second_dashed():
    gate = GateHeatmap(route(top_k=2))
    assert gate.chosen_cells == {(1, 0): 1, (0, 1): 1, (0, 0): 2, (1, 1): 2}
    assert frames(gate.best) == {(1, 0), (0, 1)}
    assert frames(gate.others) == {(0, 0), (1, 1)}
    assert gate.others.get_linestyle()[0][1] is not None  # dashed
    assert len(gate.ranks[1].get_offsets()) == 2  # two badges "2"
    assert gate.caption == "outlined: the top-2 experts, 1 = best"


def test_the_outline_is_drawn_in_black_round_the_chosen_cell_only():
    gate = GateHeatmap(route())
    pixels = gate.render()
    height = pixels.shape[0]

    def pixel(x, y):  # data coordinates -> the RGB drawn there
        px, py = gate.ax.transData.transform((x, y))
        return pixels[int(height - py), int(px), :3]

    # the middle of the left edge of the outline, 0.08 inside the cell
    assert (pixel(-0.5 + 0.08, 1) < 60).all()  # (e2, X1) is chosen: black
    assert (pixel(-0.5 + 0.08, 0) > 150).any()  # (e1, X1) is not: the light cell colour


def test_gate_updates_in_place():
    gate = GateHeatmap(route(), max_experts=8, max_tokens=GATE_MAX_TOKENS, figsize=(5.2, 3.4))
    figure, axes, image = gate.figure, gate.ax, gate.image
    X = examples.moe_exercise()["X"].astype(float)
    X[0, 0] = 3.5  # X1's logit for expert 1 passes expert 2's
    gate.show(route(X=X))
    assert gate.figure is figure and gate.ax is axes and gate.image is image
    assert gate.chosen_cells == {(0, 0): 1, (0, 1): 1}
    assert gate.cell_text(0, 0) == "0.62"
    gate.show(route(n_experts=3, n_tokens=5, top_k=3))
    assert gate.view == (3, 5) and len(gate.chosen_cells) == 15
    assert gate.token_labels.texts == ["X1", "X2", "X3", "X4", "X5"]
    assert gate.expert_labels.texts == ["e1", "e2", "e3"]
    assert axes.get_xlim() == (-0.5, 4.5) and axes.get_ylim() == (2.5, -0.5)


def test_many_tokens_show_the_first_ones_and_say_so():
    result = route(n_experts=8, n_tokens=66)
    gate = GateHeatmap(result, max_experts=8, max_tokens=GATE_MAX_TOKENS, figsize=(5.2, 3.4))
    assert gate.view == (8, GATE_MAX_TOKENS)
    assert gate.caption.splitlines() == [
        "outlined: the chosen expert",
        "the first 12 of 66 tokens · cells too small for numbers",
    ]
    assert not gate.printed and gate.cell_text(0, 0) == "" and gate.numbers.texts == []
    expected = {(int(e), t) for t, e in enumerate(result.chosen[0, :GATE_MAX_TOKENS])}
    assert set(gate.chosen_cells) == expected
    # a picture of its own size (the default) prints them
    assert GateHeatmap(route(n_experts=3, n_tokens=20)).printed


def test_gate_refuses_more_experts_than_it_has_room_for():
    gate = GateHeatmap(route())
    with pytest.raises(ValueError, match=r"room for 2 experts; the result has 3: build a "):
        gate.show(route(n_experts=3))


def test_gate_png_is_a_png():
    assert GateHeatmap(route()).png().startswith(b"\x89PNG\r\n\x1a\n")


# --- the load bars ------------------------------------------------------------------------


def test_load_bars_show_each_experts_count_against_the_balanced_load():
    result = route(n_experts=8, n_tokens=66)
    load = LoadBars(result)
    counts = result.tokens_per_expert
    np.testing.assert_array_equal(counts, [14, 10, 0, 11, 16, 0, 2, 13])
    np.testing.assert_allclose([b.get_height() for b in load.bars], counts / 66)
    assert load.counts.texts == ["14", "10", "0", "11", "16", "0", "2", "13"]
    assert load.names.texts == [f"e{i}" for i in range(1, 9)]
    np.testing.assert_allclose(load.balanced.get_ydata(), [1 / 8, 1 / 8])
    assert load.balanced_label.texts == ["balanced:", "8.25 each"]
    assert load.caption.splitlines() == [
        "tokens per expert: 66 tokens",
        "busiest: 1.94 × balanced · idle: e3, e6",
        f"balance loss {result.aux_loss:.2f} (1 if first choices even)",
    ]
    assert result.aux_loss == pytest.approx(1.39, abs=0.005)


def test_the_loss_caption_names_what_must_be_even_for_a_loss_of_1():
    """ "1 if even" read as the bars' even load was false: at top_k 4 of 4 every expert gets
    every token, the bars are level, and the loss is not 1 (first choices are uneven).
    The caption names first choices; whenever they are even the loss is 1."""
    result = route(n_experts=4, n_tokens=8, top_k=4)
    counts = result.tokens_per_expert
    assert (counts == counts[0]).all()  # level bars
    assert result.aux_loss != pytest.approx(1.0, abs=0.005)
    assert "(1 if first choices even)" in LoadBars(result).caption
    rng = np.random.default_rng(3)
    evens = 0
    for _ in range(300):
        n_experts = int(rng.integers(2, 5))
        ex = examples.random_moe(n_experts, 2 * n_experts, seed=int(rng.integers(1 << 30)))
        moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])
        res = moe(ex["X"])
        first = np.bincount(res.chosen[0], minlength=n_experts)
        if (first == first[0]).all():
            evens += 1
            assert res.aux_loss == pytest.approx(1.0, abs=1e-12)
    assert evens >= 5  # the claim was put to the test


def test_load_bars_count_a_slot_per_chosen_expert_and_update_in_place():
    load = LoadBars(route(), max_experts=8)
    assert load.counts.texts == ["1", "1"] and [b.get_visible() for b in load.bars[:3]] == [
        True,
        True,
        False,
    ]
    figure, axes = load.figure, load.ax
    result = route(n_experts=3, n_tokens=10, top_k=2)
    load.show(result)
    assert load.figure is figure and load.ax is axes
    assert sum(int(t) for t in load.counts.texts) == 20  # 10 tokens × 2 slots
    assert load.names.texts == ["e1", "e2", "e3"] and axes.get_xlim() == (-0.6, 2.6)
    assert load.caption.splitlines()[0] == "tokens per expert: 10 tokens × top-2 = 20 slots"
    np.testing.assert_allclose(load.balanced.get_ydata(), [1 / 3, 1 / 3])
    with pytest.raises(ValueError, match=r"room for 8 experts; the result has 9"):
        load.show(route(n_experts=9))


def test_one_expert_taking_every_token_fills_its_bar():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [3.0, 3.0]])  # f3 > f1: expert 2 for both
    load = LoadBars(route(X=X))
    assert load.counts.texts == ["0", "2"]
    assert [b.get_height() for b in load.bars] == [0.0, 1.0]
    assert load.caption.splitlines()[1] == "busiest: 2.00 × balanced · idle: e1"


# --- blitting -----------------------------------------------------------------------------


def test_blitted_gate_render_equals_a_fresh_full_render():
    size = {"max_experts": 8, "max_tokens": GATE_MAX_TOKENS, "figsize": (5.2, 3.4)}
    live = GateHeatmap(route(), **size)
    live.render()  # the first render keeps the static background
    for step in (route(4, 8, top_k=2), route(8, 66), route(3, 3, top_k=3)):
        live.show(step)  # through other shapes, with and without numbers
        live.render()
    target = route(2, 5, top_k=2)
    live.show(target)
    np.testing.assert_array_equal(live.render(), GateHeatmap(target, **size).render())


def test_blitted_load_render_equals_a_fresh_full_render():
    live = LoadBars(route(), max_experts=8)
    live.render()
    for step in (route(8, 66), route(3, 10, top_k=2)):
        live.show(step)
        live.render()
    target = route(5, 40, top_k=2)
    live.show(target)
    np.testing.assert_array_equal(live.render(), LoadBars(target, max_experts=8).render())


def test_labels_and_captions_that_did_not_change_are_not_drawn_again():
    # The token and expert names and the caption change with the shape or the rules
    # only: they are kept drawn on a copy of the background (`dynamic(..., seldom=True)`).
    size = {"max_experts": 8, "max_tokens": GATE_MAX_TOKENS, "figsize": (5.2, 3.6)}
    ex = examples.random_moe(8, 12)
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], top_k=2)
    live = GateHeatmap(moe(ex["X"]), **size)
    live.render()
    drawn = []
    seldom = [live.token_labels.artist, live.expert_labels.artist, live.notes.artist]
    for artist in (*seldom, live.image):  # note each draw of these
        artist.draw = lambda renderer, a=artist, draw=artist.draw: drawn.append(a) or draw(renderer)
    X = np.array(ex["X"], dtype=float)
    X[0, 0] += 0.5  # new probabilities, the same shape and rules
    target = moe(X)
    live.show(target)
    assert not any(a.stale for a in seldom)
    pixels = live.render()
    assert not set(map(id, drawn)) & set(map(id, seldom)) and live.image in drawn
    np.testing.assert_array_equal(pixels, GateHeatmap(target, **size).render())
    # New rules (top-1): the caption changed, and is drawn again.
    drawn.clear()
    other = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], top_k=1)(X)
    live.show(other)
    assert live.notes.artist.stale
    pixels = live.render()
    assert live.notes.artist in drawn
    np.testing.assert_array_equal(pixels, GateHeatmap(other, **size).render())


# --- glyph labels -------------------------------------------------------------------------


def test_glyph_labels_are_cached_outlines_in_one_collection():
    gate = GateHeatmap(route())
    labels = GlyphLabels(gate.ax, size=11, transform=gate.ax.transData)
    labels.set(["0.50", "0.50", "1"], [(0, 0), (1, 0), (0, 1)], ["#000000", "#ffffff", "#000000"])
    paths = labels.artist.get_paths()
    assert len(paths) == 3 and paths[0] is paths[1]  # the same text, the same outline
    assert labels.texts == ["0.50", "0.50", "1"]
    # centred: the ink of "1" is centred on its position
    ink = paths[2].get_extents()
    assert abs(ink.x0 + ink.x1) < 1e-9
    labels.set_lines("a\nb", 0.5, 0.5, 0.1)
    np.testing.assert_allclose(labels.artist.get_offsets(), [(0.5, 0.5), (0.5, 0.4)])


def test_load_axis_fits_the_bars_and_both_lines_and_counts_avoid_the_hatching():
    from dlviz.plots.moe_load import TOP

    ex = examples.random_moe(8, 66)
    for factor in (None, 1.0, 1.25):
        moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])
        if factor is not None:
            moe = moe.with_capacity_factor(factor)
        r = moe(ex["X"])
        load = LoadBars(r)
        top = load.ax.get_ylim()[1]
        share = r.tokens_per_expert / 66
        assert share.max() < top <= 0.4  # not squashed under an axis to 100 %
        assert load.balanced.get_ydata()[0] < top
        if factor is not None:
            assert load.capacity_line.get_ydata()[0] < top
        kept = r.kept_per_expert / 66
        ys = load.counts.artist.get_offsets()[:, 1]
        for y, lo, hi in zip(ys, kept, share, strict=True):
            assert not lo - 1e-9 <= y <= hi + 1e-9 or hi == lo  # never on the dropped part
    assert LoadBars(route()).ax.get_ylim()[1] <= TOP


@pytest.mark.parametrize("top_k, factor", [(1, None), (2, None), (1, 1.25), (2, 1.0)])
def test_a_count_keeps_clear_of_the_lines(top_k, factor):
    # A learner at 150 % saw "17" touching the balanced line and "21" on it (top-2, 66
    # tokens): each count's digits keep 2.5 points of air from each line's edge (3 planned,
    # less the digits' ink being a touch taller than the 0.72 em planned for).
    ex = examples.random_moe(8, 66)
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"]).with_top_k(top_k)
    if factor is not None:
        moe = moe.with_capacity_factor(factor)
    load = LoadBars(moe(ex["X"]))
    load.png()
    to_px = load.ax.transData.transform
    pt = load.figure.dpi / 72  # pixels a point
    extents = load.counts._path("0").get_extents()  # a digit's ink, in points
    half = (extents.y1 - extents.y0) / 2 * pt
    lines = [(load.balanced, 1.0)] + ([(load.capacity_line, 2.0)] if factor else [])
    for x, y in load.counts.artist.get_offsets():
        centre = to_px((x, y))[1]
        for line, line_half in lines:
            at = to_px((0, line.get_ydata()[0]))[1]
            gap = abs(centre - at) - half - line_half * pt
            assert gap >= 2.5 * pt, (top_k, factor, y, line.get_ydata()[0], gap / pt)
    load.close()
