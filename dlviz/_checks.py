"""Checks at the door: turn what a learner typed into float arrays, or say what is wrong.

Every computation in dlviz calls these before doing any arithmetic, so a bad input
is refused with a message that names the matrix, its shape and the offending value,
and nothing downstream ever sees NaN, inf, text or a ragged list.
"""

from __future__ import annotations

import numbers

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
        raise TypeError(f"{name} must be numbers, got the text {value!r}")
    if value is None:
        raise TypeError(f"{name} must be numbers, got None")
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # numpy refuses ragged nested lists
        raise ValueError(f"{name} has rows of different lengths: {value!r}") from exc
    if arr.dtype.kind in "USO":
        # Text or None somewhere in a list (numpy turns [1, "a"] into an array of
        # strings): find the first item that is not a number so the message can show it.
        for item in np.asarray(value, dtype=object).ravel():
            if not isinstance(item, numbers.Real) or isinstance(item, bool):
                raise TypeError(f"{name} must hold numbers only, found {item!r}")
        arr = arr.astype(np.float64)
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
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {span}, got {value}")
    return value


def as_positive(name: str, value) -> float:
    """A finite number > 0, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number above 0, got {value}")
    return value


def choice(name: str, value, options: tuple[str, ...]) -> str:
    """One of `options`, or raise listing them."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def frozen(arr: np.ndarray) -> np.ndarray:
    """Mark an array read-only, so a frozen result cannot be changed behind its back."""
    arr.flags.writeable = False
    return arr
