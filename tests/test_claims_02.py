"""Notebook 02 (vector database): every "Try this" carried out, every quoted number recomputed.

How to add a check, and what the suite demands of the prose: see `tests/claims.py`.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from dlviz import HandCheck, VectorDBExplorer, examples
from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary, pca_2d
from tests.claims import Claims, ProseTests, cells_by_id, prose, try_this_items

claims = Claims("02")
EX = examples.vectordb_exercise()
VOCABULARY = Vocabulary(EX["embeddings"])
ENCODER = SentenceEncoder(VOCABULARY, EX["W"], EX["b"], EX["P"])
DB = VectorDatabase(ENCODER)
DB.add(EX["database"])
DOT = DB.search(EX["query"], k=3)
COS = DB.search(EX["query"], k=3, metric="cosine")
D = np.asarray(DB.index_vectors)  # (2, 3)
Q = DOT.query.index_vector  # (2,)


def _ninths(x) -> Fraction:
    return Fraction(round(float(x) * 9), 9)


def _angles() -> np.ndarray:
    """Each stored text's angle from the query, in degrees."""
    return np.degrees(np.abs(np.arctan2(D[1], D[0]) - np.arctan2(Q[1], Q[0])))


# --- quoted numbers -------------------------------------------------------------------

claims.number(r"(\d+) words with (\d)-number embeddings", lambda: (len(VOCABULARY), VOCABULARY.dim))
claims.number(r"fractions such as (44/9), wherever", lambda: _ninths(DOT.scores[0]))
claims.not_computed(r"once as `\[-1, 2, 0, 0\]`", "the sheet's first, discarded vector for 'she'")


def _she():
    assert not any("she" in t.split() for t in [*EX["database"], EX["query"]])
    return tuple(EX["embeddings"]["she"])


claims.number(r"and once as `\[(0), (0), (-1), (0)\]`", _she)


def _try_this_adds_she():
    """Try this 4 adds 'she': its 'no direction' holds for the vector kept, not the first."""
    items = list(try_this_items("02"))
    assert "add a line *she* to the database" in try_this_items("02")["A text with no direction"]
    assert not ENCODER.encode("she").index_vector.any()  # the kept [0, 0, -1, 0]: none
    first = SentenceEncoder(Vocabulary({"she": [-1, 2, 0, 0]}), EX["W"], EX["b"], EX["P"])
    assert first.encode("she").index_vector.any()  # the first one: a direction
    return items.index("A text with no direction") + 1


claims.number(
    r"\(\*Try this\* (\d) adds \*she\* to the database: what it shows holds for the vector "
    r"kept here; the first one would give \*she\* a direction\.\)",
    _try_this_adds_she,
)
claims.number(r"`E` \((\d) numbers × (\d) tokens\)", lambda: (VOCABULARY.dim, 3))


def _shared_vectors():
    pairs = [("a", "the"), ("an", "is"), ("how", "am"), ("be", "her")]
    emb = EX["embeddings"]
    for a, b in pairs:
        assert np.array_equal(emb[a], emb[b])
    seen = {}
    for w, v in emb.items():
        seen.setdefault(tuple(v), []).append(w)
    assert sorted(sorted(g) for g in seen.values() if len(g) > 1) == sorted(
        sorted(p) for p in pairs
    )


claims.not_computed(r"steps 1 to 4|Steps 1 to 4", "step numbers")
claims.not_computed(r"replace every negative number by 0", "what ReLU is")


def _you_negatives():
    e = DB.encodings[0]  # how are you
    assert (e.linear[:, 2] < 0).sum() == 2  # "two negative entries"
    assert not e.encoded[e.linear[:, 2] < 0, 2].any()
    return 0


claims.number(r"has two negative entries, and ReLU turns both into (0)", _you_negatives)
claims.number(r"Dividing by (3) is where the thirds come from", lambda: 3)
claims.not_computed(r"\\frac\{1\}\{n\}\\sum_\{j=1\}", "the formula")
claims.number(r"The projection matrix `P` \((\d) × (\d)\)", lambda: EX["P"].shape)


