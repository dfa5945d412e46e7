"""One test per known slip: the hint appears, says where, and only when it explains.

Numbers are the by-hand sheets' (shared/exercises.md) unless a test says otherwise.
"""

import numpy as np
import pytest

from dlviz import MixtureOfExperts, examples, self_attention
from dlviz.checking import Slip, Step, attention_checks, check, moe_checks
from dlviz.checking.vectordb import vectordb_steps
from dlviz.sheet import format_number
from dlviz.vectordb import SentenceEncoder, Vocabulary


def typed(values, fmt="auto"):
    return [[format_number(v, fmt) for v in row] for row in np.atleast_2d(values)]


def only_hint(verdict):
    assert len(verdict.hints) == 1, [h.text for h in verdict.hints]
    return verdict.hints[0]


@pytest.fixture(scope="module")
def hand():
    return attention_checks(self_attention(**examples.attention_exercise(), mode="hand"))


@pytest.fixture(scope="module")
def exact():
    return attention_checks(self_attention(**examples.attention_exercise(), mode="exact"))


# --- self-attention, by hand ----------------------------------------------------------------


def test_scores_transposed_is_said_once_for_the_whole_grid(hand):
    hint = only_hint(check(hand["scores"], typed(hand["scores"].expected.T)))
    assert hint.where == "the whole grid"
    assert hint.text.startswith("The whole grid is transposed: these are Qᵀ·K")


def test_scores_lost_minus_sign_in_row_k3(hand):
    S = hand["scores"].expected.copy()
    S[2] = [5, 3, 2, 3]  # key 3 has k[3] = -1: each product -1·q[3] added as +q[3]
    hint = only_hint(check(hand["scores"], typed(S)))
    assert hint.where == "row k3" and "minus sign got lost" in hint.text


def test_scores_lost_minus_sign_in_one_cell(hand):
    S = hand["scores"].expected.copy()
    S[2, 0] = 5
    hint = only_hint(check(hand["scores"], typed(S)))
    assert hint.where == "(k3, q1)" and hint.cells == ((2, 0),)


def test_sums_floored_with_a_third_rounded_to_0_the_readme_slip(hand):
    verdict = check(hand["sums"], [["15", "9", "7", "12"]])
    assert verdict.status.tolist() == [["wrong", "wrong", "right", "right"]]
    hint = only_hint(verdict)
    assert "rounded −½ down to −1" in hint.text and hint.where == "q1 and q2"


def test_sums_floored_with_a_third_kept(hand):
    verdict = check(hand["sums"], [["15 1/3", "10", "7", "12"]])
    hint = only_hint(verdict)
    assert "15⅓" in hint.text and hint.cells == ((0, 0),) and hint.where == "q1"


def test_sums_with_e_for_3(hand):
    hint = only_hint(check(hand["sums"], [["14", "10", "7", "10"]]))
    assert "3ˣ in place of eˣ" in hint.text


def test_sums_with_step_5_skipped(hand):
    hint = only_hint(check(hand["sums"], [["135", "45", "21", "252"]]))
    assert "Step 5 was skipped" in hint.text and hint.where == "every cell"


def test_sums_as_row_sums(hand):
    hint = only_hint(check(hand["sums"], [["10", "22", "3", "10"]]))
    assert "row sums" in hint.text


def test_weights_truncated_not_rounded_is_not_called_a_transpose(hand):
    step = hand["weights"]
    truncated = [[0.1, 0.3, 0.4, 0.0], [0.5, 0.3, 0.1, 0.7], [0.0, 0.1, 0.0, 0.0],
                 [0.1, 0.3, 0.4, 0.0]]  # fmt: skip
    hint = only_hint(check(step, typed(truncated, ".1f")))
    assert "truncated" in hint.text and "Aᵀ" not in hint.text


def test_weights_divided_by_row_sums(hand):
    exp = hand["weights"].inputs[0].values
    wrong = exp / exp.sum(axis=1, keepdims=True)
    hint = only_hint(check(hand["weights"], typed(wrong, ".1f")))
    assert "divided by the row sums" in hint.text


def test_weights_transposed(hand):
    hint = only_hint(check(hand["weights"], typed(hand["weights"].expected.T, ".1f")))
    assert "(Aᵀ)" in hint.text and hint.where == "the whole grid"


