"""The toy router's hand-written gradients (finite differences) and the capacity hand checks."""

import numpy as np
import pytest

from dlviz import MixtureOfExperts, examples
from dlviz.capacity_checks import capacity_checks
from dlviz.checking import check
from dlviz.moe_training import loss_and_gradients, train_router
from dlviz.widgets.handcheck import expected_text

BATCH = [[2, 3, 1, 0], [1, 1, 2, 2], [3, 2, 2, 1]]  # the notebook's by-hand batch


def batch_result(top_k=1, factor=1):
    ex = examples.moe_exercise()
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], top_k=top_k)
    return moe.with_capacity_factor(factor)(BATCH)


# --- the toy router -----------------------------------------------------------------------


@pytest.mark.parametrize("coef", [0.0, 0.3])
def test_gradients_match_finite_differences(coef):
    rng = np.random.default_rng(3)
    G, A = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    X = np.vstack([rng.normal(size=(2, 16)), np.ones(16)])
    y = rng.normal(size=16)
    _, dG, dA, _, _ = loss_and_gradients(G, A, X, y, coef)
    eps = 1e-6
    for grad, param in ((dG, G), (dA, A)):
        numeric = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            plus, minus = param.copy(), param.copy()
            plus[idx] += eps
            minus[idx] -= eps
            args = [(plus if param is G else G), (plus if param is A else A)]
            up = loss_and_gradients(*args, X, y, coef)[0]
            args = [(minus if param is G else G), (minus if param is A else A)]
            down = loss_and_gradients(*args, X, y, coef)[0]
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_training_is_deterministic_and_records_every_step():
    a, b = train_router(0.0, 1, steps=30), train_router(0.0, 1, steps=30)
    np.testing.assert_array_equal(a.shares, b.shares)
    assert a.shares.shape == (30, 4) and a.task_error.shape == (30,)
    np.testing.assert_allclose(a.shares.sum(axis=1), 1.0)
    np.testing.assert_allclose(a.final_shares(10), a.shares[-10:].mean(axis=0))


def test_training_lowers_the_task_error():
    run = train_router(0.3, 0)
    assert run.task_error[-20:].mean() < 0.5 * run.task_error[:20].mean()


# --- hand checks of the capacity part ----------------------------------------------------


def test_capacity_checks_expect_the_worked_example():
    steps = capacity_checks(batch_result())
    assert expected_text(steps["dropped"]) == [["0", "0", "0", "1"]]
    assert steps["dropped"].rows == ("1st choice",)
    assert expected_text(steps["balance"]) == [["0.250", "0.750"], ["0.384", "0.616"]]
    assert expected_text(steps["aux_loss"]) == [["1.116"]]


def test_capacity_checks_say_whose_numbers_when_told():
    # The sheet routes two tokens; a batch beyond it is named by the caller.
    default = capacity_checks(batch_result())
    assert {s.origin for s in default.values()} == {"the sheet's numbers"}
    named = capacity_checks(batch_result(), origin="the capacity exercise's numbers")
    assert {s.origin for s in named.values()} == {"the capacity exercise's numbers"}
    unlimited = capacity_checks(MixtureOfExperts(**_sheet_moe())(BATCH), origin="a batch")
    assert {s.origin for s in unlimited.values()} == {"a batch"}  # no capacity: all 0s
    for key, step in named.items():
        np.testing.assert_array_equal(step.expected, default[key].expected)


def _sheet_moe():
    ex = examples.moe_exercise()
    return {"gate_W": ex["gate_W"], "gate_b": ex["gate_b"], "experts": ex["experts"]}


def test_honest_answers_are_right():
    steps = capacity_checks(batch_result())
    assert check(steps["dropped"], [["0", "0", "0", "1"]]).all_right
    # the probabilities rounded to 0.269 and 0.731, as a pencil does
    assert check(steps["balance"], [["1/4", "3/4"], ["0.3845", "0.6155"]]).all_right
    assert check(steps["balance"], [["0.25", "0.75"], ["0.38", "0.62"]]).all_right
    assert check(steps["aux_loss"], [["1.1155"]]).all_right
    assert check(steps["aux_loss"], [["1.12"]]).all_right