def _same_point():
    a, b = np.array([1, 0, 1, 1]), np.array([0, 1, 1, 1])
    assert not np.array_equal(a, b)
    assert np.array_equal(EX["P"] @ a, EX["P"] @ b)
    return (*a, *b, *(EX["P"] @ a))


claims.number(
    r"land on the same point: `\[(\d), (\d), (\d), (\d)\]` and `\[(\d), (\d), (\d), (\d)\]` both "
    r"give `\[(\d), (\d)\]`",
    _same_point,
)


def _p_adds():
    assert EX["P"].tolist() == [[1, 1, 0, 0], [0, 0, 1, 1]]
    return ()


claims.number(
    r"`P` simply adds the first two entries for \*x\* and the last two for \*y\*", _p_adds
)


def _who():
    who = ENCODER.encode("who").encoded[:, 0]
    last = EX["W"][-1]
    return (
        *EX["embeddings"]["who"], *who, *last, last[0] * 1, last[1] * 0, who[-1],
        *(1, 0, 0, 0),
    )  # fmt: skip


claims.number(
    r"The embedding of \*who\* is `\[(\d), (\d), (\d), (\d)\]`, and encoded it becomes "
    r"`\[(\d), (\d), (\d), (\d)\]`: the last row of `W`, `\[(\d), (−\d), (\d), (\d)\]`, gives "
    r"(\d) − (\d) = (\d)\. The published sheet wrote `\[(\d), (\d), (\d), (\d)\]` here by hand",
    _who,
)


def _slipped_scores():
    """The scores with 'who' encoded as [1, 0, 0, 0], the sheet's slip (ninths)."""
    out = []
    for text in EX["database"]:
        e = ENCODER.encode(text)
        H = e.encoded.copy()
        if "who" in e.tokens:
            H[:, e.tokens.index("who")] = [1, 0, 0, 0]
        out.append(_ninths((EX["P"] @ H.mean(axis=1)) @ Q))
    return out


claims.number(
    r"so its last two scores read (40/9) and (60/9) instead of (42/9) and (62/9)",
    lambda: (*_slipped_scores()[1:], *(Fraction(round(s * 9)) / 9 for s in DOT.scores[1:])),
)


def test_the_step_7_grid_names_the_sheets_slip_when_its_scores_are_typed():
    # "type those scores into the check grid of step 7: it names the slip"
    assert "type those scores into the check grid of step 7: it names the slip" in prose("02")
    explorer = VectorDBExplorer()
    grid = HandCheck.follow(explorer, "scores")  # as the notebook's step-7 cell makes it
    grid.type([[str(s) for s in (_ninths(DOT.scores[0]), *_slipped_scores()[1:])]])
    verdict = grid.check()
    assert len(verdict.hints) == 1 and verdict.hints[0].cells == ((0, 1), (0, 2))
    assert "'who' lost the last entry of its encoding" in verdict.hints[0].text
    grid.close()
    explorer.close()


claims.not_computed(
    r"\(step 3\)|\(step 4\)|grid of step 7|end of step 7|\(step 7 works it out\)", "step numbers"
)
claims.not_computed(
    r"\(fractions such as `5/3` are welcome\)", "the grids' instructions: an example of typing"
)
claims.number(
    r"The answer grids below write (42/9) as \*\*(14/3)\*\*",
    lambda: (_ninths(DOT.scores[1]), Fraction(DOT.scores[1]).limit_denominator(10)),
)
claims.not_computed(
    r"Encode \*who\* as `\[1, 0, 0, 0\]`, as the handwritten", "the sheet's slip, as written there"
)
claims.number(
    r"the two texts that contain \*who\* lose (2/9) each\. If your answers read (40/9) and "
    r"(60/9), this is why \(the nearest text stays the same\)",
    lambda: (
        _ninths(DOT.scores[1]) - _slipped_scores()[1],
        *_slipped_scores()[1:],
    ),
)


def _longest():
    lengths = np.linalg.norm(D, axis=0)
    angles = _angles()
    assert np.argmax(angles) == 2 and np.argmax(lengths) == 2 == np.argmax(DOT.scores)
    shadows = lengths * np.cos(np.radians(angles))
    assert np.argmax(shadows) == 2
    return angles[2], lengths[2], lengths[0], lengths[1]