def test_output_with_A_transposed(hand):
    r = self_attention(**examples.attention_exercise(), mode="hand")
    hint = only_hint(check(hand["output"], typed(r.V @ r.weights.T)))
    assert hint.text.startswith("The whole grid is V·Aᵀ")


def test_output_from_the_unrounded_weights(hand):
    r = self_attention(**examples.attention_exercise(), mode="hand")
    hint = only_hint(check(hand["output"], typed(r.V @ (r.exp / r.sums), ".2f")))
    assert "unrounded weights" in hint.text


def test_weights_a_half_rounded_down(hand):
    # 9/12 = 0.75 is the sheet's one half: the sheet rounds it up, to 0.8 (not either way)
    A = hand["weights"].expected.copy()
    A[1, 3] = 0.7
    verdict = check(hand["weights"], typed(A, ".1f"))
    assert verdict.counts["wrong"] == 1 and verdict.status[1, 3] == "wrong"
    hint = only_hint(verdict)
    assert hint.where == "(k2, q4)"
    assert hint.text == (
        "9/12 = 0.75 is exactly half-way between two decimals: a half rounds up, as the "
        "sheet rounds it (0.75 → 0.8)."
    )


def test_output_from_a_half_rounded_down_says_why(hand):
    # whoever used 0.7 for 9/12 in A gets z4 = [4, 2, 7]: the 7 is explained, not a bare ✗
    r = self_attention(**examples.attention_exercise(), mode="hand")
    A = r.weights.copy()
    A[1, 3] = 0.7
    verdict = check(hand["output"], typed(r.V @ A))
    assert verdict.status[:, 3].tolist() == ["right", "right", "wrong"]
    hint = only_hint(verdict)
    assert hint.cells == ((2, 3),)
    assert hint.text == (
        "This uses A with 9/12 = 0.75 at (k2, q4) rounded down: a half rounds up, to 0.8 (step 8)."
    )


def test_no_half_no_half_slip():
    X = examples.attention_exercise()
    X["X"] = X["X"].copy()
    X["X"][5, 3] = -2  # notebook 1's Try this 1: no share is a half any more
    steps = attention_checks(self_attention(**X, mode="hand"))
    texts = [slip.hint for key in ("weights", "output") for slip in steps[key].slips]
    assert not any("half" in t for t in texts), texts


# --- self-attention, exact --------------------------------------------------------------


def test_exact_sums_ask_for_the_sum_of_e_to_the_x(exact):
    step = exact["sums"]
    assert step.title.startswith("Σ eˣ of each column")
    r = self_attention(**examples.attention_exercise(), mode="exact")
    np.testing.assert_allclose(step.expected, np.exp(r.scores / np.sqrt(3)).sum(axis=0))
    assert check(step, typed(step.expected, ".2f")).all_right


def test_exact_sums_with_scaling_skipped(exact):
    r = self_attention(**examples.attention_exercise(), mode="exact")
    hint = only_hint(check(exact["sums"], typed(np.exp(r.scores).sum(axis=0), ".2f")))
    assert "scaling was skipped" in hint.text


def test_exact_weights_with_scaling_skipped(exact):
    r = self_attention(**examples.attention_exercise(), mode="exact")
    e = np.exp(r.scores)
    hint = only_hint(check(exact["weights"], typed(e / e.sum(axis=0), ".2f")))
    assert "softmax of S" in hint.text


def test_exact_weights_with_the_temperature_left_out():
    r = self_attention(**examples.attention_exercise(), mode="exact", temperature=2.0)
    steps = attention_checks(r)
    plain = self_attention(**examples.attention_exercise(), mode="exact")
    hint = only_hint(check(steps["weights"], typed(plain.weights, ".2f")))
    assert "temperature was left out" in hint.text


# --- choosing among hints -----------------------------------------------------------


def test_no_hint_for_a_plain_wrong_number(hand):
    verdict = check(hand["sums"], [["17", "10", "7", "12"]])
    assert verdict.status[0, 0] == "wrong" and verdict.hints == ()


def test_a_grid_slip_is_ruled_out_by_a_cell_done_right(hand):
    S = hand["scores"].expected
    answers = typed(S.T)
    answers[1][0] = "4"  # (k2, q1) right, where the transpose would give 2
    answers[0][1] = "2"
    verdict = check(hand["scores"], answers)
    assert verdict.status[0, 1] == "right" and verdict.status[1, 0] == "right"
    assert verdict.hints == ()


