"""A hint appears only when its slip explains the wrong cells: every slip of every grid.

The grids are the four notebooks' try-it grids (and the variants the explorers they
follow can turn them into: exact mode, causal, top-2, a capacity limit). For each
slip, and each way of making it, the learner types

- the whole slip: its hint appears;
- the slip in some of its cells only, the others left empty, done right, or wrong
  in another way; or the whole slip and one more wrong cell elsewhere: a hint may
  appear only where its slip explains the wrong cells it is shown for.

"Explains" is judged here independently of `dlviz.checking.hints`: a slip made once
for the whole grid (scope "grid") explains a grid only when the wrong cells are
among the cells it changes and every one of those holds its number; a slip made
cell by cell explains each named cell whose number it gives. A hint said for "the
whole grid" or "every cell" must cover every wrong cell, and one said for a row or
a column every wrong cell of that row or column.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from dlviz import MixtureOfExperts, MoEExplorer, examples, multi_head_attention, self_attention
from dlviz.capacity_checks import capacity_checks
from dlviz.checking import attention_checks, check, ivf_checks
from dlviz.checking.vectordb import vectordb_steps
from dlviz.multi_head_checks import head_checks, multi_head_checks
from dlviz.vectordb import SentenceEncoder, VectorDatabase, Vocabulary, lloyd_step


def _attention_grids():
    ex = examples.attention_exercise()
    for mode, causal, temperature in [
        ("hand", False, 1.0), ("hand", True, 1.0), ("exact", False, 1.0), ("exact", True, 2.0),
    ]:  # fmt: skip
        r = self_attention(**ex, mode=mode, causal=causal, temperature=temperature)
        for key, step in attention_checks(r).items():
            yield f"01 {mode}{' causal' if causal else ''} T={temperature:g} {key}", step
    two = examples.multi_head_exercise()
    hand = multi_head_attention(
        two["X"], two["WQ"], two["WK"], two["WV"], two["WO"], heads=2, mode="hand"
    )
    for key, step in head_checks(hand, 2).items():
        yield f"04 head 2 {key}", step
    for key, step in multi_head_checks(hand).items():
        yield f"04 {key}", step


def _vectordb_grids():
    ex = examples.vectordb_exercise()
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
    for metric in ("dot", "cosine"):
        for key, step in vectordb_steps(encoder, ex["database"], ex["query"], metric).items():
            yield f"02 {metric} {key}", step
    iv = examples.ivf_exercise()
    db = VectorDatabase(encoder)
    db.add(iv["texts"])
    for key, step in ivf_checks(lloyd_step(db.index_vectors.T, iv["init"]), iv["texts"]).items():
        yield f"02 ivf {key}", step


def _moe_grids():
    explorer = MoEExplorer()
    for key in ("logits", "choice", "output"):
        yield f"03 {key}", explorer.checks()[key]
    sheet = examples.moe_exercise()
    moe = MixtureOfExperts(sheet["gate_W"], sheet["gate_b"], sheet["experts"])
    Xb = np.array([[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]])  # notebook 3's batch of 4
    for key, step in capacity_checks(moe.with_capacity_factor(1)(Xb)).items():
        yield f"03 capacity {key}", step
    explorer.controls["capacity"].value = True
    explorer.controls["random_tokens"].value = 2  # notebook 3, exercise 5
    yield "03 explorer dropped", explorer.checks()["dropped"]
    explorer.controls["n_experts"].value = 3
    explorer.controls["top_k"].value = 2
    for key in ("choice", "output", "dropped"):
        yield f"03 top-2 {key}", explorer.checks()[key]
    explorer.close()


GRIDS = dict([*_attention_grids(), *_vectordb_grids(), *_moe_grids()])
SLIPS = [(name, s) for name, step in GRIDS.items() for s in range(len(step.slips))]


def _matrix(values) -> np.ndarray:
    return np.atleast_2d(np.asarray(values, dtype=float))


def _right(step):
    return _matrix(step.expected if step.exact is None else step.exact)


def _asked(step) -> np.ndarray:
    return np.ones(step.shape, bool) if step.mask is None else np.asarray(step.mask, bool)


def _text(value: float) -> str:
    """A number as a careful learner writes it: a short fraction if it is one, else 9 decimals."""
    fraction = Fraction(float(value)).limit_denominator(1000)
    return str(fraction) if abs(float(fraction) - value) < 1e-12 else f"{value:.9f}"


def _ways(step, slip):
    """Each way of making the slip: (its numbers, the cells asked where they are not right)."""
    values = np.asarray(slip.values, dtype=float)
    layers = values if values.ndim == 3 else values.reshape(step.shape)[None]
    expected, right = _matrix(step.expected), _right(step)
    for layer in layers:
        changed = np.isfinite(layer) & _asked(step)
        changed &= ~np.isclose(layer, right, rtol=0, atol=1e-9)
        changed &= ~np.isclose(layer, expected, rtol=0, atol=1e-9)
        cells = [tuple(int(i) for i in c) for c in np.argwhere(changed)]
        if cells:
            yield layer, cells


def _typed_right(step) -> list[list[str]]:
    asked, right = _asked(step), _right(step)
    return [
        [_text(v) if asked[i, j] else "–" for j, v in enumerate(row)] for i, row in enumerate(right)
    ]


def _answers(step, layer, cells, slipped, rest: str):
    """The right answers, with the slip's number typed in `slipped` and `rest` (empty, right
    or "wrong": another wrong number) in the other cells the slip changes."""
    answers = _typed_right(step)
    for i, j in cells:
        if (i, j) in slipped:
            answers[i][j] = _text(layer[i, j])
        elif rest == "empty":
            answers[i][j] = ""
        elif rest == "wrong":
            answers[i][j] = _text(layer[i, j] + 7.25)  # neither right nor this slip
    return answers


def _same_numbers(step, slip):
    """The slips that give exactly the numbers of `slip` (they count as one)."""
    mine = np.asarray(slip.values, dtype=float)
    return [
        s for s in step.slips
        if np.asarray(s.values, float).shape == mine.shape
        and np.array_equal(np.asarray(s.values, float), mine, equal_nan=True)
    ]  # fmt: skip


def _holds(layer, typed: str, cell) -> bool:
    try:
        return abs(float(Fraction(typed.replace("–", "-"))) - layer[cell]) < 1e-6
    except ValueError:
        return False


def _explained(step, hint, answers, wrong: set) -> bool:
    """Whether some slip with the hint's words explains the cells it is shown for."""
    for slip in (s for s in step.slips if s.hint == hint.text):
        by_cell = set()  # the cells whose number one way of making the slip gives
        for same in _same_numbers(step, slip):
            for layer, cells in _ways(step, same):
                holds = [_holds(layer, answers[i][j], (i, j)) for i, j in cells]
                if slip.scope == "grid" and wrong <= set(cells) and all(holds):
                    return set(hint.cells) == wrong
                by_cell |= {c for c, ok in zip(cells, holds, strict=True) if ok}
        if slip.scope == "cell" and set(hint.cells) <= by_cell & wrong:
            return True
    return False


