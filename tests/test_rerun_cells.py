"""Cells a learner runs again must work again (issue 11): notebook 2's timing of the index."""

import json
from pathlib import Path

import matplotlib
import numpy as np

from dlviz.vectordb import VectorIndex

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_vector_database.ipynb"


def _code_cells():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_the_index_timing_cells_run_twice_in_a_row():
    code = _code_cells()
    setup = next(i for i, src in enumerate(code) if "dim, sizes = " in src)
    timing, plot = setup + 1, setup + 2
    assert "for n in sizes:" in code[timing] and "loglog" in code[plot]
    matplotlib.use("Agg")
    namespace = {"np": np, "VectorIndex": VectorIndex}
    exec(code[setup], namespace)
    namespace["sizes"] = [100, 300, 1_000]  # the notebook's code, at a test's size
    for _ in range(2):  # a learner runs the timing again, then the picture
        exec(code[timing], namespace)
        exec(code[plot], namespace)
        assert len(namespace["ms"]) == 3 and len(namespace["index"]) == 1_000
    matplotlib.pyplot.close("all")
