"""A move costs what it changed: what the explorers skip, and that skipping changes nothing.

The class-sized explorers stay instant because unchanged grids come from a cache, an
unchanged picture is neither drawn nor encoded again, and the stored texts are not
encoded again for a new query. Each shortcut is held here to give exactly what the
long way gives (the speed itself is measured in benchmarks/, not in tests).
"""

from __future__ import annotations

import numpy as np
import pytest

from dlviz import palette, sheet

# --- colours of a whole matrix at once --------------------------------------------------


@pytest.mark.parametrize("name", palette.PALETTES)
@pytest.mark.parametrize("scale", [0.0, 1.0, 2.5, 7.3])
def test_the_colours_of_a_matrix_are_each_cells_own(name, scale):
    rng = np.random.default_rng(int(scale * 10))
    values = np.concatenate([rng.normal(0, 4, 300), np.arange(-9, 10), [0.0, -0.0, 1e-300]])
    tints = palette.tints(values, scale, name)
    assert [tuple(t) for t in tints] == [palette.tint(v, scale, name) for v in values]
    assert palette.css_colours(tints).tolist() == [palette.css(tuple(t)) for t in tints]
    assert palette.text_colours(tints).tolist() == [palette.text_colour(tuple(t)) for t in tints]


def test_tints_refuse_an_unknown_palette():
    with pytest.raises(ValueError, match="palette must be one of"):
        palette.tints([1.0], 1.0, "rainbow")


# --- grids: built once per content -------------------------------------------------------


def test_a_grid_s_html_is_the_same_from_the_cache_and_follows_every_field():
    values = np.array([[1.0, -2.0], [0.5, 3.0]])
    first = sheet.grid(values, title="S", name="S")
    again = sheet.grid(values.copy(), title="S", name="S")
    assert again.html == first.html
    sheet._HTML_CACHE.clear()
    assert sheet.grid(values, title="S", name="S").html == first.html  # built anew: the same
    changed = {
        "a value": sheet.grid(values + np.eye(2), title="S", name="S"),
        "the title": sheet.grid(values, title="T", name="S"),
        "the name": sheet.grid(values, title="S", name="T"),
        "the palette": sheet.grid(abs(values), title="S", name="S", palette="positive"),
        "the mask": sheet.grid(values, title="S", name="S", mask=[[1, 0], [1, 1]]),
        "the outline": sheet.grid(values, title="S", name="S", outline=[[1, 0], [0, 0]]),
        "the format": sheet.grid(values, title="S", name="S", fmt=".2f"),
        "the scale": sheet.grid(values, title="S", name="S", scale=10.0),
        "the shape": sheet.grid(values.reshape(1, 4), title="S", name="S"),
    }
    for what, grid in changed.items():
        assert grid.html != first.html, what


# --- pictures: drawn and encoded only when they changed ---------------------------------


def _heatmap():
    from dlviz import examples, self_attention
    from dlviz.plots import AttentionHeatmap

    return AttentionHeatmap(self_attention(**examples.attention_exercise()))


