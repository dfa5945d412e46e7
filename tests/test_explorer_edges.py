"""The explorers at their edges (issue 11): odd values set from Python, odd texts, odd shapes.

A control refuses what it cannot hold with a message on screen, the same values a
constructor refuses; a refusal clears on the next good value, even one equal to the
current; texts are compared in one Unicode form and drawn as typed; a stated limit
refuses more texts than the explorer can show instead of freezing.
"""

import time
import unicodedata
from fractions import Fraction

import matplotlib.cbook
import numpy as np
import pytest

from dlviz import AttentionExplorer, MoEExplorer, VectorDBExplorer, examples
from dlviz.vectordb import SentenceEncoder, Vocabulary
from dlviz.widgets.vectordb import MAX_TEXTS, MAX_WORDS
from tests.helpers import shown

BAD_FOR_A_SLIDER = [
    (2.5, r"step = 2.5 is not a whole number: give one from 1 to 9"),
    ("3", r"step = '3' is not a number: give one from 1 to 9"),
    (True, r"step = True is not a number"),
    (None, r"step = None is not a number"),
    (Fraction(7, 2), r"step = Fraction\(7, 2\) is not a whole number"),
    (float("nan"), r"step = nan is not a number"),
    (float("inf"), r"step = inf is outside its range, 1 to 9"),
    (2**1100, r"step = a 332-digit number \(about 1.4e331\) is outside its range"),
    (0, r"step = 0 is outside its range, 1 to 9"),
    (10, r"step = 10 is outside its range, 1 to 9"),
]


@pytest.fixture(scope="module")
def attention():
    explorer = AttentionExplorer(step=7)  # no heatmap: quick
    yield explorer
    explorer.close()


@pytest.mark.parametrize(("value", "message"), BAD_FOR_A_SLIDER)
def test_a_slider_refuses_what_it_cannot_show_in_words(attention, value, message):
    import re

    attention.controls["step"].value = 5
    attention.controls["step"].value = value  # never raises, never rounds or casts
    assert attention.controls["step"].value == 5 and type(attention.controls["step"].value) is int
    assert re.search(message, attention.error), attention.error
    assert attention.message.layout.display != "none"


@pytest.mark.parametrize(("value", "_"), BAD_FOR_A_SLIDER)
def test_the_constructor_refuses_the_values_the_slider_refuses(value, _):
    with pytest.raises((TypeError, ValueError), match=r"^step must be"):
        AttentionExplorer(step=value)


@pytest.mark.parametrize("value", [3, 3.0, Fraction(6, 2), np.int64(3)])
def test_constructor_and_slider_take_the_same_whole_numbers(attention, value):
    explorer = AttentionExplorer(step=value)
    assert explorer.controls["step"].value == 3
    explorer.close()
    attention.controls["step"].value = value
    assert attention.controls["step"].value == 3 and attention.error == ""


def test_a_refusal_clears_on_a_good_value_equal_to_the_current_one(attention):
    attention.controls["step"].value = 7
    attention.controls["step"].value = -1
    assert "step = -1" in attention.error
    attention.controls["step"].value = 7  # the value it already holds: no change event
    assert attention.error == "" and attention.message.layout.display == "none"
    attention.controls["X"].value = [[2**1100] * 4] * 6
    assert attention.error.startswith("X[f1, x1] is a 332-digit number")
    attention.controls["X"].value = attention.controls["X"].value
    assert attention.error == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[2**1100] * 4] * 6, r"^X\[f1, x1\] is a 332-digit number .*too large for a float"),
        ([[1, "a", 0, 0]] * 6, r"^X\[f1, x2\] must be a number, got 'a'"),
        ([[1, True, 0, 0]] * 6, r"^X\[f1, x2\] must be a number, got True"),
    ],
)
def test_a_matrix_refuses_entries_it_cannot_hold_in_words(attention, value, message):
    import re

    before = attention.controls["X"].value
    attention.controls["X"].value = value
    assert attention.controls["X"].value == before
    assert re.search(message, attention.error), attention.error
    attention.controls["X"].value = examples.attention_exercise()["X"].tolist()
    assert attention.error == ""


