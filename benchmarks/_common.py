"""What the search benchmarks share: one BLAS thread, the --quick switch, the clock, the report.

Import it before numpy (`import _common` first in a benchmark script): OpenBLAS and
OpenMP read their thread counts when numpy loads them, and the figures must not depend
on how many cores happen to be free.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads its BLAS: one thread

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def repeats(description: str) -> int:
    """Read the command line: 30 repeats, or 10 with --quick."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="10 repeats instead of 30")
    return 10 if parser.parse_args().quick else 30


def seconds(fn) -> float:
    """How long one call of `fn()` takes, in seconds (wall clock)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def machine() -> str:
    """The processor, Python's and numpy's versions: what a result was measured on."""
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, Python {platform.python_version()}, numpy {np.__version__}"


def save(name: str, report: dict) -> Path:
    """Write `report` to benchmarks/results/<name>.json (the one place results go)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path
