"""The HandCheck widget: marks, hints, following an explorer, saying what it grades, closing."""

import gc
import html
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest
from ipywidgets.widgets.widget import _instances

from dlviz import (
    AttentionExplorer,
    HandCheck,
    VectorDBExplorer,
    examples,
    multi_head_attention,
    self_attention,
)
from dlviz.checking import Step, ivf_checks
from dlviz.multi_head_checks import multi_head_checks
from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary, lloyd_step
from tests.helpers import cells_of, grid_html, table

STEP = Step("s", "a step", np.array([[44 / 9, 0.2]]))


# --- the widget ----------------------------------------------------------------------


def test_widget_marks_each_cell_and_shows_hints_and_answer_only_on_request():
    explorer = AttentionExplorer()
    checker = HandCheck.follow(explorer, "sums")
    assert checker.answer_area.layout.display == "none"
    assert "16" in checker.answer_area.value  # built, but hidden
    checker.type([["15 1/3", "10", "seven", ""]])
    checker.check_button.click()
    page = checker.verdict_area.value
    assert 'data-status="wrong"' in page and "✗ 15 1/3" in page
    assert 'data-status="right"' in page and "✓ 10" in page
    assert 'data-status="unreadable"' in page and "'seven' is not a number" in page
    assert 'data-status="empty"' in page
    assert "1 of 4 right, 1 wrong (✗), 1 empty (…), 1 not readable as a number (?)." in page
    assert "Hint</b> for q1:" in page
    checker.answer_button.value = True
    assert checker.answer_area.layout.display is None
    assert checker.answer_button.description == "Hide answer"


@pytest.mark.parametrize(
    ("typed", "summary"),
    [("4.9", "✓ Right."), ("5.5", "✗ Not right."), ("", "… Empty: type a number."),
     ("five", "? Not readable as a number.")],
)  # fmt: skip
def test_a_one_answer_grid_says_right_or_not_without_counting(typed, summary):
    checker = HandCheck(Step("one", "one number", np.array([[44 / 9]])))
    checker.type([[typed]])
    checker.check_button.click()
    said = checker.verdict_area.value.split('data-name="summary-one"')[1]
    assert said.split(">", 1)[1].startswith(html.escape(summary) + "</div>")
    checker.close()


def test_every_box_is_named_by_its_row_and_column():
    """A screen reader (and a hover) names each box as the grid labels it, not "?"."""
    explorer = AttentionExplorer()
    weights = HandCheck.follow(explorer, "weights")
    names = [[box.tooltip for box in row] for row in weights.boxes]
    assert names[1][2] == "(k2, q3)" and names[0][0] == "(k1, q1)"  # as a hint names them
    assert len({n for row in names for n in row}) == 16  # every box its own name
    bare = HandCheck(STEP)  # one row without labels: by column
    assert [box.tooltip for box in bare.boxes[0]] == ["column 1", "column 2"]
    # one cell with a row label: by the label, not the formula over it ("2·Σ f·P")
    one = HandCheck(Step("loss", "the loss", np.array([[1.1]]), rows=["loss"], cols=["2·Σ f·P"]))
    assert one.boxes[0][0].tooltip == "loss"
    one.type([["abc"]])
    one.check_button.click()
    assert "<li>loss: 'abc' is not a number" in one.verdict_area.value
    explorer.close()
    weights.close()
    bare.close()
    one.close()


def test_widget_follows_the_explorer_and_rechecks():
    explorer = AttentionExplorer()
    checker = HandCheck.follow(explorer, "sums")
    checker.type([["16", "10", "7", "12"]])
    assert checker.check().all_right
    explorer.controls["X"].boxes[5][3].value = -2  # new numbers to practise on
    r = explorer.result
    new = self_attention(r.X, r.WQ, r.WK, r.WV, mode="hand")
    np.testing.assert_allclose(checker.step.expected, new.sums)
    assert not checker.verdict.all_right  # re-checked against the new numbers at once
    checker.type([[f"{v:g}" for v in new.sums]])
    assert checker.check().all_right
    explorer.controls["X"].value = [[np.nan] * 4] + [
        [0.0] * 4
    ] * 5  # bad input: last good numbers stay
    np.testing.assert_allclose(checker.step.expected, new.sums)