def test_a_hint_needs_most_of_the_wrong_cells(hand):
    answers = typed(hand["scores"].expected)
    answers[2][0] = "5"  # a lost minus sign
    answers[0][0], answers[0][1], answers[1][1] = "30", "20", "7"  # three plain mistakes
    assert check(hand["scores"], answers).hints == ()


def test_the_likeliest_slip_wins_and_each_cell_gets_one_hint():
    step = Step(
        "s", "two slips agree on a cell", np.array([[60 / 9, 2.0, 3.0]]),
        slips=(Slip(np.array([[61 / 9, 5.0, 3.0]]), "first"),
               Slip(np.array([[61 / 9, 2.0, 7.0]]), "second"),
               Slip(np.array([[61 / 9, 5.0, 7.0]]), "third, explains both")),
    )  # fmt: skip
    assert [h.text for h in check(step, [["61/9", "2", "3"]]).hints] == ["first"]
    assert [h.text for h in check(step, [["61/9", "5", "7"]]).hints] == ["third, explains both"]


# --- vector database ------------------------------------------------------------------


@pytest.fixture(scope="module")
def vdb():
    ex = examples.vectordb_exercise()
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
    return encoder, ex


def test_vectordb_right_answers_as_fractions(vdb):
    encoder, ex = vdb
    steps = vectordb_steps(encoder, ex["database"], ex["query"])
    assert check(steps["scores"], [["44/9", "42/9", "62/9"]]).all_right
    pooled = [["1", "1", "5/3", "5/3"], ["2/3", "2/3", "2/3", "1"],
              ["1/3", "0", "1/3", "1/3"], ["1/3", "1/3", "2/3", "1/3"]]  # fmt: skip
    assert check(steps["pooled"], pooled).all_right
    assert check(
        steps["index"], [["5/3", "5/3", "7/3", "8/3"], ["2/3", "1/3", "1", "2/3"]]
    ).all_right


def test_vectordb_who_lost_its_last_entry(vdb):
    encoder, ex = vdb
    steps = vectordb_steps(encoder, ex["database"], ex["query"])
    verdict = check(steps["scores"], [["44/9", "40/9", "62/9"]])
    hint = only_hint(verdict)
    assert "'who' lost the last entry" in hint.text and "40/9" in hint.text


def test_vectordb_summed_pooling_gets_one_hint_not_also_the_bias(vdb):
    encoder, ex = vdb
    step = vectordb_steps(encoder, ex["database"], ex["query"])["pooled"]
    sums = [["3", "3", "5", "5"], ["2", "2", "2", "3"], ["1", "0", "1", "1"], ["1", "1", "2", "1"]]
    hint = only_hint(check(step, sums))
    assert "mean pooling divides the sum" in hint.text and hint.where == "the whole grid"


@pytest.mark.parametrize(
    ("row3", "row4", "words"),
    [
        (["0", "-1/3", "1/3", "0"], ["-1/3", "-1/3", "1/3", "-1/3"], "ReLU turns every negative"),
        (["0", "0", "1/3", "0"], ["0", "0", "1/3", "0"], "ReLU came after pooling"),
        (["1", "2/3", "4/3", "1"], ["1/3", "1/3", "2/3", "1/3"], "bias b was left out"),
    ],
)
def test_vectordb_pooling_slips(vdb, row3, row4, words):
    encoder, ex = vdb
    step = vectordb_steps(encoder, ex["database"], ex["query"])["pooled"]
    answers = [["1", "1", "5/3", "5/3"], ["2/3", "2/3", "2/3", "1"], row3, row4]
    assert words in only_hint(check(step, answers)).text


def test_vectordb_index_vectors_of_sums(vdb):
    encoder, ex = vdb
    step = vectordb_steps(encoder, ex["database"], ex["query"])["index"]
    assert (
        "mean pooling" in only_hint(check(step, [["5", "5", "7", "8"], ["2", "1", "3", "2"]])).text
    )


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        (["44", "42", "62"], "scores of summed vectors"),
        (["23/9", "22/9", "34/9"], "project both with P"),
        (["0.99", "1.00", "0.99"], "These are cosine scores"),
    ],
)
def test_vectordb_score_slips(vdb, answers, words):
    encoder, ex = vdb
    step = vectordb_steps(encoder, ex["database"], ex["query"])["scores"]
    assert words in only_hint(check(step, [answers])).text


