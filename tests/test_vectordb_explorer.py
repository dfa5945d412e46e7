"""VectorDBExplorer driven from Python, as the notebook's learner drives it with the mouse."""

import numpy as np
import pytest

from dlviz import HandCheck, VectorDBExplorer
from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary
from tests.helpers import outlined, shown

EXERCISE = "vectordb"  # what the `ex` fixture (conftest.py) gives


def column(cells, col=0):
    return [text for (i, j), text in sorted(cells.items()) if j == col]


def outlined_rows(explorer, name):
    """Rows of grid `name` drawn with the bold outline of a hit."""
    return sorted(i for i, _ in outlined(explorer, name))


@pytest.fixture
def explorer():
    return VectorDBExplorer()


def reference(ex, texts=None, query=None, **changes):
    """The same search done with the numpy layer directly, as an oracle."""
    params = {"W": ex["W"], "b": ex["b"], "P": ex["P"], **changes}
    db = VectorDatabase(SentenceEncoder(Vocabulary(ex["embeddings"]), **params))
    db.add(ex["database"] if texts is None else texts)
    return db


def test_starts_on_the_sheet(explorer):
    # Values of the by-hand sheet, exercises.md (exercise 2); 42/9 shows as 14/3.
    assert column(shown(explorer, "scores")) == ["44/9", "14/3", "62/9"]
    assert outlined_rows(explorer, "scores") == [2]
    assert shown(explorer, "hits") == {(0, 0): "who am I", (0, 1): "62/9"}
    assert shown(explorer, "index_vectors") == {
        (0, 0): "5/3", (0, 1): "5/3", (0, 2): "7/3",
        (1, 0): "2/3", (1, 1): "1/3", (1, 2): "1",
    }  # fmt: skip
    assert column(shown(explorer, "query_vector")) == ["8/3", "2/3"]
    assert column(shown(explorer, "pooled"), 3) == ["5/3", "1", "1/3", "1/3"]  # the query
    assert shown(explorer, "encoded_s2")[(3, 0)] == "1"  # "who" is [1, 0, 0, 1], not [1, 0, 0, 0]
    tokens = shown(explorer, "tokens")
    assert [tokens[(3, j)] for j in range(3)] == ["am", "I", "you"]
    assert explorer.result.hits[0].text == "who am I"
    assert "who am I" in explorer.nearest.value and "62/9" in explorer.nearest.value
    assert repr(explorer) == "VectorDBExplorer(query='am I you', k=1, metric='dot', texts=3)"
    assert explorer.error == "" and explorer.message.layout.display == "none"


def test_query_change_recomputes_every_view(explorer):
    png = explorer.projection_image.value
    explorer.controls["query"].value = "you"
    assert explorer.result.query.sentence == "you"
    assert column(shown(explorer, "query_vector")) == ["2", "0"]
    assert column(shown(explorer, "scores")) == ["10/3", "10/3", "14/3"]
    assert shown(explorer, "tokens")[(3, 0)] == "you"
    assert explorer.projection_image.value != png
    assert explorer.projection.query_label.get_text() == "query: you"
    words = explorer.word_image.value
    explorer.words_box.selected_index = 0  # the map is drawn when opened
    assert explorer.word_map.caption.get_text() == "ringed: you"
    assert explorer.word_image.value != words
    explorer.controls["query"].value = "who am I"  # and follows the query while open
    assert explorer.word_map.caption.get_text() == "ringed: who, am, I"


def test_unknown_word_is_explained_and_the_last_result_stays(explorer):
    good = explorer.result
    png = explorer.projection_image.value
    explorer.controls["query"].value = "am I yuo"
    assert "unknown word 'yuo'" in explorer.error and "did you mean 'you'" in explorer.error
    assert "did you mean" in explorer.message.value and explorer.message.layout.display is None
    assert explorer.result is good  # the views keep the last good numbers
    assert column(shown(explorer, "scores")) == ["44/9", "14/3", "62/9"]
    assert explorer.projection_image.value == png
    explorer.controls["query"].value = "am i you"  # a slip of case: the answer is sure
    assert "did you mean 'I'?" in explorer.error
    explorer.controls["metric"].value = "cosine"  # the other controls keep working
    assert explorer.error.startswith("unknown word 'i'")
    explorer.controls["query"].value = "am I you"  # fixed: recovers at once
    assert explorer.error == "" and explorer.message.layout.display == "none"
    assert explorer.result.metric == "cosine" and explorer.result.hits[0].text == "who are you"