def test_widget_text_form_is_short():
    checker = HandCheck(STEP)
    assert repr(checker) == "HandCheck('s': a step)"


def test_widget_reshapes_when_the_step_changes_shape_and_keeps_what_fits():
    checker = HandCheck(STEP)
    checker.type([["44/9", "0.2"]])
    checker.set_step(Step("s", "three now", np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))
    assert checker.answers == [["44/9", "0.2", ""], ["", "", ""]]
    assert (
        checker.grid.layout.grid_template_columns
        == "max-content repeat(3, minmax(6.2em, max-content))"
    )
    checker.type([["1", "2", "3"], ["4", "5", "x"]])
    assert checker.check().counts == {"right": 5, "wrong": 0, "empty": 0, "unreadable": 1}


# --- following an explorer: what it grades, said on screen ------------------------------


def test_follow_an_unknown_step_names_the_steps():
    explorer = AttentionExplorer()
    with pytest.raises(ValueError, match=r"AttentionExplorer has no step 'nope' to check: "
                       r"its steps are 'scores', 'sums', 'weights', 'output'"):  # fmt: skip
        HandCheck.follow(explorer, "nope")


def test_typing_the_wrong_shape_is_explained():
    checker = HandCheck(STEP)
    with pytest.raises(ValueError, match=r"type a list of 1 rows of 2 answers each"):
        checker.type(["44/9", "0.2"])
    with pytest.raises(ValueError, match=r"type a list of 1 rows of 2 answers each"):
        checker.type([["1", "2", "3"]])


def test_grid_shows_its_inputs_and_where_its_numbers_come_from():
    explorer = AttentionExplorer()
    checker = HandCheck.follow(explorer, "scores")
    assert "Kᵀ" in checker.inputs_area.value and ">Q<" in checker.inputs_area.value
    assert "the sheet's numbers" in checker.source_area.value
    assert checker.sheet_button.layout.display == "none"
    sums = HandCheck.follow(explorer, "sums")
    explorer.controls["X"].boxes[0][0].value = 1.0
    assert "from the explorer:</b> X edited" in checker.source_area.value
    assert checker.sheet_button.layout.display is None
    explorer.controls["mode"].value = "exact"
    assert "X edited, exact mode" in sums.source_area.value
    assert sums.step.title.startswith("Σ eˣ of each column") and "Σ eˣ" in sums.title.value
    sums.sheet_button.click()  # back to the sheet: its numbers and its pencil rules
    assert explorer.result.mode == "hand" and explorer.result.X[0, 0] == 2
    assert "the sheet's numbers" in sums.source_area.value
    sums.type([["16", "10", "7", "12"]])
    assert sums.check().all_right


def test_exact_mode_grades_the_quantity_named():
    explorer = AttentionExplorer(mode="exact")
    sums = HandCheck.follow(explorer, "sums")
    r = explorer.result
    total = np.exp(r.scores / np.sqrt(3)).sum(axis=0)  # Σ eˣ, no shift
    sums.type([[f"{v:.2f}" for v in total]])
    assert sums.check().all_right
    sums.type([["16", "10", "7", "12"]])  # the sheet's by-hand sums are not Σ eˣ
    assert not sums.check().all_right


def test_a_failing_grid_never_breaks_its_explorer(monkeypatch):
    explorer = AttentionExplorer()
    checker = HandCheck.follow(explorer, "sums")

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(explorer, "checks", broken)
    explorer.controls["X"].boxes[0][0].value = 1.0
    assert explorer.result.X[0, 0] == 1.0 and explorer.error == ""
    assert "could not follow the explorer: boom" in checker.verdict_area.value


