"""Exact search over a million vectors: time per query, and how close it comes to memory speed.

    python benchmarks/bench_vector_index.py            # 10⁶ × 64 float32, top 10, 30 repeats
    python benchmarks/bench_vector_index.py --quick    # 10 repeats

A `VectorIndex` holds N = 10⁶ random 64-d float32 vectors (256 MB; fixed seed) and
answers one query, then batches of 16 and 256, top 10, on one thread (OpenBLAS is
told so before numpy loads, so the figures do not depend on how many cores are free).
An exact search must read every stored vector, so its floor is set by memory
bandwidth, not by arithmetic (2 flops per 4-byte number read). Reported per case, as
medians over the repeats:

- time per call and per query;
- the scan rate: bytes of the store / time per call (a batch reads the store once);
- the fraction of the memory-bandwidth bound: scan rate / copy rate, where the copy
  rate is measured in the same run, interleaved with the searches, by a plain numpy
  copy of the same array into a preallocated one (`np.copyto`). A copy reads and
  writes every byte, so its rate counts 2 × 256 MB per copy. A scan only reads, which
  memory does a little faster than a mix of reads and writes, so a fraction slightly
  above 1 is possible; well below 1 means time goes elsewhere (top-k selection, a
  large score matrix, thread start-up).

"numpy product only" times `queries @ vectors.T` on the same store: the scores
without picking the top k, the least any exact search must do. "search ÷ product"
is the goal's measure: within 2 for 1, 16 and 256 queries.

Results go to benchmarks/results/vector_index.json and are printed as a Markdown table.
"""

from __future__ import annotations

import _common  # first: it sets one BLAS thread before numpy loads

# isort: split
import statistics

import numpy as np

from dlviz.vectordb import VectorIndex

N, DIM, K, SEED = 1_000_000, 64, 10, 0
BATCHES = (1, 16, 256)


def _blas() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        return "unknown"


def main() -> None:
    repeats = _common.repeats(__doc__.splitlines()[0])

    rng = np.random.default_rng(SEED)
    index = VectorIndex(DIM, dtype=np.float32)
    index.add(rng.standard_normal((N, DIM), dtype=np.float32))
    store = index.vectors  # (N, DIM) read-only view of the store: no copy
    queries = rng.standard_normal((max(BATCHES), DIM), dtype=np.float32)
    nbytes = store.nbytes

    # Correctness first: the index's top 10 against a plain numpy sort.
    found = index.search(queries[0], k=K)
    expected = np.argsort(-(store @ queries[0]), kind="stable")[:K]
    if not np.array_equal(found.ids[0], expected):
        raise RuntimeError(f"search disagrees with numpy: {found.ids[0]} vs {expected}")

    target = np.empty_like(store)
    np.copyto(target, store)  # touch every page of the target before timing

    cases = {
        "copy": lambda: np.copyto(target, store),
        **{f"search {m}": (lambda m=m: index.search(queries[:m], k=K)) for m in BATCHES},
        **{f"product {m}": (lambda m=m: queries[:m] @ store.T) for m in BATCHES},
    }
    for fn in cases.values():  # warm up: BLAS threads, caches
        fn()
    seconds = {name: [] for name in cases}
    for _ in range(repeats):  # interleaved, so every case sees the same machine state
        for name, fn in cases.items():
            seconds[name].append(_common.seconds(fn))
    median = {name: statistics.median(values) for name, values in seconds.items()}

    copy_rate = 2 * nbytes / median["copy"]  # bytes read + bytes written, per second
    rows = []
    for kind, label in (("search", "VectorIndex.search"), ("product", "numpy product only")):
        for m in BATCHES:
            t = median[f"{kind} {m}"]
            scan_rate = nbytes / t
            rows.append(
                {
                    "what": label,
                    "queries_per_call": m,
                    "ms_per_call": round(1000 * t, 3),
                    "ms_per_query": round(1000 * t / m, 3),
                    "scan_GB_per_s": round(scan_rate / 1e9, 2),
                    "fraction_of_copy_bandwidth": round(scan_rate / copy_rate, 3),
                    "search_over_product": round(t / median[f"product {m}"], 2),
                }
            )

    report = {
        "machine": _common.machine(),
        "blas": _blas(),
        "vectors": N,
        "dim": DIM,
        "dtype": "float32",
        "k": K,
        "store_MB": round(nbytes / 1e6, 1),
        "repeats": repeats,
        "copy": {
            "ms": round(1000 * median["copy"], 3),
            "GB_per_s_read_plus_written": round(copy_rate / 1e9, 2),
        },
        "cases": rows,
    }
    _common.save("vector_index", report)

    print(
        f"Exact top-{K} search over {N:,} × {DIM} float32 vectors ({nbytes / 1e6:.0f} MB), "
        f"median of {repeats}; {report['machine']}, BLAS {report['blas']}.\n"
        f"Memory-bandwidth bound: a numpy copy of the store takes {1000 * median['copy']:.1f} ms "
        f"= {copy_rate / 1e9:.1f} GB/s (read + written).\n"
    )
    print(
        "| what | queries per call | ms per call | ms per query | store read (GB/s) "
        "| fraction of copy bandwidth | ÷ product |\n|---|---|---|---|---|---|---|"
    )
    for r in rows:
        print(
            f"| {r['what']} | {r['queries_per_call']} | {r['ms_per_call']:.2f} "
            f"| {r['ms_per_query']:.2f} | {r['scan_GB_per_s']:.1f} "
            f"| {r['fraction_of_copy_bandwidth']:.2f} | {r['search_over_product']:.2f} |"
        )


if __name__ == "__main__":
    main()
