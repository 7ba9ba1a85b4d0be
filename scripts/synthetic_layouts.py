"""Train one tiny cell on *synthetic* data in every dataset layout and print the accuracies.

    python scripts/synthetic_layouts.py [--epochs 3]

The layouts and settings of tests/test_training_datasets.py (stem 8, one stack of one cell, CPU):
So2Sat v2 and v3 (random) HDF5, a EuroSAT-MS-shaped GeoTIFF folder (13 bands, 16x16, 10
classes; needs rasterio), .npy folders (nhwc with a split column; nchw with the seeds' stratified
split). One JSON line per layout, then one JSON line of all figures with the chance levels.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from eo_naslib.space import random_cell
from eo_naslib.training.config import TrainConfig
from eo_naslib.training.job import train_and_measure
from eo_naslib.training.so2sat import VERSION_FILES
from eo_naslib.training.synthetic import write_synthetic_so2sat
from eo_naslib.training.synthetic_folders import write_synthetic_geotiff_folder, write_synthetic_npy_folder

TINY = {
    "batch_size": 32, "lr": 0.1, "bn_momentum": 0.1, "stem_channels": 8, "num_stacks": 1, "cells_per_stack": 1,
    "subset_fraction": 1.0, "latency_batch_size": 4, "latency_repeats": 2, "latency_warmup": 1, "device": "cpu",
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cell = random_cell(np.random.default_rng(1))
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        layouts = {  # name: (data folder, settings, chance = share of the most frequent class)
            "so2sat_v2": (write_synthetic_so2sat(root / "v2", 500, 100, 100, seed=0), {"dataset": "so2sat"}, 3 / 34),
            "so2sat_v3_random": (
                write_synthetic_so2sat(root / "v3", 500, 0, 100, seed=0, files=VERSION_FILES["3_random"]),
                {"dataset": "so2sat_v3_random"}, 3 / 34,
            ),
            "geotiff_eurosat_ms": (write_synthetic_geotiff_folder(root / "tif", n=300), {"dataset": "folder"}, None),
            "npy_nhwc_split_column": (
                write_synthetic_npy_folder(root / "npy", n=300, split_seed=0), {"dataset": "folder", "split_protocol": "files"}, None,
            ),
            "npy_nchw_seeds_split": (
                write_synthetic_npy_folder(root / "npy_nchw", n=200, bands=5, patch=12, classes=4, layout="nchw", seed=3),
                {"dataset": "folder"}, None,
            ),
        }  # fmt: skip
        for name, (folder, settings, chance) in layouts.items():
            config = TrainConfig.from_dict({**TINY, "epochs": args.epochs, "eval_every": args.epochs, **settings})
            record = train_and_measure(cell, config, root / "out" / name, data=folder)
            test_labels = record["data"]["n_test"]
            figures[name] = {
                "val_accuracy": round(record["metrics"]["val_accuracy"], 4),
                "test_accuracy": round(record["metrics"]["test_accuracy"], 4),
                "test_kappa": round(record["extra"]["test_kappa"], 4),
                "chance": round(chance if chance is not None else 1 / record["model"]["num_classes"], 4),
                "bands": record["model"]["in_channels"],
                "classes": record["model"]["num_classes"],
                "patch": record["data"]["patch"],
                "n_test": test_labels,
                "split_protocol": record["data"]["split_protocol"],
            }
            print(json.dumps({"layout": name, **figures[name]}), flush=True)
    print(json.dumps({"synthetic": True, "epochs": args.epochs, "layouts": figures}))


if __name__ == "__main__":
    main()