def test_rounding_on_the_way_is_right_too():
    """The loss is 1.11553; a pencil that rounds on the way honestly lands a hair off."""
    steps = capacity_checks(batch_result())
    # P from 0.269 and 0.731 is 0.3845 exactly: to 3 decimals, either neighbour
    assert check(steps["balance"], [["0.25", "0.75"], ["0.385", "0.615"]]).all_right
    assert check(steps["balance"], [["0.25", "0.75"], ["0.384", "0.616"]]).all_right
    for honest in (
        "1.1154",  # 2 · (0.0961 + 0.4616): each f·P rounded to 4 decimals
        "1.115",  # from the gate picture's 0.27 and 0.73, or 1.1154 to 3 decimals
        "1.116", "1.1155", "1.11553", "1.12",  # the exact loss, rounded
    ):  # fmt: skip
        assert check(steps["aux_loss"], [[honest]]).all_right, honest
    for wrong in ("1.117", "1.1153", "1.1156", "1.114", "1.13", "1.2"):
        assert not check(steps["aux_loss"], [[wrong]]).all_right, wrong
    assert not check(steps["balance"], [["0.25", "0.75"], ["0.386", "0.614"]]).all_right


@pytest.mark.parametrize(
    ("key", "answer", "hint"),
    [
        ("dropped", [["1", "0", "0", "0"]], "LAST tokens to arrive"),
        ("balance", [["1", "3"], ["0.3845", "0.6155"]], "f is a FRACTION"),
        ("balance", [["0.25", "0.5"], ["0.3845", "0.6155"]], "dropped slots included"),
        ("aux_loss", [["0.558"]], "Multiply Σ f·P by the number of experts, 2"),
        ("aux_loss", [["0.808"]], "ROUTED, dropped slots included"),
    ],
)
def test_slips_are_explained(key, answer, hint):
    verdict = check(capacity_checks(batch_result())[key], answer)
    assert not verdict.all_right
    assert any(hint in h.text for h in verdict.hints), verdict.hints


def test_second_choices_come_after_first_choices_slip():
    r = batch_result(top_k=2, factor=0.5)
    steps = capacity_checks(r)
    assert expected_text(steps["dropped"]) == [["0", "0", "0", "1"], ["0", "1", "1", "1"]]
    # serving X1's two choices, then X2's, …: a different set of drops
    verdict = check(steps["dropped"], [["0", "0", "1", "1"], ["0", "0", "1", "1"]])
    assert any("All FIRST choices" in h.text for h in verdict.hints)


def test_without_a_capacity_nothing_is_dropped_and_f_p_still_count():
    steps = capacity_checks(batch_result(factor=None))
    assert "none without a capacity limit" in steps["dropped"].title
    assert expected_text(steps["dropped"]) == [["0", "0", "0", "0"]]
    assert check(steps["dropped"], [["0", "0", "0", "0"]]).all_right
    assert expected_text(steps["aux_loss"]) == [["1.116"]]


def test_the_explorer_offers_the_capacity_grids_and_they_follow_it():
    from dlviz import HandCheck, MoEExplorer

    explorer = MoEExplorer()
    grid = HandCheck.follow(explorer, "dropped")
    assert expected_text(grid.step) == [["0", "0"]]
    c = explorer.controls
    with explorer.hold():
        c["capacity"].value, c["random_tokens"].value = True, 2
    assert expected_text(grid.step) == [["0", "0", "0", "1"]]  # X4 is dropped
    grid.type([["0", "0", "0", "1"]])
    assert grid.check().all_right
    c["random_tokens"].value = 64  # the first 6 of 66 tokens
    assert len(grid.step.cols) == 6 and "the first 6 of 66 tokens" in grid.step.title
    loss = HandCheck.follow(explorer, "aux_loss")
    assert float(expected_text(loss.step)[0][0]) == pytest.approx(
        explorer.result.aux_loss, abs=5e-4
    )
    c["reset"].click()
    assert expected_text(grid.step) == [["0", "0"]]
