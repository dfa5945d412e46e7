"""Print a worksheet with fresh numbers, and its answer key on a page of its own.

    python tools/worksheet.py attention 7 worksheet.html
    python tools/worksheet.py vectordb 7 worksheet.html
    python tools/worksheet.py moe 7 worksheet.html

EXERCISE is attention, vectordb or moe; SEED is a whole number (the same seed gives
the same numbers, `examples.<exercise>_exercise(SEED)`); OUT is the HTML page to
write. Open it in a browser and print it (or: chromium --headless --print-to-pdf).
The first page(s) hold the inputs and an empty grid for every step, laid out by hand
(the left factor on the left, the right one above, the product where they cross);
then, on a new page, the answer key: every intermediate step, computed by dlviz.
Both say the one line that loads the same numbers into the notebook.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout, without installing dlviz

from dlviz import examples  # noqa: E402
from dlviz.sheet import grid, labels, product, row  # noqa: E402

EXERCISES = ("attention", "vectordb", "moe")

# Grids whose data-name starts with this are what the learner finds: blank on the
# worksheet, filled on the key. The rest (inputs) are printed on both.
FIND = "find-"

_CSS = """
@page { size: A4; margin: 14mm; }
body { font-family: system-ui, sans-serif; font-size: 11pt; color: #000; margin: 0 auto;
       max-width: 190mm; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 16pt; margin: 0 0 2mm 0; }
