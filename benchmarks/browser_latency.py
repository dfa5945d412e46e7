"""Time a slider move as a learner sees it: key press → new numbers on the page.

    python benchmarks/browser_latency.py

Runs the browser test (tests/test_browser.py: JupyterLab in headless Chromium), which
opens each notebook, runs it, then presses an arrow key on one slider of its explorer
20 times (alternating, so every press changes the numbers) and times each press in the
page itself: from the `keydown` event to the grid's new text, to the next painted
frame, and to the new heatmap picture. It also splits the time along the kernel's
messages (the page sends the value → the kernel starts → the kernel is done → the page
shows it). Results go to benchmarks/results/browser_latency.json, with screenshots
beside it; this script prints them as a table. The goal is a p95 under 100 ms.

Needs the system's Chromium (`sudo apt-get install -y chromium`) and `pip install
playwright`; Playwright's own browser download is not used.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "browser_latency.json"
ROWS = [
    ("key_to_grid", "key → grid text"),
    ("key_to_grid_painted", "key → grid painted"),
    ("key_to_image_src", "key → picture src"),
    ("key_to_image_decoded", "key → picture decoded"),
]


def main() -> int:
    started = time.time()
    command = [sys.executable, "-m", "pytest", "tests/test_browser.py", "-q", "-s"]
    code = subprocess.call(command, cwd=ROOT)
    if not RESULTS.exists() or RESULTS.stat().st_mtime < started:
        print(f"no new results in {RESULTS} (pytest exit code {code})")
        return code or 1
    figures = json.loads(RESULTS.read_text(encoding="utf-8"))
    goal = figures["goal_p95_ms"]
    print("\n| notebook | control | measure | p50 ms | p95 ms | n |\n|---|---|---|---|---|---|")
    for report in figures["notebooks"]:
        for key, label in ROWS:
            s = report.get(key)
            if s and s.get("n"):
                flag = " ⚠" if s["p95_ms"] > goal else ""
                print(
                    f"| {report['notebook']} | {report['control']} | {label} | "
                    f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f}{flag} | {s['n']} |"
                )
        where = {k: (s or {}).get("p50_ms") for k, s in report["breakdown"].items()}
        print(f"\n{report['notebook']}, where the time goes (p50, ms): {where}")
    print(f"\ngoal: p95 under {goal:.0f} ms; figures in {RESULTS.relative_to(ROOT)}")
    return code


if __name__ == "__main__":
    sys.exit(main())
