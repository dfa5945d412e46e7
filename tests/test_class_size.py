"""Class-sized inputs: what the explorers show past the sizes a picture can name, and
that a move rebuilds only what changed. (Timings are in benchmarks/bench_explorers.py.)"""

import numpy as np

from benchmarks.bench_explorers import class_texts
from dlviz import AttentionExplorer, VectorDBExplorer
from dlviz.plots.vectordb import LABELLED_TEXTS, MAX_BARS
from dlviz.widgets.vectordb import SHOWN_TEXT_BLOCKS
from tests.helpers import shown


def test_sixty_texts_show_the_best_bars_and_name_only_a_few_points():
    texts = class_texts(60)
    explorer = VectorDBExplorer(database=texts, k=3)
    result = explorer.result
    best = np.argsort(-result.scores, kind="stable")[:MAX_BARS]
    bars = explorer.bars
    assert len(bars.bars) == MAX_BARS
    np.testing.assert_allclose([b.get_width() for b in bars.bars], result.scores[best])
    names, values = bars._glyphs
    assert names.texts == [texts[i] if len(texts[i]) <= 28 else texts[i][:27] + "…" for i in best]
    assert values.texts[0].endswith("#1") and values.texts[2].endswith("#3")
    assert bars.title.get_text().startswith(f"the best {MAX_BARS} of 60 texts")
    plot = explorer.projection
    named = [j for j, label in enumerate(plot.labels) if label.get_visible()]
    assert len(named) == LABELLED_TEXTS
    assert {hit.index for hit in result.hits} <= set(named)  # the hits are always named
    assert sum(a.get_visible() for a in plot.arrows) <= LABELLED_TEXTS
    assert len(plot.points.get_offsets()) == 60  # every text is a point
    step2 = explorer.panels[2].value
    assert f"and {60 - SHOWN_TEXT_BLOCKS} more texts" in step2
    assert step2.count('data-name="encoded_s') == SHOWN_TEXT_BLOCKS
    assert 'data-name="encoded_q"' in step2
    explorer.close()


def test_few_texts_keep_every_bar_and_name():
    explorer = VectorDBExplorer()
    assert len(explorer.bars.bars) == 3 and explorer.bars._glyphs is None
    assert [t.get_text() for t in explorer.bars.names] == list(explorer.database.texts)
    assert all(label.get_visible() for label in explorer.projection.labels)
    # a fourth text … and back: the bars follow, from names to glyphs and back
    c = explorer.controls["database"]
    c.value = "\n".join(class_texts(MAX_BARS + 1))
    assert explorer.bars._glyphs is not None and len(explorer.bars.bars) == MAX_BARS
    c.value = "how are you\nwho am I"
    assert explorer.bars._glyphs is None and len(explorer.bars.bars) == 2
    explorer.close()


def test_a_projection_slider_rebuilds_steps_4_to_7_only():
    explorer = VectorDBExplorer(database=class_texts(60))
    before = {k: p.value for k, p in explorer.panels.items()}
    explorer.controls["P[1,1]"].value = 0.5
    after = {k: p.value for k, p in explorer.panels.items()}
    assert [k for k in before if before[k] != after[k]] == [4, 5, 6, 7]
    # a bias slider changes the encodings: steps 2 and 3 are rebuilt too
    explorer.controls["b[1]"].value = 1.0
    again = {k: p.value for k, p in explorer.panels.items()}
    assert {2, 3} <= {k for k in after if after[k] != again[k]}
    # and what is shown is what a fresh explorer shows for the same numbers
    fresh = VectorDBExplorer(database=class_texts(60))
    fresh.controls["P[1,1]"].value = 0.5
    fresh.controls["b[1]"].value = 1.0
    assert {k: p.value for k, p in fresh.panels.items()} == again
    explorer.close()
    fresh.close()


