"""Plots drawn from footprint records: radar, FDC, walks, persistence, fitted densities.

Each function draws on the given axes (or a new figure), returns the figure, and never chooses a
matplotlib backend; `all_plots` writes them as PNG files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..io import save_figure
from .distribution import FAMILIES, frozen
from .footprint import label, radar_features


def _pair(axes: Sequence[Axes] | None, **kwargs: Any) -> tuple[Figure, Sequence[Axes]]:
    """Two side-by-side axes: the given ones, or a new 12 x 4.5 inch figure's."""
    if axes is not None:
        return axes[0].figure, axes
    figure = Figure(figsize=(12, 4.5))
    return figure, figure.subplots(1, 2, **kwargs)


def radar(records: Sequence[dict[str, Any]], ax: Axes | None = None) -> Figure:
    """One polygon per footprint; each axis scaled by the largest |value| among the records.

    A feature a record lacks (e.g. persistence with one fidelity) is drawn at 0.
    """
    features = [radar_features(r) for r in records]
    axes = [k for k in features[0] if any(f.get(k) is not None for f in features)]
    scale = {k: max(abs(f[k]) for f in features if f.get(k) is not None) or 1.0 for k in axes}
    angles = np.linspace(0, 2 * np.pi, len(axes), endpoint=False)
    fig = Figure(figsize=(7, 7)) if ax is None else ax.figure
    ax = fig.add_subplot(projection="polar") if ax is None else ax
    for record, f in zip(records, features):
        vals = [(f[k] or 0.0) / scale[k] for k in axes]
        ax.plot(np.append(angles, angles[0]), vals + vals[:1], label=label(record))
        ax.fill(np.append(angles, angles[0]), vals + vals[:1], alpha=0.15)
    ax.set_xticks(angles, [f"{k}\n(max {scale[k]:.3g})" for k in axes], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.2), fontsize=8)
    ax.set_title("Fitness landscape footprint")
    return fig


def fdc_plot(record: dict[str, Any], axes: Sequence[Axes] | None = None) -> Figure:
    """Sampled scatter, per-distance mean +- std and the least-squares line, Hamming and edit."""
    fig, axes = _pair(axes)
    for ax, kind in zip(axes, ("hamming", "edit")):
        data = record["fdc"][kind]
        by = data["by_distance"]
        ax.scatter(
            data["sample"]["distance"], data["sample"]["fitness"], s=4, alpha=0.3, label="sampled cells"
        )
        ax.errorbar(
            by["distance"], by["mean"], yerr=by["std"], fmt="o-", color="k", ms=3, label="mean +- std"
        )
        d = np.array(by["distance"], dtype=float)
        ax.plot(
            d,
            data["intercept"] + data["slope"] * d,
            "r--",
            label=f"fit: r={data['correlation']:.3f}, slope={data['slope']:.4f}",
        )
        ax.set_xlabel(f"{kind} distance to the global optimum")
        ax.set_ylabel(record["settings"]["metric"])
        ax.legend(fontsize=8)
    fig.suptitle(f"Fitness-distance correlation: {label(record)}")
    return fig


def walks_plot(record: dict[str, Any], axes: Sequence[Axes] | None = None) -> Figure:
    """Fitness along every walk, and the distribution of per-walk rho(1)."""
    rug = record["ruggedness"]
    fig, (left, right) = _pair(axes, gridspec_kw={"width_ratios": [2, 1]})
    for series in rug["series"]:
        left.plot(series, lw=0.8, alpha=0.7)
    left.set_xlabel("step")
    left.set_ylabel(record["settings"]["metric"])
    left.set_title(f"{rug['walks']} {rug['source']} walks, tau = 1/mean rho(1) = {rug['tau']:.3f}")
    rho = [r for r in rug["rho1"] if r is not None and np.isfinite(r)]
    right.hist(rho, bins=15)
    right.axvline(rug["mean_rho1"], color="r", ls="--", label="mean rho(1)")
    right.set_xlabel("rho(1) per walk")
    right.legend(fontsize=8)
    fig.suptitle(label(record))
    return fig


def persistence_plot(record: dict[str, Any], axes: Sequence[Axes] | None = None) -> Figure:
    """Positive and negative Pi(N) for each prefix of the fidelity list."""
    per = record["persistence"]
    fig, axes = _pair(axes)
    for ax, kind in zip(axes, ("positive", "negative")):
        for name, curve in per[kind]["curves"].items():
            ax.plot(per["percents"], curve, label=f"epochs {name}")
        ax.axvline(25, color="grey", ls=":")
        ax.set_xlabel("N (top %)" if kind == "positive" else "N (bottom %)")
        ax.set_ylabel("persistence Pi(N)")
        ax.set_title(f"{kind}: Pi(25) = {per[kind]['pi_25']:.3f}, AuC(25) = {per[kind]['auc_25']:.2f}")
        ax.legend(fontsize=8)
    fig.suptitle(f"Persistence over {per['cells']} cells: {label(record)}")
    return fig


def densities_plot(record: dict[str, Any], axes: Sequence[Axes] | None = None) -> Figure:
    """Empirical density and CDF (from the histogram) with the fitted Beta, Weibull, Log-normal."""
    dist = record["distribution"]
    edges = np.array(dist["histogram"]["edges"])
    density = np.array(dist["histogram"]["density"])
    x = np.linspace(edges[0], edges[-1], 400)
    fig, (pdf_ax, cdf_ax) = _pair(axes)
    pdf_ax.stairs(density, edges, fill=True, alpha=0.3, label="empirical")
    cdf_ax.plot(edges, np.concatenate([[0], np.cumsum(density * np.diff(edges))]), "k", label="empirical")
    for name in FAMILIES:
        fit = dist["fits"].get(name, {})
        if "params" not in fit:
            continue
        model = frozen(dist["fits"], name)
        tag = f"{name} (AIC {fit['aic']:.4g})"
        pdf_ax.plot(x, model.pdf(x), label=tag)
        cdf_ax.plot(x, model.cdf(x), label=tag)
    for ax, title in ((pdf_ax, "PDF"), (cdf_ax, "CDF")):
        ax.set_xlabel(record["settings"]["metric"])
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.suptitle(f"Fitness distribution: {label(record)}")
    return fig


def all_plots(record: dict[str, Any], directory: str | os.PathLike) -> list[str]:
    """Every single-landscape plot as a PNG file in `directory`; returns the written paths."""
    jobs = {
        "fdc.png": fdc_plot,
        "walks.png": walks_plot,
        "densities.png": densities_plot,
        "radar.png": lambda r: radar([r]),
    }
    if record.get("persistence"):
        jobs["persistence.png"] = persistence_plot
    written = []
    for name, draw in jobs.items():
        figure = draw(record)
        figure.tight_layout()
        written.append(str(save_figure(figure, os.path.join(directory, name), dpi=110)))
    return written