def test_vectordb_cosine_scores_with_dot_products(vdb):
    encoder, ex = vdb
    step = vectordb_steps(encoder, ex["database"], ex["query"], "cosine")["scores"]
    assert "These are dot scores" in only_hint(check(step, [["44/9", "42/9", "62/9"]])).text


# --- mixture of experts ------------------------------------------------------------------


def moe_steps(top_k=1, gate_b=None, n_experts=2):
    ex = examples.random_moe(n_experts, 2)
    model = MixtureOfExperts(
        ex["gate_W"], ex["gate_b"] if gate_b is None else gate_b, ex["experts"], top_k=top_k
    )
    return moe_checks(model(ex["X"]))


def test_moe_right_answers():
    steps = moe_steps()
    assert check(steps["logits"], [["3", "4"], ["4", "3"]]).all_right
    assert check(steps["choice"], [["0", "1"], ["1", "0"]]).all_right
    assert check(steps["output"], [["4", "5"], ["3", "4"], ["1", "2"], ["5", "0"]]).all_right
    assert steps["choice"].title == "the choice: 1 for the chosen expert, 0 elsewhere"


def test_moe_experts_swapped():
    assert (
        "experts are swapped"
        in only_hint(check(moe_steps()["logits"], [["4", "3"], ["3", "4"]])).text
    )


def test_moe_gate_bias_left_out():
    step = moe_steps(gate_b=[1, -1])["logits"]
    assert step.expected.tolist() == [[4, 5], [3, 2]]
    assert "gate_b was left out" in only_hint(check(step, [["3", "4"], ["4", "3"]])).text


def test_moe_smaller_logit_chosen():
    assert "LARGEST" in only_hint(check(moe_steps()["choice"], [["1", "0"], ["0", "1"]])).text


def test_moe_probabilities_written_for_the_choice():
    # right after step 2's softmax, the probabilities instead of the 1s and 0s
    verdict = check(moe_steps()["choice"], [["0.269", "0.731"], ["0.731", "0.269"]])
    hint = only_hint(verdict)
    assert "These are the gate's probabilities" in hint.text
    assert "1 for the chosen expert" in hint.text
    # only where a probability was written: the 1s and 0s done right elsewhere are right
    verdict = check(moe_steps()["choice"], [["0.27", "1"], ["0.73", "0"]])
    assert only_hint(verdict).cells == ((0, 0), (1, 0))
    # top-2: a 1 for each chosen expert
    top2 = moe_steps(top_k=2, n_experts=3)
    probs = typed(_softmax(top2["logits"].expected), ".3f")
    assert "1 for each chosen expert" in only_hint(check(top2["choice"], probs)).text


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=0))
    return e / e.sum(axis=0)


def test_moe_relu_forgotten():
    verdict = check(moe_steps()["output"], [["4", "5"], ["3", "4"], ["1", "2"], ["5", "-1"]])
    assert "ReLU, which turns it into 0" in only_hint(verdict).text


def test_moe_other_expert_said_for_the_column():
    verdict = check(moe_steps()["output"], [["5", "5"], ["3", "4"], ["3", "2"], ["1", "0"]])
    hint = only_hint(verdict)
    assert "another expert's output" in hint.text and hint.where == "column X1"


def test_moe_dense_mixture():
    step = moe_steps()["output"]
    dense = step.slips[-1].values
    assert "mixes every expert" in only_hint(check(step, typed(dense, ".2f"))).text


def test_moe_top_k_choice_and_its_slips():
    steps = moe_steps(top_k=2, n_experts=3)
    choice = steps["choice"]
    assert choice.title == "the choice: 1 for each of the token's top 2 experts, 0 elsewhere"
    assert (choice.expected.sum(axis=0) == 2).all()
    best_only = np.zeros_like(choice.expected)
    best_only[np.argmax(steps["logits"].expected, axis=0), [0, 1]] = 1
    assert "Only the best expert" in only_hint(check(choice, typed(best_only))).text