def test_reshaping_closes_the_widgets_it_replaces():
    from dlviz import MoEExplorer

    explorer = MoEExplorer()
    checker = HandCheck.follow(explorer, "output")
    logits = HandCheck.follow(explorer, "logits")
    old = [b for row in logits.boxes for b in row]
    explorer.controls["n_experts"].value = 3
    assert all(b.comm is None for b in old)  # closed
    before = len(_instances)
    for n in [4, 5, 2, 6, 3] * 10:
        explorer.controls["n_experts"].value = n
    explorer.controls["n_experts"].value = 3
    assert len(_instances) <= before
    assert len(logits.boxes) == 3 and checker.step.shape == (4, 2)


# --- one snapshot, also when an observer changes a control ------------------------------


def test_re_entrant_change_ends_at_the_last_state_attention():
    explorer = AttentionExplorer(mode="exact")
    checker = HandCheck.follow(explorer, "weights")

    def bump(change):
        if change["new"].temperature == 2.0:
            explorer.controls["temperature"].value = 3.0

    explorer.observe(bump, names="result")
    explorer.controls["temperature"].value = 2.0
    assert explorer.result.temperature == 3.0
    assert "÷ temperature 3" in explorer.panels[5].value
    fresh = self_attention(**examples.attention_exercise(), mode="exact", temperature=3.0)
    np.testing.assert_allclose(checker.step.expected, fresh.weights)


def test_re_entrant_change_ends_at_the_last_state_moe_and_vectordb():
    from dlviz import MoEExplorer, VectorDBExplorer

    moe = MoEExplorer()
    moe.observe(lambda c: setattr(moe.controls["top_k"], "value", 2)
                if c["new"].gate_logits.shape[0] == 3 else None, names="result")  # fmt: skip
    grid = HandCheck.follow(moe, "choice")
    moe.controls["n_experts"].value = 3
    assert moe.result.top_k == 2 and moe.error == ""
    assert (grid.step.expected.sum(axis=0) == 2).all()

    db = VectorDBExplorer()
    scores = HandCheck.follow(db, "scores")
    db.observe(lambda c: setattr(db.controls["query"], "value", "you")
               if c["new"].query.sentence == "who" else None, names="result")  # fmt: skip
    db.controls["query"].value = "who"
    assert db.result.query.sentence == "you" and db.error == ""
    np.testing.assert_allclose(scores.step.expected, db.result.scores)
    assert "you" in db.nearest.value


def test_an_observer_that_never_stops_is_explained():
    explorer = AttentionExplorer(mode="exact")
    values = iter(np.linspace(0.2, 4.8, 1000))
    explorer.observe(
        lambda c: setattr(explorer.controls["temperature"], "value", round(next(values), 3)),
        names="result",
    )
    explorer.controls["temperature"].value = 2.0
    assert "the controls kept changing" in explorer.error


# --- no leaks ------------------------------------------------------------------------------


def _explorers():
    from dlviz import MoEExplorer, VectorDBExplorer

    return [
        (AttentionExplorer, "sums"),
        (VectorDBExplorer, "scores"),
        (MoEExplorer, "output"),
    ]


@pytest.mark.parametrize(("cls", "key"), _explorers(), ids=lambda v: getattr(v, "__name__", v))
def test_closing_an_explorer_frees_it_its_figures_and_its_grids(cls, key):
    gc.collect()
    before = len(_instances)
    explorer = cls()
    checker = HandCheck.follow(explorer, key)
    figures = [weakref.ref(f.figure) for f in explorer.figures()]
    refs = [weakref.ref(explorer), weakref.ref(checker)]
    assert len(_instances) > before
    explorer.close()
    assert checker.comm is None  # the following grid closed with it
    assert len(_instances) == before
    del explorer, checker
    gc.collect()
    assert all(r() is None for r in refs + figures)


@pytest.mark.parametrize(("cls", "key"), _explorers(), ids=lambda v: getattr(v, "__name__", v))
def test_running_a_cell_again_and_again_keeps_memory_flat(cls, key, monkeypatch):
    from dlviz.widgets import _cells

    run = iter(range(1000))
    monkeypatch.setattr(_cells, "current_run", lambda: ("cell-1", f"run-{next(run)}"))
    refs = []
    counts = []
    runs = 20 if cls is AttentionExplorer else 6  # the others take longer to build
    for _ in range(runs):  # the cell: explorer = cls(); HandCheck.follow(explorer, key)
        explorer = cls()
        refs.append(weakref.ref(explorer))
        HandCheck.follow(explorer, key)
        gc.collect()
        counts.append(len(_instances))
    assert counts[-1] == counts[1]  # flat: each run closes what the last one made
    del explorer
    gc.collect()
    assert sum(r() is not None for r in refs[:-1]) == 0