claims.number(
    r"points farthest from it, (\d+)° away\) but because its arrow is the \*\*longest\*\*, "
    r"(\d\.\d\d) against (\d\.\d\d) and (\d\.\d\d)",
    _longest,
)


def _cosine_winner():
    assert COS.hits[0].text == "who are you" and DOT.hits[0].text == "who am I"
    angles = _angles()
    assert angles[1] < 3
    return 3, angles[2]


claims.number(r"points within (3)° of the query, \*who am I\* (\d)° away", _cosine_winner)


def _I_encodes():
    return tuple(ENCODER.encode("I").encoded[:, 0])


claims.number(r"\*I\* encodes to the large `\[(\d), (\d), (\d), (\d)\]`", _I_encodes)


def test_who_am_i_is_long_mostly_because_of_i():
    """'*who am I* is long mostly because *I* encodes to the large [3, 2, 0, 0] (with *you*
    in its place it would be the shortest of the three)'."""
    assert (
        "*who am I* is long mostly because *I* encodes to the large `[3, 2, 0, 0]` (with *you* "
        "in its place it would be the shortest of the three). Its length says how large its "
        "numbers are, not how well it matches."
    ) in prose("02")
    size = {w: ENCODER.encode(w).encoded.sum() for t in EX["database"] for w in t.split()}
    assert max(size, key=size.get) == "I"  # the largest encoding of the texts' words
    lengths = np.linalg.norm(D, axis=0)
    assert np.argmax(lengths) == EX["database"].index("who am I")
    you_instead = np.linalg.norm(ENCODER.encode("who am you").index_vector)
    assert you_instead < lengths.min()


def test_a_mean_keeps_texts_of_any_length_on_the_same_scale():
    assert "grows with every word, so a long text would get larger numbers" in prose("02")
    once = ENCODER.encode("who am I")
    twice = ENCODER.encode("who am I who am I")
    np.testing.assert_allclose(twice.index_vector, once.index_vector)  # the mean: same
    np.testing.assert_allclose(twice.encoded.sum(axis=1), 2 * once.encoded.sum(axis=1))


def _unit_length_same_ranking():
    unit = D / np.linalg.norm(D, axis=0)
    q = Q / np.linalg.norm(Q)
    assert np.array_equal(np.argsort(-(unit.T @ q)), np.argsort(-COS.scores))
    return 1


claims.number(r"scale every vector to length (1), and then the two", _unit_length_same_ranking)
claims.number(r"the (\d+) words spread the most", lambda: len(VOCABULARY))


def test_words_sharing_a_point_make_texts_stored_alike():
    assert "*how are you* and *am are you* are stored as the same index vector" in prose("02")
    assert np.array_equal(EX["embeddings"]["how"], EX["embeddings"]["am"])
    same = [ENCODER.encode(t).index_vector for t in ("how are you", "am are you")]
    assert np.array_equal(*same)


def test_the_lengths_and_angles_are_computed_where_the_arrows_point_to():
    # "(The table under *Dot product or cosine?* computes these lengths and angles.)"
    assert "The table under *Dot product or cosine?* computes these lengths" in prose("02")
    cells = list(cells_by_id("02").values())
    heading = next(i for i, c in enumerate(cells) if c.startswith("## Dot product or cosine?"))
    table = next(i for i, c in enumerate(cells) if '"length |s|", "angle (°)"' in c)
    following = [c for c in cells[heading + 1 : table] if c.startswith("#")]
    assert heading < table and not following  # in that section, before the next heading