def test_moe_top_k_output_slips():
    ex = examples.random_moe(3, 2)
    model = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"], top_k=2)
    r = model(ex["X"])
    step = moe_checks(r)["output"]
    assert "top 2" in step.title
    unweighted = r.expert_outputs[:, :, :2].sum(axis=0)
    assert "without their weights g" in only_hint(check(step, typed(unweighted, ".2f"))).text
    p = np.take_along_axis(r.gate_probs, r.chosen, axis=0)
    full = np.einsum("kn,kon->on", p, r.expert_outputs)
    assert "softmax over all experts" in only_hint(check(step, typed(full, ".4f"))).text


def test_vectordb_the_published_sheets_slip_typed_as_it_wrote_it(vdb):
    # The sheet encoded "who" as [1, 0, 0, 0] in both texts that have it: one hint, both cells.
    encoder, ex = vdb
    steps = vectordb_steps(encoder, ex["database"], ex["query"])
    hint = only_hint(check(steps["scores"], [["44/9", "40/9", "60/9"]]))
    assert "'who' lost the last entry" in hint.text and "in every text that has it" in hint.text
    assert "wrote 40/9 for 'who are you' and 60/9 for 'who am I'" in hint.text
    assert hint.cells == ((0, 1), (0, 2)) and hint.where == "who are you and who am I"


@pytest.mark.parametrize(
    ("answers", "text", "wrote"),
    [
        (["44/9", "40/9", "62/9"], "who are you", "40/9"),
        (["44/9", "42/9", "60/9"], "who am I", "60/9"),
    ],
)
def test_vectordb_who_slipped_in_one_text_names_what_the_sheet_wrote_there(
    vdb, answers, text, wrote
):
    encoder, ex = vdb
    steps = vectordb_steps(encoder, ex["database"], ex["query"])
    hint = only_hint(check(steps["scores"], [answers]))  # the other text done right
    assert hint.text.startswith(f"For {text!r}: it looks as if 'who' lost the last entry")
    assert hint.text.endswith(f"The published sheet made this slip and wrote {wrote} here.")
    assert hint.where == text


def test_vectordb_a_word_slipped_everywhere_off_the_sheet_names_no_sheet_number(vdb):
    # The query has "who" too: every score changes, and the sheet's numbers do not apply.
    encoder, ex = vdb
    steps = vectordb_steps(encoder, ex["database"], "who are you")
    slipped = [s for s in steps["scores"].slips if "in every text" in s.hint and "'who'" in s.hint]
    (slip,) = slipped
    hint = only_hint(check(steps["scores"], typed(slip.values, "frac")))
    assert "published sheet" not in hint.text and hint.where == "every cell"
    assert not np.allclose(slip.values, steps["scores"].expected)


def test_a_third_kept_is_named_alone_where_no_half_was_rounded_down():
    # Column q3 has no −½ (its scaled scores are 1, 0, −1, 1); typing 7⅓ there, a 3⁻¹
    # kept as ⅓, got "−½ was rounded down to −1 … and 3⁻¹ was kept as ⅓": half false.
    r = self_attention(**examples.attention_exercise(), mode="hand")
    sums = attention_checks(r)["sums"]
    assert not (np.floor(r.scores[:, 2] / r.divisor) != r.scaled[:, 2]).any()  # no −½
    for typed in ("7 1/3", "7.3"):
        verdict = check(sums, [["16", "10", typed, "12"]])
        assert [h.text for h in verdict.hints] == [
            "3⁻¹ was kept as ⅓; the sheet rounds it to a whole number, 0."
        ], typed


def test_a_slip_rounded_as_the_grid_asks_is_named_even_typed_as_a_whole_number():
    # Row sums instead of column sums, rounded to one decimal as the grid asks, with "0"
    # for 1/22 (as "0" is right where the answer is 0.0): no hint, though 0.0 got one.
    r = self_attention(**examples.attention_exercise(), mode="hand")
    weights = attention_checks(r)["weights"]
    rows = r.exp / r.exp.sum(axis=1, keepdims=True)
    for zero in ("0", "0.0"):
        typed = [[format_number(np.floor(v * 10 + 0.5) / 10, ".1f") for v in row] for row in rows]
        typed = [[zero if t in ("0.0", "-0.0") else t for t in row] for row in typed]
        assert zero in typed[1]
        hints = [h.text for h in check(weights, typed).hints]
        assert any(h.startswith("You divided by the row sums") for h in hints), (zero, hints)