def test_explorers_left_open_at_exit_close_quietly():
    """At interpreter shutdown a widget's __del__ closes it: nothing may be printed then.

    (Clearing a matplotlib figure there raised "sys.meta_path is None", printed as
    "Exception ignored in: <function Widget.__del__ …>".)
    """
    script = (
        "from dlviz import AttentionExplorer, HandCheck, MoEExplorer, VectorDBExplorer\n"
        "explorers = [AttentionExplorer(), MoEExplorer(), VectorDBExplorer()]\n"
        "grid = HandCheck.follow(explorers[0], 'sums')\n"
        "del explorers, grid\n"
        "print('built')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "built\n"
    assert done.stderr == ""


def test_moe_checks_follow_the_explorer_and_keep_to_the_sheets_tokens():
    from dlviz import MoEExplorer

    explorer = MoEExplorer()
    checker = HandCheck.follow(explorer, "choice")
    explorer.controls["random_tokens"].value = 10
    assert checker.step.expected.shape == (2, 2)  # X1 and X2 only
    explorer.controls["X1[1]"].value = 3.0  # a tie: expert 1 takes X1
    assert checker.step.expected[:, 0].tolist() == [1.0, 0.0]
    explorer.controls["n_experts"].value = 3
    assert checker.step.expected.shape == (3, 2) and len(checker.boxes) == 3


def test_score_bars_keep_one_bar_container_whatever_the_number_of_texts():
    from dlviz import VectorDBExplorer

    explorer = VectorDBExplorer()
    texts = ["who am I", "who am I\nhow are you", "who am I\nhow are you\nwho are you\nam I"]
    for text in texts * 5:
        explorer.controls["database"].value = text
    assert len(explorer.bars.ax.containers) == 1 and len(explorer.bars.bars) == 4
    explorer.close()


def test_typing_the_published_sheets_scores_names_its_slip():
    explorer = VectorDBExplorer()
    checker = HandCheck.follow(explorer, "scores")
    checker.type([["44/9", "40/9", "60/9"]])  # "who" encoded as [1, 0, 0, 0], as the sheet did
    checker.check_button.click()
    page = html.unescape(checker.verdict_area.value)
    assert "'who' lost the last entry of its encoding" in page
    assert "wrote 40/9 for 'who are you' and 60/9 for 'who am I'" in page
    checker.close()
    explorer.close()


def test_a_grid_beyond_the_sheet_does_not_claim_the_sheets_numbers():
    ex, iv = examples.vectordb_exercise(), examples.ivf_exercise()
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"]))
    db.add(iv["texts"])
    checks = ivf_checks(lloyd_step(db.index_vectors.T, iv["init"]), iv["texts"])
    for key in ("assignment", "centroids"):
        shown = html.unescape(HandCheck(checks[key]).source_area.value)
        assert "the IVF exercise's numbers (beyond the sheet)" in shown
        assert "the sheet's numbers<" not in shown
    own = ivf_checks(lloyd_step(db.index_vectors.T, iv["init"]), iv["texts"], origin="my lists")
    assert ">my lists<" in HandCheck(own["assignment"]).source_area.value


# --- drawn as the explorer draws the same step -------------------------------------------


def _backgrounds(page, name):
    """The background of every cell of grid `name` in the HTML `page`, by (row, col)."""
    styles = cells_of(table(page, name)).styles
    return {at: style.split("background:")[1].split(";")[0] for at, style in styles.items()}


@pytest.mark.parametrize("mode", ["hand", "exact"])
@pytest.mark.parametrize("causal", [False, True])
def test_a_grid_draws_powers_sums_and_weights_as_the_explorer_does(mode, causal):
    # The same matrix in one colour map and one scale, beside the explorer and in it:
    # powers, sums and weights cannot be negative (white to blue), weights run 0 to 1,
    # and a key a causal query cannot see is "–".
    explorer = AttentionExplorer(mode=mode)
    explorer.controls["causal"].value = causal
    weights = HandCheck.follow(explorer, "weights")
    sums = HandCheck.follow(explorer, "sums")
    output = HandCheck.follow(explorer, "output")
    on_screen = grid_html(explorer, "weights")
    for page, name in ((weights.answer_area.value, "answer-weights"),
                       (output.inputs_area.value, "A")):  # fmt: skip
        assert _backgrounds(page, name) == _backgrounds(on_screen, "weights"), name
        assert cells_of(table(page, name)).cells == cells_of(on_screen).cells, name
    if mode == "hand":  # (exact: the grid asks for Σ eˣ, the explorer shows Σ e^(x − m))
        assert _backgrounds(sums.answer_area.value, "answer-sums") == _backgrounds(
            grid_html(explorer, "sums"), "sums"
        )
    assert sums.step.palette == "positive"
    exp = grid_html(explorer, "exp")
    for name in {g.name for g in weights.step.inputs} - {"Σ"}:  # exp beside the weights grid
        if mode == "hand":  # (exact: the grid asks for eˣ, the explorer shows e^(x − m))
            assert _backgrounds(weights.inputs_area.value, name) == _backgrounds(exp, "exp")
        assert cells_of(table(weights.inputs_area.value, name)).cells[(1, 0)] == (
            "–"
            if causal
            else cells_of(exp).cells[(1, 0)]
            if mode == "hand"
            else f"{np.exp(explorer.result.scaled[1, 0]):.2f}"
        )
    explorer.close()


def test_a_causal_grid_asks_nothing_of_a_hidden_key_and_opens_it_again():
    explorer = AttentionExplorer()
    checker = HandCheck.follow(explorer, "weights")
    checker.type([["0.2"] * 4] * 4)
    explorer.controls["causal"].value = True  # key i is hidden from query j when i > j
    hidden = [[i > j for j in range(4)] for i in range(4)]
    assert [[b.disabled for b in row] for row in checker.boxes] == hidden
    assert [[b.value == "–" for b in row] for row in checker.boxes] == hidden
    assert all(b.value == "0.2" for i, row in enumerate(checker.boxes)
               for j, b in enumerate(row) if not hidden[i][j])  # fmt: skip
    A = explorer.result.weights
    checker.type([[t if not hidden[i][j] else "–" for j, t in enumerate(row)]
                  for i, row in enumerate([[f"{v:.1f}" for v in r] for r in A])])  # fmt: skip
    assert checker.check().all_right
    assert "✓ –" in checker.verdict_area.value
    explorer.controls["causal"].value = False  # every key seen again: the boxes are open
    assert not any(b.disabled for row in checker.boxes for b in row)
    assert checker.answers[1][0] == "" and checker.answers[0][0] == "1.0"
    explorer.close()


def test_the_output_grid_of_several_heads_shows_what_it_is_computed_from():
    hand = multi_head_attention(**examples.multi_head_exercise(), heads=2, mode="hand")
    checker = HandCheck(multi_head_checks(hand)["multi_output"])
    html = checker.inputs_area.value
    assert 'data-name="WO"' in html and 'data-name="concat"' in html
    assert cells_of(table(html, "concat")).cells[(3, 2)] == "15"  # head 2's z3, first entry
    stacked = HandCheck(multi_head_checks(hand)["concat"]).inputs_area.value
    assert 'data-name="Z of head 1"' in stacked and 'data-name="Z of head 2"' in stacked


def test_a_runaway_answer_keeps_the_verdict_grid_its_width():
    checker = HandCheck(STEP)
    checker.type([["9" * 450, "0.2"]])
    checker.check_button.click()
    cells = cells_of(table(checker.verdict_area.value, "verdict-s")).cells
    assert cells[0, 0] == "? " + "9" * 15 + "…" and cells[0, 1] == "✓ 0.2"
    assert "450 characters is too long" in checker.verdict_area.value
    checker.close()
