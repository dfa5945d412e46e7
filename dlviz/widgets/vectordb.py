"""The vector-database explorer: the sheet's seven steps, recomputed as you type or slide."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from dlviz import examples
from dlviz._table import html_table
from dlviz.checking import vectordb_checks
from dlviz.palette import FONT
from dlviz.plots import IndexVectorPlot, ScoreBars, WordMap
from dlviz.sheet import format_number, grid, labels, product, row
from dlviz.vectordb import (
    DatabaseSnapshot,
    SearchResult,
    SentenceEncoder,
    VectorDatabase,
    Vocabulary,
    ZeroVectorError,
)
from dlviz.widgets._texts import MAX_TEXTS as MAX_TEXTS  # the explorer's limits, named here
from dlviz.widgets._texts import MAX_WORDS as MAX_WORDS
from dlviz.widgets._texts import refuse_too_much, starting_texts
from dlviz.widgets.base import (
    Explorer,
    MatrixInput,
    StrictFloatSlider,
    StrictIntSlider,
    figure_image,
    step_panel,
    view_toggle,
)
from dlviz.widgets.ivf import IVFView, ivf_controls

STEP_NAMES = {
    1: "split into words",
    2: "embed and encode",
    3: "mean pooling",
    4: "project to 2-d",
    5: "store",
    6: "encode the query",
    7: "score and rank",
}

# The number formats a learner can pick: exact fractions as on the sheet, or decimals.
NUMBER_FORMATS = (("fractions", "frac"), ("decimals", ".3f"))
# Cosines are rarely fractions; three decimals tell 0.999 from 0.991.
COSINE_FORMAT = ".3f"

# Step 2 shows each text's E, W·E + b and H for the first this many texts (and the
# query); a class-sized database would otherwise fill pages with them on every move.
SHOWN_TEXT_BLOCKS = 6

# min, max and step of the P and b sliders: quarters keep the fractions readable (x/36).
SLIDER_RANGE = (-2.0, 2.0, 0.25)


def database_lines(text: str) -> list[tuple[int, str]]:
    """The texts of a database box as (line number from 1, text); blank lines are skipped."""
    return [(i, line.strip()) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _vector_text(v) -> str:
    return "[" + ", ".join(format_number(x, "frac") for x in v) + "]"


class _Html:
    """Ready-made HTML with the `.html` of the sheet's layouts."""

    def __init__(self, text: str):
        self.html = text


def _stack(*items) -> _Html:
    return _Html("".join(item.html for item in items))


def text_table(cells, *, rows, cols, title: str, name: str) -> _Html:
    """Words (not numbers) in a grid laid out like `dlviz.sheet.grid`: tokens, hits."""

    def cell(i: int, j: int) -> tuple[str, str, str]:
        text = cells[i][j] if j < len(cells[i]) else ""
        # Colours set on the cell itself, as the sheet's grids do: a dark theme keeps them legible.
        return text, "background:#fff;color:#000" if text else "border:0;background:transparent", ""

    if len(cells) != len(rows):
        raise ValueError(f"{len(cells)} rows of words for {len(rows)} row labels")
    return _Html(html_table(len(rows), len(cols), cell, rows=rows, cols=cols, title=title,
                            name=name))  # fmt: skip


