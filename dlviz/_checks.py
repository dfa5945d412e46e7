"""Checks at the door: turn what a learner typed into float arrays, or say what is wrong.

Every computation in dlviz calls these before doing any arithmetic, so a bad input
is refused with a message that names the matrix, its shape and the offending value,
and nothing downstream ever sees NaN, inf, text or a ragged list.
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Iterable

import numpy as np

from dlviz._numerics import refuse_nonfinite


def shape_text(shape: tuple[int, ...]) -> str:
    """`(3, 6)` -> `"3×6"`, the way the sheets write shapes."""
    return "×".join(str(n) for n in shape) if shape else "a single number"


def as_array(name: str, value, *, ndim: int) -> np.ndarray:
    """Return `value` as a fresh float64 array with `ndim` dimensions, or raise.

    TypeError: text, booleans, None or other non-numbers.
    ValueError: ragged rows, the wrong number of dimensions, no entries, NaN or inf.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numbers, got the text {shown(value)}")
    if value is None:
        raise TypeError(f"{name} must be numbers, got None")
    if isinstance(value, np.ma.MaskedArray):
        hidden = np.ma.getmaskarray(value)
        if hidden.any():
            where = ", ".join(str(int(i)) for i in np.argwhere(hidden)[0])
            raise ValueError(
                f"{name}[{where}] is masked (hidden by the array's mask): every entry needs a "
                f"number; fill the gaps first, e.g. {name}.filled(0)"
            )
        value = np.ma.getdata(value)
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # numpy refuses ragged nested lists
        raise ValueError(f"{name} has rows of different lengths: {shown(value)}") from exc
    if arr.dtype.kind in "USO" or (arr.dtype.kind in "iuf" and not isinstance(value, np.ndarray)):
        # A list numpy could not read as plain numbers (text, None, an integer too large
        # for 64 bits), or one it read as numbers, which it also does with a lone True
        # among them (as 1): look at each item, so the message can show the one at fault.
        arr = _from_items(name, np.asarray(value, dtype=object), arr)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:  # long double: may not fit float64
        _refuse_too_large(name, arr)
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold numbers, got booleans (True/False)")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got values of type {arr.dtype}")
    if arr.ndim != ndim:
        what = {1: "a vector (one index)", 2: "a matrix (rows × columns)"}.get(ndim, f"{ndim}-D")
        raise ValueError(f"{name} must be {what}, got shape {shape_text(arr.shape)} ({arr.ndim}-D)")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {shape_text(arr.shape)}): give it some numbers")
    arr = arr.astype(np.float64)  # always a copy: callers may keep it in a frozen result
    refuse_nonfinite(
        arr,
        lambda where: (
            f"{name}[{', '.join(map(str, where))}] is {arr[where]}: every entry must be a "
            "finite number"
        ),
    )
    return arr


def _from_items(name: str, items: np.ndarray, arr: np.ndarray) -> np.ndarray:
    """`items` (an object array of what was typed) as float64, refusing each bad item by name."""
    for where, item in np.ndenumerate(items):
        if not isinstance(item, numbers.Real) or isinstance(item, (bool, np.bool_)):
            place = f"{name}[{', '.join(map(str, where))}]" if where else name
            if isinstance(item, (bool, np.bool_)):
                raise TypeError(
                    f"{name} must hold numbers, got a boolean ({place} is {item!r}): "
                    "write 1 or 0 if you mean a number"
                )
            raise TypeError(f"{name} must hold numbers only, found {shown(item)}")
    if arr.dtype.kind in "iuf":
        return arr  # every item a plain number: numpy's reading was right
    out = np.empty(items.shape, dtype=np.float64)
    for where, item in np.ndenumerate(items):
        out[where] = as_float(f"{name}[{', '.join(map(str, where))}]" if where else name, item)
    return out


def _refuse_too_large(name: str, arr: np.ndarray) -> None:
    """Raise if an entry of a wide float array lies beyond what float64 holds."""
    big = np.isfinite(arr) & (np.abs(arr) > np.finfo(np.float64).max)
    if big.any():
        where = tuple(int(i) for i in np.argwhere(big)[0])
        value = np.format_float_scientific(arr[where], precision=2)
        raise ValueError(f"{name}[{', '.join(map(str, where))}] is {value}, {_TOO_LARGE}")


