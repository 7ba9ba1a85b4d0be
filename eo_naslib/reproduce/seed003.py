"""Seed 003 (dissertation): P1's footprint, walks, local optima and neutrality; P2's clustering
study (PCA vs SVD, sample sizes, number of clusters, quality scores, cluster scatter) and GA / EA /
AE from random, LHS and centroid starts (Figs. 8-14) with the seed's budgets."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA, TruncatedSVD

from ..experiments import population_plots
from ..landscape import plots
from ..landscape.footprint import label, radar_features
from ..search.init.clusters import CLUSTERINGS, cluster_features, cluster_labels, cluster_scores
from . import experiments, footprints
from .items import Context, Item, NeedsData, Outcome, number

#: clustering study: sample sizes (seed 003 P2 Fig. 5), components (Figs. 3-4), clusters (Fig. 6)
SIZES = (10000, 5000, 2500, 1000, 500, 100)
COMPONENTS = (2, 3, 4, 6, 8)
CLUSTERS = (2, 4, 6, 8, 10, 13, 16, 19, 25)
#: points of the cluster scatter (Fig. 7): spectral clustering and DBSCAN are quadratic-ish
SCATTER_POINTS = 2000
QUICK_SIZES = (600, 300, 100)
FIDELITIES = (4, 12, 36, 108)


def footprint_table(context: Context) -> Outcome:
    names = ("cifar10_36", "cifar10_108", "so2sat_macro", "so2sat_micro")
    records = [footprints.record(context, n) for n in names]
    figure = plots.radar(records)
    figure.set_size_inches(6, 6)
    lines = [
        "| landscape | tau | exact local optima (cells) | optimal plateaus | birthday estimate (k mean) "
        "| ratio estimate | FDC r (Hamming) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    values = {}
    for record in records:
        lo = record["local_optima"]
        exact = (lo.get("exact") or {}).get("count")
        plateaus = ((lo.get("exact") or {}).get("plateaus") or {}).get("count")
        birthday = lo.get("birthday") or {}
        ratio = (lo.get("ratio") or {}).get("estimate")
        lines.append(
            f"| {label(record)} | {number(record['ruggedness']['tau'], '.2f')} | {number(exact, ',')} | "
            f"{number(plateaus, ',')} | "
            f"{number(birthday.get('estimate'), ',.0f')} ({number(birthday.get('k_mean'), '.1f')}) | "
            f"{number(ratio, ',.0f')} | {number(record['fdc']['hamming']['correlation'])} |"
        )
        values[label(record)] = radar_features(record) | {
            "exact_optima": exact, "optimal_plateaus": plateaus, "birthday": birthday.get("estimate")
        }
    text = (
        "Surrogate-completed landscapes; exact counts over all 423,624 cells. Cells: a cell with no "
        "strictly fitter neighbour (ties keep optimality, so every cell of a flat stretch counts). "
        "Plateaus: equally fit neighbouring cells counted once, and a flat stretch with a way up not "
        "counted (`optima.optimal_plateaus`); the two differ where the surrogate predicts equal values "
        "for neighbours.\n\n" + "\n".join(lines)
    )
    return Outcome(text, (context.figure(figure, "s003_footprint", "radar"),), values)


def walk_routes(context: Context) -> Outcome:
    record = footprints.record(context, "cifar10_36")
    figure = Figure(figsize=(12, 4))
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    series = record["ruggedness"]["series"]
    for s in series:
        left.plot(s, lw=0.7, alpha=0.7)
    left.set_xlabel("step")
    left.set_ylabel("validation accuracy @36")
    left.set_title(f"{len(series)} random walks on CIFAR-10 @36 (surrogate-completed)", fontsize=9)
    right.hist(np.concatenate(series), bins=40)
    right.set_xlabel("fitness along the walks")
    figure.tight_layout()
    rug = record["ruggedness"]
    text = f"tau = 1 / mean rho(1) = {number(rug['tau'], '.2f')} over {rug['walks']} walks (median per-walk tau {number(rug['tau_per_walk_median'], '.2f')})."
    return Outcome(text, (context.figure(figure, "s003_walks", "cifar10_36"),), {"tau": rug["tau"]})


def neutrality(context: Context) -> Outcome:
    records = [footprints.record(context, n) for n in ("cifar10_36", "cifar10_108", "so2sat_micro")]
    figure = Figure(figsize=(11, 3.8))
    left, right = figure.subplots(1, 2)
    lines = ["| landscape | epsilon | mean neutrality degree | mean relative degree | r(fitness, mean neighbour fitness) |", "| --- | --- | --- | --- | --- |"]
    for record in records:
        n = record["neutrality"]
        edges = np.asarray(n["by_fitness"]["bin_edges"])
        centres = (edges[:-1] + edges[1:]) / 2
        nb = np.array([np.nan if v is None else v for v in n["by_fitness"]["mean_neighbour_fitness"]])
        deg = np.array([np.nan if v is None else v for v in n["by_fitness"]["mean_degree"]])
        left.plot(centres, nb, "o-", ms=3, label=label(record))
        right.plot(centres, deg, "o-", ms=3, label=label(record))
        lines.append(f"| {label(record)} | {n['epsilon']:g} | {n['mean_degree']:.2f} | {n['mean_relative_degree']:.3f} | {n['correlation_fitness_neighbour_mean']:.3f} |")
    left.plot(left.get_xlim(), left.get_xlim(), "k:", lw=1)
    left.set_xlabel("fitness")
    left.set_ylabel("mean fitness of the neighbours")
    right.set_xlabel("fitness")
    right.set_ylabel("neutrality degree (|df| < eps)")
    left.legend(fontsize=7)
    figure.tight_layout()
    return Outcome("\n".join(lines), (context.figure(figure, "s003_neutrality", "neighbours"),), {})


def _scores_row(reduced: np.ndarray, n_clusters: int, seed: int) -> dict[str, float]:
    labels = KMeans(n_clusters=n_clusters, n_init=3, random_state=seed).fit_predict(reduced)
    return cluster_scores(reduced, labels)


def clustering(context: Context) -> Outcome:
    """P2 Figs. 3-7 on CIFAR-10's measured cells (Short / Long encoding + fitness at 4/12/36/108)."""
    cifar = context.benchmark("cifar10", surrogate=False)
    measured = np.flatnonzero(cifar.measured_mask("val_accuracy", 108))
    sizes = QUICK_SIZES if context.quick else SIZES
    rng = np.random.default_rng(0)
    sample = rng.choice(measured, sizes[0], replace=False)
    fitness = np.stack([cifar.values("val_accuracy", e)[sample] for e in FIDELITIES], axis=1)
    features = {enc: cluster_features(context.space, sample, fitness, enc) for enc in ("short", "long")}
    mid = sizes[min(1, len(sizes) - 1)]
    figure = Figure(figsize=(14, 11))
    grid = figure.subplots(3, 3)
    # Figs. 3-4: PCA vs TruncatedSVD, components, N = 10 clusters (k-means), both encodings
    for ax, enc in zip(grid[0][:2], ("short", "long")):
        for tool in (PCA, TruncatedSVD):
            scores = [_scores_row(tool(n_components=c, random_state=0).fit_transform(features[enc][:mid]), 10, 0)["silhouette"] for c in COMPONENTS]
            ax.plot(COMPONENTS, scores, "o-", label=tool.__name__)
        ax.set_title(f"{enc} encoding: silhouette, N = 10 clusters ({mid} cells)", fontsize=9)
        ax.set_xlabel("components")
        ax.legend(fontsize=7)
    reduced = {enc: TruncatedSVD(n_components=2, random_state=0).fit_transform(features[enc]) for enc in ("short", "long")}
    # Fig. 5: sample size; Fig. 6: number of clusters (Short encoding, TruncatedSVD to 2-D)
    size_scores = {n: [_scores_row(reduced["short"][:n], k, 0) for k in CLUSTERS if k < n] for n in sizes}
    ax = grid[0][2]
    for n, rows in size_scores.items():
        ax.plot(CLUSTERS[: len(rows)], [r["silhouette"] for r in rows], "o-", ms=3, label=f"{n} cells")
    ax.set_title("sample size: silhouette vs clusters (Short, SVD 2-D)", fontsize=9)
    ax.legend(fontsize=6)
    chosen = size_scores[mid]
    for ax, score in zip(grid[1], ("silhouette", "calinski_harabasz", "davies_bouldin")):
        ax.plot(CLUSTERS[: len(chosen)], [r[score] for r in chosen], "o-")
        ax.set_title(f"{score} vs number of clusters ({mid} cells, Short)", fontsize=9)
        ax.set_xlabel("clusters")
    # Fig. 7: the clusters of five algorithms on the 2-D SVD map
    points = reduced["short"][: min(SCATTER_POINTS, len(reduced["short"]))]
    lines = ["| algorithm | clusters found | silhouette | Calinski-Harabasz | Davies-Bouldin |", "| --- | --- | --- | --- | --- |"]
    values = {"sizes": list(sizes)}
    for ax, algorithm in zip([*grid[2], None, None], CLUSTERINGS):  # drawn: the first three
        labels, centres = cluster_labels(algorithm, points, 10, 0, max_iter=100)
        s = cluster_scores(points, labels)
        lines.append(f"| {algorithm} | {len(centres)} | {s['silhouette']:.3f} | {s['calinski_harabasz']:.0f} | {s['davies_bouldin']:.3f} |")
        values[algorithm] = s | {"clusters": len(centres)}
        if ax is not None:
            ax.scatter(points[:, 0], points[:, 1], c=labels, s=3, cmap="tab20")
            ax.set_title(f"{algorithm}: {len(centres)} clusters ({len(points)} cells, Short, SVD)", fontsize=9)
    figure.tight_layout()
    text = (
        f"CIFAR-10 measured cells, nested samples {list(sizes)}; features = encoding + validation accuracy at 4/12/36/108 "
        "epochs; k-means (3 inits) for the score curves, the seed's Table 2 settings for the five algorithms "
        "(scatter: the first three algorithms; all five scored below, N = 10).\n\n" + "\n".join(lines)
    )
    return Outcome(text, (context.figure(figure, "s003_clustering", "study"),), values)


