"""Benchmark labels where they live (issue 18): a Parquet column of 1e8 labels, and the same labels
profiled on Dask.

    .venv/bin/python benchmarks/arrow_bench.py [--repeat 3] [--size 100000000] [--clean]

1. Parquet. A file of `size` int64 class ids (10 classes, row groups of 1M rows, pyarrow's default
   snappy + dictionary encoding), page cache warm. Each in a fresh process (wall time, and peak RSS
   from os.wait4, as benchmarks/labels_bench.py measures):
     floor   pyarrow reading the column batch by batch and taking min/max (pyarrow.compute.min_max)
     labels  `python -m lossadvisor labels FILE --column label`: the full profile and report
   Goal: `labels` within 3x of the floor, peak at most 256 MiB.
2. Dask. The same number of labels, made on the workers of a distributed.LocalCluster (2 worker
   processes, 1 thread each) in partitions of --chunk labels (1M, then 10M) and persisted there; `lossadvisor.profile(array)` on
   the cluster against `lossadvisor.profile` of the same labels as one NumPy array in this process.
   Reports the speed-up, and checks that the two profiles are identical (exit 1 if not). Class ids
   cost one bincount per partition, so Dask's per-task overhead shows; float regression targets
   (a sort per partition) show what two workers buy when the profile itself costs something.
Best of --repeat runs (the machine is noisy).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from labels_bench import WORK, best, warm  # noqa: E402  (same measuring helpers, one place)

GOAL_RATIO = 3.0
GOAL_PEAK_MIB = 256
CLASSES = 10

MAKE = """
import sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
path, size = sys.argv[1], int(sys.argv[2])
schema = pa.schema([("label", pa.int64())])
with pq.ParquetWriter(path, schema) as writer:
    for i, start in enumerate(range(0, size, 1_000_000)):
        labels = np.random.default_rng(i).integers(0, 10, min(1_000_000, size - start), dtype=np.int64)
        writer.write_table(pa.table({"label": labels}, schema=schema))
"""

FLOOR = """
import sys, time
import pyarrow.compute as pc, pyarrow.parquet as pq
t = time.perf_counter()
low = high = None
for batch in pq.ParquetFile(sys.argv[1]).iter_batches(batch_size=1 << 20, columns=["label"]):
    found = pc.min_max(batch.column(0))
    low = found["min"].as_py() if low is None else min(low, found["min"].as_py())
    high = found["max"].as_py() if high is None else max(high, found["max"].as_py())
print(time.perf_counter() - t)
"""


def _chunk(seed: int, size: int, kind: str = "ids") -> object:
    import numpy as np

    rng = np.random.default_rng(seed)
    if kind == "floats":  # regression targets: a sort per partition (np.unique), not a bincount
        return rng.normal(size=size).astype(np.float32)
    return rng.integers(0, CLASSES, size, dtype=np.int64)


def parquet(size: int, repeat: int) -> tuple[dict, dict, bool]:
    import subprocess

    path = WORK / f"labels_{size}_int64.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, "-c", MAKE, str(tmp), str(size)], check=True)
        tmp.replace(path)
    warm(path)
    py = sys.executable
    floor = best([py, "-c", FLOOR, str(path)], repeat)
    labels = best([py, "-m", "lossadvisor", "labels", str(path), "--column", "label", "--no-progress"], repeat)
    print(f"1. Parquet: {size:,} int64 labels ({path.stat().st_size / 1e6:,.0f} MB file, page cache warm); best of {repeat} runs")
    print(f"   {'':8} {'wall s':>8} {'work s':>8} {'peak MiB':>9}")
    print(f"   {'floor':8} {floor['wall']:8.3f} {floor['work']:8.3f} {floor['peak']:9.1f}")
    print(f"   {'labels':8} {labels['wall']:8.3f} {'':>8} {labels['peak']:9.1f}")
    ratio = labels["wall"] / floor["wall"]
    print(f"   labels process / floor process (both start Python): {ratio:.2f}x")
    print(f"   labels whole process / floor work (strictest):      {labels['wall'] / floor['work']:.2f}x")
    met = ratio <= GOAL_RATIO and labels["peak"] <= GOAL_PEAK_MIB
    print(f"   goal (within {GOAL_RATIO:g}x of the floor, peak at most {GOAL_PEAK_MIB} MiB): {'met' if met else 'MISSED'}")
    return floor, labels, met


def dask_speedup(size: int, chunk: int, repeat: int, kind: str = "ids") -> bool:
    import dask
    import dask.array as da
    import numpy as np
    from distributed import Client, LocalCluster, wait

    import lossadvisor

    blocks = size // chunk
    whole = np.concatenate([_chunk(i, chunk, kind) for i in range(blocks)])
    single = []
    for _ in range(repeat):
        t = time.perf_counter()
        expected = lossadvisor.profile(whole)
        single.append(time.perf_counter() - t)
    whole_dtype = whole.dtype
    del whole
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster):
        parts = [da.from_delayed(dask.delayed(_chunk)(i, chunk, kind), shape=(chunk,), dtype=whole_dtype) for i in range(blocks)]
        array = da.concatenate(parts).persist()  # the labels live on the workers, as in a data lake
        wait(array)
        on_cluster = []
        for _ in range(repeat):
            t = time.perf_counter()
            got = lossadvisor.profile(array)
            on_cluster.append(time.perf_counter() - t)
    same = got == expected
    what = "int64 class ids" if kind == "ids" else "float32 regression targets"
    print(f"\n2. Dask: the same {blocks * chunk:,} {what} in {blocks} partitions of {chunk:,}, persisted on 2 worker processes")
    print(f"   single process (one NumPy array): {min(single):.3f} s")
    print(f"   2 workers (per partition, merged): {min(on_cluster):.3f} s")
    print(f"   speed-up {min(single) / min(on_cluster):.2f}x; profiles identical: {'yes' if same else 'NO'}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", type=int, default=100_000_000)
    parser.add_argument("--chunk", type=int, action="append", help="Dask partition size (repeatable; default 1e6 and 1e7)")
    parser.add_argument("--clean", action="store_true", help="delete the generated Parquet file afterwards")
    args = parser.parse_args()
    *_, met = parquet(args.size, args.repeat)
    same = all([dask_speedup(args.size, chunk, args.repeat) for chunk in args.chunk or (1_000_000, 10_000_000)])
    same = dask_speedup(args.size, max(args.chunk or [10_000_000]), args.repeat, "floats") and same
    if args.clean:
        (WORK / f"labels_{args.size}_int64.parquet").unlink(missing_ok=True)
    return 0 if met and same else 1


if __name__ == "__main__":
    sys.exit(main())