_TOO_LARGE = "too large for a float (the largest is about 1.8e308): scale it down"


def shown(value, width: int = 60) -> str:
    """`repr(value)` for a message, kept short however long the value is.

    An integer or fraction too long to print (or to print usefully) is described by
    its size instead: ``shown(2**1100)`` is ``"a 332-digit number (about 1.4e331)"``.
    """
    if isinstance(value, numbers.Rational) and not isinstance(value, (bool, np.bool_)):
        num, den = int(value.numerator), int(value.denominator)
        if max(num.bit_length(), den.bit_length()) > 64:
            exp = math.log10(abs(num)) - math.log10(den) if num else 0.0
            power = math.floor(exp)
            sign = "-" if num < 0 else ""
            return f"a {power + 1}-digit number (about {sign}{10 ** (exp - power):.2g}e{power})"
    if isinstance(value, str) and len(value) > width:
        return f"{value[: width - 20]!r}… ({len(value):,} characters)"
    text = repr(value)
    if len(text) > width:
        text = f"{text[: width - 15]}… ({len(text):,} characters)"
    return text


def nfc(text: str) -> str:
    """`text` in Unicode's composed form (NFC), the one form words are compared in.

    "café" can be typed as four characters or as five ("cafe" and a combining accent):
    both look the same, so both must find the same word.
    """
    return unicodedata.normalize("NFC", text)


def as_float(name: str, value) -> float:
    """One number a learner gave, as a float; the door every scalar goes through.

    TypeError: text, booleans, None or other non-numbers.
    ValueError: a number beyond what a float holds (2**1100, 10**400, a huge Fraction).
    NaN and ±inf pass: the caller says whether they are allowed.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {shown(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} is {shown(value)}, {_TOO_LARGE}") from None


def as_matrix(name: str, value) -> np.ndarray:
    """`as_array` for a 2-D matrix."""
    return as_array(name, value, ndim=2)


def as_vector(name: str, value) -> np.ndarray:
    """`as_array` for a 1-D vector; a single column or row matrix is accepted too."""
    if isinstance(value, np.ndarray) and value.ndim == 2 and 1 in value.shape:
        value = value.reshape(-1)
    return as_array(name, value, ndim=1)


def as_int(name: str, value, *, low: int, high: int | None = None) -> int:
    """A whole number in [low, high], or raise naming the range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a whole number, got {shown(value)}")
    if not isinstance(value, numbers.Integral):
        # int() of a Fraction or float is exact (no detour through a float that could
        # overflow); inf and NaN have no whole value at all.
        try:
            whole = int(value)
        except (OverflowError, ValueError):
            whole = None
        if whole is None or whole != value:
            raise TypeError(f"{name} must be a whole number, got {shown(value)}")
        value = whole
    value = int(value)
    if value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {span}, got {shown(value)}")
    return value


def as_positive(name: str, value) -> float:
    """A finite number > 0, or raise."""
    number = as_float(name, value)
    if not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number above 0, got {shown(value)}")
    return number


def as_texts(name: str, value, *, expected: str, each: str = "a str") -> list[str]:
    """`value`, an iterable of texts, as a list of str, or TypeError naming what is wrong.

    expected: what `value` must be, in the caller's words ("a list of texts"); each: what
    every item must be. A single str is the caller's to handle first (it is iterable).
    """
    if not isinstance(value, Iterable):
        raise TypeError(f"{name} must be {expected}, got {shown(value)}")
    texts = list(value)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be {each}, got {shown(text)}")
    return texts


def choice(name: str, value, options: tuple[str, ...]) -> str:
    """One of `options`, or raise listing them (TypeError for anything but text)."""
    listed = ", ".join(repr(o) for o in options)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed} (text); got {_kind(value)}")
    if value not in options:
        raise ValueError(f"{name} must be one of {listed}; got {shown(value)}")
    return str(value)


def _kind(value) -> str:
    """What a value is, for a message: an array by its shape, anything else by its repr."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {shape_text(value.shape)}"
    return shown(value)


def frozen(arr: np.ndarray) -> np.ndarray:
    """Mark an array read-only, so a frozen result cannot be changed behind its back."""
    arr.flags.writeable = False
    return arr
