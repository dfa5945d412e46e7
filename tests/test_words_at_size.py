"""What the explorers say stays true past the sheet's sizes (from a newcomer's audit of
every title and caption at class sizes: each of these was false or wrong English)."""

import re

import numpy as np

from benchmarks.bench_explorers import class_texts
from dlviz import AttentionExplorer, MoEExplorer, VectorDBExplorer
from tests.helpers import cells_of, grid_html


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_step_5_tells_idle_experts_from_those_whose_tokens_were_all_dropped():
    """Capacity 0 drops every slot: an expert that got tokens is not "idle, no tokens"
    (the load bars beside it count them)."""
    explorer = MoEExplorer()
    with explorer.hold():
        explorer.controls["n_experts"].value = 8
        explorer.controls["random_tokens"].value = 64
        explorer.controls["capacity"].value = True
        explorer.controls["capacity_factor"].value = 0.0
    result = explorer.result
    assert result.capacity == 0 and result.dropped.all()
    title = re.search(r"The chosen experts[^<]*", explorer.panels[5].value).group(0)
    routed = result.tokens_per_expert > 0
    idle = ", ".join(f"e{e + 1}" for e in np.flatnonzero(~routed))
    dropped = ", ".join(f"e{e + 1}" for e in np.flatnonzero(routed))
    assert f"idle, no tokens: {idle}; every token dropped: {dropped}" in title
    explorer.close()


def test_capacity_title_and_queue_say_the_whole_order_and_the_tokens_shown():
    explorer = MoEExplorer()
    with explorer.hold():
        explorer.controls["n_experts"].value = 8
        explorer.controls["random_tokens"].value = 40
        explorer.controls["top_k"].value = 3
        explorer.controls["capacity"].value = True
    step7 = _text(explorer.panels[7].value)
    assert "first choices first in token order, then second choices, then third;" in step7
    assert "place in queue (first 12 of 42)" in step7
    explorer.controls["random_tokens"].value = 0  # the sheet's two tokens: all shown
    assert "place in queue (first" not in _text(explorer.panels[7].value)
    explorer.close()


def test_a_refusal_gives_only_the_reason_that_fits():
    explorer = MoEExplorer()
    explorer.controls["n_experts"].value = 9
    assert "outside its range, 2 to 8" in explorer.error
    assert "the sheet's two experts" not in explorer.error  # true only below 2
    explorer.controls["n_experts"].value = 1
    assert "the sheet's two experts are always there" in explorer.error
    explorer.close()


def test_one_more_text_and_one_list_are_singular():
    explorer = VectorDBExplorer(database=class_texts(7))
    assert "… and 1 more text, encoded" in explorer.panels[2].value
    explorer.ivf_box.selected_index = 0
    explorer.controls["n_lists"].value = 1
    assert explorer.ivf_view.plot.caption.get_text().startswith("nprobe = 1 of 1 list:")
    explorer.close()


def test_step_1_with_positions_is_x_plus_positions():
    explorer = AttentionExplorer()
    explorer.controls["positions"].value = True
    step1 = _text(explorer.panels[1].value)
    assert "Step 1 · the features plus positions (sin/cos): one column per token" in step1
    assert "X + positions" in step1
    explorer.controls["view"].value = "projector"
    explorer.controls["step"].value = 1
    assert "X + positions" in _text(explorer.focus.value)
    explorer.controls["positions"].value = False
    assert "X + positions" not in _text(explorer.focus.value)
    explorer.close()


def test_the_heatmap_says_it_is_head_1_when_there_are_several():
    explorer = AttentionExplorer(mode="exact")
    assert explorer.heatmap.title.get_text() == "attention weights A (exact)"
    explorer.controls["heads"].value = 2
    assert explorer.heatmap.title.get_text() == "attention weights A (head 1, exact)"
    explorer.close()


def test_the_heatmap_says_when_positions_were_added():
    # It named causal and the temperature, but not positions: weights of another input.
    explorer = AttentionExplorer(mode="exact")
    explorer.controls["positions"].value = True
    assert explorer.heatmap.title.get_text() == "attention weights A (exact, positions added)"
    explorer.controls["causal"].value = True
    title = explorer.heatmap.title.get_text()
    assert title == "attention weights A (exact, positions added, causal)"
    explorer.close()


def test_with_positions_each_grid_keeps_one_number_format():
    # X + positions showed x1's column as 2, 1, 0 (whole: sin 0, cos 0) beside 1.00, 0.84:
    # columns of different widths, and Kᵀ's first row likewise.
    explorer = AttentionExplorer(mode="exact")
    explorer.controls["positions"].value = True
    for name in ("X", "Q", "K", "V", "KT", "scores"):
        cells = cells_of(grid_html(explorer, name)).cells.values()
        decimals = {len(t.split(".")[1]) if "." in t else 0 for t in cells}
        assert decimals == {2}, (name, sorted(cells))
    explorer.controls["positions"].value = False  # the sheet's whole numbers, as they are
    cells = cells_of(grid_html(explorer, "X")).cells.values()
    assert all("." not in t for t in cells), sorted(cells)
    explorer.close()


def test_ivf_finding_an_equally_good_text_is_not_a_miss():
    """At 200 texts many share the best score: IVF that finds one of them (exact search
    ranks the tie to another) says so, in its caption and on its picture."""
    explorer = VectorDBExplorer(database=class_texts(200))
    explorer.ivf_box.selected_index = 0
    explorer.controls["metric"].value = "dot"
    c = explorer.controls
    c["n_lists"].value, c["nprobe"].value = 6, 2
    result, view = explorer.result, explorer.ivf_view
    caption = view.caption.value
    found = view.plot.caption.get_text()
    assert "(as good: exact search finds <b>me a</b>, the same score)" in caption, caption
    assert "found one as good as the starred text" in found and "MISSED" not in found
    top = np.sort(result.scores)[-2:]
    assert top[0] == top[1]  # a tie at the top: why either text is the best
    c["nprobe"].value = 6  # every list: the same text as exact search
    assert "(the same as exact search)" in _text(view.caption.value)
    assert view.plot.caption.get_text().endswith("the starred text was found")
    explorer.close()


def test_the_nearest_line_says_when_other_texts_score_the_same():
    explorer = VectorDBExplorer(database=class_texts(200))
    explorer.controls["metric"].value = "dot"
    scores = explorer.result.scores
    ties = int((scores == scores.max()).sum()) - 1
    assert ties == 2  # three texts score 12: the first added is named
    line = _text(explorer.nearest.value)
    assert line.endswith(f"(score {scores.max():g}; 2 more texts score the same)"), line
    small = VectorDBExplorer()  # the sheet: one best text, said as before
    assert "score the same" not in small.nearest.value
    explorer.close()
    small.close()


def test_one_more_text_that_scores_the_same_is_said_in_the_singular():
    # "1 more text score the same": the verb did not follow the count.
    explorer = VectorDBExplorer(database=["how are you", "who are you", "who am I", "I am who"])
    scores = explorer.result.scores
    assert int((scores == scores.max()).sum()) == 2  # the same words: the same mean
    assert _text(explorer.nearest.value).endswith("; 1 more text scores the same)")
    explorer.close()