def _said_honestly(step, hint, wrong: set) -> bool:
    """A hint said for the whole grid, a row or a column covers every wrong cell there."""
    cells = set(hint.cells)
    if hint.where in ("the whole grid", "every cell"):
        return cells == wrong
    if hint.where.startswith("row ") and step.rows and hint.where[4:] in step.rows:
        i = step.rows.index(hint.where[4:])
        return {c for c in wrong if c[0] == i} == cells
    if hint.where.startswith("column ") and step.cols and hint.where[7:] in step.cols:
        j = step.cols.index(hint.where[7:])
        return {c for c in wrong if c[1] == j} == cells
    return True


def _assert_honest(step, answers, what: str):
    verdict = check(step, answers)
    wrong = {c for c in np.ndindex(verdict.status.shape) if verdict.status[c] == "wrong"}
    for hint in verdict.hints:
        assert _explained(step, hint, answers, wrong), (
            f"{what}: hint for {hint.where}: {hint.text!r} does not explain the wrong cells "
            f"{sorted(wrong)} of {answers}"
        )
        assert _said_honestly(step, hint, wrong), f"{what}: said for {hint.where}: {answers}"
    return verdict


def test_the_notebooks_grids_have_slips_of_both_scopes():
    scopes = {s.scope for step in GRIDS.values() for s in step.slips}
    assert scopes == {"grid", "cell"} and len(SLIPS) > 80


@pytest.mark.parametrize(("name", "s"), SLIPS, ids=[f"{n}-{s}" for n, s in SLIPS])
def test_the_whole_slip_gets_its_hint(name, s):
    step = GRIDS[name]
    slip = step.slips[s]
    words = {same.hint for same in _same_numbers(step, slip)}
    for layer, cells in _ways(step, slip):
        answers = _answers(step, layer, cells, set(cells), "right")
        verdict = _assert_honest(step, answers, "the whole slip")
        assert words & {h.text for h in verdict.hints}, (answers, verdict.hints)