claims.number(
    r"The picture keeps (70) % of the spread",
    lambda: 100 * pca_2d(VOCABULARY.matrix).explained.sum(),
)
claims.number(
    r"a million of them take (256) MB\)", lambda: 1_000_000 * 64 * np.float32().nbytes / 1e6
)
claims.not_computed(r"64-number vectors|top 10|a slope of 1", "the experiment's settings")
claims.number(
    r"a million 64-number vectors means (256) MB",
    lambda: 1_000_000 * 64 * np.float32().nbytes / 1e6,
)
claims.number(
    r"somewhere between (10)⁴ vectors \((2\.56) MB\) and (10)⁵ \((25\.6) MB\), depending on "
    r"the machine",
    lambda: (10, 10_000 * 64 * np.float32().nbytes / 1e6, 10, 100_000 * 64 * 4 / 1e6),
)
claims.not_computed(
    r"recall of 95-99 % \(the share of the true best matches they return\)",
    "from the literature on approximate search (FAISS, HNSW papers)",
)


def test_the_scaling_prose_names_no_place_the_timings_decide():
    """The bends depend on the machine: the prose gives a range, not a point the printed
    times (which vary run to run) could contradict."""
    text = prose("02")
    assert "past 10⁵" not in text and "Two bends can appear, depending on the machine" in text


def _counted_from_1():
    explorer = VectorDBExplorer()
    try:
        c = explorer.controls
        assert c["b[3]"].value == EX["b"][2] == -1  # the third entry, on the sheet
        c["P[2,3]"].value = 0.5
        P = np.asarray(explorer.database.encoder.P)
        assert P[1, 2] == 0.5 and (P == 0.5).sum() == 1  # row 2, column 3: Python's [1, 2]
        c["b[3]"].value = 1.5
        assert explorer.database.encoder.b[2] == 1.5
    finally:
        explorer.close()
    return 1, 2, 3, 2, 3, 0, 1, 2, 3, -1


claims.number(
    r"The sliders count from (1), as the sheet does: `P\[(2),(3)\]` is row (2), column (3) of "
    r"`P`, which Python, counting from (0), writes `P\[(1), (2)\]`; `b\[(3)\]` is the third "
    r"entry of `b`, (−1) on the sheet",
    _counted_from_1,
)
claims.not_computed(r"\\cdot|s_x q_x", "formula")


def _back_to_the_exercise_restores():
    explorer = VectorDBExplorer()
    try:
        c = explorer.controls
        with explorer.hold():
            c["query"].value, c["database"].value = "who am I", "am I\nhow are you"
            c["P[1,1]"].value, c["b[3]"].value, c["metric"].value = -1.0, 2.0, "cosine"
            c["W"].value = (np.asarray(EX["W"]) + 1).tolist()
            c["k"].value, c["numbers"].value = 2, ".3f"
        with explorer.hold():  # the IVF sliders, to 2 lists read both
            c["n_lists"].value, c["nprobe"].value = 2, 2
        c["reset"].click()
        assert c["query"].value == EX["query"] and c["database"].value == "\n".join(EX["database"])
        assert np.array_equal(c["W"].value, EX["W"]) and c["metric"].value == "dot"
        assert c["P[1,1]"].value == EX["P"][0][0] and c["b[3]"].value == EX["b"][2]
        assert c["numbers"].value == ".3f"  # the format stays,
        assert (c["n_lists"].value, c["nprobe"].value) == (2, 2)  # and so do the IVF sliders
        return c["k"].value
    finally:
        explorer.close()


claims.number(
    r"\*Back to the exercise\* restores the sheet's texts, query, W, b and P, the dot product "
    r"and k = (1) \(the \*numbers\* format and the IVF sliders stay as they are\)",
    _back_to_the_exercise_restores,
)


class TestProse(ProseTests):
    """Notebook 02's quoted numbers recomputed, its "Try this" carried out (checks below)."""

    claims = claims


def test_shared_vectors():
    _shared_vectors()


def test_an_unknown_word_is_explained_as_the_notebook_says():
    text = prose("02")
    assert (
        "An unknown word is explained, with the known word closest to it in spelling (or, if "
        "none is close, the list of the words there are), and the last good result stays on "
        "screen"
    ) in text
    explorer = VectorDBExplorer()
    try:
        shown = explorer.result
        explorer.controls["query"].value = "who are yuo"
        assert explorer.error.endswith("did you mean 'you'?") and explorer.result is shown
        # closest in spelling: one swap from 'you', though 'yuo' has no vector to be near
        assert VOCABULARY.suggest("yuo", 1) == ("you",)
        explorer.controls["query"].value = "who are 3"
        words = ", ".join(sorted(EX["embeddings"], key=str.casefold))
        assert explorer.error.endswith(f"the known words are: {words}")
        assert explorer.result is shown
    finally:
        explorer.close()