def test_moe_sliders_refuse_text_and_fractions_without_raising():
    explorer = MoEExplorer()
    for name, value, message in [
        ("top_k", "2", "top_k = '2' is not a number"),
        ("top_k", 1.5, "top_k = 1.5 is not a whole number"),
        ("X1[1]", None, "X1[1] = None is not a number"),
        ("random_tokens", 2**70, "random_tokens = 1.18059e+21 is outside its range"),
    ]:
        explorer.controls[name].value = value
        assert explorer.error.startswith(message), explorer.error
    explorer.controls["top_k"].value = 1
    assert explorer.error == ""
    for value, error in [(1.5, TypeError), ("2", TypeError), (9, ValueError)]:
        with pytest.raises(error, match="top_k must be"):
            MoEExplorer(top_k=value)
    explorer.close()


# -- back to the exercise, for explorers built with their own shapes -------------------


def test_reset_of_an_attention_explorer_with_its_own_shapes():
    start = np.ones((6, 2))
    explorer = AttentionExplorer(X=start)
    explorer.controls["X"].value = [[2, 3]] * 6
    explorer.controls["step"].value = 0  # a refusal on screen
    explorer.reset()
    assert explorer.error == ""
    np.testing.assert_array_equal(explorer.result.X, start)
    assert shown(explorer, "X")[(0, 1)] == "1"
    explorer.close()


def test_reset_of_a_vector_database_explorer_with_a_three_row_W():
    ex = examples.vectordb_exercise()
    W, b, P = np.asarray(ex["W"])[:3], np.asarray(ex["b"])[:3], np.asarray(ex["P"])[:, :3]
    explorer = VectorDBExplorer(W=W, b=b, P=P)
    first = explorer.result.scores.copy()
    explorer.controls["b[1]"].value = 1.0
    explorer.controls["query"].value = "who"
    assert not np.allclose(explorer.result.scores, first)
    explorer.reset()
    assert explorer.error == ""
    np.testing.assert_allclose(explorer.result.scores, first)
    np.testing.assert_array_equal(explorer.database.encoder.W, W)
    explorer.close()


# -- texts -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vectordb():
    explorer = VectorDBExplorer()
    yield explorer
    explorer.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"database": "how are you"}, TypeError, r"database must be a list of texts, got the "
         r"single text 'how are you': write \['how are you'\]"),
        ({"database": ["how are\nyou"]}, ValueError, r"database\[0\] = 'how are\\nyou' holds a "
         r"line break: the database box holds one text per line"),
        ({"database": ["who am I", 5]}, TypeError, r"database\[1\] must be a text \(str\), got 5"),
        ({"database": ["who am I"] * (MAX_TEXTS + 1)}, ValueError,
         rf"the database has {MAX_TEXTS + 1} texts, and this explorer shows at most {MAX_TEXTS}"),
        ({"query": "you " * (MAX_WORDS + 1)}, ValueError,
         rf"the query has {MAX_WORDS + 1} words, and this explorer shows at most {MAX_WORDS}"),
    ],
)  # fmt: skip
def test_starting_texts_are_refused_as_the_box_would_refuse_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        VectorDBExplorer(**kwargs)


def test_a_newline_in_the_box_is_two_texts_and_in_the_query_is_a_space(vectordb):
    vectordb.controls["database"].value = "how are you\nwho am I"
    assert vectordb.database.texts == ("how are you", "who am I")
    vectordb.controls["query"].value = "am I\nyou"
    assert vectordb.error == "" and vectordb.result.query.tokens == ("am", "I", "you")
    vectordb.reset()


def test_more_texts_than_the_limit_are_refused_on_screen_at_once(vectordb):
    start = time.perf_counter()
    vectordb.controls["database"].value = "\n".join(["who am I"] * 100_000)
    assert time.perf_counter() - start < 5  # refused before any encoding, not frozen
    assert vectordb.error.startswith("the database has 100,000 texts, and this explorer shows")
    vectordb.controls["query"].value = " ".join(["you"] * 1000)
    vectordb.controls["database"].value = "who am I"
    assert vectordb.error.startswith("the query has 1,000 words")
    vectordb.reset()
    assert vectordb.error == ""


