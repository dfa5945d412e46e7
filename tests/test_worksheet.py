"""tools/worksheet.py: the printed worksheet is blank where the learner works, and its key
agrees with the library and with plain references (tests/test_fresh.py) for many seeds."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from dlviz import (
    MixtureOfExperts,
    SentenceEncoder,
    VectorDatabase,
    Vocabulary,
    examples,
    self_attention,
)
from dlviz.checking import parse_answer
from tests.helpers import load_tool
from tests.test_fresh import hand_attention, hand_vectordb

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(0, 200, 9)


worksheet = load_tool("worksheet")


class _Page(HTMLParser):
    """Every grid of each section (worksheet, key) as name → list of {(row, col): text}."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, dict[str, list[dict]]] = {}
        self.texts: dict[str, str] = {}
        self._section = self._table = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = self.sections.setdefault(attrs["class"], {})
            self.texts[attrs["class"]] = ""
        elif tag == "table" and "data-name" in attrs:
            self._table = {}
            self._section.setdefault(attrs["data-name"], []).append(self._table)
        elif tag == "td" and "data-row" in attrs and self._table is not None:
            self._cell = (int(attrs["data-row"]), int(attrs["data-col"]))
            self._table[self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None and self._table is not None:
            self._table[self._cell] += data
        elif self._section is not None:
            key = next(k for k, v in self.sections.items() if v is self._section)
            self.texts[key] += data


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def as_array(cells: dict) -> np.ndarray:
    n_rows = 1 + max(i for i, _ in cells)
    n_cols = 1 + max(j for _, j in cells)
    return np.array(
        [[float(parse_answer(cells[i, j])) for j in range(n_cols)] for i in range(n_rows)]
    )


def check_key(page: _Page, expected: dict[str, np.ndarray], tol: float = 1e-9) -> None:
    """Every grid to find is on the key with the expected numbers, and blank on the sheet."""
    key, sheet = page.sections["key"], page.sections["worksheet"]
    found = {name[len(worksheet.FIND) :] for name in key if name.startswith(worksheet.FIND)}
    assert found == set(expected), found ^ set(expected)
    for name, want in expected.items():
        for cells in key[worksheet.FIND + name]:
            np.testing.assert_allclose(as_array(cells), np.atleast_2d(want), atol=tol, err_msg=name)
        for cells in sheet[worksheet.FIND + name]:
            assert set(cells.values()) == {""}, name
    for name, tables in sheet.items():  # the inputs are printed on both
        if not name.startswith(worksheet.FIND):
            assert [as_array(t).tolist() for t in tables] == [
                as_array(t).tolist() for t in key[name]
            ]


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_attention_worksheet_and_key(seed):
    page = parse(worksheet.worksheet("attention", seed))
    ex = examples.attention_exercise(seed)
    lib = self_attention(**ex, mode="hand")
    mine = hand_attention(**ex)
    np.testing.assert_allclose(lib.output, mine["Z"], atol=1e-9)  # library and reference agree
    expected = {
        "Q": lib.Q, "K": lib.K, "V": lib.V, "KT": lib.K.T, "scores": np.array(mine["S"]),
        "scaled": np.array(mine["scaled"]), "exp": lib.exp, "sums": np.array(mine["sums"]),
        "weights": np.array(mine["A"]), "output": np.array(mine["Z"]),
    }  # fmt: skip
    check_key(page, expected)
    sheet = page.sections["worksheet"]
    for name, value in (("X", ex["X"]), ("WQ", ex["WQ"]), ("WV", ex["WV"])):
        np.testing.assert_array_equal(as_array(sheet[name][0]), value)


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_vectordb_worksheet_and_key(seed):
    page = parse(worksheet.worksheet("vectordb", seed))
    ex = examples.vectordb_exercise(seed)
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
    db = VectorDatabase(encoder)
    db.add(ex["database"])
    mine = hand_vectordb(**ex)
    expected = {"scores": np.array([float(s) for s in mine["scores"]])}
    names = [f"s{i + 1}" for i in range(len(db))] + ["q"]
    texts = [*ex["database"], ex["query"]]
    for s, text, index in zip(names, texts, [*mine["vectors"], mine["query"]], strict=True):
        e = encoder.encode(text)
        E = np.column_stack([ex["embeddings"][w] for w in text.split()])
        linear = ex["W"] @ E + ex["b"][:, None]
        expected |= {
            f"E-{s}": E, f"linear-{s}": linear, f"encoded-{s}": np.maximum(linear, 0),
            f"pooled-{s}": np.maximum(linear, 0).mean(axis=1)[:, None],
            f"index-{s}": np.array([[float(v)] for v in index]),
        }  # fmt: skip
        np.testing.assert_allclose(e.index_vector, [float(v) for v in index], atol=1e-9)
    check_key(page, expected)
    best = max(range(3), key=lambda i: mine["scores"][i])
    assert f"nearest text: {ex['database'][best]}" in page.texts["key"]
    assert f"nearest text: {ex['database'][best]}" not in page.texts["worksheet"]
    # the key writes fractions, as the rules ask: exact, not rounded decimals
    for cells in page.sections["key"][worksheet.FIND + "scores"]:
        for text, want in zip(cells.values(), mine["scores"], strict=True):
            assert parse_answer(text) == Fraction(want)


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_moe_worksheet_and_key(seed):
    page = parse(worksheet.worksheet("moe", seed))
    ex = examples.moe_exercise(seed)
    r = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])(ex["X"])
    logits = ex["gate_W"] @ ex["X"] + ex["gate_b"][:, None]
    choice = logits.argmax(axis=0)  # (2,) no ties in an exercise
    expected = {
        "logits": logits,
        "probs": np.exp(logits) / np.exp(logits).sum(axis=0),
        "choice": (choice + 1)[None, :],
        "output": r.output,
    }
    for t in range(2):
        W, b = ex["experts"][choice[t]]
        expected[f"W-X{t + 1}"] = W
        expected[f"linear-X{t + 1}"] = (W @ ex["X"][:, t] + b)[:, None]
    np.testing.assert_allclose(r.output, np.maximum(np.column_stack(
        [expected[f"linear-X{t + 1}"][:, 0] for t in range(2)]), 0))  # fmt: skip
    check_key(page, expected, tol=5e-4)  # softmax to three decimals