def step_views(
    database: VectorDatabase,
    result: SearchResult,
    fmt: str = "frac",
    steps=range(1, 8),
    *,
    blocks: int = SHOWN_TEXT_BLOCKS,
) -> dict:
    """Each step of the exercise as (title, by-hand layout), for steps 1 to 7.

    steps: which to build (all by default); an explorer rebuilds only the steps whose
    numbers changed (a P slider leaves steps 1-3 as they are). blocks: step 2 shows
    the encoding of this many texts, and the query's (the projector view shows only
    the query's).

    Stored texts are s1, s2, … in the order added, the query is q. fmt: "frac" shows
    exact fractions (44/9), or a format spec such as ".3f".
    """
    encoder = database.encoder
    encodings = [*database.encodings, result.query]
    n = len(database)
    names = [*labels("s", n), "q"]
    texts = database.texts
    d = labels("d", encoder.vocabulary.dim)
    h = labels("h", encoder.hidden_dim)
    xy = ["x", "y"] if encoder.index_dim == 2 else labels("i", encoder.index_dim)

    longest = max(len(e.tokens) for e in encodings)
    tokens = (
        None
        if 1 not in steps
        else text_table(
            [e.tokens for e in encodings],
            rows=[f"{s}: {e.sentence}" for s, e in zip(names, encodings, strict=True)],
            cols=[str(i) for i in range(1, longest + 1)],
            title="tokens",
            name="tokens",
        )
    )

    model = row(
        grid(encoder.W, rows=h, cols=d, title="W", fmt=fmt, name="W"),
        grid(encoder.b[:, None], rows=h, cols=["b"], title="b", fmt=fmt, name="b"),
    )
    per_text = []  # one block per text, side by side where the page is wide enough
    # A class-sized database: the first texts' blocks and the query's, and a note.
    shown = [*range(min(n, blocks)), n] if 2 in steps else []
    for s, e in ((names[i], encodings[i]) for i in shown):
        suffix = "q" if s == "q" else s
        heading = f"{s} · {e.sentence}" + ("  (the query)" if s == "q" else "")
        layout = row(
            grid(e.embeddings, rows=d, cols=e.tokens, title="E", fmt=fmt,
                 name=f"embeddings_{suffix}"),
            grid(e.linear, rows=h, cols=e.tokens, title="W·E + b", fmt=fmt,
                 name=f"linear_{suffix}"),
            grid(e.encoded, rows=h, cols=e.tokens, title="H = ReLU(W·E + b)", fmt=fmt,
                 name=f"encoded_{suffix}"),
        )  # fmt: skip
        per_text.append(
            _Html(
                f'<div style="margin:8px 0 0 0;{FONT}"><b>{html.escape(heading)}</b></div>'
                + layout.html
            )
        )

    if n > blocks and shown:
        per_text.insert(
            blocks,
            _Html(
                f'<div style="margin:8px 0 0 0;{FONT}">… and {n - blocks} more '
                f"texts, encoded the same way (their pooled vectors are in step 3)</div>"
            ),
        )
    pooled = np.stack([e.pooled for e in encodings], axis=1)  # (hidden, n + 1)
    projected = np.stack([e.index_vector for e in encodings], axis=1)  # (index_dim, n + 1)
    pooled_grid = grid(pooled, rows=h, cols=names, title="pooled", fmt=fmt, name="pooled")
    projection = product(
        grid(encoder.P, rows=xy, cols=h, title="P", fmt=fmt, name="P"),
        grid(pooled, rows=h, cols=names, title="pooled", fmt=fmt, name="pooled_in_step_4"),
        grid(projected, cols=names, title="index vectors", fmt=fmt, name="projected"),
        "P · pooled",
    )

    stored = np.asarray(database.index_vectors)  # (index_dim, n)
    query = result.query.index_vector  # (index_dim,)
    store = grid(stored, rows=xy, cols=names[:n], title="the database", fmt=fmt,
                 name="index_vectors")  # fmt: skip
    query_grid = grid(query[:, None], rows=xy, cols=["q"], title="query", fmt=fmt,
                      name="query_vector")  # fmt: skip

    hit = np.zeros((n, 1), dtype=bool)
    hit[[found.index for found in result.hits], 0] = True
    if result.metric == "cosine":
        sfmt = COSINE_FORMAT if fmt == "frac" else fmt
        units = result.unit_index_vectors.T  # (n, index_dim): a cosine search refused zeros
        scores = product(
            grid(units, rows=names[:n], cols=xy, title="ŝ = s ÷ |s|", fmt=sfmt,
                 name="unit_index_vectors"),
            grid(result.unit_query[:, None], rows=xy, cols=["q̂"],
                 title="q̂ = q ÷ |q|", fmt=sfmt, name="unit_query_vector"),
            grid(result.scores[:, None], rows=names[:n], cols=["cos"], title="scores",
                 fmt=sfmt, outline=hit, name="scores"),
            "scores = ŝᵀ · q̂ = cos(angle)",
        )  # fmt: skip
    else:
        sfmt = fmt
        scores = product(
            grid(stored.T, rows=names[:n], cols=xy, title="index vectorsᵀ", fmt=fmt,
                 name="index_vectors_T"),
            grid(query[:, None], rows=xy, cols=["q"], title="q", fmt=fmt),
            grid(result.scores[:, None], rows=names[:n], cols=["s·q"], title="scores",
                 fmt=fmt, outline=hit, name="scores"),
            "scores = index vectorsᵀ · q",
        )  # fmt: skip
    hits = text_table(
        [[texts[found.index], format_number(found.score, sfmt)] for found in result.hits],
        rows=[f"#{r}" for r in range(1, len(result.hits) + 1)],
        cols=["text", "score"],
        title=f"the {len(result.hits)} nearest" if len(result.hits) > 1 else "the nearest",
        name="hits",
    )
    how = "cosine" if result.metric == "cosine" else "dot product"
    views = {
        1: ("Step 1 · split each text into words (tokens)", tokens),
        2: (
            "Step 2 · look up each word's embedding e (a column of E), "
            "encode it: h = ReLU(W·e + b)",
            _stack(model, row(*per_text)),
        ),
        3: ("Step 3 · mean pooling: the average of each text's columns of H", pooled_grid),
        4: ("Step 4 · project to 2-d: index vector = P · pooled", projection),
        5: ("Step 5 · store the texts' index vectors, one column per text", store),
        6: ("Step 6 · the query goes through steps 1-4 the same way", query_grid),
        7: (f"Step 7 · score every text by its {how} with the query; rank", row(scores, hits)),
    }
    return {k: views[k] for k in steps}


