"""Grading as a careful teacher would: reading answers, the rules for decimals, shapes.

Hypothesis properties: every honest way of writing the right value is right, and no
typed text ever raises.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlviz import examples, self_attention
from dlviz.checking import Step, attention_checks, check, decimals_typed, parse_answer


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", Fraction(3)),
        ("5.", Fraction(5)),  # a trailing dot writes a whole number
        ("5,", Fraction(5)),
        (" -2 ", Fraction(-2)),
        ("0.25", Fraction(1, 4)),
        (".5", Fraction(1, 2)),
        ("0,5", Fraction(1, 2)),
        ("44/9", Fraction(44, 9)),
        ("-1/3", Fraction(-1, 3)),
        ("15 1/3", Fraction(46, 3)),
        ("15⅓", Fraction(46, 3)),
        ("-½", Fraction(-1, 2)),
        ("−4", Fraction(-4)),  # a typographic minus, as pasted from a sheet
        ("1" * 300, Fraction(int("1" * 300))),
    ],
)
def test_answers_are_read_as_exact_numbers(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize(
    ("text", "places"), [("0.19", 2), ("5.", None), ("5", None), ("44/9", None), ("4,9", 1)]
)
def test_decimals_typed(text, places):
    assert decimals_typed(text) == places


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"empty: type a number"),
        ("   ", r"empty: type a number"),
        ("abc", r"'abc' is not a number: write it like 3, -0.5 or 44/9"),
        ("1/0", r"'1/0' divides by zero"),
        ("1..2", r"'1..2' is not a number"),
        ("3/", r"'3/' is not a number"),
        ("nan", r"'nan' is not a number"),
        ("inf", r"'inf' is not a number"),
        ("9" * 500, r"500 characters is too long for an answer"),
    ],
)
def test_unreadable_answers_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        parse_answer(text)


def test_non_text_answer_is_a_type_error():
    with pytest.raises(TypeError, match=r"an answer is text, got 3"):
        parse_answer(3)


STEP = Step("s", "a step", np.array([[44 / 9, 0.25]]))


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("44/9", "right"),  # the exact fraction
        ("88/18", "right"),  # not in lowest terms: still the same number
        ("4 8/9", "right"),
        ("4.89", "right"),  # a decimal is right to the digits given
        ("4.9", "right"),
        ("4.889", "right"),
        ("4.88", "wrong"),  # 44/9 = 4.888… rounds to 4.89, not 4.88
        ("4.888", "wrong"),
        ("5", "wrong"),  # a whole number must be exact
        ("5.", "wrong"),  # so must a trailing dot: it writes a whole number
        ("5,", "wrong"),
        ("40/9", "wrong"),
        ("1" * 300, "wrong"),  # huge: simply wrong, never an OverflowError
        ("1/" + "3" * 300, "wrong"),
        ("", "empty"),
        ("x", "unreadable"),
    ],
)
def test_each_cell_is_graded_by_the_digits_given(typed, status):
    verdict = check(STEP, [[typed, "0.25"]])
    assert verdict.status[0, 0] == status
    assert verdict.status[0, 1] == "right"


@pytest.mark.parametrize(
    ("typed", "status"), [("0.25", "right"), ("1/4", "right"), ("0.3", "right"), ("0.2", "right"),
                          ("0.", "wrong"), ("0", "wrong"), ("0.26", "wrong")],
)  # fmt: skip
def test_a_quarter(typed, status):
    # 0.25 to one decimal is 0.2 or 0.3 (a tie): both are right; "0." is the whole number 0.
    assert check(STEP, [["44/9", typed]]).status[0, 1] == status


@pytest.fixture
def hand_steps():
    return attention_checks(self_attention(**examples.attention_exercise(), mode="hand"))


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("0.2", "right"),  # the sheet's rounded value
        ("0.20", "right"),
        ("0.19", "right"),  # 3/16 = 0.1875 to two decimals
        ("0.1875", "right"),
        ("3/16", "right"),  # the exact share
        ("0.188", "right"),
        ("0.25", "wrong"),  # near 0.2 but neither 0.1875 rounded nor the sheet's 0.2
        ("1/4", "wrong"),
        ("0.18", "wrong"),
        ("0.3", "wrong"),
        ("0.", "wrong"),
    ],
)
def test_weights_the_sheet_rounds(hand_steps, typed, status):
    step = hand_steps["weights"]
    answers = [[f"{v:.1f}" for v in row] for row in step.expected]
    assert answers[0] == ["0.2", "0.3", "0.4", "0.1"]
    answers[0][0] = typed
    assert check(step, answers).status[0, 0] == status


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("1.1154", "right"),  # what a pencil reaches, rounding on the way
        ("1.115", "right"),  # that, to 3 decimals
        ("1.1155", "right"),  # the exact value, rounded
        ("1.116", "right"),
        ("1.1153", "wrong"),  # neither rounds to it
        ("1.1157", "wrong"),
        ("2231/2000", "wrong"),  # a fraction is exact: 1.1155 is not the value
    ],
)
def test_a_value_reached_by_rounding_on_the_way_is_right_too(typed, status):
    step = Step("loss", "loss", np.array([[1.11553]]), also=np.array([[[1.1154]], [[np.nan]]]))
    assert check(step, [[typed]]).status[0, 0] == status


@pytest.mark.parametrize(
    ("typed", "status"),
    [("0.8", "right"), ("0.80", "right"), ("0.75", "right"), ("3/4", "right"),
     ("9/12", "right"), ("0.7", "wrong"), ("0.70", "wrong"), ("0.74", "wrong")],
)  # fmt: skip
def test_a_half_the_sheet_rounds_rounds_up(hand_steps, typed, status):
    # 9/12 = 0.75: the sheet rounds a half up, to 0.8, and Z is computed from 0.8, so the
    # grid takes the sheet's side of the tie (where the sheet does not round, either side
    # is right: test_a_quarter)
    step = hand_steps["weights"]
    answers = [[f"{v:.1f}" for v in row] for row in step.expected]
    assert step.exact[1, 3] == 0.75 and answers[1][3] == "0.8"
    answers[1][3] = typed
    assert check(step, answers).status[1, 3] == status


def test_a_cell_without_a_finite_answer_is_wrong_and_says_why():
    step = Step("s", "nan", np.array([[np.nan, 1.0]]))
    verdict = check(step, [["3", "1"]])
    assert verdict.status.tolist() == [["wrong", "right"]]
    assert "no finite number" in verdict.notes[0][0]


@pytest.mark.parametrize(
    ("answers", "error", "message"),
    [
        ([["1"]], ValueError, r"1 rows of answers with \[1\] cells each, for a 1×2 grid"),
        ([["1", "2", "3"]], ValueError, r"for a 1×2 grid: give 1 rows of 2"),  # extra
        ([["1", "2"], ["3"]], ValueError, r"2 rows of answers with \[1, 2\] cells each"),  # ragged
        (["1", "2"], ValueError, r"answers are rows: a list of 1 lists of 2 texts"),
        ("1 2", TypeError, r"answers are a list of rows"),
        ([["1", None]], TypeError, r"answer in row 1, column 2 is None"),
    ],
)
def test_answers_of_the_wrong_shape_are_refused_clearly(answers, error, message):
    with pytest.raises(error, match=message):
        check(STEP, answers)


def test_numbers_instead_of_text_are_read():
    assert check(STEP, [[Fraction(44, 9), 0.25]]).all_right


# --- properties --------------------------------------------------------------------------

fractions = st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=1000)


def _honest(value: Fraction, draw) -> str:
    """One honest way to write `value`: exact fraction, mixed number or a decimal rounding."""
    how = draw(st.sampled_from(["fraction", "mixed", "decimal", "unicode"]))
    if how == "fraction":
        return f"{value.numerator}/{value.denominator}"
    if how == "mixed" and value.denominator != 1:
        whole, rest = divmod(abs(value.numerator), value.denominator)
        sign = "-" if value < 0 else ""
        return (
            f"{sign}{whole} {rest}/{value.denominator}"
            if whole
            else f"{sign}{rest}/{value.denominator}"
        )
    if how == "unicode":
        return f"−{-value.numerator}/{value.denominator}" if value < 0 else str(value)
    places = draw(st.integers(1, 6))
    # Rounded half away from zero, as a person does, to the digits chosen.
    scaled = abs(value) * 10**places
    rounded = int(scaled) + (1 if scaled - int(scaled) >= Fraction(1, 2) else 0)
    text = f"{rounded // 10**places}.{rounded % 10**places:0{places}d}"
    text = "-" + text if value < 0 and rounded else text
    return text.replace(".", draw(st.sampled_from([".", ","])))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value=fractions, data=st.data())
def test_every_honest_writing_of_the_right_value_is_right(value, data):
    text = _honest(value, data.draw)
    step = Step("p", "property", np.array([[float(value)]]))
    assert check(step, [[text]]).all_right, text


@settings(max_examples=300)
@given(text=st.text(max_size=60), expected=st.floats(allow_nan=True, allow_infinity=True))
def test_no_typed_text_ever_raises(text, expected):
    step = Step("p", "property", np.array([[expected, 1.0]]))
    verdict = check(step, [[text, text]])
    assert set(verdict.status.ravel()) <= {"right", "wrong", "empty", "unreadable"}


@settings(max_examples=200)
@given(text=st.from_regex(r"[-+−]?[0-9]{0,400}([.,/ ][0-9]{0,400})?", fullmatch=True))
def test_no_number_like_text_ever_raises(text):
    verdict = check(STEP, [[text, text]])
    assert verdict.status.shape == (1, 2)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=30), slip=st.floats(allow_nan=True, allow_infinity=True))
def test_hints_with_odd_slip_values_never_raise(text, slip):
    from dlviz.checking import Slip

    step = Step("p", "property", np.array([[1.0, 2.0]]),
                slips=(Slip(np.array([[slip, np.nan]]), "a slip"),))  # fmt: skip
    check(step, [[text, "2"]])


@pytest.mark.parametrize("mode", ["hand", "exact"])
def test_a_cell_the_causal_mask_hides_is_right_as_a_dash_or_as_zero(mode):
    # The explorer draws a hidden key as "–": a learner copying that, or writing the
    # weight it stands for (0), is right; a dash where a key is seen is no number.
    step = attention_checks(self_attention(**examples.attention_exercise(), causal=True, mode=mode))
    weights = step["weights"]
    assert weights.mask is not None and not weights.mask[1, 0] and weights.mask[0, 1]
    right = [[f"{v:.2f}" for v in row] for row in weights.expected]
    for dash in ("–", "-", "—", "−", " – "):
        typed = [[dash if not weights.mask[i, j] else t for j, t in enumerate(row)]
                 for i, row in enumerate(right)]  # fmt: skip
        assert check(weights, typed).all_right, dash
    assert check(weights, right).all_right  # 0.00 in the hidden cells
    typed = [list(row) for row in right]
    typed[0][1] = "–"  # key 1 is seen by query 2: a dash there is not an answer
    verdict = check(weights, typed)
    assert verdict.status[0, 1] == "unreadable" and verdict.counts["unreadable"] == 1
    typed = [list(row) for row in right]
    typed[1][0] = "0.3"  # a hidden key given weight: wrong
    assert check(weights, typed).status[1, 0] == "wrong"
    assert attention_checks(self_attention(**examples.attention_exercise()))["weights"].mask is None


def test_a_number_in_e_notation_is_read_and_a_runaway_power_explained():
    # A learner typed 1e5 and was told "'1e5' is not a number".
    assert parse_answer("1e5") == 100000 and parse_answer("2.5E-1") == Fraction(1, 4)
    assert parse_answer("−3e2") == -300 and parse_answer("1.e3") == 1000
    for text in ("1e999", "1e-31"):
        with pytest.raises(ValueError, match="is a number, but far too large or too small"):
            parse_answer(text)
    step = Step("s", "a step", np.array([[100000.0, 0.25]]))
    verdict = check(step, [["1e5", "1e999"]])  # never raises, never inf
    assert list(verdict.status[0]) == ["right", "unreadable"]
    assert "far too large or too small" in verdict.notes[0][1]
