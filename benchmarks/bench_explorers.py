"""Time an explorer update for each control (kernel side) and each notebook's full run.

    python benchmarks/bench_explorers.py            # all explorers and notebooks
    python benchmarks/bench_explorers.py --quick    # fewer repeats

An update is what happens in the kernel when a learner moves one control: recompute,
rebuild the HTML grids, redraw the figure and encode its PNG. Each control is set
alternately to two values, so every repeat really changes the numbers. Reported:
median, 95th percentile and worst over the repeats. Class-sized inputs too: attention
with 12 tokens, a database of 60 texts, 8 experts and 66 tokens (`--only "class size"`
runs just those). Results go to
benchmarks/results/explorers.json and are printed as a Markdown table (the README
quotes it), with a calibration before and after: how long a small matplotlib figure
takes to draw from scratch, as this machine's speed swings through the day. The budget
is an update well under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _attention():
    from dlviz import AttentionExplorer

    explorer = AttentionExplorer()
    x_box = explorer.controls["X"].boxes[5][3]

    def exact_mode():
        explorer.controls["mode"].value = "exact"

    def four_heads():
        with explorer.hold():
            explorer.controls["mode"].value = "exact"
            explorer.controls["heads"].value = 4

    return explorer, [
        ("mode", None, [("mode", "exact"), ("mode", "hand")]),
        ("causal", None, [("causal", True), ("causal", False)]),
        ("step", None, [("step", 8), ("step", 9)]),
        ("temperature", exact_mode, [("temperature", 1.5), ("temperature", 0.7)]),
        ("X entry (number box)", None, [(x_box, -2.0), (x_box, 1.0)]),
        ("heads 1 ↔ 2", None, [("heads", 2), ("heads", 1)]),
        ("heads 3 ↔ 4, exact", exact_mode, [("heads", 4), ("heads", 3)]),
        ("X entry, 4 heads, exact", four_heads, [(x_box, -2.0), (x_box, 1.0)]),
        ("positions, 4 heads, exact", four_heads, [("positions", True), ("positions", False)]),
        ("temperature, 4 heads", four_heads, [("temperature", 1.5), ("temperature", 0.7)]),
    ]


def _moe(crowded: bool = False):
    """The sheet's cases; with `crowded`, the class-sized ones (8 experts, 66 tokens)."""
    from dlviz import MoEExplorer

    explorer = MoEExplorer()
    c = explorer.controls

    def crowd(top_k=1, n_experts=8, random_tokens=64, capacity_factor=None):
        def setup():
            with explorer.hold():
                c["n_experts"].value = n_experts
                c["top_k"].value = top_k
                c["random_tokens"].value = random_tokens
                c["capacity"].value = capacity_factor is not None
                c["capacity_factor"].value = capacity_factor or 1.0

        return setup

    sheet = [
        # the sheet: X1[1] across the threshold 3 (X1[3]), so the chosen expert flips
        ("X1[1] slider, the sheet (expert flips)", None, [("X1[1]", 3.5), ("X1[1]", 2.0)]),
        ("top_k slider, the sheet", None, [("top_k", 2), ("top_k", 1)]),
        (
            "random tokens slider 0 ↔ 1 (new shape)",
            None,
            [("random_tokens", 1), ("random_tokens", 0)],
        ),
        ("experts slider 2 ↔ 3 (new shape)", None, [("n_experts", 3), ("n_experts", 2)]),
    ]
    class_size = [
        # crowded: 8 experts, 66 tokens, top-2 (numbers left out of the gate picture)
        (
            "X2[3] slider, 8 experts, 66 tokens, top-2",
            crowd(top_k=2),
            [("X2[3]", 0.0), ("X2[3]", 2.0)],
        ),
        ("top_k slider, 8 experts, 66 tokens", crowd(), [("top_k", 2), ("top_k", 1)]),
        (
            "random tokens slider 40 ↔ 41, 8 experts",
            crowd(random_tokens=40),
            [("random_tokens", 41), ("random_tokens", 40)],
        ),
        ("experts slider 7 ↔ 8, 66 tokens", crowd(), [("n_experts", 7), ("n_experts", 8)]),
        # capacity (issue 17): 8 experts, 66 tokens, slots dropped on every move
        (
            "capacity factor slider 1.0 ↔ 0.75, 8 experts, 66 tokens, top-2",
            crowd(top_k=2, capacity_factor=1.0),
            [("capacity_factor", 0.75), ("capacity_factor", 1.0)],
        ),
        (
            "capacity box on ↔ off, 8 experts, 66 tokens",
            crowd(capacity_factor=1.0),
            [("capacity", False), ("capacity", True)],
        ),
        (
            "X2[3] slider, 8 experts, 66 tokens, capacity 1.0",
            crowd(capacity_factor=1.0),
            [("X2[3]", 0.0), ("X2[3]", 2.0)],
        ),
    ]
    return explorer, class_size if crowded else sheet