def test_a_huge_unknown_word_is_refused_fast_with_a_short_message(vectordb):
    start = time.perf_counter()
    vectordb.controls["query"].value = "x" * 100_000
    assert time.perf_counter() - start < 1.0
    assert vectordb.error.startswith("unknown word 'xxxx")
    assert "'… (100,000 characters)" in vectordb.error and len(vectordb.error) < 300
    vectordb.controls["query"].value = " ".join(f"w{i}" for i in range(30))
    assert "(also unknown: 'w1', 'w2', 'w3', 'w4', 'w5' and 24 more)" in vectordb.error
    vectordb.reset()


def test_twenty_thousand_unknown_words_make_a_short_message():
    ex = examples.vectordb_exercise()
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"^unknown word 'w0' .* and 19,994 more\)$") as caught:
        encoder.encode(" ".join(f"w{i}" for i in range(20_000)))
    assert time.perf_counter() - start < 1.0 and len(str(caught.value)) < 400


def test_words_are_compared_in_one_unicode_form():
    ex = examples.vectordb_exercise()
    table = {**ex["embeddings"], unicodedata.normalize("NFC", "café"): [1, 1, 1, 1]}
    explorer = VectorDBExplorer(["who am I", "café you"], embeddings=table)
    explorer.controls["query"].value = unicodedata.normalize("NFD", "café")
    assert explorer.error == "" and explorer.result.hits[0].text == "café you"
    explorer.controls["database"].value = unicodedata.normalize("NFD", "café am I")
    assert explorer.error == ""
    explorer.close()


def test_a_dollar_sign_is_drawn_as_typed_not_as_maths():
    texts = ["$how$ are you", "who am I"]
    table = {**examples.vectordb_exercise()["embeddings"], "$how$": [1, 0, 1, 0]}
    explorer = VectorDBExplorer(texts, embeddings=table)
    drawn = [t for t in explorer.bars.figure.findobj(matplotlib.text.Text) if "$" in t.get_text()]
    assert drawn  # the text is on the bars
    for text in drawn:
        assert not matplotlib.cbook.is_math_text(text.get_text())
        assert "$how$" in text._preprocess_math(text.get_text())[0]  # what is drawn
    explorer.close()


# --- the input at fault is ringed where the learner typed -----------------------------


def test_the_input_a_refusal_came_from_is_ringed_until_it_is_fixed():
    """At 150 % the message can be a screen below the query box: the box itself is ringed
    (class dlviz-at-fault, the message's orange), and only the box the problem came from."""
    from dlviz.widgets.base import AT_FAULT, THEME_CSS

    ring = f".dlviz-explorer .{AT_FAULT}:not(.widget-gridbox) :is(input,textarea)"
    assert f"{ring}{{box-shadow:0 0 0 3px" in THEME_CSS
    explorer = VectorDBExplorer()
    c = explorer.controls

    def ringed():
        return [name for name, w in c.items() if AT_FAULT in getattr(w, "_dom_classes", ())]

    c["query"].value = "who are 3"
    assert ringed() == ["query"]
    c["P[1,1]"].value = 0.5  # the same problem, still the query's: the ring stays there
    assert ringed() == ["query"] and explorer.error.startswith("unknown word '3'")
    c["database"].value = "who are yuo"  # a new problem, from the texts
    assert ringed() == ["database"] and "'yuo'" in explorer.error
    c["query"].value, c["database"].value = "who am I", "who are you"
    assert ringed() == [] and explorer.error == ""
    explorer.close()


def test_a_refused_entry_rings_its_box_alone():
    """Every box of the matrix ringed made an orange lattice: the box typed in is ringed."""
    explorer = AttentionExplorer()
    X = explorer.controls["X"]

    def ringed():
        return [
            (i, j) for i, row in enumerate(X.boxes) for j, box in enumerate(row)
            if "dlviz-at-fault" in box._dom_classes
        ]  # fmt: skip

    X.boxes[1][2].value = float("nan")
    assert explorer.error.startswith("X, row f2, column x3")
    assert ringed() == [(1, 2)] and "dlviz-at-fault" not in X._dom_classes
    X.boxes[1][2].value = 1.0
    assert not explorer.error and ringed() == []
    # Set from code, no box typed in: the matrix is ringed as a whole.
    X.value = ((float("inf"),) + X.value[0][1:],) + X.value[1:]
    assert explorer.error and "dlviz-at-fault" in X._dom_classes and ringed() == []
    explorer.reset()
    assert not explorer.error and "dlviz-at-fault" not in X._dom_classes
    explorer.close()
