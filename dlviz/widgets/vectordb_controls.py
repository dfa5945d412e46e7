"""The vector-database explorer's controls: the search, the texts, and the model's sliders.

`vectordb_controls` builds them all by name (the explorer's `controls`); `model_box`
lays out the sliders of the projection P and the bias b, a column per hidden unit.
"""

from __future__ import annotations

import ipywidgets as widgets

from dlviz.sheet import labels
from dlviz.vectordb import SentenceEncoder
from dlviz.widgets.base import MatrixInput, StrictFloatSlider, StrictIntSlider, view_toggle
from dlviz.widgets.ivf import ivf_controls
from dlviz.widgets.vectordb_steps import STEP_NAMES

# The number formats a learner can pick: exact fractions as on the sheet, or decimals.
NUMBER_FORMATS = (("fractions", "frac"), ("decimals", ".3f"))
# Cosines are rarely fractions: they get decimals, at least three and as many as it takes
# to print different scores differently (`dlviz._format.distinct_decimals`).

# min, max and step of the P and b sliders: quarters keep the fractions readable (x/36).
SLIDER_RANGE = (-2.0, 2.0, 0.25)


DATABASE_ROWS = 12  # the database box's height in lines, at most


def vectordb_controls(
    encoder: SentenceEncoder, texts: list[str], query: str, k: int, metric: str
) -> dict:
    """The explorer's controls by name, starting at these values (see `VectorDBExplorer`)."""
    P0, b0 = encoder.P, encoder.b
    wide = {"description_width": "initial"}
    low, high, step = SLIDER_RANGE

    def slider(name, value):
        return StrictFloatSlider(
            value=float(value), min=min(low, float(value)), max=max(high, float(value)),
            step=step, description=name, readout_format=".2f", continuous_update=True,
            style={"description_width": "3.3em"},
            layout=widgets.Layout(width="auto", max_width="15em"),
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
            # every line in view up to DATABASE_ROWS, then it scrolls: a class's 60 texts
            # would push the results a screen down
            rows=min(max(4, len(texts) + 1), DATABASE_ROWS), layout=widgets.Layout(width="22em"),
            style=wide,
        ),
        "k": StrictIntSlider(
            value=min(k, len(texts)), min=1, max=len(texts), description="k (hits)",
            style=wide, layout=widgets.Layout(width="16.5em"),
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
    return controls


def model_box(controls: dict, encoder: SentenceEncoder) -> widgets.VBox:
    """The sliders of P and b in a grid, a column per hidden unit, under a line saying why."""
    sliders = widgets.GridBox(
        [controls[name] for name in controls if name.startswith(("P[", "b["))],
        layout=widgets.Layout(
            # columns narrow (to a shorter track) rather than overflow: at 150 % zoom a
            # fourth column of 15.5em would be cut off, P[2,4] out of reach
            grid_template_columns=f"repeat({encoder.P.shape[1]}, minmax(0, 15.5em))",
            grid_gap="0 4px",
        ),
    ).add_class("dlviz-sliders")
    return widgets.VBox(
        [
            widgets.HTML(
                "<b>The model.</b> Slide an entry of the projection P or of the bias b "
                "and watch the points move:"
            ),
            sliders,
        ]
    )
