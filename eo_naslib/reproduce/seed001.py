"""Seed 001 (TUM Data Innovation Lab report): the macro/micro table (Table 1) from the 907-cell
all_metrics.csv, and the footprint comparison with CIFAR-10 (Fig. 11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..benchmarks.distribution_only import import_all_metrics
from ..errors import DataFileError
from ..landscape import plots
from ..landscape.footprint import label, radar_features
from . import footprints
from .items import Context, Item, NeedsData, Outcome

ALL_METRICS = "all_metrics.csv"


def table1(context: Context) -> Outcome:
    if not context.eo_folder:
        raise DataFileError(
            f"Table 1 needs seed 001's {ALL_METRICS} (scripts/ of emreds/tum-dlr-automl-for-eo); pass --eo-folder FOLDER holding it"
        )
    source = import_all_metrics(Path(context.eo_folder) / ALL_METRICS)
    so2sat = context.benchmark("so2sat", surrogate=False)
    cifar = context.benchmark("cifar10", surrogate=False).values("val_accuracy", 108)
    micro, macro = source.columns["val_accuracy"], source.columns["val_accuracy_macro"]
    p_micro, p_macro = (so2sat.values(m) for m in ("val_accuracy", "val_accuracy_macro"))
    text = "\n".join(
        [
            "| source | cells | macro acc. | micro acc. |",
            "| --- | --- | --- | --- |",
            f"| all_metrics.csv (distribution only: rows not mapped to cells) | {len(source)} | {100 * macro.mean():.3f}% | {100 * micro.mean():.3f}% |",
            f"| EO HW-NAS pickles (450 cells, seed 000) | {int(np.isfinite(p_micro).sum())} | {100 * np.nanmean(p_macro):.3f}% | {100 * np.nanmean(p_micro):.3f}% |",
            f"| CIFAR-10, NB101 subset, val @108 (no macro in NB101) | {int(np.isfinite(cifar).sum())} | n/a | {100 * np.nanmean(cifar):.3f}% |",
            "",
            f"all_metrics.csv per-epoch training time: median {np.median(source.columns['epoch_time_s']):.1f} s "
            "(one epoch, not the whole run: SEED_PITFALLS.md).",
        ]
    )
    values = {"rows": len(source), "macro": float(macro.mean()), "micro": float(micro.mean()), "sha256": source.provenance["sha256"]}
    return Outcome(text, (), values)


def footprint_comparison(context: Context) -> Outcome:
    records = [footprints.record(context, n) for n in ("cifar10_36", "so2sat_macro", "so2sat_micro")]
    figure = plots.radar(records)
    figure.set_size_inches(6, 6)
    features = [radar_features(r) for r in records]
    names = [label(r) for r in records]
    lines = ["| feature | " + " | ".join(names) + " |", "| --- " * (len(names) + 1) + "|"]
    for key in features[0]:
        cells = ["n/a" if f[key] is None else f"{f[key]:.3g}" for f in features]
        lines.append(f"| {key.replace('|', '&#124;')} | " + " | ".join(cells) + " |")
    text = "Surrogate-completed landscapes (edit moves, symmetric); So2Sat ruggedness from the 30 recorded walks.\n\n" + "\n".join(lines)
    return Outcome(text, (context.figure(figure, "s001_footprint", "radar"),), {"features": dict(zip(names, features))})


ITEMS = [
    Item(
        "s001_table1", "seed001", "Table 1", "average macro and micro accuracy, So2Sat LCZ42 vs CIFAR-10",
        "So2Sat LCZ42 macro 41.34%, micro 58.77%; CIFAR-10 89.62% / 89.62%.",
        "eo-naslib reproduce seed001 --items s001_table1 --eo-folder FOLDER_WITH_all_metrics.csv --out-dir DIR",
        "None for So2Sat (the same 907 rows; the seed truncates: micro 58.778% -> 58.77%). The CIFAR-10 figure's cells and split are not stated; ours is "
        "the public subset's 108-epoch validation accuracy. The 907 rows cannot be tied to cells, so they give "
        "statistics only (imported as a distribution-only source).",
        table1, 0.1,
    ),
    Item(
        "s001_footprint", "seed001", "Fig. 11", "footprint of CIFAR-10 vs So2Sat LCZ42 (radar)",
        "So2Sat is the harder landscape: lower mean fitness, lower persistence; CIFAR-10 has the higher variance.",
        f"{footprints.COMMANDS['cifar10_36']}; {footprints.COMMANDS['so2sat_macro']}; eo-naslib footprint compare A.json B.json --out radar.png",
        "So2Sat has one public budget (108 epochs), so no persistence; 99.9% of its landscape and 93% of "
        "CIFAR-10's are XGBoost predictions (smoother than real training); the seed's footprint used its own "
        "multi-budget samples. See docs/landscape_report.md for the feature-by-feature discussion.",
        footprint_comparison, 1.0,
    ),
]

NEEDS_DATA = [
    NeedsData("seed001", "Figs. 1-10", "NAS process, sampling, So2Sat classes and samples, NB101 design, training pipeline, DDP", "nothing: drawings and photographs, not results"),
]
