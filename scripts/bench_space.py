"""Benchmark the NB101 cell space: hashing, neighbourhoods, enumeration and cache loading.

Prints a JSON object on its last line. Baseline: the straight NB101 md5 hash of one cell
(`nb101_hash`, what NB101/NASLib compute; `Cell.hash` computes it once per object) measured in
the same run; `space.hash_of(cell)` is a key lookup in the loaded space. The per-cell baseline for the enumeration is extrapolated from that
measurement over every representation the enumeration hashes. `nb101_labelling_s` is the step of
the enumeration that picks NB101's labelling of each cell (`nb101_firsts`), timed alone on the
same 1,293,208 representations, and `nb101_labelling_share` its share of the cold enumeration.
"""

from __future__ import annotations

import json
import tempfile
import time

import numpy as np

from eo_naslib.space import Cell, hash_many, nb101_hash, neighbours
from eo_naslib.space.batch import decode_keys
from eo_naslib.space.cache import all_cells, load_table, space_cache_path
from eo_naslib.space.enumeration import nb101_firsts

TARGETS = {"cold_enumeration_s": 30.0, "warm_load_s": 1.0, "hash_one_us": 20.0}


def per_call_us(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        all_cells(cache, rebuild=True)
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        table = load_table(space_cache_path(cache))
        warm_s = time.perf_counter() - start
        rep_matrices, rep_labels = decode_keys(table.rep_keys)
        start = time.perf_counter()
        nb101_firsts(rep_matrices, rep_labels, table.rep_rows)
        labelling_s = time.perf_counter() - start
        tables_s = {}
        for kind in ("edit", "hamming"):
            start = time.perf_counter()
            table.neighbour_graph(kind)
            tables_s[kind] = round(time.perf_counter() - start, 2)

        rng = np.random.default_rng(0)
        rows = rng.choice(len(table), size=5000, replace=False)
        fresh = [Cell(c.matrix, c.ops) for c in (table.cell(int(r)) for r in rows)]  # no cached hashes
        hash_us = per_call_us(table.hash_of, fresh)
        direct_us = per_call_us(lambda c: nb101_hash(c.matrix, c.labels), fresh)
        start = time.perf_counter()
        hash_many(table.matrices[rows], table.labels[rows].astype(np.int64), processes=1)
        batch_per_s = len(rows) / (time.perf_counter() - start)

        cells = fresh[:500]
        start = time.perf_counter()
        count = sum(len(neighbours(c, "edit")) for c in cells)
        edit_cells_per_s = len(cells) / (time.perf_counter() - start)
        start = time.perf_counter()
        sum(len(neighbours(c, "hamming")) for c in cells)
        hamming_cells_per_s = len(cells) / (time.perf_counter() - start)

    result = {
        "cold_enumeration_s": round(cold_s, 2),
        "warm_load_s": round(warm_s, 3),
        "nb101_labelling_s": round(labelling_s, 2),
        "nb101_labelling_share": round(labelling_s / cold_s, 3),
        "neighbour_tables_build_s": tables_s,
        "hash_one_us": round(hash_us, 2),
        "hash_one_direct_md5_us": round(direct_us, 2),
        "hash_speedup_vs_direct": round(direct_us / hash_us, 1),
        "hash_throughput_cells_per_s": round(1e6 / hash_us),
        "hash_many_cells_per_s": round(batch_per_s),
        "edit_neighbourhood_cells_per_s": round(edit_cells_per_s),
        "hamming_neighbourhood_cells_per_s": round(hamming_cells_per_s),
        "mean_edit_neighbours": round(count / len(cells), 2),
        "per_cell_hash_enumeration_estimate_s": round(direct_us * len(table.rep_keys) / 1e6, 1),
    }
    result["targets"] = TARGETS
    result["within_targets"] = all(result[name] <= limit for name, limit in TARGETS.items())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