def test_k_shows_more_hits_and_follows_the_number_of_texts(explorer):
    explorer.controls["k"].value = 3
    assert [h.text for h in explorer.result.hits] == ["who am I", "how are you", "who are you"]
    hits = shown(explorer, "hits")
    assert column(hits) == ["who am I", "how are you", "who are you"]
    assert column(hits, 1) == ["62/9", "44/9", "14/3"]
    assert outlined_rows(explorer, "scores") == [0, 1, 2]
    assert [t.get_text() for t in explorer.bars.values] == ["44/9  #2", "14/3  #3", "62/9  #1"]
    explorer.controls["k"].value = 99  # beyond the texts: the slider stops at 3
    assert explorer.controls["k"].value == 3 and explorer.result.k == 3
    calls = []
    original = explorer.compute
    explorer.compute = lambda: calls.append(1) or original()
    explorer.controls["database"].value = "how are you\nwho are you"  # k = 3 > 2 texts
    assert len(calls) == 1 and explorer.error == ""
    assert explorer.result.k == 2 and explorer.controls["k"].value == 2
    assert explorer.controls["k"].max == 2
    explorer.controls["database"].value = "how are you\nwho are you\nwho am I\nwhy"
    assert explorer.controls["k"].max == 4 and explorer.controls["k"].value == 2


def test_cosine_ranks_by_angle(explorer, ex):
    explorer.controls["metric"].value = "cosine"
    expected = reference(ex).search(ex["query"], k=1, metric="cosine")
    np.testing.assert_allclose(explorer.result.scores, expected.scores)
    assert explorer.result.hits[0].text == "who are you"  # the dot product chose "who am I"
    assert column(shown(explorer, "scores")) == [f"{s:.3f}" for s in expected.scores]
    assert shown(explorer, "unit_query_vector")[(0, 0)] == f"{8 / np.hypot(8, 2):.3f}"
    assert explorer.bars.title.get_text().startswith("score = cosine of the angle with the query")
    assert explorer.projection.circle.get_visible()


def test_cosine_with_the_zero_vector_she_is_explained(explorer):
    explorer.controls["database"].value = "how are you\nwho are you\nwho am I\nshe"
    assert explorer.error == ""  # the dot product is fine with a zero vector: score 0
    assert column(shown(explorer, "scores"))[3] == "0"
    explorer.controls["metric"].value = "cosine"
    assert "'she' (database line 4) has index vector [0, 0]" in explorer.error
    assert "points nowhere" in explorer.message.value
    assert explorer.result.metric == "dot"  # the last good result stays
    explorer.controls["b[3]"].value = 1.5  # h3 = ReLU(-1 + 1.5) = 1/2: "she" gets a direction
    assert explorer.error == "" and explorer.result.metric == "cosine"
    assert column(shown(explorer, "index_vectors"), 3) == ["0", "1/2"]
    explorer.controls["query"].value = "she"
    assert explorer.error == "" and explorer.result.hits[0].text == "she"


def test_cosine_refuses_a_zero_query_in_words(explorer):
    explorer.controls["metric"].value = "cosine"
    explorer.controls["query"].value = "she"
    assert "the query 'she' has index vector [0, 0]" in explorer.error


def test_database_edits_blank_lines_empty_and_unknown_words(explorer, ex):
    explorer.controls["database"].value = "\n  who am I  \n\nhow are you\n"
    assert explorer.database.texts == ("who am I", "how are you")
    assert column(shown(explorer, "scores")) == ["62/9", "44/9"]
    assert explorer.projection.labels[0].get_text() == "#1 who am I"
    explorer.controls["database"].value = "  \n\n"
    assert "the database is empty" in explorer.error
    assert explorer.database.texts == ("who am I", "how are you")  # the last good one stays
    explorer.controls["database"].value = "how are you\n\nwho are yuo"
    assert explorer.error.startswith("database line 3: unknown word 'yuo'")
    assert "did you mean 'you'" in explorer.error
    explorer.controls["database"].value = "\n".join(ex["database"] + ["why are we"])
    assert explorer.error == "" and len(explorer.database) == 4
    assert len(explorer.bars.bars) == 4 and len(explorer.projection.labels) == 4
    assert repr(explorer) == "VectorDBExplorer(query='am I you', k=1, metric='dot', texts=4)"


def test_empty_query_is_explained(explorer):
    explorer.controls["query"].value = "   "
    assert "the query is empty" in explorer.error


def test_projection_slider_moves_the_points(explorer, ex):
    offsets = np.array(explorer.projection.points.get_offsets())
    png = explorer.projection_image.value
    explorer.controls["P[1,1]"].value = 0.5
    P = ex["P"].astype(float)
    P[0, 0] = 0.5
    expected = reference(ex, P=P)
    np.testing.assert_allclose(explorer.database.index_vectors, expected.index_vectors)
    np.testing.assert_allclose(explorer.projection.points.get_offsets(), expected.index_vectors.T)
    assert not np.allclose(explorer.projection.points.get_offsets(), offsets)
    assert explorer.projection_image.value != png
    assert shown(explorer, "P")[(0, 0)] == "1/2"
    assert column(shown(explorer, "index_vectors"), 0) == ["7/6", "2/3"]  # 1/2 + 2/3, 2/3


