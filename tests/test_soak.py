"""Soak tests of the explorers (issue 11): 1,000 random control changes, bad values among them.

Each soak is 1,000 changes when the slow tests are asked for (`pytest -m slow`, or
DLVIZ_SOAK_MOVES=1000); in the default run the two explorers that redraw pictures on
every move take fewer, so that the whole suite stays quick on a shared machine.

After every change: nothing raised; a value the control refuses leaves it as it was
and a message on screen; after a value the control takes, the message shows exactly
when an independent computation from the controls' values fails, and otherwise the
explorer's result is that computation and its grids show the result's numbers.
"""

import os

import numpy as np
import pytest

from dlviz import AttentionExplorer, MoEExplorer, VectorDBExplorer, examples, self_attention
from dlviz._format import format_number
from dlviz.vectordb import SentenceEncoder, VectorDatabase
from dlviz.widgets.controls import Reporting
from dlviz.widgets.vectordb import COSINE_FORMAT, MAX_TEXTS, MAX_WORDS, database_lines
from tests.helpers import shown

MOVES = 1_000
QUICK_MOVES = 250  # the vector database and the mixture of experts, in the default run
BAD_NUMBERS = [float("nan"), float("inf"), "3", None, True, 2**1100, -(10**400)]

pytestmark = pytest.mark.slow


def _bad_number(rng):
    return BAD_NUMBERS[rng.integers(len(BAD_NUMBERS))]


@pytest.fixture
def moves(request) -> int:
    """How many changes a picture-drawing explorer gets: all 1,000 when slow tests are asked for."""
    asked = os.environ.get("DLVIZ_SOAK_MOVES")
    if asked:
        return int(asked)
    selected = request.config.getoption("markexpr", "") or ""
    return MOVES if "slow" in selected and "not slow" not in selected else QUICK_MOVES


def _drive(explorer, pick, oracle, views_agree, seed: int, moves: int = MOVES) -> dict:
    """Make `moves` random changes; check the explorer after each. Returns what happened."""
    rng = np.random.default_rng(seed)
    seen = {"refused": 0, "failed": 0, "shown": 0}
    for _ in range(moves):
        name, value = pick(rng)
        control = explorer.controls[name]
        before, error_before = control.value, explorer.error
        control.value = value  # never raises
        if isinstance(control, Reporting) and _refuses(control, value):
            seen["refused"] += 1
            assert control.value == before  # kept, not capped, cast or rounded
            assert explorer.error and explorer.message.layout.display != "none"
            continue
        if _same(value, before) and not isinstance(control, Reporting):
            assert explorer.error == error_before  # nothing happened, nothing to clear
            continue
        try:
            expected = oracle(explorer)
        except (ValueError, TypeError):
            seen["failed"] += 1
            assert explorer.error, f"{name} = {value!r} should be explained"
            continue
        seen["shown"] += 1
        assert explorer.error == "" and explorer.message.layout.display == "none", explorer.error
        views_agree(explorer, expected)
    return seen


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _refuses(control, value) -> bool:
    from dlviz.widgets.controls import MatrixInput, slider_fault

    if isinstance(control, MatrixInput):
        from dlviz._checks import as_float

        try:
            [as_float("x", v) for row in value for v in row]
        except (TypeError, ValueError):
            return True
        return False
    return slider_fault(value, control.min, control.max, whole=control.whole) is not None


def _cells(values, fmt) -> dict:
    values = np.atleast_2d(values)
    return {(i, j): format_number(v, fmt) for (i, j), v in np.ndenumerate(values)}


# -- self-attention ----------------------------------------------------------------------


def test_attention_explorer_soak():
    explorer = AttentionExplorer(step=8)
    shapes = {name: np.shape(explorer.controls[name].value) for name in ("X", "WQ", "WK", "WV")}

    def pick(rng):
        what = rng.integers(6)
        if what == 0:
            return "mode", ["hand", "exact"][rng.integers(2)]
        if what == 1:
            return "causal", bool(rng.integers(2))
        if what == 2:
            value = round(float(rng.uniform(0.1, 5.0)), 1)
            return "temperature", _bad_number(rng) if rng.random() < 0.2 else value
        if what == 3:
            value = int(rng.integers(1, 10))
            return "step", [0, 10, 2.5, "3", None][rng.integers(5)] if rng.random() < 0.2 else value
        name = ["X", "WQ", "WK", "WV"][rng.integers(4)]
        matrix = rng.integers(-2, 3, size=shapes[name]).astype(object)
        if rng.random() < 0.2:
            matrix[tuple(rng.integers(s) for s in shapes[name])] = _bad_number(rng)
        return name, matrix.tolist()

    def oracle(e):
        c = e.controls
        exact = c["mode"].value == "exact"
        return self_attention(
            c["X"].value, c["WQ"].value, c["WK"].value, c["WV"].value, mode=c["mode"].value,
            causal=c["causal"].value, temperature=c["temperature"].value if exact else 1.0,
        )  # fmt: skip

    def views_agree(e, expected):
        np.testing.assert_allclose(e.result.weights, expected.weights, atol=1e-12)
        np.testing.assert_allclose(e.result.output, expected.output, atol=1e-9)
        assert shown(e, "X") == _cells(expected.X, "auto")
        if e.controls["step"].value >= 4:
            assert shown(e, "scores") == _cells(expected.scores, "auto")

    seen = _drive(explorer, pick, oracle, views_agree, seed=11)
    assert min(seen.values()) > 30, seen  # each kind of outcome happened, often
    explorer.close()