# --- Try this -------------------------------------------------------------------------
# Each check carries its item out as written, from wherever the items before it left the
# explorer: test_try_this gives it a fresh one, test_try_this_in_order the one a learner
# has used for the items before (items that need the exercise back say so first).


def _start(item: str, explorer) -> None:
    """The item's first words: *back to the exercise* (the sheet's texts, dot product)."""
    assert item.split("** ", 1)[1].startswith("Press *back to the exercise*")
    explorer.controls["reset"].click()
    assert explorer.controls["metric"].value == "dot"
    assert list(explorer.database.texts) == EX["database"]


@claims.try_this("Let the metric decide", on=VectorDBExplorer)
def _(item, explorer):
    assert "Switch the metric to *cosine*: the nearest text becomes *who are you*" in item
    explorer.controls["metric"].value = "cosine"
    assert explorer.result.hits[0].text == "who are you"


@claims.try_this("A text that cannot find itself", on=VectorDBExplorer)
def _(item, explorer):
    _start(item, explorer)
    assert "(the metric is the dot product again) and make the query *how are you*" in item
    explorer.controls["query"].value = "how are you"
    assert "the nearest text is *who am I*, not the identical *how are you*" in item
    assert explorer.result.hits[0].text == "who am I"
    lengths = np.linalg.norm(np.asarray(explorer.database.index_vectors), axis=0)
    assert "its arrow is longer" in item and lengths[2] > lengths[0]
    assert "Switch to cosine: *how are you* finds itself (cosine 1)" in item
    explorer.controls["metric"].value = "cosine"
    assert explorer.result.hits[0].text == "how are you"
    assert explorer.result.hits[0].score == pytest.approx(1)
    # "The cell below checks this and one more query, *are you*, whose answer also
    # changes with the metric": the cell searches the notebook's own database, as here
    assert "*are you*, whose answer also changes with the metric" in item
    assert '"are you"' in cells_by_id("02")["50242a7c"]
    assert DB.search("are you").hits[0].text != DB.search("are you", metric="cosine").hits[0].text


@claims.try_this("Flatten the picture", on=VectorDBExplorer)
def _(item, explorer):
    _start(item, explorer)
    assert "slide `P[2,3]` and `P[2,4]` to 0: every point drops onto the x axis" in item
    explorer.controls["P[2,3]"].value = 0
    explorer.controls["P[2,4]"].value = 0
    r = explorer.result
    assert not np.asarray(explorer.database.index_vectors)[1].any()
    assert r.query.index_vector[1] == 0
    x = np.asarray(explorer.database.index_vectors)[0]
    assert "With the dot product the longest x still wins" in item
    assert r.hits[0].index == int(np.argmax(x))
    assert "switch to cosine: every text now points the same way" in item
    explorer.controls["metric"].value = "cosine"
    assert "all scores tie at 1 (ties keep the order of the database)" in item
    assert np.allclose(explorer.result.scores, 1)
    assert explorer.result.hits[0].index == 0


@claims.try_this("A text with no direction", on=VectorDBExplorer)
def _(item, explorer):
    _start(item, explorer)
    assert "and add a line *she* to the database" in item
    explorer.controls["database"].value += "\nshe"
    she = explorer.database.encodings[-1]
    assert "its index vector is `[0, 0]`" in item and not she.index_vector.any()
    assert "Its embedding is `[0, 0, −1, 0]`, so `W·e` is `[0, 0, −1, 0]`" in item
    e = EX["embeddings"]["she"]
    assert list(e) == [0, 0, -1, 0] and list(EX["W"] @ e) == [0, 0, -1, 0]
    assert "the bias makes it `W·e + b` = `[0, 0, −2, 0]`, and ReLU turns that −2 into 0" in item
    assert EX["b"][2] == -1 and list(she.linear[:, 0]) == [0, 0, -2, 0]
    assert not she.encoded.any()
    assert "The dot product gives it 0" in item
    assert explorer.error == "" and explorer.result.scores[-1] == 0
    explorer.controls["metric"].value = "cosine"
    assert "cosine refuses, and says why" in item
    assert "zero vector points nowhere" in explorer.error and "'she'" in explorer.error
    assert "Slide `b[3]` up to 1.5 and ReLU lets 1/2 through" in item
    explorer.controls["b[3]"].value = 1.5
    assert explorer.error == ""
    she = explorer.database.encodings[-1]
    assert she.encoded[2, 0] == 0.5 and she.index_vector.any()