def population(name: str, fitness_label: str):
    def run(context: Context) -> Outcome:
        experiment, _ = experiments.run(context, name)
        runs = experiments.records(experiment)
        table, values = experiments.population_tables(experiment, runs)
        key = f"s003_{name}"
        figures = []
        traces = {n: [r["trace"] for r in rs if r.get("trace")] for n, rs in runs.items()}
        traces = {n: t for n, t in traces.items() if t}
        if traces:
            figure = population_plots.population_fitness(traces, title=f"{experiment.name}: population fitness", ylabel=fitness_label)
            figure.set_size_inches(8, 4.5)
            figures.append(context.figure(figure, key, "population"))
        finals = {n: [r["scores"][-1][f"best_{r['objectives'][0]}"] for r in rs] for n, rs in runs.items()}
        figures.append(context.figure(population_plots.final_boxplots(finals, title=f"{experiment.name}: best at the end", ylabel=fitness_label), key, "boxplots"))
        heat = [n for n in runs if n != "rs"][:9]
        if heat:
            figure = Figure(figsize=(3.3 * min(3, len(heat)), 3.1 * ((len(heat) + 2) // 3)))
            axes = np.atleast_1d(figure.subplots((len(heat) + 2) // 3, min(3, len(heat)))).ravel()
            for ax, n in zip(axes, heat):
                best = [context.space.index(r["history"]["hash"][int(np.argmax(np.asarray(r["history"]["values"])[:, 0]))]) for r in runs[n]]
                population_plots.adjacency_heatmap(context.space, best, ax=ax, title=f"{n}: best cells of {len(best)} runs")
            figure.tight_layout()
            figures.append(context.figure(figure, key, "adjacency"))
        text = (
            f"{experiment.seeds} seeds, budget counted as {experiment.budget_counts} (means over seeds; "
            f"`first_7` = the 7 centroid cells of a clustering start). Two-sided Mann-Whitney U, A12 of the first over the "
            f"second, Holm over the comparisons of each column.\n\n{table}"
        )
        return Outcome(text, tuple(figures), values)

    return run


POPULATION_DIFFERS = (
    "Fitness is validation accuracy of the public 30,001-cell CIFAR-10 subset, surrogate-completed (the seed: full "
    "NB101, box plots in test accuracy). BGM runs 100 iterations (seed: 500) and keeps fewer non-empty clusters. "
    "Default 30 seeds (the seed ran 100: `--seeds 100`). docs/population_report.md discusses the differences."
)

ITEMS = [
    Item(
        "s003_footprint", "seed003", "P1 Fig. 1, Table 3 (ch. 4 Table 4.1, Fig. 4.5)", "footprint of CIFAR-10 and So2Sat; local optima",
        "P1: tau 1.93 (CIFAR-10 @36) and 1.75 (So2Sat); birthday estimate 6,373 optima on CIFAR-10 @36 (k mean 94, T = 9, M = 200).",
        f"{footprints.COMMANDS['cifar10_36']}; {footprints.COMMANDS['so2sat_micro']}",
        "Our local-optimum count is exact over the surrogate-completed space; the birthday method measures basin "
        "collisions (an effective number), and the seeds' code used k^2/(-ln 0.5) instead of k^2/(2 ln 2) and a "
        "placeholder fitness (SEED_PITFALLS.md). So2Sat's walks are the 30 recorded 15-cell walks at 108 epochs "
        "(seeds: 36 epochs, their walks). The counts describe the surrogate, not training: a surrogate "
        "that predicts equal values for neighbouring cells (So2Sat micro's path-encoding model) has "
        "many more optimal cells than optimal plateaus. See docs/landscape_report.md.",
        footprint_table, 1.0,
    ),
    Item(
        "s003_walks", "seed003", "P1 Figs. 12-13 (ch. 4 Figs. 4.2, 4.4)", "random walk routes on CIFAR-10 @36 and the fitness along them",
        "rugged routes with frequent drops; walk fitness concentrated near the top with a long low tail.",
        f"{footprints.COMMANDS['cifar10_36']} (walks.png in DIR)",
        "Walks over the surrogate-completed space (93% predicted cells are smoother than single training runs); "
        "independent random streams per walk (the seeds' walks shared one: SEED_PITFALLS.md).",
        walk_routes, 1.0,
    ),
    Item(
        "s003_neutrality", "seed003", "ch. 4 Figs. 4.7-4.8", "mean neighbour fitness and neutrality degree vs fitness",
        "neighbour fitness rises with fitness below the top; neutrality highest in flat regions.",
        "eo-naslib footprint ... (the record's `neutrality` block)",
        "Edit neighbourhood over the surrogate-completed space with epsilon = 0.001; the seed's HPO instances "
        "(FLOWER, SCMNIST) are not NAS benchmarks and not reproduced.",
        neutrality, 1.0,
    ),
    Item(
        "s003_clustering", "seed003", "P2 Figs. 3-7 (Table 2 settings)", "clustering study: PCA vs SVD, sample size, clusters, scores, scatter",
        "TruncatedSVD matches PCA on the Short encoding and beats it on the sparse Long one; 10,000 samples; "
        "19 (Short) / 13 (Long) clusters; BGM chosen for its scores.",
        "eo-naslib reproduce seed003 --items s003_clustering --out-dir DIR",
        "CIFAR-10 public subset (validation accuracy at 4/12/36/108 epochs as the fitness features). Score curves "
        "use k-means (BGM is 0.1-0.3 s per iteration here); the five algorithms use the seed's Table 2 settings.",
        clustering, 3.0,
    ),
    Item(
        "s003_population_36", "seed003", "P2 Figs. 8-9 (36 epochs), Fig. 13", "GA / EA / AE from random, LHS and centroid starts, CIFAR-10 @36",
        "centroid starts give the best initial populations (up to ~20 points); EA and GA gain significantly at 2,000 "
        "evaluations (EA vs random p = 5.6e-8, vs LHS 3.8e-6; GA 4.1e-7 / 2.3e-7); all beat random search.",
        experiments.experiment_command("population_cifar10_36ep", 30),
        POPULATION_DIFFERS, population("population_cifar10_36ep", "validation accuracy @36"), 8.0,
    ),
    Item(
        "s003_population_108", "seed003", "P2 Figs. 8-9 (108 epochs)", "GA / EA / AE starts compared, CIFAR-10 @108",
        "at 108 epochs: GA p = 0.69 / 0.039, EA 0.006 / 0.006 (centroids vs random / LHS).",
        experiments.experiment_command("population_cifar10_108ep", 30),
        POPULATION_DIFFERS, population("population_cifar10_108ep", "validation accuracy @108"), 8.0,
    ),
    Item(
        "s003_population_long", "seed003", "P2 Figs. 10-11, Fig. 14", "the same with the Long encoding (13 clusters)",
        "Long-encoding clustering: 13 clusters, population 13, 1,989 evaluations; centroid starts ahead.",
        experiments.experiment_command("population_cifar10_36ep_long", 30),
        POPULATION_DIFFERS, population("population_cifar10_36ep_long", "validation accuracy @36"), 8.0,
    ),
    Item(
        "s003_transfer", "seed003", "P2 Fig. 12", "EA on So2Sat from CIFAR-10 centroids vs random",
        "~14 points higher initial mean from CIFAR-10 centroids on So2Sat (5 runs, 100 evaluations, 4 epochs).",
        experiments.experiment_command("population_so2sat_transfer", 30),
        "So2Sat has one public budget (108 epochs) and 450 measured cells (the rest predicted); 30 seeds x 494 "
        "evaluations instead of 5 x 100 at 4 epochs. The transfer section below explains why CIFAR-10 information "
        "cannot help here.",
        population("population_so2sat_transfer", "So2Sat validation accuracy (micro)"), 4.0,
    ),
]

NEEDS_DATA = [
    NeedsData("seed003", "P1 Fig. 5", "fitness vs share of training data on So2Sat", "So2Sat runs with 10-100% of the training set (`eo-naslib build` with subset_fraction)"),
    NeedsData("seed003", "P1 Fig. 7, Fig. 16", "So2Sat densities per training budget; So2Sat persistence", "So2Sat results at 4/12/36/108 epochs (the public data has 108 only)"),
    NeedsData("seed003", "P1 Figs. 2-3", "So2Sat samples; NB101 backbone", "nothing: pictures, not results"),
    NeedsData("seed003", "P1 Fig. 4", "CIFAR-10 densities for sample sizes", "partly public: see s002_fits (30,001 cells); the seed's own 1k/10k samples are not published"),
    NeedsData("seed003", "P2 Figs. 1-2, Tables 1, 3", "pipeline, encodings and their legends", "nothing: drawings and definitions (implemented in eo_naslib.space / search.init.clusters)"),
    NeedsData("seed003", "ch. 5 Table 5.3, P3 Tables 1-2, Fig. 2", "compact differentiable NAS results", "context only (DARTS-like search on So2Sat; not in this project's scope)"),
    NeedsData("seed003", "ch. 4 Figs. 4.1, 4.3, 4.6-4.8 (HPO panels)", "FDC / neutrality of HPO benchmarks (YAHPO, DS2019)", "the HPO benchmarks (not NAS, out of scope)"),
]