def test_an_unchanged_picture_is_neither_drawn_nor_encoded_again(monkeypatch):
    from dlviz.plots import _png

    heatmap = _heatmap()
    first = heatmap.png()
    calls = {"render": 0, "bands": 0}
    render, band = heatmap.render, _png._band

    def counted_render():
        calls["render"] += 1
        return render()

    def counted_band(rows, raw, start, stop):
        calls["bands"] += 1
        return band(rows, raw, start, stop)

    monkeypatch.setattr(heatmap, "render", counted_render)
    monkeypatch.setattr(_png, "_band", counted_band)
    assert heatmap.png() is first and calls == {"render": 0, "bands": 0}
    # The same numbers set again: drawn (an artist was touched), not encoded (same pixels).
    heatmap.update(heatmap.image.get_array().filled(0).reshape(heatmap.shape))
    assert heatmap.png() is first and calls == {"render": 1, "bands": 0}
    # One number changed: drawn, and only the bands of rows it touches encoded again;
    # the PNG is that of a picture drawn from scratch.
    values = heatmap.image.get_array().filled(0).reshape(heatmap.shape).copy()
    values[0, 0] = 0.25
    heatmap.update(values)
    changed = heatmap.png()
    height = heatmap.figure.canvas.get_width_height()[1]
    all_bands = -(-height // _png._BAND_ROWS)
    assert changed != first and calls["render"] == 2
    assert 0 < calls["bands"] < all_bands / 2
    fresh = _heatmap()
    fresh.update(values)
    assert fresh.png() == changed


def test_a_changed_caption_alone_is_drawn_again():
    heatmap = _heatmap()
    first = heatmap.png()
    heatmap.update(heatmap.image.get_array().filled(0).reshape(heatmap.shape), title="other")
    assert heatmap.png() != first
    assert heatmap.title.get_text() == "other" and heatmap.title_glyphs.texts == ["other"]


# --- the vector database: the texts encoded again only when they or the weights change --


def test_a_query_move_searches_the_same_database_and_a_P_move_encodes_again(monkeypatch):
    from dlviz import VectorDBExplorer
    from dlviz.vectordb import VectorDatabase

    explorer = VectorDBExplorer()
    added = []
    add = VectorDatabase.add
    monkeypatch.setattr(  # one call with all texts, or one per text: counted by text
        VectorDatabase,
        "add",
        lambda self, texts: (
            added.extend([texts] if isinstance(texts, str) else texts) or add(self, texts)
        ),
    )
    before = explorer.result.database
    explorer.controls["query"].value = "who are you"
    explorer.controls["metric"].value = "cosine"
    explorer.controls["k"].value = 2
    assert added == [] and explorer.error == ""
    assert explorer.result.database.texts == before.texts
    explorer.controls["P[1,1]"].value = 0.5
    assert len(added) == len(before.texts)
    # And the result is the one a fresh explorer with those settings gives.
    fresh = VectorDBExplorer()
    with fresh.hold():
        for name in ("query", "metric", "k", "P[1,1]"):
            fresh.controls[name].value = explorer.controls[name].value
    np.testing.assert_array_equal(fresh.result.scores, explorer.result.scores)
    assert fresh.result.hits == explorer.result.hits
    explorer.close()
    fresh.close()


def test_a_static_state_drawn_before_is_restored_and_looks_as_drawn_anew():
    from dlviz import VectorDBExplorer

    explorer = VectorDBExplorer()
    full_draws = []
    for plot in (explorer.projection, explorer.bars):
        canvas = plot.figure.canvas
        draw = canvas.draw
        canvas.draw = lambda draw=draw, plot=plot: full_draws.append(plot) or draw()
    for metric in ("cosine", "dot", "cosine", "dot", "cosine"):
        explorer.controls["metric"].value = metric
    drawn_once = len(full_draws)
    assert drawn_once <= 4  # each picture, each metric: once at most
    explorer.controls["metric"].value = "dot"
    assert len(full_draws) == drawn_once
    for metric in ("dot", "cosine"):
        explorer.controls["metric"].value = metric
        fresh = VectorDBExplorer(metric=metric)  # drawn from scratch in this state
        assert explorer.projection.png() == fresh.projection.png(), metric
        assert explorer.bars.png() == fresh.bars.png(), metric
        fresh.close()
    explorer.close()


def test_a_teacher_can_trade_sharpness_for_speed_with_the_pixel_ratio(monkeypatch):
    # README, Speed: `LiveFigure.pixel_ratio = 1` before building the explorers draws the
    # pictures at their shown size: a quarter of the pixels.
    import io

    import PIL.Image

    from dlviz import MoEExplorer
    from dlviz.plots import LiveFigure

    sizes = {}
    for ratio in (2, 1):
        monkeypatch.setattr(LiveFigure, "pixel_ratio", ratio)
        explorer = MoEExplorer()
        width, height = explorer.gate.css_size
        image = PIL.Image.open(io.BytesIO(explorer.gate_image.value))
        assert image.size == (ratio * width, ratio * height)
        sizes[ratio] = image.size[0] * image.size[1]
        explorer.controls["X1[1]"].value = 3.0  # still works, and redraws
        assert PIL.Image.open(io.BytesIO(explorer.gate_image.value)).size == image.size
        explorer.close()
    assert sizes[1] * 4 == sizes[2]


def test_the_load_bars_axis_drawn_before_is_restored_and_looks_as_drawn_anew():
    # The sheet's X1[1] 2 ↔ 3.5 hands X1 to the other expert: the load's axis changes.
    from dlviz import MoEExplorer

    explorer = MoEExplorer()
    tops = set()
    for value in (3.5, 2.0, 3.5, 2.0):
        explorer.controls["X1[1]"].value = value
        tops.add(explorer.load.top)
        fresh = MoEExplorer()
        fresh.controls["X1[1]"].value = value
        assert explorer.load.png() == fresh.load.png(), value
        fresh.close()
    assert len(tops) == 2 and len(explorer.load._backgrounds) == 2
    explorer.close()


# --- labels: a new string outlined from kept glyphs, as matplotlib outlines it ----------


@pytest.mark.parametrize("weight", ["normal", "bold"])
def test_label_outlines_are_textpaths_and_their_box_is_the_ink(weight):
    import matplotlib.font_manager
    import matplotlib.textpath

    from dlviz.plots._glyphs import _ink, _outline

    font = matplotlib.font_manager.FontProperties(weight=weight)
    labels = ["0.25", "-1.75", "12", "x₁ · W", "–", "Toy café", "AVA To", "(12, 3)", "ⓘ 0/7"]
    for text in labels:
        ours = _outline(text, 11, font)
        theirs = matplotlib.textpath.TextPath((0, 0), text, size=11, prop=font)
        np.testing.assert_array_equal(ours.codes, theirs.codes)
        np.testing.assert_allclose(ours.vertices, theirs.vertices, atol=1e-9)
        box = theirs.get_extents()  # the curves' true extremes
        np.testing.assert_allclose(_ink(ours), [box.x0, box.y0, box.x1, box.y1], atol=1e-9)
    assert _ink(_outline(" ", 11, font)) == (0.0, 0.0, 0.0, 0.0)  # nothing to ink


def test_a_new_P_reuses_steps_1_to_3_and_gives_what_a_fresh_encoder_gives():
    from dlviz.examples import vectordb_exercise
    from dlviz.vectordb import SentenceEncoder, Vocabulary

    ex = vectordb_exercise()
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
    first = encoder.encode("how are you")
    P = np.array(encoder.P) * 3 - 1
    moved = encoder.with_params(P=P)
    again = moved.encode("how are you")
    assert again.pooled is first.pooled  # steps 1-3 kept, not worked out again
    fresh = SentenceEncoder(encoder.vocabulary, encoder.W, encoder.b, P).encode("how are you")
    for field in ("embeddings", "linear", "encoded", "pooled", "index_vector"):
        np.testing.assert_array_equal(getattr(again, field), getattr(fresh, field))
    assert not again.index_vector.flags.writeable and not again.pooled.flags.writeable
    # A new W or b works steps 1-3 out again.
    other = encoder.with_params(b=np.array(encoder.b) + 1).encode("how are you")
    assert other.pooled is not first.pooled
    expected = SentenceEncoder(encoder.vocabulary, encoder.W, np.array(encoder.b) + 1, encoder.P)
    np.testing.assert_array_equal(other.pooled, expected.encode("how are you").pooled)


def test_the_database_names_the_line_that_fails_when_all_are_added_at_once():
    from dlviz import VectorDBExplorer

    explorer = VectorDBExplorer()
    lines = explorer.controls["database"].value.splitlines()
    explorer.controls["database"].value = "\n".join([*lines[:2], "how are zebra", *lines[2:]])
    assert "database line 3" in explorer.error and "zebra" in explorer.error
    explorer.controls["database"].value = "\n".join(lines)
    assert explorer.error == ""
    explorer.close()
