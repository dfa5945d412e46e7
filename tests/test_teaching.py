"""The teacher's page (docs/teaching.md) says what the notebooks and explorers do: checked.

Its keys table against the explorers' `checks()`, the slider names it uses, and the
claims of its plans and exit questions that the numbers decide (the grids' slips, the
columns that do not add up to 1, what the heads and the positions do).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks.bench_explorers import class_texts
from dlviz import (
    AttentionExplorer,
    MoEExplorer,
    VectorDBExplorer,
    examples,
    multi_head_attention,
    positional_encoding,
    self_attention,
)
from dlviz.checking import attention_checks
from dlviz.multi_head_checks import head_checks, multi_head_checks
from dlviz.plots.vectordb import LABELLED_TEXTS, MAX_BARS
from tests.claims import _cells, markdown_cells, try_this_items

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "teaching.md").read_text("utf-8")
WORDS = " ".join(PAGE.split())
TWO = examples.multi_head_exercise()
HAND_2 = multi_head_attention(**TWO, heads=2, mode="hand")


def _keys_row(notebook: str) -> list[list[str]]:
    """The keys a row of the keys table names: before and after its ';'."""
    row = re.search(rf"^\| {notebook} \| (.*) \|$", PAGE, re.M).group(1)
    return [re.findall(r'`"(\w+)"`', part) for part in row.split(";")]


@pytest.fixture
def explorers():
    made = []

    def make(cls, **kwargs):
        made.append(cls(**kwargs))
        return made[-1]

    yield make
    for explorer in made:
        explorer.close()


def test_the_keys_table_is_what_the_explorers_check(explorers):
    plain, heads = _keys_row("self-attention")
    attention = explorers(AttentionExplorer)
    attention.controls["heads"].value = 2
    assert list(attention.checks()) == plain + heads
    (database,) = _keys_row("vector database")
    assert list(explorers(VectorDBExplorer).checks()) == database
    plain, batch = _keys_row("mixture of experts")
    assert list(explorers(MoEExplorer).checks()) == plain + batch


def test_the_step_sliders_are_named_as_the_page_names_them(explorers):
    assert "the chosen step (the *step* slider; *show up to step* in the attention explorers)" in (
        WORDS
    )
    assert explorers(AttentionExplorer).controls["step"].description == "show up to step"
    assert explorers(VectorDBExplorer).controls["step"].description == "step"
    assert explorers(MoEExplorer).controls["step"].description == "step"


def test_the_try_it_grid_comes_before_the_cell_that_shows_the_step():
    assert "the try-it grid checks everyone's work, then the notebook's next cell shows" in WORDS
    # notebook 1's grids (their keys) and the code cell that computes the matrix each asks
    # for: the answer is never on the page before its grid
    cells = [source for _, kind, source in _cells("01") if kind == "code"]
    for key, computed in (("scores", "S = K.T @ Q"), ("weights", "A = ")):
        grid = cells.index(f'HandCheck.follow(explorer, "{key}")')
        answer = next(
            i for i, c in enumerate(cells) if c.startswith(computed) or f"\n{computed}" in c
        )
        assert grid < answer, key


def test_notebook_1_columns_that_do_not_add_up_to_1():
    assert "columns that sum to 1.1 (q1, q4) and 0.9 (q3): rounding" in WORDS
    ex = examples.attention_exercise()
    hand = self_attention(ex["X"], ex["WQ"], ex["WK"], ex["WV"], mode="hand")
    sums = np.round(hand.weights.sum(axis=0), 6)
    assert list(sums) == [1.1, 1.0, 0.9, 1.1]


def test_notebook_1_try_this_items_named():
    named = re.search(r'"Try this" 1 \(make x2 attend to x4\) and 2 \(temperature\)', PAGE)
    assert named
    titles = list(try_this_items("01"))
    assert titles[0] == "Make x2 attend mostly to x4" and "temperature" in titles[1]


def test_head_2s_grids_name_notebook_1s_slips():
    assert (
        "head 2's two grids name notebook 1's slips: the scores transposed (Qᵀ·K); the weights "
        "truncated instead of rounded, divided by the row sums, or transposed (Aᵀ)"
    ) in WORDS
    sheet, head_2 = attention_checks(HAND_2.heads[0]), head_checks(HAND_2, 2)
    named = {
        "scores": ("The whole grid is transposed: these are Qᵀ·K",),
        "weights": ("These are truncated", "You divided by the row sums", "transposed (Aᵀ)"),
    }
    for key, hints in named.items():
        for hint in hints:  # the same slip, in notebook 1's grid and in head 2's
            assert any(hint in s.hint for s in sheet[key].slips), (key, hint)
            assert any(hint in s.hint for s in head_2[key].slips), (key, hint)
    concat = multi_head_checks(HAND_2)["concat"]
    assert any("wrong order" in s.hint for s in concat.slips)


def test_notebook_4_exit_questions():
    assert "for queries 1 and 4, head 1 favours key 2 and head 2 key 3" in WORDS
    for head, key in ((0, 1), (1, 2)):
        weights = HAND_2.heads[head].weights
        assert list(weights[:, [0, 3]].argmax(axis=0)) == [key, key]
    assert "Z₁ + Z₂: row r of WO picks row r of each head's Z" in WORDS
    np.testing.assert_allclose(HAND_2.output, HAND_2.heads[0].output + HAND_2.heads[1].output)
    assert "two copies of a token get the same output; with them, they differ" in WORDS
    X = np.array(TWO["X"], dtype=float)
    X[:, 3] = X[:, 0]  # x4 a copy of x1
    weights = {k: TWO[k] for k in ("WQ", "WK", "WV", "WO")}
    plain = multi_head_attention(X, **weights, heads=2)
    np.testing.assert_allclose(plain.output[:, 0], plain.output[:, 3])
    placed = multi_head_attention(X + positional_encoding(4, X.shape[0]), **weights, heads=2)
    assert not np.allclose(placed.output[:, 0], placed.output[:, 3])


def test_notebook_4_has_a_plan():
    assert re.search(r"^## Notebook 4 — .*\(extension, 45 minutes\)$", PAGE, re.M)
    assert "notebook 4 goes beyond the sheet" in WORDS
    for heading in ("Two heads by hand", "Concatenate, then mix with WO"):
        assert any(f"## {heading}" in c for c in markdown_cells("04"))


def test_the_projector_shows_the_heads_under_the_step(explorers):
    assert (
        "With several heads the attention explorer's steps are head 1's; from step 8 every "
        "head's weights follow, side by side, under what is set once (and at step 9 their "
        "concatenation and WO·concat), in large type too"
    ) in WORDS
    explorer = explorers(AttentionExplorer)
    explorer.controls["view"].value = "projector"
    explorer.controls["heads"].value = 2
    children = list(explorer.children)
    below = children.index(explorer.heads_focus)
    assert below > children.index(explorer.focus)
    assert any(explorer.controls["heads"] in getattr(c, "children", ()) for c in children[:below])
    explorer.controls["step"].value = 8
    assert 'data-name="head2_weights"' in explorer.heads_focus.value
    assert 'data-name="concat"' not in explorer.heads_focus.value
    explorer.controls["step"].value = 9
    assert 'data-name="concat"' in explorer.heads_focus.value
    assert "font-size:18px" in explorer.heads_focus.value


def _plans() -> list[list[tuple[int, int]]]:
    """The times of every lesson plan's rows, a list per table, in the page's order."""
    tables = re.findall(r"(?:^\| \d+–\d+ \|.*\n)+", PAGE, re.M)
    return [
        [tuple(map(int, t)) for t in re.findall(r"^\| (\d+)–(\d+) \|", x, re.M)] for x in tables
    ]


def test_every_plans_times_follow_on_and_add_up():
    headed = re.findall(r"^## Notebook \d — .*\((?:extension, )?(\d+) minutes\)$", PAGE, re.M)
    longer = re.findall(r"^For (\d+) minutes, the first (\d+) minutes as above, then:$", PAGE, re.M)
    assert longer == [("90", "50"), ("90", "35")]  # notebooks 2 and 3
    plans = _plans()
    for times in plans:
        assert all(a < b for a, b in times), times
        pairs = zip(times, times[1:], strict=False)
        assert all(end == start for (_, end), (start, _) in pairs), times  # each row follows on
    # each notebook's plan runs from 0 to its heading's minutes; notebooks 2 and 3 have a
    # longer plan next, from the minute it names (where the short plan's exit questions
    # start) to its total
    whole = [times for times in plans if times[0][0] == 0]
    assert [times[-1][1] for times in whole] == [int(m) for m in headed]
    for notebook, (total, first) in zip((2, 3), longer, strict=True):
        after = plans[plans.index(whole[notebook - 1]) + 1]
        assert (after[0][0], after[-1][1]) == (int(first), int(total))
        assert whole[notebook - 1][-1][0] == int(first)  # the exit questions, moved to the end


def test_the_longer_plans_schedule_the_parts_beyond_the_sheet():
    from dlviz import MixtureOfExperts
    from dlviz.capacity_checks import capacity_checks
    from dlviz.checking import ivf_checks
    from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary, lloyd_step

    assert "Try-it grids **assignment** (which list each text joins) and **centroids**" in WORDS
    ex, iv = examples.vectordb_exercise(), examples.ivf_exercise()
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"]))
    db.add(iv["texts"])
    step = lloyd_step(np.asarray(db.index_vectors).T, iv["init"])
    assert {"assignment", "centroids"} <= set(ivf_checks(step, iv["texts"]))
    headings = ("Approximate search by hand: an inverted file (IVF)", "Approximate search at scale")
    for heading in headings:
        assert any(f"## {heading}" in c for c in markdown_cells("02"))
    assert "Try-it grid **dropped**" in WORDS
    assert "Try-it grids **balance** (f and P) and **aux_loss**" in WORDS
    moe = examples.moe_exercise()
    batch = np.array([[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]])  # the notebook's four tokens
    r = MixtureOfExperts(moe["gate_W"], moe["gate_b"], moe["experts"], capacity_factor=1)(batch)
    assert set(capacity_checks(r)) == {"dropped", "balance", "aux_loss"}
    assert 'with 8 experts and 64 random tokens: "Try this" 4' in WORDS
    assert list(try_this_items("03"))[3] == "Watch the load"
    assert any("### Why the loss matters: a toy experiment" in c for c in markdown_cells("03"))


def test_notebook_2_plan_and_exit_question_2():
    from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary

    ex = examples.vectordb_exercise()
    vocabulary = Vocabulary(ex["embeddings"])
    assert "made of the table's 21 words only (the explorer refuses any other word" in WORDS
    assert len(vocabulary) == 21
    assert "find the stored text whose vector scores highest against the query" in WORDS
    assert (
        "Only when index vectors differ in length, and not always then: the dot product favours "
        "long vectors, cosine compares directions only. Here *who am I*, the longest, wins by "
        "dot; *who are you*, the best aimed, by cosine."
    ) in WORDS
    db = VectorDatabase(SentenceEncoder(vocabulary, ex["W"], ex["b"], ex["P"]))
    db.add(ex["database"])
    D, q = np.asarray(db.index_vectors), db.encoder.encode(ex["query"]).index_vector
    texts = ex["database"]
    assert texts[int(np.argmax(np.linalg.norm(D, axis=0)))] == "who am I"
    assert db.search(ex["query"]).hits[0].text == "who am I"
    cosine = D.T @ q / np.linalg.norm(D, axis=0) / np.linalg.norm(q)
    assert texts[int(np.argmax(cosine))] == "who are you"  # the best aimed: smallest angle
    assert db.search(ex["query"], metric="cosine").hits[0].text == "who are you"
    # equal lengths: the two agree (the same ranking, scaled by |q| · length)
    unit = D / np.linalg.norm(D, axis=0)
    np.testing.assert_array_equal(np.argsort(-(unit.T @ q)), np.argsort(-cosine))


def test_the_class_sized_database_names_as_many_texts_as_the_page_says(explorers):
    assert (
        f"Past {LABELLED_TEXTS} texts the index picture names the query and {LABELLED_TEXTS} "
        f"texts: the hits (the best {LABELLED_TEXTS}, if there are more), then the first of "
        f"the others (the rest are points without a name); past {MAX_BARS} texts the bars "
        f"show the best {MAX_BARS}"
    ) in WORDS
    texts = class_texts(60)
    for k, named_hits in ((2, 2), (LABELLED_TEXTS + 2, LABELLED_TEXTS)):
        explorer = explorers(VectorDBExplorer, database=texts, k=k)
        plot, hits = explorer.projection, [hit.index for hit in explorer.result.hits]
        named = [j for j, label in enumerate(plot.labels) if label.get_visible()]
        others = [j for j in range(len(texts)) if j not in hits]
        assert sorted(named) == sorted(hits[:named_hits] + others[: LABELLED_TEXTS - named_hits])
        assert plot.query_label.get_visible()