@pytest.mark.parametrize(("name", "s"), SLIPS, ids=[f"{n}-{s}" for n, s in SLIPS])
def test_a_slip_made_in_part_gets_no_hint_it_does_not_explain(name, s):
    step = GRIDS[name]
    slip = step.slips[s]
    for layer, cells in _ways(step, slip):
        parts = {frozenset(cells[: len(cells) // 2 or 1]), frozenset(cells[len(cells) // 2 :])}
        parts.add(frozenset(cells[:1]))
        for part in parts - {frozenset(cells)}:
            for rest in ("empty", "right", "wrong"):
                answers = _answers(step, layer, cells, part, rest)
                verdict = _assert_honest(step, answers, f"{len(part)} of {len(cells)}, {rest}")
                if slip.scope == "grid" and rest != "right":
                    assert slip.hint not in {h.text for h in verdict.hints}
        others = [c for c in np.ndindex(step.shape) if c not in cells and _asked(step)[c]]
        if others:
            answers = _answers(step, layer, cells, set(cells), "right")
            i, j = others[0]
            answers[i][j] = _text(_right(step)[i, j] + 7.25)  # a slip of the pencil elsewhere
            verdict = _assert_honest(step, answers, "the whole slip and one more wrong cell")
            if slip.scope == "grid":
                assert slip.hint not in {h.text for h in verdict.hints}


def test_the_vectordb_sheets_who_slip_is_named_only_when_it_explains_the_wrong_cells():
    # The published sheet's slip ("who" as [1, 0, 0, 0] in both texts that have it)
    step = GRIDS["02 dot scores"]
    whole = check(step, [["44/9", "40/9", "60/9"]])
    assert [h.where for h in whole.hints] == ["who are you and who am I"]
    # ... and a plain mistake in "how are you", which has no "who": not that slip alone
    verdict = check(step, [["5", "40/9", "60/9"]])
    assert verdict.status.tolist() == [["wrong", "wrong", "wrong"]] and verdict.hints == ()
    # ... in one text only, the other text wrong in another way: not the slip made everywhere
    verdict = check(step, [["44/9", "40/9", "7"]])
    assert verdict.status.tolist() == [["right", "wrong", "wrong"]] and verdict.hints == ()


def test_a_transpose_and_a_slip_of_the_pencil_elsewhere_is_not_called_a_transpose():
    step = GRIDS["01 hand T=1 scores"]
    answers = [[_text(v) for v in row] for row in _matrix(step.expected).T]
    assert [h.where for h in check(step, answers).hints] == ["the whole grid"]
    answers[0][0] = "9"  # the diagonal: a transpose leaves it as it is
    verdict = check(step, answers)
    assert verdict.status[0, 0] == "wrong" and verdict.hints == ()


def test_a_way_of_serving_the_queue_is_named_for_the_whole_grid_only():
    # The dropped grids hold 0s and 1s: cell by cell, any wrong one would match some way of
    # serving the queue by chance. A learner who dropped nothing was told "the LAST tokens
    # to arrive at a full expert are the ones dropped", for the one cell they missed.
    dropped = [step for name, step in GRIDS.items() if step.key == "dropped"]
    assert dropped and all(s.scope == "grid" for step in dropped for s in step.slips)
    for step in dropped:
        nothing = [["0"] * step.shape[1] for _ in range(step.shape[0])]
        verdict = _assert_honest(step, nothing, "nothing dropped")
        if (verdict.status == "wrong").any():
            assert not verdict.hints, verdict.hints


def test_a_cell_that_rounds_to_a_mixing_slip_is_not_named_after_it():
    # The sheet's top-1 output with one cell typed 1.5: the dense mix's 1.54 rounds to it,
    # but seven right cells rule that mix out.
    r = MixtureOfExperts(
        **{k: examples.moe_exercise()[k] for k in ("gate_W", "gate_b", "experts")}
    )(examples.moe_exercise()["X"])
    from dlviz.checking import moe_checks

    step = moe_checks(r)["output"]
    answers = [[_text(v) for v in row] for row in _right(step)]
    answers[2][0] = "1.5"
    verdict = _assert_honest(step, answers, "one cell typed as the dense mix rounds")
    assert verdict.status[2, 0] == "wrong" and not verdict.hints