def test_twelve_tokens_print_every_weight_small_enough_to_fit():
    X = np.random.default_rng(0).integers(0, 3, size=(6, 12))
    explorer = AttentionExplorer(X=X, mode="exact")
    heatmap = explorer.heatmap
    assert heatmap.numbers.size < 12  # smaller type for 12 columns
    assert heatmap.cell_text(11, 11) == f"{explorer.result.weights[11, 11]:.2f}"
    assert shown(explorer, "weights")[(11, 11)] == heatmap.cell_text(11, 11)
    explorer.close()


def test_a_class_database_box_scrolls_instead_of_pushing_the_results_down():
    # Seen in the browser at 60 texts: the box grew to 61 lines, a screen and a half.
    from dlviz.widgets.vectordb_controls import DATABASE_ROWS

    small = VectorDBExplorer()
    assert small.controls["database"].rows == max(4, len(small.database.texts) + 1)
    big = VectorDBExplorer(database=class_texts(60))
    assert big.controls["database"].rows == DATABASE_ROWS == 12
    small.close()
    big.close()


def test_every_step_of_every_explorer_is_drawn_near_the_screen_only():
    """A move rewrites the tables of several steps, most of them scrolled away at class
    size: each step's tables are laid out and painted only near the screen (dlviz-lazy,
    CSS content-visibility; attention at 12 tokens: painted grid p95 82-143 → 62-64 ms,
    benchmarks/browser_latency.py --class-size)."""
    from dlviz import MoEExplorer
    from dlviz.widgets.base import THEME_CSS

    assert ".dlviz-explorer .dlviz-lazy{content-visibility:auto;" in THEME_CSS
    for explorer in (AttentionExplorer(), VectorDBExplorer(), MoEExplorer()):
        steps = list(explorer.panels.values())
        if isinstance(explorer, AttentionExplorer):  # several heads: their weights, concat
            steps += [explorer.heads_view.weights, explorer.heads_view.concat]
        assert steps and all(
            {"dlviz-step", "dlviz-lazy"} <= set(step._dom_classes) for step in steps
        ), type(explorer).__name__
        explorer.close()


def test_step_5_calls_idle_only_the_experts_with_no_token_at_all():
    """Past 12 tokens step 5 shows the first 12: an expert whose tokens all come later is
    busy (the load bars count it), not idle (it was called idle, beside bars that showed
    its tokens)."""
    import re

    from dlviz import MoEExplorer

    explorer = MoEExplorer()
    seen_unseen = False
    for tokens in (10, 30, 64):
        with explorer.hold():
            explorer.controls["n_experts"].value = 8
            explorer.controls["random_tokens"].value = tokens
        result = explorer.result
        title = re.search(r"The chosen experts[^<]*", explorer.panels[5].value).group(0)
        idle = re.search(r"idle, no tokens: ([e\d, ]+)", title)
        named = set(idle.group(1).split(", ")) if idle else set()
        assert named == {f"e{e + 1}" for e in np.flatnonzero(result.tokens_per_expert == 0)}
        later = re.search(r"([e\d, ]+) works? only on tokens past the first 12", title)
        if later:
            seen_unseen = True
            for name in later.group(1).strip().split(", "):
                e = int(name[1:]) - 1
                assert result.tokens_per_expert[e] > 0
                assert not (result.chosen[:, :12] == e).any()
    assert seen_unseen  # 30 and 64 tokens: e7's tokens all come after the 12th
    explorer.close()


def test_the_projector_view_says_a_step_shows_the_first_12_tokens_only():
    from dlviz import MoEExplorer

    explorer = MoEExplorer()
    with explorer.hold():
        explorer.controls["random_tokens"].value = 64
        explorer.controls["view"].value = "projector"
    for step in range(1, 8):
        explorer.controls["step"].value = step
        said = "(the first 12 of 66 tokens)" in explorer.focus.value
        assert said == (step < 7), step  # step 7: the load counts every token
    explorer.controls["random_tokens"].value = 0
    explorer.controls["step"].value = 3
    assert "the first" not in explorer.focus.value  # the sheet's 2 tokens: all shown
    explorer.close()
