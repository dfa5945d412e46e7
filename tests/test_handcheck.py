"""Checking hand work: reading answers, grading cells, spotting known slips, the widget."""

from fractions import Fraction

import numpy as np
import pytest

from dlviz import AttentionExplorer, HandCheck, examples, self_attention
from dlviz.checking import Step, attention_checks, check, parse_answer
from dlviz.widgets.handcheck import expected_text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", Fraction(3)),
        (" -2 ", Fraction(-2)),
        ("0.25", Fraction(1, 4)),
        (".5", Fraction(1, 2)),
        ("0,5", Fraction(1, 2)),
        ("44/9", Fraction(44, 9)),
        ("-1/3", Fraction(-1, 3)),
        ("15 1/3", Fraction(46, 3)),
        ("−4", Fraction(-4)),  # a typographic minus, as pasted from a sheet
    ],
)
def test_answers_are_read_as_exact_numbers(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"empty: type a number"),
        ("   ", r"empty: type a number"),
        ("abc", r"'abc' is not a number: write it like 3, -0.5 or 44/9"),
        ("1/0", r"'1/0' divides by zero"),
        ("1..2", r"'1..2' is not a number"),
        ("3/", r"'3/' is not a number"),
    ],
)
def test_unreadable_answers_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        parse_answer(text)


def test_non_text_answer_is_a_type_error():
    with pytest.raises(TypeError, match=r"an answer is text, got 3"):
        parse_answer(3)


STEP = Step("s", "a step", np.array([[44 / 9, 0.2]]), tolerance=0.0)


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("44/9", "right"),  # the exact fraction
        ("88/18", "right"),  # not in lowest terms: still the same number
        ("4.89", "right"),  # a decimal is right to the digits given
        ("4.9", "right"),
        ("4.88", "wrong"),  # 44/9 = 4.888… rounds to 4.89, not 4.88
        ("5", "wrong"),  # a whole number must be exact
        ("40/9", "wrong"),
        ("", "empty"),
        ("x", "unreadable"),
    ],
)
def test_each_cell_is_graded_with_the_right_tolerance(typed, status):
    verdict = check(STEP, [[typed, "0.2"]])
    assert verdict.status[0, 0] == status
    assert verdict.status[0, 1] == "right"


def test_one_decimal_rounding_is_tolerated_where_the_sheet_rounds():
    # By hand, weights are rounded to one decimal: 3/16 = 0.1875 may be written 0.2 or 0.19.
    steps = attention_checks(self_attention(**examples.attention_exercise(), mode="hand"))
    weights = expected_text(steps["weights"])
    assert weights[0] == ["0.2", "0.3", "0.4", "0.1"]
    for typed, status in [("0.2", "right"), ("0.19", "right"), ("3/16", "right"), ("0.3", "wrong")]:
        answers = [row[:] for row in weights]
        answers[0][0] = typed
        assert check(steps["weights"], answers).status[0, 0] == status, typed


def test_answer_grid_shape_must_fit():
    with pytest.raises(ValueError, match=r"1×1 answers for a 1×2 grid"):
        check(STEP, [["1"]])


# --- the hints, one per known slip: values of the by-hand sheet, exercises.md ------------


@pytest.fixture
def hand_steps():
    return attention_checks(self_attention(**examples.attention_exercise(), mode="hand"))


def _hint(verdict):
    assert verdict.hints, "expected a hint"
    return " ".join(h for h, _ in verdict.hints)


def test_hint_sum_of_15_and_a_third(hand_steps):
    verdict = check(hand_steps["sums"], [["15 1/3", "10", "7", "12"]])
    assert verdict.status.tolist() == [["wrong", "right", "right", "right"]]
    assert "−½ was rounded down to −1" in _hint(verdict)
    assert verdict.hints[0][1] == ((0, 0),)


def test_hint_row_sums(hand_steps):
    row_sums = hand_steps["sums"].slips[1].values
    verdict = check(hand_steps["sums"], [[str(int(v)) for v in row_sums]])
    assert "row sums" in _hint(verdict)


def test_hint_scores_transposed(hand_steps):
    S = hand_steps["scores"].expected
    verdict = check(hand_steps["scores"], [[str(int(v)) for v in row] for row in S.T])
    assert "Qᵀ·K, the transpose" in _hint(verdict)


