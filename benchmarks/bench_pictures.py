"""What sharp pictures cost: each explorer's figures at 1× and 2× pixel density.

    python benchmarks/bench_pictures.py

Every figure of the three explorers (at the sheets' sizes) is rendered (blitted, as on
a control move) and encoded as PNG, at 1× and at 2× pixel density, with Pillow (what
dlviz used before) and with dlviz's own encoder (`dlviz.plots._png`, what it uses
now). Times are CPU time of this process (medians of 30), so a busy machine disturbs
them less than wall-clock time; the same run measures every variant, so compare
within one run. Results go to benchmarks/results/pictures.json and are printed as a
Markdown table (the README quotes it).
"""

from __future__ import annotations

import io
import json
import platform
import statistics
import time
from pathlib import Path

import PIL.Image

from dlviz import AttentionExplorer, MoEExplorer, VectorDBExplorer
from dlviz.plots._png import encode_png
from dlviz.plots.base import LiveFigure

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
REPEATS = 30


def cpu_ms(action) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        action()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def pillow_png(pixels) -> bytes:
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def figures():
    for cls in (AttentionExplorer, VectorDBExplorer, MoEExplorer):
        explorer = cls()
        for figure in vars(explorer).values():
            if isinstance(figure, LiveFigure):
                yield cls.__name__, figure


def main() -> None:
    rows = []
    for explorer, figure in figures():
        for ratio in (1, 2):
            figure.figure.set_dpi(figure.dpi * ratio)
            figure.invalidate()
            figure.render()  # the static background, drawn once
            pixels = figure.render().copy()
            rows.append(
                {
                    "explorer": explorer,
                    "figure": type(figure).__name__,
                    "pixel_ratio": ratio,
                    "pixels": f"{pixels.shape[1]}×{pixels.shape[0]}",
                    "render_ms": round(cpu_ms(figure.render), 2),
                    "pillow_png_ms": round(cpu_ms(lambda p=pixels: pillow_png(p)), 2),
                    "dlviz_png_ms": round(cpu_ms(lambda p=pixels: encode_png(p)), 2),
                    "dlviz_png_kB": round(len(encode_png(pixels)) / 1000, 1),
                }
            )
        figure.figure.set_dpi(figure.dpi * figure.pixel_ratio)
        figure.invalidate()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"machine": platform.processor() or platform.machine(), "repeats": REPEATS, "rows": rows}
    (RESULTS / "pictures.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print("| figure | density | pixels | render (ms) | PNG, Pillow (ms) | PNG, dlviz (ms) | kB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['explorer']}: {r['figure']} | {r['pixel_ratio']}× | {r['pixels']} "
            f"| {r['render_ms']} | {r['pillow_png_ms']} | {r['dlviz_png_ms']} "
            f"| {r['dlviz_png_kB']} |"
        )


if __name__ == "__main__":
    main()
