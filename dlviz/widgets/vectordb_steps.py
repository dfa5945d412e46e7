"""The vector-database explorer's walk-through: the sheet's seven steps as by-hand layouts.

`step_views` lays out exercise 2 from a `VectorDatabase` and a `SearchResult`: the
texts split into words, each word embedded and encoded, the mean pooling, the
projection to 2-d, the stored index vectors, the query, and the scores and ranking.
"""

from __future__ import annotations

import html

import numpy as np

from dlviz._format import distinct_decimals
from dlviz._table import html_table
from dlviz.palette import FONT
from dlviz.sheet import Row, format_number, grid, labels, product, row, share_scales
from dlviz.vectordb import SearchResult, VectorDatabase
from dlviz.widgets._views import Stack

STEP_NAMES = {
    1: "split into words",
    2: "embed and encode",
    3: "mean pooling",
    4: "project to 2-d",
    5: "store",
    6: "encode the query",
    7: "score and rank",
}

# Step 2 shows each text's E, W·E + b and H for the first this many texts (and the
# query); a class-sized database would otherwise fill pages with them on every move.
SHOWN_TEXT_BLOCKS = 6


class _Html:
    """Ready-made HTML with the `.html` of the sheet's layouts."""

    def __init__(self, text: str):
        self.html = text


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
    # One block per text, side by side where the page is wide enough. A class-sized
    # database: the first texts' blocks and the query's, and a note. The blocks share
    # one colour scale per quantity, so a 1 in E or H is the same shade in every text.
    shown = [*range(min(n, blocks)), n] if 2 in steps else []
    headings, layouts = [], []
    for s, e in ((names[i], encodings[i]) for i in shown):
        suffix = "q" if s == "q" else s
        headings.append(f"{s} · {e.sentence}" + ("  (the query)" if s == "q" else ""))
        layouts.append(Row((  # scales shared below, across the texts
            grid(e.embeddings, rows=d, cols=e.tokens, title="E", fmt=fmt,
                 name=f"embeddings_{suffix}", quantity="E"),
            grid(e.linear, rows=h, cols=e.tokens, title="W·E + b", fmt=fmt,
                 name=f"linear_{suffix}", quantity="linear"),
            grid(e.encoded, rows=h, cols=e.tokens, title="H = ReLU(W·E + b)", fmt=fmt,
                 name=f"encoded_{suffix}", palette="positive", quantity="H"),
        )))  # fmt: skip
    per_text = [
        _Html(f'<div style="margin:8px 0 0 0;{FONT}"><b>{html.escape(heading)}</b></div>'
              + layout.html)
        for heading, layout in zip(headings, share_scales(Row(tuple(layouts))).items, strict=True)
    ]  # fmt: skip

    note = (
        f"… and {n - blocks} more text{'' if n - blocks == 1 else 's'}, encoded the same way "
        "(their pooled vectors are in step 3)"
        if blocks
        else f"… and the {n} texts of the database, encoded the same way"
    )  # the projector's note (blocks=0) in one line
    more = [_Html(f'<div style="margin:8px 0 0 0;{FONT}">{note}</div>')] if n > blocks else []
    pooled = np.stack([e.pooled for e in encodings], axis=1)  # (hidden, n + 1)
    projected = np.stack([e.index_vector for e in encodings], axis=1)  # (index_dim, n + 1)
    pooled_grid = grid(
        pooled, rows=h, cols=names, title="pooled", fmt=fmt, name="pooled", palette="positive"
    )
    projection = product(
        grid(encoder.P, rows=xy, cols=h, title="P", fmt=fmt, name="P"),
        grid(
            pooled,
            rows=h,
            cols=names,
            title="pooled",
            fmt=fmt,
            name="pooled_in_step_4",
            palette="positive",
        ),
        grid(projected, cols=names, title="index vectors", fmt=fmt, name="projected"),
        "P · pooled",
    )

    stored = np.asarray(database.index_vectors)  # (index_dim, n)
    query = result.query.index_vector  # (index_dim,)
    store = grid(stored, rows=xy, cols=names[:n], title="the database", fmt=fmt,
                 name="index_vectors", quantity="index")  # fmt: skip
    query_grid = grid(query[:, None], rows=xy, cols=["q"], title="query", fmt=fmt,
                      name="query_vector", quantity="index")  # fmt: skip

    hit = np.zeros((n, 1), dtype=bool)
    hit[[found.index for found in result.hits], 0] = True
    if result.metric == "cosine":
        sfmt = distinct_decimals(result.scores) if fmt == "frac" else fmt
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
            Stack(model, row(*per_text[:blocks], *more, *per_text[blocks:]))
            if blocks  # the projector view (the query's encoding only): W and b beside it
            else Stack(row(*model.items, *per_text), *more),
        ),
        3: ("Step 3 · mean pooling: the average of each text's columns of H", pooled_grid),
        4: ("Step 4 · project to 2-d: index vector = P · pooled", projection),
        5: ("Step 5 · store the texts' index vectors, one column per text", store),
        6: ("Step 6 · the query goes through steps 1-4 the same way", query_grid),
        7: (f"Step 7 · score every text by its {how} with the query; rank", row(scores, hits)),
    }
    return {k: views[k] for k in steps}