def _vectordb_moves(explorer, edited: str, prefix: str = "") -> list:
    """The vector database's controls, each moved back and forth; `edited`: the database
    box with one line changed."""
    texts = explorer.controls["database"].value
    w_box = explorer.controls["W"].boxes[3][0]
    return [
        (prefix + "query (type a word)", None, [("query", "am I"), ("query", "am I you")]),
        (prefix + "metric", None, [("metric", "cosine"), ("metric", "dot")]),
        (prefix + "k", None, [("k", 3), ("k", 1)]),
        (prefix + "numbers", None, [("numbers", ".3f"), ("numbers", "frac")]),
        (prefix + "P[1,1] slider", None, [("P[1,1]", 0.75), ("P[1,1]", 1.0)]),
        (prefix + "b[3] slider", None, [("b[3]", -0.75), ("b[3]", -1.0)]),
        (prefix + "W entry (number box)", None, [(w_box, 0.0), (w_box, 1.0)]),
        (
            prefix + "database: edit a line (same count)",
            None,
            [("database", edited), ("database", texts)],
        ),
    ]


def _vectordb():
    from dlviz import VectorDBExplorer

    explorer = VectorDBExplorer()
    texts = explorer.controls["database"].value
    return explorer, [
        *_vectordb_moves(explorer, texts.replace("who am I", "who am we")),
        (
            "database: a 4th line ↔ 3 (new count)",
            None,
            [("database", texts + "\nwhy are we"), ("database", texts)],
        ),
    ]


def class_texts(n: int = 60) -> list[str]:
    """n different texts of 2 to 6 words of the exercise's vocabulary: a class's database."""
    from dlviz import examples

    words = sorted(examples.vectordb_exercise()["embeddings"])
    rng = np.random.default_rng(0)
    texts: dict[str, None] = {}
    while len(texts) < n:
        texts[" ".join(rng.choice(words, size=rng.integers(2, 7)))] = None
    return list(texts)


def _attention_class():
    """12 tokens (a sentence of a class's own), the sheet's weights."""
    from dlviz import AttentionExplorer

    X = np.random.default_rng(0).integers(0, 3, size=(6, 12))  # (d_model, 12 tokens)
    explorer = AttentionExplorer(X=X, mode="exact")
    x_box = explorer.controls["X"].boxes[5][11]
    return explorer, [
        ("12 tokens: mode", None, [("mode", "hand"), ("mode", "exact")]),
        ("12 tokens: causal", None, [("causal", True), ("causal", False)]),
        ("12 tokens: step", None, [("step", 8), ("step", 9)]),
        ("12 tokens: temperature", None, [("temperature", 1.5), ("temperature", 0.7)]),
        ("12 tokens: X entry", None, [(x_box, 2.0), (x_box, 1.0)]),
    ]


def _vectordb_class():
    """A class's database: 60 texts."""
    from dlviz import VectorDBExplorer

    texts = class_texts(60)
    explorer = VectorDBExplorer(database=texts)
    edited = "\n".join(texts).replace(texts[5], "who am we")
    return explorer, _vectordb_moves(explorer, edited, prefix="60 texts: ")


def _vectordb_ivf(n_texts: int | None = None, n_lists: int = 2):
    """The approximate-search section open: its picture redrawn on every move."""
    from dlviz import VectorDBExplorer

    explorer = VectorDBExplorer(database=None if n_texts is None else class_texts(n_texts))
    explorer.ivf_box.selected_index = 0
    explorer.controls["n_lists"].value = n_lists
    prefix = "IVF: " if n_texts is None else f"IVF, {n_texts} texts, {n_lists} lists: "
    more = min(n_lists + 1, len(explorer.database))
    return explorer, [
        (prefix + "nprobe", None, [("nprobe", 2), ("nprobe", 1)]),
        (prefix + f"lists {n_lists} ↔ {more}", None, [("n_lists", more), ("n_lists", n_lists)]),
        (prefix + "query (type a word)", None, [("query", "am I"), ("query", "am I you")]),
        (prefix + "metric", None, [("metric", "cosine"), ("metric", "dot")]),
    ]


