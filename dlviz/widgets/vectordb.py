"""The vector-database explorer: the sheet's seven steps, recomputed as you type or slide."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from dlviz import examples
from dlviz._format import distinct_decimals
from dlviz._numerics import same_score
from dlviz.checking import vectordb_checks
from dlviz.plots import IndexVectorPlot, ScoreBars, WordMap
from dlviz.sheet import format_number
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
from dlviz.widgets._texts import database_lines as database_lines
from dlviz.widgets._texts import refuse_too_much, starting_texts, zero_vector_words
from dlviz.widgets.base import Explorer, figure_image, focus_panel, step_panel
from dlviz.widgets.ivf import IVFView
from dlviz.widgets.vectordb_controls import NUMBER_FORMATS as NUMBER_FORMATS
from dlviz.widgets.vectordb_controls import SLIDER_RANGE as SLIDER_RANGE
from dlviz.widgets.vectordb_controls import model_box, vectordb_controls
from dlviz.widgets.vectordb_steps import SHOWN_TEXT_BLOCKS as SHOWN_TEXT_BLOCKS
from dlviz.widgets.vectordb_steps import STEP_NAMES, step_views
from dlviz.widgets.vectordb_steps import text_table as text_table


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
            "embeddings": dict(ex["embeddings"] if embeddings is None else embeddings),
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
        controls = vectordb_controls(encoder, texts, query, k, metric)
        super().__init__(controls)
        controls["reset"].on_click(lambda _: self.reset())

        self.panels = {  # one under another: drawn near the screen only (see THEME_CSS)
            k: widgets.HTML().add_class("dlviz-step").add_class("dlviz-lazy") for k in STEP_NAMES
        }
        self._early_key = None  # what steps 1-3 show (see `show`)
        self._stored = None  # (texts and weights, the database built from them)
        self.nearest = widgets.HTML()
        self.projection = IndexVectorPlot(first, start)  # needs 2-d index vectors: P 2×hidden
        self.bars = ScoreBars(first, start)
        self.word_map = WordMap(vocabulary)
        self.projection_image = figure_image(self.projection)
        self.bars_image = figure_image(self.bars)
        self.word_image = figure_image(self.word_map)
        self._ringed: tuple[str, ...] | None = None

        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        model = model_box(controls, encoder)
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
        # As wide as the longest step name, so that the view toggle beside it keeps its place.
        self.step_name = widgets.HTML(layout=widgets.Layout(width="10em"))
        self.focus = widgets.HTML().add_class("dlviz-focus")  # the projector view's step
        self._views = {
            "all": [
                widgets.HBox([*search, controls["numbers"]], layout=wrap),
                texts_and_model,
                # The toggle before the answer, whose width follows the query: it keeps its place.
                widgets.HBox([controls["reset"], controls["view"], self.nearest], layout=wrap),
                self.message,  # above W's editor: open, it would push a refusal out of sight
                inputs,
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
                "the database is empty: type at least one text into the *database* box, one "
                "per line (blank lines are skipped)"
            )
        refuse_too_much(lines, c["query"].value)
        database = self._database(encoder, lines)
        query = c["query"].value
        if not query.strip():
            raise ValueError(
                "the query is empty: type a few words into the *query* box, e.g. am I you"
            )
        metric = c["metric"].value
        # The k slider follows the number of texts (see `show`); until then, cap k here.
        try:
            return database.search(query, k=min(c["k"].value, len(database)), metric=metric)
        except ZeroVectorError as exc:
            raise ValueError(zero_vector_words(exc, lines)) from None

    def _database(self, encoder, lines) -> VectorDatabase:
        """The texts stored, encoded: built again only when the texts, W, b or P changed
        (a new query, metric or k searches the same database)."""
        key = (tuple(lines), *(getattr(encoder, m).tobytes() for m in ("W", "b", "P")))
        if self._stored is not None and self._stored[0] == key:
            return self._stored[1]
        database = VectorDatabase(encoder)
        try:  # all at once: one index update, not one per text (2 ms at 60 texts)
            database.add([text for _, text in lines])
        except ValueError:
            for number, text in lines:  # nothing was stored: find the line that fails
                try:
                    VectorDatabase(encoder).add(text)
                except ValueError as exc:
                    raise ValueError(f"database line {number}: {exc}") from None
            raise
        self._stored = (key, database)
        return database

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
        cosine = result.metric == "cosine" and fmt == "frac"
        sfmt = distinct_decimals(result.scores) if cosine else fmt
        ties = int(same_score(result.scores, best.score).sum()) - 1  # the first added is named
        tie = {0: "", 1: "; 1 more text scores the same"}.get(
            ties, f"; {ties} more texts score the same"
        )
        self.nearest.value = (
            f"&nbsp; nearest to <b>{html.escape(result.query.sentence)}</b>: "
            f"<b>{html.escape(best.text)}</b> (score {format_number(best.score, sfmt)}{tie})"
        )
        self.projection.show(database, result)
        projection = self.projection.png_aside()  # encoded while the bars are drawn
        self.bars.show(database, result, fmt=fmt)
        self.bars_image.value = self.bars.png()
        self.projection_image.value = projection.result()
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
        self.focus.value = focus_panel(step, title, body)

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
        self.projection.limits = None  # the exercise's own axes, not the widest seen since
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
