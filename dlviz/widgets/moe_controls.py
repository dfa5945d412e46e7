"""The MoE explorer's controls, and the starting exercise they can hold.

`moe_controls` builds them by name (the explorer's `controls`): a slider for each
number of the sheet's tokens X1 and X2, top_k, the numbers of experts and of random
tokens, the capacity limit, reset and the view. `starting_exercise` checks an
exercise to start from against the sliders' ranges.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from dlviz import examples
from dlviz.moe import MixtureOfExperts
from dlviz.widgets.base import StrictFloatSlider, StrictIntSlider, view_toggle

MAX_EXPERTS = 8
MAX_RANDOM_TOKENS = 64
X_RANGE = (-5.0, 5.0)  # the sliders of X1 and X2, in steps of 0.5
CAPACITY_RANGE = (0.0, 4.0)  # the capacity factor, in steps of 0.25: 1.0-1.25 as in Switch


def moe_controls(sheet_X, top_k, n_experts, random_tokens, capacity_factor) -> dict:
    """The explorer's controls by name, starting at these values (see `MoEExplorer`).

    sheet_X (3, 2): X1 and X2 as columns.
    """
    wide = {"description_width": "initial"}
    token_sliders = {
        f"X{j + 1}[{i + 1}]": StrictFloatSlider(
            value=float(sheet_X[i, j]), min=X_RANGE[0], max=X_RANGE[1], step=0.5,
            description=f"X{j + 1}[{i + 1}]", readout_format=".1f",
            style={"description_width": "3.2em"},
            layout=widgets.Layout(width="212px"),  # 20 steps: room for each; 3 a line
        )
        for j in range(2)
        for i in range(3)
    }  # fmt: skip
    controls = {
        **token_sliders,
        "top_k": StrictIntSlider(
            value=top_k, min=1, max=n_experts, description="top_k", style=wide,
            layout=widgets.Layout(width="232px"),  # a track of 100 px beside its label
            tooltip="how many experts each token goes to",
        ),
        "n_experts": StrictIntSlider(
            value=n_experts, min=2, max=MAX_EXPERTS, description="experts", style=wide,
            layout=widgets.Layout(width="245px"),
            tooltip="2 = the sheet's experts; more are random (fixed seed)",
        ),
        "random_tokens": StrictIntSlider(
            value=random_tokens, min=0, max=MAX_RANDOM_TOKENS,
            description="random tokens", style=wide,
            layout=widgets.Layout(width="300px"),  # at 212 px its label left 18 px to drag
            tooltip="0 = just X1 and X2; more are random (fixed seed)",
        ),
        "capacity": widgets.Checkbox(
            value=capacity_factor is not None, description="limit slots", indent=False,
            layout=widgets.Layout(width="auto"),
            tooltip="give each expert a fixed number of slots; the rest are dropped",
        ),
        "capacity_factor": StrictFloatSlider(
            value=1.0 if capacity_factor is None else capacity_factor,
            min=CAPACITY_RANGE[0], max=CAPACITY_RANGE[1], step=0.25,
            description="capacity factor", readout_format=".2f", style=wide,
            disabled=capacity_factor is None,
            tooltip="slots per expert = floor(factor · top_k · tokens / experts)",
        ),
        "reset": widgets.Button(
            description="back to the exercise",
            icon="undo",
            layout=widgets.Layout(width="auto", align_self="flex-start"),  # its own width
        ),
        "view": view_toggle(),
        # Steps 1-6 are exercise 3; step 7 the load and the balance loss, and the capacity
        # while "limit slots" is ticked (its heading says which): every step of the walk-through.
        "step": StrictIntSlider(
            value=6, min=1, max=7, description="step", style=wide,
            layout=widgets.Layout(width="15em"),  # seven steps: a line of controls leaves room
            tooltip="the step the projector view shows",
        ),
    }  # fmt: skip
    return controls


def starting_exercise(X, gate_W, gate_b, experts) -> dict:
    """The exercise an explorer starts from: the sheet's, with any given part replaced.

    Checked at the door: two tokens of 3 numbers within the sliders' range, a gate of
    two experts, two experts W 4×3 and b of 4, so that the explorer's sliders and its
    random extra experts fit.
    """
    start = examples.moe_exercise()
    given = {"X": X, "gate_W": gate_W, "gate_b": gate_b, "experts": experts}
    start.update({k: v for k, v in given.items() if v is not None})
    moe = MixtureOfExperts(start["gate_W"], start["gate_b"], start["experts"])  # checks
    X = moe._tokens(start["X"])  # (3, n_tokens), checked
    if (moe.n_experts, moe.in_dim, moe.out_dim) != (2, 3, 4) or X.shape != (3, 2):
        raise ValueError(
            f"the explorer starts from an exercise like the sheet's: two tokens of 3 "
            f"numbers (X is 3×2, got {X.shape[0]}×{X.shape[1]}) and two experts of "
            f"W 4×3 (got {moe.n_experts} of {moe.out_dim}×{moe.in_dim})"
        )
    low, high = X_RANGE
    if (X < low).any() or (X > high).any():
        raise ValueError(
            f"the tokens' numbers must be from {low:g} to {high:g} (the sliders' range), "
            f"got {np.round(X, 3).tolist()}"
        )
    return {"X": X, "gate_W": moe.gate_W, "gate_b": moe.gate_b, "experts": list(moe.experts)}