# One entry per explorer: a function returning (explorer, [(label, setup, moves)]), where
# each move is (control name or widget, value).
EXPLORERS = {
    "AttentionExplorer": _attention,
    "MoEExplorer": _moe,
    "VectorDBExplorer": _vectordb,
    "AttentionExplorer, class size": _attention_class,
    "VectorDBExplorer, class size": _vectordb_class,
    "MoEExplorer, class size": lambda: _moe(crowded=True),
    "VectorDBExplorer, IVF": _vectordb_ivf,
    "VectorDBExplorer, IVF, class size": lambda: _vectordb_ivf(60, 12),
}

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def time_explorer(make, repeats: int, clock=time.perf_counter) -> list[dict]:
    explorer, cases = make()
    rows = []
    for label, setup, moves in cases:
        if setup is not None:
            setup()
        timings = []
        for i in range(repeats):
            target, value = moves[i % len(moves)]
            widget = explorer.controls[target] if isinstance(target, str) else target
            start = clock()
            widget.value = value
            timings.append((clock() - start) * 1000)
            if explorer.error:
                raise RuntimeError(f"{label}: the explorer refused {value!r}: {explorer.error}")
        rows.append(
            {
                "control": label,
                "median_ms": round(statistics.median(timings), 2),
                "p95_ms": round(float(np.percentile(timings, 95)), 2),
                "max_ms": round(max(timings), 2),
                "repeats": repeats,
            }
        )
    return rows


def time_notebook(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return time.perf_counter() - start


def calibration_ms(repeats: int = 15) -> float:
    """How fast the machine is now: the median time to draw a small matplotlib figure from
    scratch (a line plot with a title, 4 × 3 inches at 100 dpi). This machine's speed
    swings by a third through a day; figures are comparable when this is close."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        figure = Figure(figsize=(4, 3), dpi=100)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        ax.plot(range(10))
        ax.set_title("x")
        figure.canvas.draw()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times[3:]), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 repeats instead of 100")
    parser.add_argument(
        "--only", metavar="TEXT", help="only the explorers whose name holds TEXT; no notebooks"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="CPU time of the kernel process (time.process_time: its threads too, as the "
        "PNG encoder uses two) instead of wall-clock time: for a machine shared with "
        "other work, where waiting for a core is not the explorer's cost",
    )
    args = parser.parse_args()
    repeats = 20 if args.quick else 100
    clock = time.process_time if args.cpu else time.perf_counter

    machine = platform.processor() or platform.machine()
    report = {"machine": f"{machine}, Python {platform.python_version()}"}
    chosen = {n: m for n, m in EXPLORERS.items() if args.only is None or args.only in n}
    report["clock"] = "process CPU time" if args.cpu else "wall clock"
    before = calibration_ms()
    report["explorers"] = {
        name: time_explorer(make, repeats, clock) for name, make in chosen.items()
    }
    report["calibration_ms"] = {"before": before, "after": calibration_ms()}
    report["notebooks"] = (
        {p.name: round(time_notebook(p), 2) for p in NOTEBOOKS} if args.only is None else {}
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "explorers.json").write_text(json.dumps(report, indent=2) + "\n")
    print("| explorer | control | median (ms) | p95 (ms) | worst (ms) |\n|---|---|---|---|---|")
    for name, rows in report["explorers"].items():
        for r in rows:
            print(
                f"| {name} | {r['control']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} "
                f"| {r['max_ms']:.1f} |"
            )
    calibration = report["calibration_ms"]
    print(
        f"\ncalibration: a small figure drawn from scratch took {calibration['before']} ms "
        f"before and {calibration['after']} ms after (~40 ms is this machine's usual speed)"
    )
    print("\n| notebook | run all, fresh kernel (s) |\n|---|---|")
    for name, seconds in report["notebooks"].items():
        print(f"| {name} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
