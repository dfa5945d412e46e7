"""Re-execute the notebooks in place, top to bottom in a fresh kernel, as nbval will.

    python tools/execute_notebooks.py                 # every notebook in notebooks/
    python tools/execute_notebooks.py notebooks/01_self_attention.ipynb

The notebooks are saved with their outputs (so they read well without a kernel) but
without widget state or run dates: JupyterLab 4 does not restore saved widget state when a
notebook is reopened, and the state (hundreds of kB of model ids that change on
every run) would only churn the diffs. The explorers come alive when the notebook
runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:  # no run dates in the saved notebook: only what the code shows
        cell.metadata.pop("execution", None)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        store_widget_state=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> None:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in notebooks:
        print(f"{path.name}: executed in {execute(path):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
