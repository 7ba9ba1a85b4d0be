"""Cost of the pre-training data checks (finite pixels per band, checked block by block while the
selected rows are read) on a synthetic file the size of So2Sat LCZ42's testing.h5.

Usage: python scripts/bench_data_checks.py [--rows 24188] [--dir DIR]
Writes `testing.h5`-like data (float64 like the real files, `sen2` 10 bands plus `label`) chunk by
chunk, then times `so2sat.read_rows` of every row (reading, checking, converting) and, over the
same blocks, `np.isfinite(block).all()` alone. The last line is a JSON object with both times and
the check's share of the read.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from eo_naslib.training.so2sat import CHUNK_ROWS, NUM_CLASSES, PATCH, read_rows


def write_file(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as handle:
        data = handle.create_dataset("sen2", shape=(rows, PATCH, PATCH, 10), dtype="f8", chunks=(64, PATCH, PATCH, 10))
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
            data[start : start + n] = rng.random((n, PATCH, PATCH, 10))
        handle.create_dataset("label", data=np.eye(NUM_CLASSES)[rng.integers(0, NUM_CLASSES, rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=24188, help="rows (default: So2Sat LCZ42 testing.h5's 24,188)")
    parser.add_argument("--dir", help="folder for the file (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "testing.h5"
        write_file(path, args.rows)
        indices = np.arange(args.rows)
        read_rows(path, ("sen2",), indices[:CHUNK_ROWS])  # warm the page cache path once
        start = time.perf_counter()
        read_rows(path, ("sen2",), indices)
        read_s = time.perf_counter() - start
        check_s = 0.0
        with h5py.File(path) as handle:
            for first in range(0, args.rows, CHUNK_ROWS):
                block = np.asarray(handle["sen2"][first : first + CHUNK_ROWS])
                begin = time.perf_counter()
                assert np.isfinite(block).all()
                check_s += time.perf_counter() - begin
        report = {
            "rows": args.rows,
            "file_gb": round(path.stat().st_size / 1e9, 3),
            "read_rows_s": round(read_s, 3),
            "finite_check_s": round(check_s, 3),
            "check_share_of_read": round(check_s / read_s, 4),
            "read_rows_gb_per_s": round(path.stat().st_size / 1e9 / read_s, 3),
        }
    print(f"read_rows of {args.rows:,} rows ({report['file_gb']} GB): {read_s:.2f} s, of which the finite check {check_s:.2f} s")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
