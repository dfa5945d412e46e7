"""The explorer's approximate-search view: the texts in k-means cells, and the lists probed."""

from __future__ import annotations

import html

import ipywidgets as widgets

from dlviz._numerics import same_score
from dlviz.plots import IVFCellsPlot
from dlviz.vectordb import IVFIndex, VectorDatabase
from dlviz.widgets.base import StrictIntSlider


def ivf_controls(n_texts: int, n_lists: int = 2, nprobe: int = 1) -> dict:
    """The two sliders: "n_lists" (1 … the number of texts) and "nprobe" (1 … n_lists)."""
    n_lists = max(1, min(n_lists, n_texts))
    wide = {"description_width": "initial"}
    return {
        "n_lists": StrictIntSlider(
            value=n_lists, min=1, max=max(1, n_texts), description="lists (k-means cells)",
            style=wide, layout=widgets.Layout(width="30em"),
        ),
        "nprobe": StrictIntSlider(
            value=max(1, min(nprobe, n_lists)), min=1, max=n_lists, description="nprobe",
            style=wide, layout=widgets.Layout(width="22em"),
        ),
    }  # fmt: skip


class IVFView(widgets.VBox):
    """The stored texts cut into `n_lists` k-means cells; the query reads `nprobe` lists.

    k-means starts from texts chosen with seed 0 (`IVFIndex.train`), so the same texts
    always give the same cells. The picture is drawn only when `show` is called: the
    explorer calls it while its "approximate search" section is open.
    """

    def __init__(self, controls: dict):
        self.controls = controls
        self.caption = widgets.HTML()
        self.plot: IVFCellsPlot | None = None
        self.image = widgets.Image(format="png")
        super().__init__(
            [
                # Tracks of 13 em: at 20 em beside its label, "lists" had 35 px to drag.
                widgets.HBox(
                    [controls["n_lists"], controls["nprobe"]],
                    layout=widgets.Layout(flex_flow="row wrap"),
                ),
                self.caption,
                self.image,
            ]
        )

    def show(self, database: VectorDatabase, result) -> None:
        """Cells, lists and the probed search for the explorer's texts and query."""
        n_lists = min(self.controls["n_lists"].value, len(database))
        nprobe = min(self.controls["nprobe"].value, n_lists)
        index, found = ivf_result(database, result, n_lists, nprobe)
        query = result.query.index_vector
        texts = database.texts
        if self.plot is None:
            self.plot = IVFCellsPlot(index, query, found, texts, metric=result.metric)
            self.image.layout.width = f"{self.plot.css_size[0]}px"
        else:
            self.plot.show(index, query, found, texts, result.metric)
        self.image.value = self.plot.png()
        ids = [i for i in found.ids[0].tolist() if i >= 0]
        exact = result.hits[0].text
        got = texts[ids[0]] if ids else "nothing"
        best = result.hits[0].score
        if got == exact:
            verdict = "the same as exact search"
        elif ids and same_score(found.scores[0][0], best):  # a tie, ranked the other way
            verdict = f"as good: exact search finds <b>{html.escape(exact)}</b>, the same score"
        else:
            verdict = f"exact search: <b>{html.escape(exact)}</b>"
        self.caption.value = (
            f"IVF with {n_lists} list{'s' * (n_lists > 1)}, nprobe = {nprobe}: reads "
            f"{int(found.scanned[0])} of {len(database)} texts and finds "
            f"<b>{html.escape(got)}</b> ({verdict})"
        )

    def close(self) -> None:
        self.plot = None  # the figure goes with it: nothing else holds it
        super().close()


def ivf_result(database: VectorDatabase, result, n_lists: int, nprobe: int):
    """(index, found): what the view shows, for tests and notebooks."""
    n_lists = min(n_lists, len(database))
    vectors = database.index_vectors.T
    index = IVFIndex(vectors.shape[1], n_lists)
    index.train(vectors, seed=0)
    index.add(vectors)
    found = index.search(result.query.index_vector, k=min(result.k, len(database)),
                         nprobe=min(nprobe, n_lists), metric=result.metric)  # fmt: skip
    return index, found