def test_bias_slider_changes_the_encoding(explorer, ex):
    explorer.controls["b[3]"].value = 0.0
    expected = reference(ex, b=[0, 0, 0, 0])
    np.testing.assert_allclose(explorer.database.index_vectors, expected.index_vectors)
    assert shown(explorer, "b")[(2, 0)] == "0"
    assert shown(explorer, "linear_s1")[(2, 0)] == "2"  # h3 of "how": 1 + 1 + 0


def test_editing_W_recomputes(explorer, ex):
    explorer.controls["W"].boxes[3][0].value = 0  # h4 = -e2: "who" loses its last 1
    W = ex["W"].astype(float)
    W[3, 0] = 0
    expected = reference(ex, W=W).search(ex["query"], k=1)
    np.testing.assert_allclose(explorer.result.scores, expected.scores)


def test_numbers_as_decimals_on_request(explorer):
    explorer.controls["numbers"].value = ".3f"
    assert column(shown(explorer, "scores")) == ["4.889", "4.667", "6.889"]
    assert explorer.bars.values[2].get_text() == "6.889  #1"
    explorer.controls["numbers"].value = "frac"
    assert column(shown(explorer, "scores")) == ["44/9", "14/3", "62/9"]


def test_reset_goes_back_to_the_exercise_in_one_recompute(explorer):
    c = explorer.controls
    c["query"].value = "why"
    c["P[2,3]"].value = -1.0
    c["b[1]"].value = 2.0
    c["metric"].value = "cosine"
    c["database"].value = "who am I"
    calls = []
    original = explorer.compute
    explorer.compute = lambda: calls.append(1) or original()
    c["reset"].click()
    assert len(calls) == 1
    assert repr(explorer) == "VectorDBExplorer(query='am I you', k=1, metric='dot', texts=3)"
    assert column(shown(explorer, "scores")) == ["44/9", "14/3", "62/9"]
    assert c["P[2,3]"].value == 1.0 and c["b[1]"].value == 0.0


def test_explorer_accepts_its_own_starting_texts():
    explorer = VectorDBExplorer(["why are we", "who is he"], "why", k=2, metric="cosine")
    assert explorer.result.k == 2 and explorer.controls["k"].max == 2
    assert repr(explorer) == "VectorDBExplorer(query='why', k=2, metric='cosine', texts=2)"
    with pytest.raises(ValueError, match=r"unknown word 'yuo' in 'am I yuo'"):
        VectorDBExplorer(query="am I yuo")


def test_hand_checks_follow_the_explorer_and_spot_the_sheets_slip(explorer):
    checker = HandCheck.follow(explorer, "scores")
    checker.type([["44/9", "40/9", "62/9"]])  # the handwritten sheet's "who" slip
    verdict = checker.check()
    assert not verdict.all_right
    assert "40/9" in checker.verdict_area.value  # the hint names the slip
    checker.type([["44/9", "42/9", "62/9"]])
    assert checker.check().all_right
    explorer.controls["query"].value = "you"  # new numbers to practise on
    np.testing.assert_allclose(checker.step.expected, [10 / 3, 10 / 3, 14 / 3])
    assert set(explorer.checks()) == {"pooled", "index", "scores"}


def test_k_beyond_the_database_is_explained_not_capped(explorer):
    explorer.controls["k"].value = 7
    assert explorer.error == "k = 7 is outside its range, 1 to 3"
    assert explorer.controls["k"].value == 1 and len(explorer.result.hits) == 1
    explorer.controls["k"].value = 2
    assert explorer.error == "" and len(explorer.result.hits) == 2


def test_a_following_grid_expects_the_numbers_just_computed_not_the_ones_before():
    explorer = VectorDBExplorer()
    grid = HandCheck.follow(explorer, "scores")
    for value in (2, 3):
        explorer.controls["W"].boxes[0][0].value = value
        np.testing.assert_allclose(
            np.ravel(grid.step.expected), explorer.result.scores, rtol=0, atol=1e-12
        )
    grid.close()
    explorer.close()


def test_back_to_the_exercise_brings_back_the_exercises_picture():
    # The axes keep their limits while the points fill a third of them (so a slider does
    # not jump them); back to the exercise, a learner saw the three points squeezed into
    # the corner of axes zoomed out for a text no longer there.
    explorer, fresh = VectorDBExplorer(), VectorDBExplorer()
    c = explorer.controls
    for value in (0.5, 1.0, 1.5):  # b[3] up by keyboard, then she, then cosine
        c["b[3]"].value = value
    c["database"].value += "\nshe"
    c["metric"].value = "cosine"  # refused: she has no direction; the picture stays
    assert explorer.projection.limits != fresh.projection.limits
    c["reset"].click()
    assert explorer.projection.limits == fresh.projection.limits
    assert explorer.projection_image.value == fresh.projection_image.value
    explorer.close()
    fresh.close()