class VectorDBExplorer(Explorer):
    """A vector database with live controls: type a query or texts, slide P and b.

    controls: "query" (Text), "database" (Textarea, one text per line; blank lines
    are ignored), "k" (how many hits; its maximum follows the number of texts),
    "metric" ("dot"/"cosine"), "numbers" ("frac" or ".3f"), one FloatSlider per
    entry of the projection, "P[1,1]" … "P[2,4]", and of the encoder's bias,
    "b[1]" … "b[4]" (counted from 1, as the sheet's rows and columns), "W" (a
    `MatrixInput`), "reset" (a button back to the exercise), and for approximate search
    "n_lists" (k-means cells, up to the number of texts) and "nprobe" (lists read,
    up to n_lists), shown in the "approximate search (IVF)" section. `result` is the
    current `SearchResult`, `database` its `VectorDatabase`.

    Starting values (all optional, the exercise's by default): the texts, the query,
    k, the metric, W, b, P (two rows: the picture is of 2-d index vectors) and the
    word embeddings. Values that cannot be searched are refused with a ValueError.
    The keys are those of `examples.vectordb_exercise`, so a fresh exercise loads in
    one line: ``VectorDBExplorer(**examples.vectordb_exercise(7))``; the reset button
    goes back to the numbers the explorer started from.

    "view" ("all" steps, or "projector": the step on the "step" slider only, 1-7, in
    large type, the texts and the model folded away) and "step" are the projector view's.
    """

    def __init__(
        self, database=None, query: str | None = None, *, k: int = 1, metric: str = "dot",
        W=None, b=None, P=None, embeddings=None,
    ):  # fmt: skip
        ex = examples.vectordb_exercise()
        texts = starting_texts(ex["database"] if database is None else database)
        query = ex["query"] if query is None else query
        if isinstance(query, str):  # anything else is refused by the search below
            refuse_too_much(list(enumerate(texts, start=1)), query)
        # "back to the exercise" returns to the numbers it started from (the sheet's, or
        # a fresh exercise's: VectorDBExplorer(**examples.vectordb_exercise(7))).
        self._exercise = {
            "database": texts,
            "query": query,
            **{k: np.asarray(ex[k] if v is None else v) for k, v in (("W", W), ("b", b), ("P", P))},
        }
        vocabulary = Vocabulary(ex["embeddings"] if embeddings is None else embeddings)
        encoder = SentenceEncoder(
            vocabulary,
            ex["W"] if W is None else W,
            ex["b"] if b is None else b,
            ex["P"] if P is None else P,
        )
        first = VectorDatabase(encoder)  # refuse bad starting values loudly
        first.add(texts)
        start = first.search(query, k=k, metric=metric)
        self._encoder = encoder
        P0, b0 = encoder.P, encoder.b

        wide = {"description_width": "initial"}
        low, high, step = SLIDER_RANGE

        def slider(name, value):
            return StrictFloatSlider(
                value=float(value), min=min(low, float(value)), max=max(high, float(value)),
                step=step, description=name, readout_format=".2f", continuous_update=True,
                style={"description_width": "3.3em"}, layout=widgets.Layout(width="15em"),
            )  # fmt: skip

        P_sliders = {
            f"P[{i + 1},{j + 1}]": slider(f"P[{i + 1},{j + 1}]", P0[i, j])
            for i in range(P0.shape[0])
            for j in range(P0.shape[1])
        }
        b_sliders = {f"b[{i}]": slider(f"b[{i}]", v) for i, v in enumerate(b0, start=1)}
        hidden, dim = encoder.W.shape
        controls = {
            "query": widgets.Text(
                value=query, description="query", placeholder="type a few words",
                layout=widgets.Layout(width="22em"), style=wide,
            ),
            "database": widgets.Textarea(
                value="\n".join(texts), description="database", placeholder="one text per line",
                rows=max(4, len(texts) + 1), layout=widgets.Layout(width="22em"), style=wide,
            ),
            "k": StrictIntSlider(
                value=min(k, len(texts)), min=1, max=len(texts), description="k (hits)",
                style=wide, layout=widgets.Layout(width="16em"),
            ),
            "metric": widgets.ToggleButtons(
                options=[("dot", "dot"), ("cosine", "cosine")], value=metric,
                description="metric", style={"button_width": "5.5em", **wide},
                tooltips=["the sheet's dot product: length counts",
                          "cosine of the angle: direction only"],
            ),
            "numbers": widgets.ToggleButtons(
                options=list(NUMBER_FORMATS), value="frac", description="numbers",
                style={"button_width": "6.5em", **wide},
                tooltips=["exact fractions, as on the sheet (44/9)", "decimals (4.889)"],
            ),
            **P_sliders,
            **b_sliders,
            "W": MatrixInput(encoder.W, rows=labels("h", hidden), cols=labels("d", dim), title="W"),
            "reset": widgets.Button(
                description="back to the exercise", icon="undo",
                layout=widgets.Layout(width="auto"),
            ),
            "view": view_toggle(),
            "step": StrictIntSlider(
                value=7, min=1, max=len(STEP_NAMES), description="step",
                style={"description_width": "initial"}, layout=widgets.Layout(width="20em"),
            ),
            **ivf_controls(len(texts)),
        }  # fmt: skip
        super().__init__(controls)
        controls["reset"].on_click(lambda _: self.reset())

        self.panels = {k: widgets.HTML() for k in STEP_NAMES}
        self._early_key = None  # what steps 1-3 show (see `show`)
        self.nearest = widgets.HTML()
        self.projection = IndexVectorPlot(first, start)  # needs 2-d index vectors: P 2×hidden
        self.bars = ScoreBars(first, start)
        self.word_map = WordMap(vocabulary)
        self.projection_image = figure_image(self.projection)
        self.bars_image = figure_image(self.bars)
        self.word_image = figure_image(self.word_map)
        self._ringed: tuple[str, ...] | None = None

        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        sliders = widgets.GridBox(
            [*P_sliders.values(), *b_sliders.values()],
            layout=widgets.Layout(
                grid_template_columns=f"repeat({P0.shape[1]}, 15.5em)", grid_gap="0 4px"
            ),
        )
        model = widgets.VBox(
            [
                widgets.HTML(
                    "<b>The model.</b> Slide an entry of the projection P or of the bias b "
                    "and watch the points move:"
                ),
                sliders,
            ]
        )
        inputs = widgets.Accordion(
            [widgets.VBox([controls["W"]])], titles=("edit the encoder weights W",)
        )
        words = self.words_box = widgets.Accordion(
            [self.word_image], titles=("map of the words (their embeddings, flattened by PCA)",)
        )
        # Drawn while open only: a closed map would cost every query change a picture.
        words.observe(lambda _: self._ring_query_words(), names="selected_index")
        self.ivf_view = IVFView({name: controls[name] for name in ("n_lists", "nprobe")})
        ivf = self.ivf_box = widgets.Accordion(
            [self.ivf_view], titles=("approximate search (IVF): k-means cells and nprobe",)
        )
        ivf.observe(lambda _: self._show_ivf(self.database, self.result), names="selected_index")
        search = [controls["query"], controls["metric"], controls["k"]]
        texts_and_model = widgets.HBox(
            [controls["database"], model], layout=widgets.Layout(flex_flow="row wrap")
        )
        self.step_name = widgets.HTML()
        self.focus = widgets.HTML().add_class("dlviz-focus")  # the projector view's step
        self._views = {
            "all": [
                widgets.HBox([*search, controls["numbers"]], layout=wrap),
                texts_and_model,
                widgets.HBox([controls["reset"], self.nearest, controls["view"]], layout=wrap),
                inputs,
                self.message,
                widgets.HBox(
                    [self.projection_image, self.bars_image],
                    layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"),
                ),
                *self.panels.values(),
                words,
                ivf,
            ],
            # The projector view: the search controls and the chosen step alone, in large
            # type; the texts and the model fold away below it.
            "projector": [
                widgets.HBox(search, layout=wrap),
                widgets.HBox([controls["step"], self.step_name, controls["view"]], layout=wrap),
                self.message,
                self.focus,
                widgets.Accordion(
                    [
                        widgets.VBox(
                            [controls["numbers"], texts_and_model, controls["W"], controls["reset"]]
                        )
                    ],
                    titles=("numbers, the texts and the model: P, b, W",),
                ),
            ],
        }
        self.children = self._views["all"]
        self.refresh()

    # -- computing ----------------------------------------------------------------------

    def _params(self) -> dict:
        c = self.controls
        P = [[c[f"P[{i},{j}]"].value for j in range(1, self._encoder.hidden_dim + 1)]
             for i in range(1, self._encoder.index_dim + 1)]  # fmt: skip
        b = [c[f"b[{i}]"].value for i in range(1, self._encoder.hidden_dim + 1)]
        return {"W": c["W"].value, "b": b, "P": P}

    def compute(self) -> SearchResult:
        c = self.controls
        encoder = self._encoder.with_params(**self._params())
        lines = database_lines(c["database"].value)
        if not lines:
            raise ValueError(
                "the database is empty: type at least one text in the box, one per line "
                "(blank lines are skipped)"
            )
        refuse_too_much(lines, c["query"].value)
        database = VectorDatabase(encoder)
        for number, text in lines:
            try:
                database.add(text)
            except ValueError as exc:
                raise ValueError(f"database line {number}: {exc}") from None
        query = c["query"].value
        if not query.strip():
            raise ValueError("the query is empty: type a few words, e.g. 'am I you'")
        metric = c["metric"].value
        # The k slider follows the number of texts (see `show`); until then, cap k here.
        try:
            return database.search(query, k=min(c["k"].value, len(database)), metric=metric)
        except ZeroVectorError as exc:
            raise ValueError(_zero_vector_words(exc, lines)) from None

    # -- showing ------------------------------------------------------------------------

    def show(self, result: SearchResult) -> None:
        database = result.database
        fmt = self.controls["numbers"].value
        self._follow_k(len(database))
        view = self.controls["view"].value
        if self.children != tuple(self._views[view]):
            self.children = self._views[view]
            self._early_key = None  # the walk-through was not kept up to date meanwhile
        if view == "projector":
            self._show_focus(database, result, fmt)
            return
        # Steps 1-3 depend on the texts, the query, W, b and the number format only: a
        # P slider, the metric or k leave them as they are, and they are not rebuilt.
        enc = database.encoder
        early = (database.texts, result.query.sentence, fmt, enc.W.tobytes(), enc.b.tobytes())
        steps = range(1, 8) if early != self._early_key else range(4, 8)
        self._early_key = early
        for k, (title, body) in step_views(database, result, fmt, steps).items():
            self.panels[k].value = step_panel(title, body)
        best = result.hits[0]
        sfmt = COSINE_FORMAT if result.metric == "cosine" and fmt == "frac" else fmt
        self.nearest.value = (
            f"&nbsp; nearest to <b>{html.escape(result.query.sentence)}</b>: "
            f"<b>{html.escape(best.text)}</b> (score {format_number(best.score, sfmt)})"
        )
        self.projection.show(database, result)
        self.projection_image.value = self.projection.png()
        self.bars.show(database, result, fmt=fmt)
        self.bars_image.value = self.bars.png()
        self._ring_query_words(result)
        self._show_ivf(database, result)

    def _show_ivf(self, database, result) -> None:
        """The lists slider reaches the number of texts, nprobe the lists; drawn while open."""
        self._follow_max("n_lists", len(database))
        self._follow_max("nprobe", min(self.controls["n_lists"].value, len(database)))
        if self.ivf_box.selected_index is not None:
            self.ivf_view.show(database, result)

    def _show_focus(self, database, result, fmt: str) -> None:
        """The projector view: the step on the slider only, in large type."""
        step = self.controls["step"].value
        self.step_name.value = f"<i>{STEP_NAMES[step]}</i>"
        title, body = step_views(database, result, fmt, [step], blocks=0)[step]
        best = result.hits[0]
        self.nearest.value = f"&nbsp; nearest: <b>{html.escape(best.text)}</b>"
        self.focus.value = step_panel(title, body, large=True)

    def _ring_query_words(self, result=None) -> None:
        """Ring the query's words on the word map, if it is open and they changed."""
        result = result if result is not None else self.result
        tokens = result.query.tokens
        if self.words_box.selected_index is not None and tokens != self._ringed:
            self._ringed = tokens
            self.word_map.highlight(tokens)
            self.word_image.value = self.word_map.png()

    def _follow_k(self, n: int) -> None:
        """Let the k slider reach exactly the number of texts, without a second recompute."""
        self._follow_max("k", n)

    def _follow_max(self, name: str, n: int) -> None:
        """A slider's maximum set to n without a second recompute (its value is capped in use)."""
        slider = self.controls[name]
        if slider.max != n:
            self._held += 1  # lowering max may lower the value: already capped in use
            try:
                slider.max = n
            finally:
                self._held -= 1

    def checks(self) -> dict:
        """The steps a learner can check by hand (`HandCheck.follow`), for the current numbers."""
        return vectordb_checks(self.result, self._exercise)

    @property
    def database(self) -> DatabaseSnapshot:
        """The database the current result searched (`result.database`)."""
        return self.result.database

    def figures(self) -> list:
        return [self.projection, self.bars, self.word_map]

    def _summary(self) -> dict:
        c = self.controls
        return {
            "query": c["query"].value,
            "k": c["k"].value,
            "metric": c["metric"].value,
            "texts": len(database_lines(c["database"].value)),
        }

    def reset(self) -> None:
        """Back to the starting exercise: its texts, query, W, b and P; k = 1, dot product."""
        ex = self._exercise
        c = self.controls
        with self.hold():
            c["query"].value = ex["query"]
            c["database"].value = "\n".join(ex["database"])
            c["W"].value = ex["W"].tolist()
            for i, v in enumerate(ex["b"], start=1):
                c[f"b[{i}]"].value = float(v)
            for (i, j), v in np.ndenumerate(ex["P"]):
                c[f"P[{i + 1},{j + 1}]"].value = float(v)
            c["metric"].value = "dot"
            c["k"].value = 1


def _zero_vector_words(exc: ZeroVectorError, lines) -> str:
    """Why cosine cannot rank, in the learner's words: which index vector has no angle."""
    fix = "change P or b, or switch the metric to dot"
    vector = exc.encoding.index_vector
    why = (
        "a zero vector points nowhere"
        if not vector.any()
        else "its numbers are so small (below 2.2e-308) that a float has lost the digits "
        "of its direction"
    )
    if exc.index is None:
        return (
            f"cosine compares directions, but the query {exc.encoding.sentence!r} has index "
            f"vector {_vector_text(vector)}: {why}, so its angle with the texts is "
            f"undefined. Change the query, {fix}."
        )
    number = lines[exc.index][0]
    return (
        f"cosine compares directions, but {exc.encoding.sentence!r} (database line "
        f"{number}) has index vector {_vector_text(vector)}: {why}, so its angle with "
        f"the query is undefined. Remove that line, {fix}."
    )