# -- the vector database -----------------------------------------------------------------

WORDS = list(examples.vectordb_exercise()["embeddings"])


def _sentence(rng, unknown_chance=0.05) -> str:
    words = [WORDS[i] for i in rng.integers(len(WORDS), size=rng.integers(1, 5))]
    if rng.random() < unknown_chance:
        words[rng.integers(len(words))] = ["yuo", "x" * 5_000, "café", "$a$"][rng.integers(4)]
    return " ".join(words)


def test_vector_database_explorer_soak(moves):
    explorer = VectorDBExplorer()
    vocabulary = explorer.database.encoder.vocabulary
    hidden, dim = explorer.database.encoder.W.shape

    def pick(rng):
        what = rng.integers(8)
        if what == 0:
            return "query", _sentence(rng) if rng.random() > 0.02 else " "
        if what == 1:
            n = int(rng.integers(1, 6))
            if rng.random() < 0.01:
                n = MAX_TEXTS + 1
            return "database", "\n".join(_sentence(rng, 0.02) for _ in range(n))
        if what == 2:
            value = int(rng.integers(1, 6))
            return "k", [0, 2.5, "1", None][rng.integers(4)] if rng.random() < 0.2 else value
        if what == 3:
            return "metric", ["dot", "cosine"][rng.integers(2)]
        if what == 4:
            return "numbers", ["frac", ".3f"][rng.integers(2)]
        if what == 5:
            matrix = rng.integers(-1, 2, size=(hidden, dim)).astype(object)
            if rng.random() < 0.2:
                matrix[rng.integers(hidden), rng.integers(dim)] = _bad_number(rng)
            return "W", matrix.tolist()
        name = [n for n in explorer.controls if n.startswith(("P[", "b["))][rng.integers(12)]
        value = float(rng.integers(-8, 9)) / 4
        return name, _bad_number(rng) if rng.random() < 0.2 else value

    def oracle(e):
        c = e.controls
        P = [[c[f"P[{i},{j}]"].value for j in range(1, hidden + 1)] for i in (1, 2)]
        b = [c[f"b[{i}]"].value for i in range(1, hidden + 1)]
        encoder = SentenceEncoder(vocabulary, c["W"].value, b, P)
        lines = [text for _, text in database_lines(c["database"].value)]
        if len(lines) > MAX_TEXTS or len(c["query"].value.split()) > MAX_WORDS:
            raise ValueError("beyond what the explorer shows")
        db = VectorDatabase(encoder)
        db.add(lines)
        return db.search(c["query"].value, k=min(c["k"].value, len(db)), metric=c["metric"].value)

    def views_agree(e, expected):
        np.testing.assert_allclose(e.result.scores, expected.scores, atol=1e-12)
        assert [h.index for h in e.result.hits] == [h.index for h in expected.hits]
        fmt = e.controls["numbers"].value
        if expected.metric == "cosine" and fmt == "frac":
            fmt = COSINE_FORMAT
        assert shown(e, "scores") == _cells(expected.scores[:, None], fmt)

    seen = _drive(explorer, pick, oracle, views_agree, seed=12, moves=moves)
    assert min(seen.values()) > moves // 30, seen
    explorer.close()


# -- the mixture of experts --------------------------------------------------------------


def test_moe_explorer_soak(moves):
    explorer = MoEExplorer()
    tokens = [name for name in explorer.controls if name.startswith("X")]

    def pick(rng):
        what = rng.integers(4)
        if what == 0:
            value = float(rng.integers(-10, 11)) / 2
            return tokens[rng.integers(len(tokens))], (
                _bad_number(rng) if rng.random() < 0.2 else value
            )
        if what == 1:
            return "top_k", int(rng.integers(0, 4)) if rng.random() > 0.1 else "1"
        if what == 2:
            return "n_experts", int(rng.integers(2, 5)) if rng.random() > 0.1 else 1.5
        return "random_tokens", int(rng.integers(0, 6)) if rng.random() > 0.1 else -1

    def oracle(e):
        c = e.controls
        X = e.result.X.copy() if e.result is not None else None
        sheet = [[c[f"X{j}[{i}]"].value for j in (1, 2)] for i in (1, 2, 3)]
        X[:, :2] = sheet
        return e.moe(X)

    def views_agree(e, expected):
        np.testing.assert_allclose(e.result.output, expected.output, atol=1e-12)
        assert e.result.chosen.tolist() == expected.chosen.tolist()
        t = min(expected.X.shape[1], len(shown(e, "X")) // expected.X.shape[0])
        X = expected.X[:, :t]
        assert shown(e, "X") == _cells(X, "auto" if np.allclose(X, np.round(X)) else ".1f") or (
            {k: float(v) for k, v in shown(e, "X").items()}
            == {k: float(v) for k, v in _cells(X, ".2f").items()}
        )

    seen = _drive(explorer, pick, oracle, views_agree, seed=13, moves=moves)
    assert seen["refused"] > moves // 30 and seen["shown"] > moves // 3, seen
    explorer.close()
