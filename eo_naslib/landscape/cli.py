"""`eo-naslib footprint ...` and `eo-naslib footprint compare A.json B.json --out radar.png`."""

from __future__ import annotations

import argparse
import json
import os

from matplotlib.backend_bases import FigureCanvasBase

from ..arguments import non_negative_int, positive_float, positive_int
from ..benchmarks import load_benchmark
from ..errors import ConfigError
from ..io import check_writable, lock, remove_temp_files, save_figure
from .footprint import FootprintSettings, footprint, load, save
from .plots import all_plots, radar


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    fp = subparsers.add_parser(
        "footprint",
        help="fitness landscape footprint of a benchmark (or `footprint compare` several records)",
        description="Compute a footprint record (footprint.json) and its plots into --out.",
    )
    fp.add_argument("--benchmark", help="installed benchmark: so2sat or cifar10")
    fp.add_argument("--metric", default="val_accuracy", help="metric (default val_accuracy)")
    fp.add_argument(
        "--epoch", type=positive_int, help="fidelity of the landscape (default: the benchmark's default epoch)"
    )
    fp.add_argument(
        "--neighbourhood", default="edit", choices=("edit", "hamming"), help="neighbour moves (default edit)"
    )
    fp.add_argument(
        "--directed",
        action="store_true",
        help="use the space's one-way moves as they are (default: add reverse moves)",
    )
    fp.add_argument("--tabular", action="store_true", help="measured cells only (no surrogate completion)")
    fp.add_argument(
        "--walks",
        default="30",
        help="'recorded' (the benchmark's walks) or a number of random walks (default 30)",
    )
    fp.add_argument("--steps", type=positive_int, default=100, help="steps per random walk (default 100)")
    fp.add_argument("--trials", type=positive_int, default=9, help="birthday-problem trials T (default 9)")
    fp.add_argument("--runs", type=positive_int, default=200, help="BILS runs per trial M (default 200)")
    fp.add_argument(
        "--epochs",
        type=positive_int,
        nargs="+",
        default=[],
        help="ordered fidelities for persistence, e.g. 4 12 36 108",
    )
    fp.add_argument(
        "--proxy-samples",
        type=positive_int,
        default=100,
        help="cells sampled for the nearest-neighbour proxy (default 100)",
    )
    fp.add_argument(
        "--reference",
        help="BENCHMARK:METRIC[:EPOCH] for the seeds' local-optimum ratio, e.g. cifar10:val_accuracy:36",
    )
    fp.add_argument(
        "--epsilon", type=positive_float, default=1e-3, help="neutrality threshold |f(y) - f(x)| < eps (default 1e-3)"
    )
    fp.add_argument("--seed", type=non_negative_int, default=0, help="seed of every random choice (default 0)")
    fp.add_argument(
        "--data-dir", help="benchmark data directory (default: $EO_NASLIB_DATA or the user data dir)"
    )
    fp.add_argument("--out-dir", "--out", dest="out", help="output directory for footprint.json and the PNG plots")
    fp.add_argument("--no-plots", action="store_true", help="write the JSON record only")
    fp.add_argument("--quiet", action="store_true", help="no progress bars")
    fp.set_defaults(func=_footprint)
    actions = fp.add_subparsers(dest="footprint_command")
    compare = actions.add_parser("compare", help="radar plot comparing footprint records")
    compare.add_argument("records", nargs="+", help="footprint.json files")
    compare.add_argument("--out", required=True, help="PNG file to write")
    compare.set_defaults(func=_compare)


def _walks(value: str) -> str | int:
    if value == "recorded":
        return value
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ConfigError(f"--walks {value!r}: pass 'recorded' or a positive number of random walks")
    return n


def _reference(value: str | None, data_dir: str | None, surrogate: bool) -> tuple | None:
    if not value:
        return None
    parts = value.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and not parts[2].isdigit()):
        raise ConfigError(
            f"--reference {value!r}: use BENCHMARK:METRIC[:EPOCH], e.g. cifar10:val_accuracy:36"
        )
    epoch = int(parts[2]) if len(parts) == 3 else None
    return load_benchmark(parts[0], data_dir, surrogate=surrogate), parts[1], epoch


def _footprint(args: argparse.Namespace) -> int:
    if not args.benchmark or not args.out:
        raise ConfigError("footprint needs --benchmark NAME and --out DIR (or use `footprint compare`)")
    settings = FootprintSettings(
        metric=args.metric,
        epoch=args.epoch,
        neighbourhood=args.neighbourhood,
        symmetric=not args.directed,
        walks=_walks(args.walks),
        steps=args.steps,
        trials=args.trials,
        runs=args.runs,
        persistence_epochs=tuple(args.epochs),
        proxy_samples=args.proxy_samples,
        epsilon=args.epsilon,
        seed=args.seed,
    )
    check_writable(args.out)  # before minutes of work, not after
    with lock(args.out, timeout=0):  # one footprint per out dir at a time: never a mix of two
        remove_temp_files(args.out, lambda target: target == "footprint.json" or target.endswith(".png"))
        benchmark = load_benchmark(args.benchmark, args.data_dir, surrogate=not args.tabular)
        reference = _reference(args.reference, args.data_dir, surrogate=True)
        record = footprint(benchmark, settings, reference=reference, progress=not args.quiet)
        path = os.path.join(args.out, "footprint.json")
        save(record, path)
        written = [path]
        if not args.no_plots:
            written += all_plots(record, args.out)
    print(json.dumps({"written": written, "summary": summary(record)}, indent=1))
    return 0


def summary(record: dict) -> dict:
    """The headline numbers of a record."""
    lo = record["local_optima"]
    per = record.get("persistence") or {}
    return {
        "mean": record["distribution"]["mean"],
        "std": record["distribution"]["std"],
        "best_fit": record["distribution"]["fits"]["best_by_aic"],
        "fdc_hamming_r": record["fdc"]["hamming"]["correlation"],
        "fdc_edit_r": record["fdc"]["edit"]["correlation"],
        "tau": record["ruggedness"]["tau"],
        "tau_flag": record["ruggedness"].get("tau_flag"),
        "exact_optima": (lo.get("exact") or {}).get("count"),
        "optimal_plateaus": ((lo.get("exact") or {}).get("plateaus") or {}).get("count"),
        "birthday_estimate": (lo.get("birthday") or {}).get("estimate"),
        "ratio_estimate": (lo.get("ratio") or {}).get("estimate"),
        "nn_proxy": lo["nn_proxy"]["count"],
        "pi_pos_25": (per.get("positive") or {}).get("pi_25"),
        "pi_neg_25": (per.get("negative") or {}).get("pi_25"),
    }


def _figure_file(path: str) -> str:
    """`path` if matplotlib can write its format (the suffix; none means PNG), else a `ConfigError`."""
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise ConfigError(f"--out {path!r}: cannot write .{suffix} pictures; end the name in one of {sorted(formats)}, e.g. radar.png")
    return path


def _compare(args: argparse.Namespace) -> int:
    _figure_file(args.out)
    records = [load(p) for p in args.records]
    figure = radar(records)
    figure.tight_layout()
    save_figure(figure, args.out, dpi=110)
    print(json.dumps({"written": args.out, "records": len(records)}))
    return 0
