"""The checks at the door (`dlviz._checks`): every number a learner gives, of any size or kind.

Families of the adversarial review (issue 11): a number too large for a float is a
ValueError naming the input, never an OverflowError; a boolean among numbers and a
masked array's hidden entries are refused, never read as 1 or as the hidden value;
a message names the argument at fault and stays short however long the value.
"""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlviz import MixtureOfExperts, examples, self_attention
from dlviz._checks import as_array, as_float, as_int, as_positive, choice, shown

FLOAT_MAX = np.finfo(np.float64).max


def _fits_a_float(value) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


@given(st.integers(min_value=-(2**1200), max_value=2**1200))
def test_any_integer_is_read_exactly_as_the_nearest_float_or_refused_by_name(n):
    try:
        arr = as_array("X", [[n, 1]], ndim=2)
    except ValueError as exc:
        assert not _fits_a_float(n)
        assert "X[0, 0] is a" in str(exc) and "too large for a float" in str(exc)
        assert len(str(exc)) < 200  # the size, not 300 digits
        return
    assert arr[0, 0] == float(n)  # nearest float, also past 2**53 (exact comparison is the point)
    assert arr.dtype == np.float64


@given(st.integers(min_value=2**53, max_value=2**63 - 1))
def test_integers_past_2_53_in_an_int64_array_become_the_nearest_float(n):
    arr = as_array("X", np.array([n, -n], dtype=np.int64), ndim=1)
    assert arr.tolist() == [float(n), float(-n)]


@given(st.fractions(), st.integers(min_value=0, max_value=1100))
def test_any_fraction_is_read_or_refused_by_name(f, power):
    value = f * 2**power
    try:
        got = as_float("temperature", value)
    except ValueError as exc:
        assert not _fits_a_float(value)
        assert str(exc).startswith("temperature is a") and "too large for a float" in str(exc)
        return
    assert got == float(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2**1100, r"X\[0, 1\] is a 332-digit number \(about 1.4e331\), too large for a float"),
        (-(10**400), r"X\[0, 1\] is a 401-digit number \(about -1e400\), too large"),
        (Fraction(10**400, 3), r"X\[0, 1\] is a 400-digit number \(about 3.3e399\)"),
        (10**5000, r"X\[0, 1\] is a 5001-digit number"),  # past Python's 4300-digit str limit
    ],
    ids=["2**1100", "-10**400", "Fraction", "10**5000"],
)
def test_numbers_too_large_for_a_float_are_a_value_error_naming_the_entry(value, message):
    with pytest.raises(ValueError, match=message):
        as_array("X", [[1, value]], ndim=2)


def test_a_long_double_beyond_float64_is_refused_as_too_large_not_as_inf():
    big = np.array([1, np.longdouble("1e400")], dtype=np.longdouble)
    if not np.isfinite(big[1]):  # long double is float64 on this platform: nothing to test
        pytest.skip("long double is no wider than float64 here")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"X\[1\] is 1.e\+400, too large for a float"):
            as_array("X", big, ndim=1)


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=6),
    st.data(),
)
def test_a_lone_boolean_among_numbers_is_a_type_error_naming_it(values, data):
    at = data.draw(st.integers(min_value=0, max_value=len(values)))
    flag = data.draw(st.sampled_from([True, False, np.True_, np.False_]))
    row = [*values[:at], flag, *values[at:]]
    with pytest.raises(TypeError, match=rf"X must hold numbers, got a boolean \(X\[0, {at}\] is"):
        as_array("X", [row], ndim=2)


def test_a_lone_boolean_in_a_list_of_integers_is_refused():
    with pytest.raises(TypeError, match=r"got a boolean \(b\[2\] is True\): write 1 or 0"):
        as_array("b", [0, 3, True], ndim=1)


def test_a_masked_array_with_hidden_entries_is_refused_naming_the_first():
    X = np.ma.masked_array([[1.0, 5.0], [1.0, 1.0]], mask=[[0, 1], [0, 0]])
    with pytest.raises(ValueError, match=r"X\[0, 1\] is masked .*X.filled\(0\)"):
        as_array("X", X, ndim=2)
    with pytest.raises(ValueError, match=r"X\[0, 1\] is masked"):
        self_attention(X, [[1, 0]], [[1, 0]], [[1, 0]])


def test_a_masked_array_with_nothing_hidden_is_its_numbers():
    X = np.ma.masked_array([[1.0, 5.0]], mask=False)
    np.testing.assert_array_equal(as_array("X", X, ndim=2), [[1.0, 5.0]])
    assert type(as_array("X", X, ndim=2)) is np.ndarray