h2 { font-size: 12pt; margin: 5mm 0 1mm 0; break-after: avoid; }
p { margin: 1mm 0; }
.step { break-inside: avoid; }
.rules { border: 1px solid #888; padding: 2mm 3mm; margin: 2mm 0; }
.load { font-family: ui-monospace, Menlo, Consolas, monospace; background: #f3f3f3;
        padding: 1mm 2mm; border: 1px solid #ccc; display: inline-block; }
.key { break-before: page; }
.name { text-align: right; font-size: 10pt; margin: 0; }
table[data-name] td { min-width: 8.5mm !important; height: 6.5mm !important;
                      font-size: 10.5pt !important; padding: 0 3px !important; }
table[data-name] th { font-size: 9pt !important; color: #333 !important; }
table[data-name] caption { font-size: 10pt; }
"""


def _given(values, **kw):
    return grid(values, tinted=False, **kw)


def _find(values, name, **kw):
    return grid(values, tinted=False, name=FIND + name, **kw)


def _step(title: str, text: str, *items) -> str:
    body = "".join(item.html if hasattr(item, "html") else item for item in items)
    what = f"<p>{text}</p>" if text else ""
    return f'<div class="step"><h2>{html.escape(title)}</h2>{what}{body}</div>'


class _Html:
    """Ready-made HTML, with the `.html` that `dlviz.sheet.row` reads."""

    def __init__(self, text: str):
        self.html = text


def _stacked(top, pairs) -> _Html:
    """Products sharing a right factor, laid out by hand: `top` once, above the results,
    and each left factor beside its result (`left · top = result`), one pair a line.
    A left factor may be "" (a grid written under `top`, such as its column sums)."""
    cell = "vertical-align:bottom;padding:2px 4px;border:0;background:transparent"
    lines = [f'<tr><td style="{cell}"></td><td style="{cell}">{top.html}</td></tr>']
    lines += [
        f'<tr><td style="{cell};vertical-align:top">{getattr(left, "html", left)}</td>'
        f'<td style="{cell};vertical-align:top">{result.html}</td></tr>'
        for left, result in pairs
    ]
    return _Html(f'<table style="border-collapse:collapse">{"".join(lines)}</table>')


def _column(v) -> np.ndarray:
    return np.asarray(v, dtype=float)[:, None]


# --------------------------------------------------------------------------- attention


def attention_steps(seed: int | None) -> tuple[str, list[str]]:
    """Exercise 1 by hand: the steps, each with its grids. Returns (rules, steps)."""
    from dlviz import self_attention

    ex = examples.attention_exercise(seed)
    r = self_attention(**ex, mode="hand")
    n, d = r.n_tokens, r.X.shape[0]
    f, x, q, k, v = (labels(p, m) for p, m in (("f", d), ("x", n), ("q", n), ("k", n), ("v", n)))
    dk = labels("", r.d_k)
    X = _given(r.X, rows=f, cols=x, title="X", name="X")
    rules = (
        "By hand, as on the sheet: scale by dividing by 2 (for √3) and cut off the "
        "decimals (toward zero: −½ → 0); use 3ˣ for eˣ, rounded to a whole number "
        "(3⁻¹ → 0); round each weight to one decimal."
    )
    steps = [
        _step(
            "Step 2 · queries, keys and values",
            "Each column of X is a token. Multiply each weight matrix by X: the row of W "
            "beside a cell times the column of X above it.",
            _stacked(
                X,
                [
                    (
                        _given(r.WQ, rows=dk, cols=f, title="WQ", name="WQ"),
                        _find(r.Q, "Q", cols=q, title="Q = WQ·X"),
                    ),
                    (
                        _given(r.WK, rows=dk, cols=f, title="WK", name="WK"),
                        _find(r.K, "K", cols=k, title="K = WK·X"),
                    ),
                    (
                        _given(r.WV, rows=dk, cols=f, title="WV", name="WV"),
                        _find(r.V, "V", cols=v, title="V = WV·X"),
                    ),
                ],
            ),
        ),  # fmt: skip
        _step(
            "Steps 3 and 4 · scores S = Kᵀ·Q",
            "Copy K turned on its side (Kᵀ: a row per key) and Q; multiply.",
            product(
                _find(r.K.T, "KT", rows=k, title="Kᵀ"),
                _find(r.Q, "Q", cols=q, title="Q"),
                _find(r.scores, "scores", rows=k, cols=q, title="S"),
            ),
        ),
        _step(
            "Steps 5 to 8 · scale, exponential, column sums, weights",
            "5: divide each score by 2, cut off the decimals (toward zero). 6: write 3ˣ for "
            "each (3⁻¹ and below → 0). 7: add up each column. 8: divide each number by its "
            "column's sum, round to one decimal.",
            row(
                _find(r.scaled, "scaled", rows=k, cols=q, title="5 · S ÷ 2, truncated"),
                _stacked(
                    _find(r.exp, "exp", rows=k, cols=q, title="6 · 3ˣ"),
                    [("", _find(r.sums, "sums", rows=["Σ"], cols=q, title="7 · column sums"))],
                ),
                _find(r.weights, "weights", rows=k, cols=q, title="8 · A", fmt=".1f"),
            ),
        ),
        _step(
            "Step 9 · output Z = V·A",
            "Copy V and A, and multiply: column j of Z mixes the values with query j's weights.",
            product(
                _find(r.V, "V", cols=v, title="V"),
                _find(r.weights, "weights", rows=k, cols=q, title="A", fmt=".1f"),
                _find(r.output, "output", cols=labels("z", n), title="Z"),
            ),
        ),
    ]
    return rules, steps


# --------------------------------------------------------------------------- vector database


def vectordb_steps(seed: int | None) -> tuple[str, list[str]]:
    """Exercise 2 by hand: each text and the query encoded, then scored."""
    from dlviz import SentenceEncoder, VectorDatabase, Vocabulary

    ex = examples.vectordb_exercise(seed)
    encoder = SentenceEncoder(Vocabulary(ex["embeddings"]), ex["W"], ex["b"], ex["P"])
    db = VectorDatabase(encoder)
    db.add(ex["database"])
    result = db.search(ex["query"], k=len(db))
    h, dims = labels("h", encoder.hidden_dim), labels("d", encoder.vocabulary.dim)
    used = list(dict.fromkeys(w for t in [*ex["database"], ex["query"]] for w in t.split()))
    table = np.column_stack([ex["embeddings"][w] for w in used])  # (dim, n_words)
    names = [*labels("s", len(db)), "q"]
    texts = "".join(
        f"<li><b>{s}</b>: “{html.escape(t)}”</li>"
        for s, t in zip(names, [*ex["database"], ex["query"]], strict=True)
    )
    rules = (
        "For each text: look up each word's vector (a column of E), encode h = ReLU(W·e + b) "
        "(ReLU turns negatives into 0), take the mean of the columns, project with P. Then "
        "score each stored text by the dot product of its index vector with the query's. "
        "Write fractions (44/9), not decimals."
    )
    steps = [
        _step(
            "Inputs",
            f"The database holds three texts; the query is <b>q</b>.<ul>{texts}</ul>",
            row(
                _given(table, rows=dims, cols=used, title="word vectors", name="words"),
                _given(encoder.W, rows=h, cols=dims, title="W", name="W"),
                _given(_column(encoder.b), rows=h, cols=["b"], title="b", name="b"),
                _given(encoder.P, rows=["x", "y"], cols=h, title="P", name="P"),
            ),
        )
    ]
    for s, e in zip(names, [*db.encodings, result.query], strict=True):
        toks = list(e.tokens)
        steps.append(
            _step(
                f"Steps 1–4 · {s}: “{e.sentence}”" + (" (the query, step 6)" if s == "q" else ""),
                "",
                row(
                    _stacked(
                        _find(e.embeddings, f"E-{s}", rows=dims, cols=toks, title="E: the words"),
                        [(_given(encoder.W, rows=h, cols=dims, title="W", name="W"),
                          _find(e.linear, f"linear-{s}", rows=h, cols=toks, title="W·E + b"))],
                    ),
                    _find(e.encoded, f"encoded-{s}", rows=h, cols=toks, title="ReLU"),
                    _stacked(
                        _find(_column(e.pooled), f"pooled-{s}", rows=h, title="mean", fmt="frac"),
                        [("", _find(_column(e.index_vector), f"index-{s}", rows=["x", "y"],
                                    title="index: P·mean", fmt="frac"))],
                    ),
                ),
            )
        )  # fmt: skip
    steps.append(
        _step(
            "Step 7 · score and rank",
            "The dot product of the query's index vector with each text's. "
            "Circle the nearest text.",
            _find(result.scores, "scores", rows=["q ·"], cols=names[:-1], title="score",
                  fmt="frac"),
            f'<p data-name="{FIND}nearest">nearest text: '
            f'<span class="answer">{html.escape(result.hits[0].text)}</span></p>',
        )
    )  # fmt: skip
    return rules, steps


# --------------------------------------------------------------------------- mixture of experts


def moe_steps(seed: int | None) -> tuple[str, list[str]]:
    """Exercise 3 by hand: the gate's logits and choice, then the chosen expert and ReLU."""
    from dlviz import MixtureOfExperts

    ex = examples.moe_exercise(seed)
    moe = MixtureOfExperts(ex["gate_W"], ex["gate_b"], ex["experts"])
    r = moe(ex["X"])
    tokens, experts = labels("X", 2), [f"expert {e + 1}" for e in range(moe.n_experts)]
    inp, out = labels("", 3), labels("y", 4)
    X = _given(r.X, rows=inp, cols=tokens, title="X", name="X")
    rules = (
        "The gate scores each expert: logits = W·x + b (a row per expert). Each token goes "
        "to the expert with the larger logit (the sheet's hard max, top-1); that expert "
        "computes W·x + b, and ReLU turns negatives into 0."
    )
    expert_grids = []
    for e, (W, b) in enumerate(moe.experts):
        expert_grids += [
            _given(W, rows=out, cols=inp, title=f"expert {e + 1}: W", name=f"W{e + 1}"),
            _given(_column(b), rows=out, cols=["b"], title="b", name=f"b{e + 1}"),
        ]
    choice = (r.chosen[0] + 1).astype(float)[None, :]  # (1, n_tokens), experts from 1
    work = []
    for t in range(2):
        e = int(r.chosen[0, t])
        W, b = moe.experts[e]
        work.append(
            _stacked(
                _given(r.X[:, [t]], rows=inp, cols=[tokens[t]], title=tokens[t], name=f"x{t + 1}"),
                [(_find(W, f"W-X{t + 1}", rows=out, cols=inp, title="W of its expert"),
                  _find(r.expert_linear[0][:, [t]], f"linear-X{t + 1}", cols=["W·x + b"],
                        title="W·x + b"))],
            )
        )  # fmt: skip
    steps = [
        _step(
            "Inputs",
            "Two tokens (columns of X), a gate with a row per expert, and two experts.",
            row(
                X,
                _given(moe.gate_W, rows=experts, cols=inp, title="gate W", name="gate_W"),
                _given(
                    _column(moe.gate_b), rows=experts, cols=["b"], title="gate b", name="gate_b"
                ),
            ),
            row(*expert_grids),
        ),  # fmt: skip
        _step(
            "Step 1 · gate logits",
            "Multiply the gate's W by X, then add the gate's b to each column.",
            product(
                _given(moe.gate_W, title="gate W", name="gate_W"),
                X,
                _find(r.gate_logits, "logits", rows=experts, title="W·X + b"),
            ),
        ),
        _step(
            "Step 2 · softmax (with a calculator, three decimals)",
            "e to each logit, divided by its column's total.",
            _find(r.gate_probs, "probs", rows=experts, cols=tokens, title="softmax", fmt=".3f"),
        ),
        _step(
            "Step 3 · the choice",
            "Which expert does each token go to (the larger logit)?",
            _find(choice, "choice", rows=["expert"], cols=tokens, title="chosen expert"),
        ),
        _step(
            "Step 4 · the chosen expert's linear layer",
            "Copy the W of the expert you chose for each token, multiply, add its b.",
            row(*work),
        ),
        _step(
            "Step 5 · ReLU: the output",
            "Negatives become 0.",
            _find(r.output, "output", rows=out, cols=tokens, title="ReLU(W·x + b)"),
        ),
    ]
    return rules, steps


STEPS = {"attention": attention_steps, "vectordb": vectordb_steps, "moe": moe_steps}
TITLES = {
    "attention": "Self-attention by hand",
    "vectordb": "A vector database by hand",
    "moe": "A mixture of experts by hand",
}
EXPLORERS = {"attention": "AttentionExplorer", "vectordb": "VectorDBExplorer", "moe": "MoEExplorer"}


def load_line(exercise: str, seed: int) -> str:
    """The one line that loads this worksheet's numbers into the notebook's explorer."""
    return f"{EXPLORERS[exercise]}(**examples.{exercise}_exercise({seed}))"


def _blank(page: str) -> str:
    """Empty every cell of the grids to find (and the nearest text), keep the inputs."""

    def empty(table: re.Match) -> str:
        return re.sub(r"(<td [^>]*>)[^<]*(</td>)", r"\1\2", table.group(0))

    page = re.sub(rf'<table [^>]*data-name="{FIND}.*?</table>', empty, page, flags=re.S)
    return re.sub(r'<span class="answer">[^<]*</span>', "_" * 24, page)


def worksheet(exercise: str, seed: int) -> str:
    """The whole printable page (HTML): the worksheet, then the answer key on a new page."""
    if exercise not in STEPS:
        raise ValueError(f"exercise must be one of {', '.join(EXERCISES)}, got {exercise!r}")
    rules, steps = STEPS[exercise](seed)
    title = f"{TITLES[exercise]} · worksheet {seed}"
    load = (
        '<p>Check your work in the notebook: <span class="load">from dlviz import '
        f"{EXPLORERS[exercise]}, examples; {html.escape(load_line(exercise, seed))}</span></p>"
    )
    body = "".join(steps)
    head = f'<p class="rules">{html.escape(rules)}</p>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<section class="worksheet"><p class="name">Name: ____________________</p>'
        f"<h1>{html.escape(title)}</h1>{head}{load}{_blank(body)}</section>"
        f'<section class="key"><h1>{html.escape(title)} · answer key</h1>{load}{body}</section>'
        "</body></html>"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", choices=EXERCISES)
    parser.add_argument("seed", type=int, help="a whole number ≥ 0: which fresh numbers")
    parser.add_argument("out", type=Path, help="the HTML page to write")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"seed must be a whole number ≥ 0, got {args.seed}")
    args.out.write_text(worksheet(args.exercise, args.seed), encoding="utf-8")
    print(f"wrote {args.out}: {TITLES[args.exercise]}, worksheet {args.seed}, and its key")
    return 0


if __name__ == "__main__":
    sys.exit(main())
