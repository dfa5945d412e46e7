"""Approximate search at scale: IVFIndex against exact search and faiss's IndexIVFFlat.

    python benchmarks/bench_ivf.py            # 10⁶ × 64 float32, 1,024 lists, 30 repeats
    python benchmarks/bench_ivf.py --quick    # 10 repeats

N = 10⁶ clustered 64-d float32 vectors (fixed seed): 8,192 cluster centres on the unit
sphere, each vector a centre plus Gaussian noise of total length about 0.6, so the
clusters overlap and a query's ten best are spread over neighbouring cells. 16 queries
are drawn the same way. `IVFIndex(64, 1024)` is trained by k-means (10 Lloyd steps,
seed 0) on 65,536 of the vectors (64 per list, as faiss advises), then holds all N.

For nprobe = 1, 2, 4, …, 64 the benchmark reports, for a search of the 16 queries at
once (top 10, dot product), the FASTEST of the repeats (on a shared machine the
fastest run is the one least disturbed by others; medians are kept in the JSON):

- recall@10: the fraction of the exact top 10 (`VectorIndex.search`) that IVF finds;
- ms per batch for IVFIndex, for exact `VectorIndex.search`, and for faiss's
  `IndexIVFFlat` (`IndexFlatL2` quantizer, inner product) given the SAME centroids,
  so both scan the same lists: the fraction of ids equal to faiss's is reported too.

Everything runs on one thread (OpenBLAS and faiss's OpenMP), so the comparison is of
the code, not of how many cores each grabs. faiss is a benchmark-only extra
(`pip install faiss-cpu`); without it the faiss column is left out.

Results go to benchmarks/results/ivf.json and are printed as a Markdown table.
"""

from __future__ import annotations

import _common  # first: it sets one BLAS thread before numpy loads

# isort: split
import statistics
import time

import numpy as np

from dlviz.vectordb import IVFIndex, VectorIndex

N, DIM, N_LISTS, TRAIN, K, N_QUERIES, SEED = 1_000_000, 64, 1024, 65_536, 10, 16, 0
CENTRES, NOISE = 8192, 0.6
NPROBES = (1, 2, 4, 8, 16, 32, 64)


def clustered(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    """(n, dim) float32: a random centre each, plus noise of length about NOISE."""
    which = rng.integers(0, centres.shape[0], size=n)
    noise = rng.standard_normal((n, centres.shape[1]), dtype=np.float32)
    noise *= np.float32(NOISE / np.sqrt(centres.shape[1]))
    noise += centres[which]
    return noise


def _ms(fn) -> float:
    return 1000 * _common.seconds(fn)


def main() -> None:
    repeats = _common.repeats(__doc__.splitlines()[0])

    rng = np.random.default_rng(SEED)
    centres = rng.standard_normal((CENTRES, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = clustered(rng, N, centres)  # (N, DIM)
    queries = clustered(rng, N_QUERIES, centres)  # (16, DIM)

    start = time.perf_counter()
    ivf = IVFIndex(DIM, N_LISTS, dtype=np.float32)
    training = ivf.train(vectors[rng.choice(N, TRAIN, replace=False)], seed=0, iterations=10)
    train_s = time.perf_counter() - start
    add_s = _common.seconds(lambda: ivf.add(vectors))
    exact = VectorIndex(DIM, dtype=np.float32)
    exact.add(vectors)
    truth = exact.search(queries, k=K).ids  # (16, K)

    try:
        import faiss

        faiss.omp_set_num_threads(1)
        quantizer = faiss.IndexFlatL2(DIM)
        quantizer.add(np.ascontiguousarray(ivf.centroids))
        theirs = faiss.IndexIVFFlat(quantizer, DIM, N_LISTS, faiss.METRIC_INNER_PRODUCT)
        theirs.add(vectors)
        faiss_version = faiss.__version__
    except ImportError:
        theirs, faiss_version = None, None

    exact_times = [_ms(lambda: exact.search(queries, k=K)) for _ in range(repeats)]
    exact_ms = min(exact_times)
    rows = []
    for nprobe in NPROBES:
        found = ivf.search(queries, k=K, nprobe=nprobe)
        recall = np.mean(
            [np.intersect1d(f, t).size / K for f, t in zip(found.ids, truth, strict=True)]
        )
        row = {
            "nprobe": nprobe,
            "recall_at_10": round(float(recall), 4),
            "vectors_scanned_per_query": int(found.scanned.mean()),
            "ivf_ms": None,
            "exact_ms": round(exact_ms, 2),
            "exact_median_ms": round(statistics.median(exact_times), 2),
        }
        ivf_times, faiss_times = [], []
        for _ in range(repeats):  # interleaved: both see the same machine state
            ivf_times.append(_ms(lambda p=nprobe: ivf.search(queries, k=K, nprobe=p)))
            if theirs is not None:
                theirs.nprobe = nprobe
                faiss_times.append(_ms(lambda: theirs.search(queries, K)))
        row["ivf_ms"] = round(min(ivf_times), 2)
        row["ivf_median_ms"] = round(statistics.median(ivf_times), 2)
        row["speed_up_over_exact"] = round(exact_ms / row["ivf_ms"], 1)
        if theirs is not None:
            _, their_ids = theirs.search(queries, K)
            row["faiss_ms"] = round(min(faiss_times), 2)
            row["faiss_median_ms"] = round(statistics.median(faiss_times), 2)
            row["ivf_over_faiss"] = round(row["ivf_ms"] / row["faiss_ms"], 2)
            row["same_ids_as_faiss"] = round(float(np.mean(found.ids == their_ids)), 4)
        rows.append(row)

    report = {
        "machine": _common.machine(),
        "faiss": faiss_version,
        "threads": 1,
        "vectors": N,
        "dim": DIM,
        "dtype": "float32",
        "data": f"{CENTRES} centres on the unit sphere + noise of length ~{NOISE}",
        "n_lists": N_LISTS,
        "trained_on": TRAIN,
        "lloyd_steps": len(training.steps),
        "train_s": round(train_s, 1),
        "add_s": round(add_s, 1),
        "queries_per_batch": N_QUERIES,
        "k": K,
        "repeats": repeats,
        "cases": rows,
    }
    _common.save("ivf", report)

    print(
        f"IVF top-{K} over {N:,} × {DIM} float32 clustered vectors, {N_LISTS} lists, "
        f"{N_QUERIES} queries a batch, one thread, fastest of {repeats}; {report['machine']}"
        f"{', faiss ' + faiss_version if faiss_version else ', faiss not installed'}.\n"
        f"Training (k-means on {TRAIN:,}, {len(training.steps)} steps) {train_s:.1f} s, "
        f"adding {N:,} {add_s:.1f} s. Exact search of the batch: {exact_ms:.1f} ms.\n"
    )
    print(
        "| nprobe | recall@10 | scanned per query | IVFIndex ms | × faster than exact "
        "| faiss IVFFlat ms | IVF ÷ faiss | same ids as faiss |\n|---|---|---|---|---|---|---|---|"
    )
    for r in rows:
        print(
            f"| {r['nprobe']} | {r['recall_at_10']:.3f} | {r['vectors_scanned_per_query']:,} "
            f"| {r['ivf_ms']:.2f} | {r['speed_up_over_exact']:.0f} "
            f"| {r.get('faiss_ms', '–')} | {r.get('ivf_over_faiss', '–')} "
            f"| {r.get('same_ids_as_faiss', '–')} |"
        )


if __name__ == "__main__":
    main()