def test_shown_keeps_a_message_short_whatever_the_value():
    assert shown(3) == "3"
    assert shown("word") == "'word'"
    assert shown(2**1100) == "a 332-digit number (about 1.4e331)"
    long = shown("x" * 100_000)
    assert len(long) < 80 and long.startswith("'xxx") and "'… (100,000 characters)" in long


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (10**400, ValueError, r"temperature is a 401-digit number \(about 1e400\), too large"),
        (Fraction(10**400, 7), ValueError, r"temperature is a 400-digit number"),
        (True, TypeError, r"temperature must be a number, got True"),
        ("2", TypeError, r"temperature must be a number, got '2'"),
        (np.array([2.0]), TypeError, r"temperature must be a number, got array"),
        (0, ValueError, r"temperature must be a finite number above 0, got 0"),
        (float("nan"), ValueError, r"temperature must be a finite number above 0, got nan"),
    ],
)
def test_as_positive_refuses_by_name(value, error, message):
    with pytest.raises(error, match=message):
        as_positive("temperature", value)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (Fraction(10**400) + Fraction(1, 2), TypeError, r"k must be a whole number, got a 401"),
        (2**1100, ValueError, r"k must be from 1 to 5, got a 332-digit number"),
        (float("inf"), TypeError, r"k must be a whole number, got inf"),
        (float("nan"), TypeError, r"k must be a whole number, got nan"),
        (2.5, TypeError, r"k must be a whole number, got 2.5"),
        ("3", TypeError, r"k must be a whole number, got '3'"),
        (np.True_, TypeError, r"k must be a whole number, got np.True_"),
    ],
)
def test_as_int_refuses_by_name(value, error, message):
    with pytest.raises(error, match=message):
        as_int("k", value, low=1, high=5)


@pytest.mark.parametrize("value", [3, 3.0, Fraction(6, 2), np.int64(3), np.float32(3)])
def test_as_int_takes_every_honest_whole_number(value):
    assert as_int("k", value, low=1, high=5) == 3


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (np.array(["hand", "exact"]), TypeError, r"mode must be one of 'hand', 'exact' \(text\); "
         r"got an array of shape 2"),
        (None, TypeError, r"mode must be one of 'hand', 'exact' \(text\); got None"),
        ("fast", ValueError, r"mode must be one of 'hand', 'exact'; got 'fast'"),
    ],
)  # fmt: skip
def test_choice_refuses_anything_but_one_of_its_words(value, error, message):
    with pytest.raises(error, match=message):
        choice("mode", value, ("hand", "exact"))


# -- the computations blame the argument at fault ------------------------------------------


@pytest.fixture
def ex():
    return examples.attention_exercise()


def test_a_huge_temperature_is_a_value_error_naming_temperature(ex):
    with pytest.raises(ValueError, match=r"^temperature is a 401-digit number"):
        self_attention(**ex, mode="exact", temperature=10**400)


@given(st.floats(min_value=5e-324, max_value=1e-300))
def test_a_tiny_temperature_is_blamed_not_the_inputs(temperature):
    ex = examples.attention_exercise()
    try:
        result = self_attention(**ex, mode="exact", temperature=temperature)
    except ValueError as exc:
        assert str(exc).startswith(f"temperature={temperature!r} is too small for these scores")
        bound = float(str(exc).rsplit("at least ", 1)[1])
        assert temperature < bound * 1.1  # the bound it states is the one it applied
        return
    assert np.isfinite(result.scaled).all() and np.isfinite(result.weights).all()


def test_temperature_by_hand_quotes_the_temperature_given(ex):
    with pytest.raises(ValueError, match=r"must be 1 with mode='hand', got 1.0000001 "):
        self_attention(**ex, mode="hand", temperature=1.0000001)


def test_an_array_as_mode_is_a_type_error(ex):
    with pytest.raises(TypeError, match=r"mode must be one of .* got an array of shape 2"):
        self_attention(**ex, mode=np.array(["hand", "exact"]))


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"WQ": [[1e200]]}, r"Q overflowed .*WQ, X are too large .*WQ 1e\+200, X 1e\+200"),
        ({"WV": [[1e200]]}, r"V overflowed .*WV, X are too large .*WV 1e\+200, X 1e\+200"),
    ],
)
def test_an_overflow_names_the_inputs_it_came_from(weights, message):
    inputs = {"WQ": [[1.0]], "WK": [[1.0]], "WV": [[1.0]], **weights}
    with pytest.raises(ValueError, match=message):
        self_attention([[1e200, 1.0]], **inputs)


@given(st.integers(min_value=2**1000, max_value=2**1200))
def test_a_huge_moe_token_is_a_value_error_naming_it(n):
    moe = MixtureOfExperts(**{k: v for k, v in examples.moe_exercise().items() if k != "X"})
    token = [n] + [1] * (moe.in_dim - 1)
    try:
        result = moe(token)
    except ValueError as exc:
        message = str(exc)
        assert message.startswith("X[0] is a") or "overflowed" in message
        return
    assert math.isfinite(float(result.output.max()))


def test_a_capacity_factor_too_large_for_a_float_is_a_value_error_naming_it():
    from dlviz.moe_capacity import as_capacity_factor

    with pytest.raises(ValueError, match=r"^capacity_factor is a 401-digit number"):
        as_capacity_factor(10**400)


def test_a_query_too_large_for_the_index_dtype_is_named_like_a_stored_vector():
    from dlviz.vectordb import VectorIndex

    index = VectorIndex(2, dtype=np.float32)
    index.add([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"^queries\[1\] has entries too large for float32"):
        index.search([[1, 1], [1e300, 0]])
    with pytest.raises(ValueError, match=r"^vectors\[1\] has entries too large for float32"):
        index.add([[1, 1], [1e300, 0]])
