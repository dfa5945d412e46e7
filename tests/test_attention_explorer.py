"""AttentionExplorer driven from Python, as the notebook's learner drives it with the mouse."""

import numpy as np
import pytest

from dlviz import AttentionExplorer, examples, self_attention
from tests.helpers import shown


@pytest.fixture
def explorer():
    return AttentionExplorer()


def test_starts_on_the_sheet_by_hand(explorer):
    expected = self_attention(**examples.attention_exercise(), mode="hand")
    np.testing.assert_allclose(explorer.result.output, expected.output)
    assert shown(explorer, "weights")[(0, 0)] == "0.2"
    assert shown(explorer, "output")[(0, 2)] == "16"
    assert shown(explorer, "sums")[(0, 0)] == "16"
    assert repr(explorer) == (
        "AttentionExplorer(mode='hand', causal=False, temperature=1.0, step=9)"
    )


def test_mode_switch_recomputes_every_view(explorer):
    before_png = explorer.image.value
    explorer.controls["mode"].value = "exact"
    assert explorer.result.mode == "exact"
    assert shown(explorer, "weights")[(0, 0)] == "0.26"
    assert shown(explorer, "output")[(0, 0)] == "10.31"
    assert explorer.image.value != before_png
    assert explorer.heatmap.cell_text(0, 0) == "0.26"
    assert not explorer.controls["temperature"].disabled


def test_temperature_is_for_the_exact_path_only(explorer):
    assert explorer.controls["temperature"].disabled  # by hand
    explorer.controls["mode"].value = "exact"
    explorer.controls["temperature"].value = 2.0
    expected = self_attention(**examples.attention_exercise(), temperature=2.0)
    np.testing.assert_allclose(explorer.result.weights, expected.weights)
    assert shown(explorer, "weights")[(0, 0)] == f"{expected.weights[0, 0]:.2f}"
    explorer.controls["mode"].value = "hand"  # the by-hand path ignores the slider
    assert explorer.result.temperature == 1.0 and explorer.error == ""


def test_the_browser_sliders_float_noise_is_not_a_temperature(explorer):
    # JupyterLab's slider, once enabled, sent 1.0000000000000002 for the 1.0 it shows:
    # the grids then said "from the explorer: exact mode, temperature 1" and step 5
    # "then ÷ temperature 1", though the learner had not touched the slider.
    from dlviz import HandCheck

    checker = HandCheck.follow(explorer, "scores")
    explorer.controls["mode"].value = "exact"
    explorer.controls["temperature"].value = 1.0000000000000002  # as the browser sends it
    assert explorer.controls["temperature"].value == 1.0 and explorer.result.temperature == 1
    assert checker.step.source == ("exact mode",)
    assert "temperature" not in explorer.panels[5].value
    explorer.controls["temperature"].value = 0.30000000000000004  # 0.1 + 0.2
    assert explorer.controls["temperature"].value == 0.3
    explorer.controls["temperature"].value = 0.25  # a value between steps is kept as it is
    assert explorer.result.temperature == 0.25


def test_causal_masks_later_keys(explorer):
    explorer.controls["causal"].value = True
    assert explorer.result.causal
    cells = shown(explorer, "weights")
    assert cells[(1, 0)] == "–" and cells[(0, 0)] == "1.0"


def test_step_reveals_the_walk_through_up_to_that_step(explorer):
    explorer.controls["step"].value = 4
    visible = [k for k, box in explorer.step_boxes.items() if box.layout.visibility != "hidden"]
    assert visible == [1, 2, 3, 4]
    assert "4: scores" in explorer.step_name.value
    explorer.controls["mode"].value = "exact"  # hidden steps follow when shown again
    explorer.controls["step"].value = 9
    assert shown(explorer, "weights")[(0, 0)] == "0.26"


def test_editing_a_box_changes_the_input_and_everything_after_it(explorer):
    explorer.controls["X"].boxes[5][3].value = -2  # f6 of x4: query 2 turns to key 4
    assert explorer.result.X[5, 3] == -2
    assert explorer.controls["X"].value[5][3] == -2
    assert shown(explorer, "weights")[(3, 1)] == "0.9"


def test_setting_a_whole_matrix_from_python(explorer):
    WV = np.eye(3, 6).tolist()
    explorer.controls["WV"].value = WV
    np.testing.assert_allclose(explorer.result.WV, WV)
    assert explorer.controls["WV"].boxes[1][1].value == 1.0


def test_wrong_shape_for_a_matrix_is_refused_at_once(explorer):
    with pytest.raises(ValueError, match=r"this input is a 6×4 matrix; got shape \(2, 2\)"):
        explorer.controls["X"].value = [[1, 2], [3, 4]]


def test_bad_input_is_explained_and_the_last_result_stays(explorer):
    good = explorer.result
    WQ = np.array(explorer.controls["WQ"].value)
    WQ[:, 0] = [-5, 0, -5]
    explorer.controls["WQ"].value = WQ.tolist()
    assert "every power of 3 in column q1 rounds to 0" in explorer.error
    assert "Switch *mode* to *exact*" in explorer.error  # in the learner's words
    assert "Switch <i>mode</i> to <i>exact</i>" in explorer.message.value
    assert explorer.message.layout.display is None
    assert explorer.result is good  # the views keep the last good numbers
    explorer.controls["mode"].value = "exact"  # the other controls keep working
    assert explorer.error == "" and explorer.message.layout.display == "none"
    assert explorer.result.mode == "exact"


def test_nan_is_explained_and_fixing_it_recovers(explorer):
    X = np.array(explorer.controls["X"].value)
    X[0, 0] = np.nan
    explorer.controls["X"].value = X.tolist()
    assert "X, row f1, column x1: that entry is not a number" in explorer.error
    explorer.controls["X"].boxes[0][0].value = 2
    assert explorer.error == ""
    assert shown(explorer, "output")[(0, 0)] == "8"


def test_reset_goes_back_to_the_exercise_in_one_recompute(explorer):
    calls = []
    explorer.controls["X"].boxes[0][0].value = 7
    explorer.controls["causal"].value = True
    original = explorer.compute
    explorer.compute = lambda: calls.append(1) or original()
    explorer.controls["reset"].click()
    assert len(calls) == 1
    assert explorer.result.X[0, 0] == 2 and not explorer.result.causal
    assert shown(explorer, "output")[(0, 0)] == "8"


def test_explorer_accepts_its_own_starting_numbers():
    X = np.arange(12).reshape(3, 4) % 3
    W = np.eye(2, 3)
    explorer = AttentionExplorer(X, W, W, W, mode="exact", step=5)
    assert explorer.result.X.shape == (3, 4) and explorer.result.mode == "exact"
    with pytest.raises(ValueError, match=r"WQ is 2×5 but X is 3×4"):
        AttentionExplorer(X, np.eye(2, 5), W, W)


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("temperature", 10.0, r"temperature = 10 is outside its range, 0.1 to 5"),
        ("temperature", float("nan"), r"temperature = nan is not a number"),
        ("step", 12, r"step = 12 is outside its range, 1 to 9"),
    ],
)
def test_out_of_range_values_from_python_are_explained_not_capped(
    explorer, control, value, message
):
    import re

    before = explorer.controls[control].value
    explorer.controls[control].value = value
    assert re.search(message, explorer.error)
    assert explorer.controls[control].value == before  # refused, not quietly capped
    explorer.controls["mode"].value = "exact"  # the next good move clears the message
    assert explorer.error == ""
