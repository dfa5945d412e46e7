"""Notebook 4's claims: every "Try this" carried out, every number quoted recomputed.

Each test first finds the sentence in the notebook's markdown (so a reworded claim
fails here and is checked again), then does what it says.
"""

import json
import math
import re

import numpy as np
import pytest

from dlviz import (
    AttentionExplorer,
    examples,
    multi_head_attention,
    positional_encoding,
    self_attention,
)
from tests.claims import NOTEBOOKS, markdown_cells, try_this_items


@pytest.fixture(scope="module")
def prose():
    text = "\n".join(markdown_cells("04"))
    return " ".join(text.split())  # one line, single spaces: claims may wrap anywhere


@pytest.fixture(scope="module")
def try_this(prose):
    return prose[prose.index("### Try this") :]


@pytest.fixture
def explorer():
    e = AttentionExplorer()
    e.controls["heads"].value = 2  # as the notebook starts it
    return e


@pytest.fixture(scope="module")
def hand():
    return multi_head_attention(**examples.multi_head_exercise(), heads=2, mode="hand")


def test_head_patterns_quoted(prose, hand):
    assert "gives key 2 the largest weight for queries 1 and 4 (0.6 and 0.8)" in prose
    A1, A2 = hand.heads[0].weights, hand.heads[1].weights
    assert A1[:, 0].argmax() == 1 and A1[:, 3].argmax() == 1
    np.testing.assert_allclose([A1[1, 0], A1[1, 3]], [0.6, 0.8])
    assert "gives key 3 the largest weight for the same two queries (0.5 each)" in prose
    assert A2[:, 0].argmax() == 2 and A2[:, 3].argmax() == 2
    np.testing.assert_allclose([A2[2, 0], A2[2, 3]], [0.5, 0.5])
    assert "splits query 2 evenly between keys 1 and 2" in prose
    np.testing.assert_allclose(A2[:, 1], [0.5, 0.5, 0, 0])


def test_wo_adds_the_heads(prose, hand):
    assert "output = $Z_1 + Z_2$" in prose
    np.testing.assert_allclose(hand.output, hand.heads[0].output + hand.heads[1].output)
    assert "$\\text{concat}$ is 6×4" in prose and hand.concat.shape == (6, 4)


def test_variance_of_a_dot_product_is_d_k(prose):
    assert "its **variance is $d_k$**" in prose
    rng = np.random.default_rng(1)
    for d_k in (4, 256):
        q, k = rng.standard_normal((2, 20_000, d_k))
        dots = (q * k).sum(axis=1)
        assert dots.var() == pytest.approx(d_k, rel=0.05)
        assert (dots / math.sqrt(d_k)).var() == pytest.approx(1, rel=0.05)


def test_temperature_0_1_is_forgetting_sqrt_d_k_at_100(prose):
    assert "A temperature of 0.1 multiplies every scaled score by 10" in prose
    assert "$d_k = 100$, since $\\sqrt{100} = 10$" in prose
    assert 1 / 0.1 == pytest.approx(math.sqrt(100))


def test_k1_equals_k4_and_a_swap_only_swaps_columns(prose):
    assert "$k_1 = k_4 = [0, 0, 1]$" in prose
    sheet = examples.attention_exercise()
    base = self_attention(**sheet, mode="hand")
    np.testing.assert_allclose(base.K[:, 0], [0, 0, 1])
    np.testing.assert_allclose(base.K[:, 3], [0, 0, 1])
    np.testing.assert_allclose(base.weights[0], base.weights[3])  # "rows k1 and k4 are equal"
    swap = [3, 1, 2, 0]
    moved = self_attention(sheet["X"][:, swap], sheet["WQ"], sheet["WK"], sheet["WV"], mode="hand")
    np.testing.assert_allclose(moved.output, base.output[:, swap])


def test_positions_break_the_tie(prose):
    assert "Now $k_1 \\ne k_4$" in prose
    sheet = examples.attention_exercise()
    r = self_attention(
        sheet["X"] + positional_encoding(4, 6), sheet["WQ"], sheet["WK"], sheet["WV"]
    )
    assert not np.allclose(r.K[:, 0], r.K[:, 3])


def test_score_memory_quoted(prose):
    assert "At 4,096 tokens one head's scores take 64 MiB" in prose
    assert "a layer of 32 heads needs 2 GiB" in prose
    one_head = np.zeros((4096, 4096), dtype=np.float32).nbytes
    assert one_head == 64 * 2**20 and 32 * one_head == 2 * 2**30


def test_try_1_one_head_is_the_sheet_and_z3_adds_up(try_this, explorer):
    assert "Set *heads* to 1: the heads panel disappears" in try_this
    explorer.controls["heads"].value = 1
    assert explorer.heads_view.layout.display == "none"
    sheet = self_attention(**examples.attention_exercise(), mode="hand")
    np.testing.assert_allclose(explorer.result.output, sheet.output)
    assert "the output of token 3 is 31, 4 and 6" in try_this
    assert "head 1 (16, 4, 1) plus $z_3$ of head 2 (15, 0, 5)" in try_this
    explorer.controls["heads"].value = 2
    np.testing.assert_allclose(explorer.multi.output[:, 2], [31, 4, 6])
    np.testing.assert_allclose(explorer.multi.heads[0].output[:, 2], [16, 4, 1])
    np.testing.assert_allclose(explorer.multi.heads[1].output[:, 2], [15, 0, 5])