def test_hint_output_with_A_transposed(hand_steps):
    r = self_attention(**examples.attention_exercise(), mode="hand")
    wrong = r.V @ r.weights.T
    verdict = check(hand_steps["output"], [[f"{v:g}" for v in row] for row in wrong])
    assert "This is V·Aᵀ" in _hint(verdict)


def test_hint_weights_divided_by_row_sums(hand_steps):
    wrong = hand_steps["weights"].slips[0].values
    verdict = check(hand_steps["weights"], [[f"{v:.1f}" for v in row] for row in wrong])
    assert "divided by the row sums" in _hint(verdict)


def test_no_hint_when_the_wrong_value_is_just_wrong(hand_steps):
    verdict = check(hand_steps["sums"], [["17", "10", "7", "12"]])
    assert verdict.status[0, 0] == "wrong" and verdict.hints == ()


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
    assert "Hint" in page and "(Σ, q1)" in page
    checker.answer_button.value = True
    assert checker.answer_area.layout.display is None
    assert checker.answer_button.description == "Hide answer"


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


# --- vector database and mixture of experts: values of the by-hand sheets, exercises.md --


@pytest.fixture
def vectordb_steps():
    from dlviz.checking import vectordb_checks
    from dlviz.vectordb import SentenceEncoder, Vocabulary

    ex = examples.vectordb_exercise()
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
    return vectordb_checks(encoder, ex["database"], ex["query"])


def test_vectordb_right_answers_as_fractions(vectordb_steps):
    assert check(vectordb_steps["scores"], [["44/9", "42/9", "62/9"]]).all_right
    pooled = [["1", "1", "5/3", "5/3"], ["2/3", "2/3", "2/3", "1"],
              ["1/3", "0", "1/3", "1/3"], ["1/3", "1/3", "2/3", "1/3"]]  # fmt: skip
    assert check(vectordb_steps["pooled"], pooled).all_right
    index = [["5/3", "5/3", "7/3", "8/3"], ["2/3", "1/3", "1", "2/3"]]
    assert check(vectordb_steps["index"], index).all_right


def test_vectordb_hint_who_lost_its_last_row(vectordb_steps):
    verdict = check(vectordb_steps["scores"], [["44/9", "40/9", "62/9"]])
    assert verdict.status.tolist() == [["right", "wrong", "right"]]
    assert "'who' lost the last entry" in _hint(verdict) and "40/9" in _hint(verdict)


def test_vectordb_hint_sum_instead_of_mean(vectordb_steps):
    wrong = vectordb_steps["pooled"].slips[0].values
    verdict = check(vectordb_steps["pooled"], [[f"{v:g}" for v in row] for row in wrong])
    assert "mean pooling divides the sum" in _hint(verdict)


def test_vectordb_hint_no_projection(vectordb_steps):
    wrong = vectordb_steps["scores"].slips[1].values
    verdict = check(vectordb_steps["scores"], [[f"{v:.4f}" for v in wrong]])
    assert "project both with P" in _hint(verdict)


@pytest.fixture
def moe_steps():
    from dlviz import MixtureOfExperts
    from dlviz.checking import moe_checks

    ex = examples.moe_exercise()
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])
    return moe_checks(moe, moe(ex["X"]))


def test_moe_right_answers(moe_steps):
    assert check(moe_steps["logits"], [["3", "4"], ["4", "3"]]).all_right
    assert check(moe_steps["choice"], [["0", "1"], ["1", "0"]]).all_right
    assert check(moe_steps["output"], [["4", "5"], ["3", "4"], ["1", "2"], ["5", "0"]]).all_right


def test_moe_hint_relu_forgotten(moe_steps):
    verdict = check(moe_steps["output"], [["4", "5"], ["3", "4"], ["1", "2"], ["5", "-1"]])
    assert "ReLU, which turns it into 0" in _hint(verdict)


def test_moe_hint_smaller_logit_chosen(moe_steps):
    verdict = check(moe_steps["choice"], [["1", "0"], ["0", "1"]])
    assert "LARGEST logit" in _hint(verdict)


def test_moe_hint_experts_swapped(moe_steps):
    verdict = check(moe_steps["logits"], [["4", "3"], ["3", "4"]])
    assert "experts are swapped" in _hint(verdict)


def test_moe_hint_other_expert(moe_steps):
    # X1 through expert 1: W1·[2, 1, 3] = [5, 3, 3, 1]
    verdict = check(moe_steps["output"], [["5", "5"], ["3", "4"], ["3", "2"], ["1", "0"]])
    assert "the other expert's output" in _hint(verdict)


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