@pytest.mark.parametrize("exercise", worksheet.EXERCISES)
def test_the_page_says_how_to_load_the_same_numbers(exercise):
    page = worksheet.worksheet(exercise, 7)
    line = worksheet.load_line(exercise, 7)
    assert page.count(line) == 2  # on the worksheet and on the key
    assert 'class="key"' in page and "break-before: page" in page
    # the line does what it says: the explorer gets the worksheet's numbers
    import dlviz

    namespace = {"examples": examples, worksheet.EXPLORERS[exercise]: None}
    namespace[worksheet.EXPLORERS[exercise]] = getattr(dlviz, worksheet.EXPLORERS[exercise])
    explorer = eval(line, namespace)  # noqa: S307 - the line printed for learners
    try:
        if exercise == "attention":
            np.testing.assert_array_equal(explorer.result.X, examples.attention_exercise(7)["X"])
        elif exercise == "vectordb":
            assert explorer.database.texts == tuple(examples.vectordb_exercise(7)["database"])
        else:
            np.testing.assert_array_equal(explorer.result.X, examples.moe_exercise(7)["X"])
    finally:
        explorer.close()


def test_the_command_writes_the_page(tmp_path):
    out = tmp_path / "sheet.html"
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "worksheet.py"), "moe", "3", str(out)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == worksheet.worksheet("moe", 3)


@pytest.mark.parametrize(
    "args, message",
    [(["softmax", "3"], "invalid choice: 'softmax'"), (["moe", "-2"], "seed must be a whole"),
     (["moe", "two"], "invalid int value: 'two'")],
)  # fmt: skip
def test_the_command_explains_bad_arguments(tmp_path, args, message):
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "worksheet.py"), *args, str(tmp_path / "x.html")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "x.html").exists()
