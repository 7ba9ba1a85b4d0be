"""Seed 002 (ISPRS 2022): distribution fits with QQ/PP plots (Figs. 3-6, Tables 1-3), FDC with
distance histograms (Figs. 7-8), one walk evaluated on several benchmarks (Fig. 9), persistence
(Figs. 10-11). Sentinel-1 / fusion benchmarks are not public: they appear on SYNTHETIC data only."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from ..landscape import distribution, plots, walks
from ..landscape.footprint import label
from ..testing import SyntheticBenchmark
from . import footprints
from .items import Context, Item, NeedsData, Outcome

#: (name, benchmark, metric, epoch): the measured cells whose fitness distribution is fitted
FITTED = (
    ("CIFAR-10 @36", "cifar10", "val_accuracy", 36),
    ("CIFAR-10 @108", "cifar10", "val_accuracy", 108),
    ("So2Sat micro @108", "so2sat", "val_accuracy", None),
    ("So2Sat macro @108", "so2sat", "val_accuracy_macro", None),
)
#: stand-ins for the three sensor settings (seed 002 Fig. 9): SYNTHETIC, the seeds of SyntheticBenchmark
SYNTHETIC_SENSORS = {"S1 (synthetic)": 1, "S2 (synthetic)": 2, "S1+S2 fusion (synthetic)": 3}
WALK_STEPS = 100


def _measured(context: Context, bench: str, metric: str, epoch: int | None) -> np.ndarray:
    values = context.benchmark(bench, surrogate=False).values(metric, epoch)
    return values[np.isfinite(values)]


def fits(context: Context) -> Outcome:
    figure = Figure(figsize=(13, 12))
    grid = figure.subplots(len(FITTED), 4)
    lines = ["| landscape | cells | family | log-likelihood | AIC | BIC | KS distance |", "| --- | --- | --- | --- | --- | --- | --- |"]
    values = {}
    for row, (name, bench, metric, epoch) in zip(grid, FITTED):
        x = _measured(context, bench, metric, epoch)
        fit = distribution.fit_distributions(x)
        values[name] = {"best_by_aic": fit["best_by_aic"], "cells": len(x)}
        density, cdf, qq, pp = row
        grid_x = np.linspace(x.min(), x.max(), 200)
        density.hist(x, bins=40, density=True, alpha=0.4, color="grey")
        ecdf = np.sort(x)
        cdf.plot(ecdf, np.arange(1, len(x) + 1) / len(x), color="k", lw=2, label="empirical")
        probabilities = (np.arange(1, len(x) + 1) - 0.5) / len(x)
        for family in distribution.FAMILIES:
            if "params" not in fit[family]:
                continue
            frozen = distribution.frozen(fit, family)
            ks = float(stats.kstest(x, frozen.cdf).statistic)
            values[name][family] = {k: fit[family][k] for k in ("log_likelihood", "aic", "bic")} | {"ks": ks}
            lines.append(
                f"| {name} | {len(x)} | {family}{' (best AIC)' if family == fit['best_by_aic'] else ''} | "
                f"{fit[family]['log_likelihood']:.1f} | {fit[family]['aic']:.1f} | {fit[family]['bic']:.1f} | {ks:.3f} |"
            )
            density.plot(grid_x, frozen.pdf(grid_x), label=family)
            cdf.plot(grid_x, frozen.cdf(grid_x), label=family)
            qq.plot(frozen.ppf(probabilities), ecdf, ".", ms=2, label=family)
            pp.plot(probabilities, frozen.cdf(ecdf), ".", ms=2, label=family)
        for ax, lo, hi in ((qq, x.min(), x.max()), (pp, 0, 1)):
            ax.plot([lo, hi], [lo, hi], "k:", lw=1)
        density.set_title(f"{name}: density ({len(x)} measured cells)", fontsize=9)
        cdf.set_title("CDF", fontsize=9)
        qq.set_title("QQ: fitted quantile vs observed", fontsize=9)
        pp.set_title("PP: fitted vs empirical probability", fontsize=9)
        density.legend(fontsize=7)
    figure.tight_layout()
    return Outcome("\n".join(lines), (context.figure(figure, "s002_fits", "pdf_cdf_qq_pp"),), values)


def fdc(context: Context) -> Outcome:
    records = [footprints.record(context, n) for n in ("cifar10_36", "cifar10_108", "so2sat_micro")]
    figure = Figure(figsize=(13, 3.6 * len(records)))
    grid = figure.subplots(len(records), 3)
    lines = ["| landscape | distance | cells | r | slope per unit | fitness gained per unit towards the optimum |", "| --- | --- | --- | --- | --- | --- |"]
    values = {}
    for row, record in zip(grid, records):
        plots.fdc_plot(record, axes=row[:2])
        by = record["fdc"]["hamming"]["by_distance"]
        row[2].bar(by["distance"], by["count"], width=1.0)
        row[2].set_xlabel("Hamming distance to the global optimum")
        row[2].set_ylabel("cells")
        row[2].set_title(f"{label(record)}: distances", fontsize=9)
        for kind in ("hamming", "edit"):
            f = record["fdc"][kind]
            lines.append(f"| {label(record)} | {kind} | {f['cells']} | {f['correlation']:.3f} | {f['slope']:.4f} | {f['gain_per_unit']:.4f} |")
            values[f"{label(record)} {kind}"] = {"r": f["correlation"], "slope": f["slope"]}
    figure.tight_layout()
    return Outcome(
        "Surrogate-completed landscapes (all 423,624 cells); the scatter shows a sample of 2,000 cells.\n\n" + "\n".join(lines),
        (context.figure(figure, "s002_fdc", "fdc_hist"),),
        values,
    )


def walk_on_benchmarks(context: Context) -> Outcome:
    so2sat = context.benchmark("so2sat")
    recorded = walks.recorded_walks(context.space, so2sat.walks())
    chosen = {i: recorded[i] for i in (0, 15) if i < len(recorded)}
    evaluated = (
        ("So2Sat micro", "so2sat", "val_accuracy", None),
        ("So2Sat macro", "so2sat", "val_accuracy_macro", None),
        ("CIFAR-10 @36", "cifar10", "val_accuracy", 36),
        ("CIFAR-10 @108", "cifar10", "val_accuracy", 108),
    )
    figure = Figure(figsize=(13, 3.8))
    axes = figure.subplots(1, len(chosen) + 1)
    values = {}
    for ax, (index, rows) in zip(axes, chosen.items()):
        for name, bench, metric, epoch in evaluated:
            fitness = context.landscape(bench, metric, epoch).fitness[rows]
            measured = context.benchmark(bench).measured_mask(metric, epoch)[rows]
            (line,) = ax.plot(fitness, lw=1, label=name)
            ax.plot(np.flatnonzero(measured), fitness[measured], "o", ms=4, color=line.get_color())
            ax.plot(np.flatnonzero(~measured), fitness[~measured], "o", ms=4, mfc="none", color=line.get_color())
            values[f"walk {index + 1} {name}"] = {"measured": int(measured.sum()), "steps": len(rows)}
        ax.set_title(f"recorded So2Sat walk {index + 1}: filled = measured, hollow = predicted", fontsize=8)
        ax.set_xlabel("step")
    axes[0].set_ylabel("validation accuracy")
    axes[0].legend(fontsize=7)
    synthetic = axes[-1]
    reference = SyntheticBenchmark(context.space, seed=0)
    land = context.landscape("cifar10", "val_accuracy", 36)
    route = walks.random_walks(land, 1, WALK_STEPS if not context.quick else 20, seed=0)[0]
    for name, seed in SYNTHETIC_SENSORS.items():
        synthetic.plot(SyntheticBenchmark(context.space, seed=seed).values("val_accuracy")[route], lw=1, label=name)
    synthetic.plot(reference.values("val_accuracy")[route], lw=1, ls=":", label="synthetic reference")
    synthetic.set_title(f"SYNTHETIC sensors: one {len(route) - 1}-step random walk (not real data)", fontsize=8)
    synthetic.legend(fontsize=7)
    figure.tight_layout()
    text = (
        "Left: recorded So2Sat walks 1 and 16 (the seed's P1 Fig. 14 routes) evaluated on So2Sat (all measured) and on "
        "CIFAR-10 (measured where the public subset has the cell, else the surrogate's prediction). Right: the "
        "sensor comparison of seed 002 Fig. 9 on SYNTHETIC benchmarks only (no public S1 / fusion data)."
    )
    return Outcome(text, (context.figure(figure, "s002_walks", "walks"),), values)


def persistence(context: Context) -> Outcome:
    record = footprints.record(context, "cifar10_36")
    per = record["persistence"]
    lines = ["| | Pi(25) first -> last budget | AuC(25) normalised |", "| --- | --- | --- |"]
    for kind in ("positive", "negative"):
        lines.append(f"| {kind} | {per[kind]['pi_25']:.3f} | {per[kind]['auc_25_normalised']:.3f} |")
    figure = plots.persistence_plot(record)
    text = f"CIFAR-10, {per['cells']} cells measured at 4, 12, 36 and 108 epochs (set overlap, not rank positions).\n\n" + "\n".join(lines)
    values = {k: {"pi_25": per[k]["pi_25"], "auc": per[k]["auc_25_normalised"]} for k in ("positive", "negative")}
    return Outcome(text, (context.figure(figure, "s002_persistence", "cifar10"),), values)


ITEMS = [
    Item(
        "s002_fits", "seed002", "Figs. 3-6, Tables 1-3 (and seed 003 P1 Figs. 8-9, Tables 1-2)",
        "fitness distributions with Beta / Weibull / Log-normal fits, CDFs, QQ and PP plots",
        "densities at 36 and 108 epochs per sensor (bimodal at 36 epochs), fitting errors of the three families; "
        "seed 003 P1: Log-normal best on So2Sat at 36 epochs, Weibull on CIFAR-10.",
        "eo-naslib reproduce seed002 --items s002_fits --out-dir DIR (cf. eo-naslib footprint ... --tabular)",
        "Measured cells only. So2Sat has one public budget (108 epochs, Sentinel-2): the seeds' 36-epoch, S1 and "
        "fusion densities need their own samples. CIFAR-10 is the public 30,001-cell subset (validation, one repeat), "
        "not the seeds' 1,000 test-accuracy samples. We report log-likelihood, AIC, BIC and the KS distance; the "
        "seed's 'fitting error' is not defined precisely enough to recompute.",
        fits, 0.5,
    ),
    Item(
        "s002_fdc", "seed002", "Figs. 7-8 (and seed 003 P1 Figs. 10-11)", "fitness-distance correlation with distance histograms",
        "fitness falls with the distance to the best cell at 36 and 108 epochs; P1: 1.66 points per unit on CIFAR-10.",
        f"{footprints.COMMANDS['cifar10_36']} (fdc.png in DIR)",
        "Distances here are Hamming distances in the 289-bit encoding and edit distances over the whole "
        "(surrogate-completed) space, measured to the global optimum of that landscape; the seeds used their "
        "samples and their own distance, so slopes are not comparable unit for unit.",
        fdc, 1.0,
    ),
    Item(
        "s002_walks", "seed002", "Fig. 9 (and seed 003 P1 Fig. 14)", "one random walk evaluated on several benchmarks",
        "the same walk evaluated with S1, S2, fusion (and CIFAR-10 in P1): the landscapes differ in level and shape.",
        "eo-naslib reproduce seed002 --items s002_walks --out-dir DIR",
        "Sentinel-1 and fusion So2Sat benchmarks are not public: that panel is SYNTHETIC. CIFAR-10 values off the "
        "public subset are surrogate predictions (hollow markers).",
        walk_on_benchmarks, 0.5,
    ),
    Item(
        "s002_persistence", "seed002", "Figs. 10-11 (CIFAR-10 only; and seed 003 P1 Fig. 15)", "positive and negative persistence",
        "P1 (CIFAR-10, 1,000 samples, test): 32% of the top 25% and 6.4% of the bottom 25% persist; seed 002: per sensor.",
        f"{footprints.COMMANDS['cifar10_36']} (persistence.png in DIR)",
        "Only CIFAR-10 has several public budgets (4/12/36/108); So2Sat's public data has 108 epochs only. "
        "The seeds' code compared rank positions element-wise (SEED_PITFALLS.md); we use set overlap.",
        persistence, 1.0,
    ),
]

NEEDS_DATA = [
    NeedsData("seed002", "Fig. 1", "footprint radar of S1 / S2 / fusion", "So2Sat benchmarks per sensor at 4/12/36/108 epochs (`eo-naslib build` on So2Sat LCZ42 HDF5 files; `python scripts/compare_sensors.py --demo-synthetic` shows the pipeline on synthetic data)"),
    NeedsData("seed002", "Fig. 2", "So2Sat LCZ42 image samples", "the So2Sat LCZ42 HDF5 files (a picture, not a result)"),
    NeedsData("seed002", "Figs. 3-11 (S1, fusion, 36 epochs)", "the sensor and 36-epoch panels", "per-sensor benchmarks with 36-epoch results (as Fig. 1)"),
]