def test_try_2_four_heads(try_this, explorer):
    assert "set *heads* to 4: four weight grids side by side, four different patterns" in try_this
    assert "concat grows to 12 × 4 while the output stays 3 × 4" in try_this
    explorer.controls["mode"].value = "exact"
    explorer.controls["heads"].value = 4
    html = explorer.heads_view.weights.value
    assert all(f'data-name="head{h}_weights"' in html for h in range(1, 5))
    weights = [h.weights for h in explorer.multi.heads]
    assert all(not np.allclose(a, b) for i, a in enumerate(weights) for b in weights[i + 1 :])
    assert explorer.multi.concat.shape == (12, 4) and explorer.multi.output.shape == (3, 4)


def test_try_3_positions_break_the_tie(try_this, explorer):
    assert "rows k1 and k4 of the weights are equal (k1 = k4). Tick *add positions*" in try_this
    explorer.controls["heads"].value = 1
    explorer.controls["mode"].value = "exact"
    np.testing.assert_allclose(explorer.result.weights[0], explorer.result.weights[3])
    explorer.controls["positions"].value = True
    assert not np.allclose(explorer.result.weights[0], explorer.result.weights[3], atol=1e-3)


def test_try_4_positions_by_hand(try_this, explorer):
    assert "the message names head 2, whose query 2 now has every power of 3 rounded to 0" in (
        try_this
    )
    explorer.controls["positions"].value = True
    # In the learner's words, as head 1's limit is (notebook 1): the head named, the
    # control to change named, no library spelling (mode='exact', 3ˣ, ASCII minus).
    assert explorer.error.startswith("Head 2: by hand, every power of 3 in column q2 rounds to 0")
    assert "Switch *mode* to *exact*" in explorer.error and "mode='exact'" not in explorer.error
    assert "−1, −1, −1, −2" in explorer.error
    explorer.controls["mode"].value = "exact"
    assert explorer.error == "" and explorer.result.X[0, 1] == pytest.approx(0 + math.sin(1))


def test_try_5_temperature_saturates(try_this, explorer):
    assert "slide the temperature down to 0.1: head 1's weights turn almost one-hot" in try_this
    assert "Queries 1, 2 and 4 put 0.99 or more on key 2" in try_this
    assert "query 3 splits 0.50 and 0.50 between keys 1 and 4" in try_this
    explorer.controls["mode"].value = "exact"
    explorer.controls["temperature"].value = 0.1
    A = explorer.result.weights
    assert (A[1, [0, 1, 3]] >= 0.99).all()
    assert [f"{A[i, 2]:.2f}" for i in (0, 3)] == ["0.50", "0.50"]
    assert A[[1, 2], 2].sum() < 0.005


def test_the_saturated_columns_in_prose(prose):
    assert "put nearly all of each column's weight on its best key" in prose


CHECKED = {  # every "Try this" item of notebook 4, by its bold title, and its test above
    "One head is the sheet": test_try_1_one_head_is_the_sheet_and_z3_adds_up,
    "Four heads": test_try_2_four_heads,
    "Break the tie": test_try_3_positions_break_the_tie,
    "Positions by hand": test_try_4_positions_by_hand,
    "A big d_k without √d_k": test_try_5_temperature_saturates,
}


def test_every_try_this_has_a_test():
    assert list(try_this_items("04")) == list(CHECKED)


# --- what the saved notebook shows: colours by role, and grids that say whose numbers ---

WEIGHTS = {  # grids of attention weights: white (0) to blue (1), as in notebook 1
    "A₂", "A₁ (head 1, the sheet)", "A₂ (head 2)", "A with positions", "A, causal",
    "weights", "head1_weights", "head2_weights",
}  # fmt: skip
POWERS = {"exp ≈ 3ˣ", "column sums", "exp = 3ˣ, rounded", "Σ", "exp", "sums"}  # from 0 up


def _saved_html():
    (path,) = NOTEBOOKS.glob("04*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        "".join(o.get("data", {}).get("text/html", "")) for c in cells for o in c.get("outputs", [])
    ]


def test_weights_powers_and_sums_are_drawn_white_to_blue():
    # A weight, a power of 3 or a column sum cannot be negative: the notebook draws them
    # white to blue (weights on a 0-1 scale), never in the signed purple-orange map of
    # inputs and scores, in its own grids, in its try-it grids and in the explorer.
    from dlviz.palette import hex_to_rgb, tint
    from tests.helpers import cells_of, table

    seen = set()
    for html in _saved_html():
        for name in set(re.findall(r'<table data-name="([^"]*)"', html)) & (WEIGHTS | POWERS):
            seen.add(name)
            grid = cells_of(table(html, name))
            values = {at: float(t.replace("−", "-")) for at, t in grid.cells.items() if t != "–"}
            scale = 1.0 if name in WEIGHTS else max(values.values())
            for at, value in values.items():
                drawn = hex_to_rgb(grid.styles[at].split("background:")[1].split(";")[0])
                wanted = tint(value, scale, "positive")  # (the printed value may be rounded)
                assert max(abs(a - b) for a, b in zip(drawn, wanted, strict=True)) < 5 / 255, (
                    name,
                    at,
                )
    assert seen == WEIGHTS | POWERS  # every one of them was looked at


def test_the_try_it_grids_say_whose_numbers_they_check():
    # Head 2's grids check head 2's own weights: "edited" would tell the learner they
    # changed something they never touched.
    sources = [
        s
        for html in _saved_html()
        for s in re.findall(r'data-name="source-[^"]*"[^>]*>(.*?)</div>', html)
    ]
    assert len(sources) == 3, sources  # head 2's scores and weights, the output WO·concat
    assert "edited" not in " ".join(sources)
    assert sum("head 2&#x27;s own weights, rows 4–6 of WQ, WK, WV" in s for s in sources) == 2
    assert "the multi-head exercise's numbers (beyond the sheet)" in sources  # WO·concat