@claims.try_this("A typo", on=VectorDBExplorer)
def _(item, explorer):
    good = explorer.result
    assert "Type *am I yuo*" in item
    explorer.controls["query"].value = "am I yuo"
    assert "'yuo'" in explorer.error and "'you'" in explorer.error  # names it, suggests you
    assert explorer.result is good  # keeps the last result
    explorer.controls["query"].value = "am I you"
    assert explorer.error == ""


@claims.try_this("Check your own hand", on=VectorDBExplorer)
def _(item, explorer):
    _start(item, explorer)
    grid = HandCheck.follow(explorer, "scores")  # the check grid of step 7
    try:
        before = np.array(grid.step.expected, dtype=float)
        np.testing.assert_allclose(before.ravel(), DOT.scores)  # the sheet's scores
        assert "then change one entry of `W`" in item
        explorer.controls["W"].boxes[0][0].value = 2
        after = np.array(grid.step.expected, dtype=float)
        assert not np.allclose(before, after)
        assert np.allclose(after.ravel(), explorer.result.scores)
        assert "or slide `P`" in item
        explorer.controls["P[1,1]"].value = 0.5
        expected = np.array(grid.step.expected, dtype=float).ravel()
        assert np.allclose(expected, explorer.result.scores)
    finally:
        grid.close()


def test_try_this_in_order():
    """The explorer's items, in the notebook's order, on one explorer, as a learner does them.

    The IVF part's by-hand items are worked in its cells, not in the explorer.
    """
    claims.carry_out_in_order(by_hand=("Another start", "Fewer lists"))


# --- the IVF part (issue 16) has its own claims module, reading its cells by id ---------

claims.checked_in(
    "test_claims_ivf",
    "ivf-explorer-try", "ivf-intro", "ivf-assign-md", "ivf-average-md", "ivf-answers-md",
    "ivf-step2-md", "ivf-query-md", "ivf-try-md", "ivf-trade-md",
)  # fmt: skip


def _ivf():
    """test_claims_ivf's fixtures, built the way it builds them."""
    from tests import test_claims_ivf as ivf

    return ivf, cells_by_id("02"), ivf.the_six()


@claims.try_this("Near is not best", on=VectorDBExplorer)
def _(item, explorer):
    ivf, cells, _ = _ivf()
    assert item in " ".join(cells["ivf-explorer-try"].split())
    _start(item, explorer)
    ivf.near_is_not_best(item, explorer)


@claims.try_this("Another start")
def _(item):
    ivf, cells, six = _ivf()
    assert item in " ".join(cells["ivf-try-md"].split())
    ivf.test_try_this_by_hand(cells, six)


@claims.try_this("Fewer lists")
def _(item):
    ivf, cells, six = _ivf()
    assert item in " ".join(cells["ivf-try-md"].split())
    ivf.test_try_this_by_hand(cells, six)


def _cell_text(cell_id: str) -> str:
    source = cells_by_id("02")[cell_id]
    text = "\n".join(line for line in source.splitlines() if not line.startswith("#"))
    return re.escape(" ".join(text.split()))


# Three IVF cells that test_claims_ivf checks by their content, not by id: left to it
# (not yet reviewed here, issue 10's handover note says so).
for _id in ("ivf-cells-md", "ivf-scale-md"):
    claims.not_computed(_cell_text(_id), "the IVF part (issue 16): tests/test_claims_ivf.py")
