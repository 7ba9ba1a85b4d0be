"""NASLib-style run configuration: YAML file + trailing `key value` overrides, validated up front."""

from __future__ import annotations

import copy
import difflib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, positive_int, seed_int
from ..io import load_yaml
from ..search import OPTIMIZERS, Objective, check_budget_counts, parse_constraints
from .dataset_api import DATASETS, canonical_search_space
from .optimizer import GENERIC_SEARCH_KEYS

REQUIRED_KEYS = ("seed", "search_space", "dataset", "optimizer", "out_dir", "search")
#: `join`: another benchmark's metrics joined onto the dataset's (e.g. "my-rpi4[latency_ms]")
OPTIONAL_KEYS = ("data_dir", "config_id", "evaluation", "join")
#: search keys the runner reads besides GENERIC_SEARCH_KEYS: restrict the search to measured cells;
#: what `search.epochs` counts (distinct cells, the default, or every evaluation); constraints
#: every cell of the front must meet (e.g. ["latency_ms <= 10"])
OUR_SEARCH_KEYS = ("measured_only", "budget_counts", "constraints")
#: top-level keys of NASLib's own config files (its runners' yaml files): accepted, listed once as ignored
NASLIB_TOP_KEYS = frozenset(
    "autocorr_size batch_size config_type cutout cutout_length cutout_prob experiment_type fidelity_list "
    "fidelity_single hparams_from_file max_autocorr_trials max_hpo_time max_nbhd_trials max_set_size num_classes "
    "predictor run_acc_stats run_autocorr run_nbhd_size test_size train_portion train_size train_size_list "
    "train_size_single uniform_random walks data save gpu eval_only resume model_path".split()
)
#: search keys of NASLib's stock optimizers and runners: accepted (listed once as ignored) when
#: our optimizer has no use for them
NASLIB_SEARCH_KEYS = frozenset(
    "sample_size population_size num_init k num_ensemble predictor_type acq_fn_type acq_fn_optimization "
    "encoding_type num_arches_to_mutate max_mutations num_candidates zc zc_names zc_only zc_ensemble use_zc_api "
    "load_labeled batch_size data_size cutout cutout_length cutout_prob train_portion seed budgets debug_predictor "
    "predictor arch_learning_rate arch_weight_decay drop_path_prob grad_clip learning_rate learning_rate_min "
    "momentum normalization normalization_exponent output_weights tau_max tau_min threshold unrolled "
    "warm_start_epochs weight_decay gpu".split()
)
#: example values for the string keys' error messages
EXAMPLES = {"out_dir": "results", "dataset": "cifar10", "optimizer": "re"}
#: NASLib's discrete optimizers that only run through NASLib (plugins/naslib_bridge.py)
NASLIB_ONLY_OPTIMIZERS = ("bananas", "npenas", "bp")
logger = logging.getLogger(__name__)


def _unknown(kind: str, key: str, allowed: Sequence[str], where: str = "") -> ConfigError:
    """"<kind> 'key' is unknown<where>; did you mean ...? allowed: [...]"."""
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    return ConfigError(f"{kind} {key!r} is unknown{where}{hint} allowed: {sorted(allowed)}")


def _ignored(config: dict[str, Any], search_keys: Sequence[str], top_keys: Sequence[str]) -> None:
    names = [*top_keys, *(f"search.{k}" for k in search_keys)]
    if names:
        logger.warning("NASLib config keys %s are not used by optimizer %r and are ignored", ", ".join(names), config["optimizer"])


def apply_overrides(config: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply NASLib's trailing `key value` pairs (`seed 3 search.epochs 100`); values are YAML."""
    if len(overrides) % 2:
        raise ConfigError(f"overrides come in 'key value' pairs; {overrides[-1]!r} has no value")
    config = copy.deepcopy(config)
    for key, raw in zip(overrides[::2], overrides[1::2]):
        value = load_yaml(f"override {key}", raw)
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {key!r}: {part!r} is not a section")
        node[leaf] = value
    return config


def _positive_int(search: dict[str, Any], key: str) -> None:
    if search.get(key) is not None:
        positive_int(search[key], f"search.{key}")


def validate(config: dict[str, Any]) -> dict[str, Any]:
    """Check every key and value; returns the config with defaults filled in. Writes nothing."""
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise ConfigError(f"config key {missing[0]!r} is missing; required keys: {list(REQUIRED_KEYS)}")
    ours = set(REQUIRED_KEYS) | set(OPTIONAL_KEYS)
    for key in sorted(set(config) - ours - NASLIB_TOP_KEYS):
        raise _unknown("config key", key, sorted(ours))
    ignored_top = sorted(set(config) & NASLIB_TOP_KEYS)
    config = copy.deepcopy(config)
    seed_int(config["seed"], "seed")
    for key in ("out_dir", "dataset", "optimizer"):
        if not isinstance(config[key], str) or not config[key].strip():
            raise ConfigError(f"{key} must be a non-empty string, got {config[key]!r}; e.g. {key}: {EXAMPLES[key]}")
    if config.get("data_dir") is not None and (not isinstance(config["data_dir"], str) or not config["data_dir"].strip()):
        raise ConfigError(f"data_dir must be a folder path, or null for the default, got {config['data_dir']!r}")
    if config.get("join") is not None and (not isinstance(config["join"], str) or not config["join"].strip() or "+" in config["join"]):
        raise ConfigError(f"join must name one benchmark (and its metrics), e.g. join: 'my-rpi4[latency_ms]', got {config['join']!r}")
    config["search_space"] = str(config["search_space"])
    canonical_search_space(config["search_space"])
    if config["dataset"] not in DATASETS:
        raise ConfigError(f"dataset {config['dataset']!r} is unknown; allowed: {sorted(DATASETS)}")
    if config["optimizer"] in NASLIB_ONLY_OPTIMIZERS:
        raise ConfigError(
            f"optimizer {config['optimizer']!r} is NASLib's; run this config through NASLib with "
            "`python plugins/naslib_bridge.py --config-file FILE` (docs/naslib_bridge.md), or choose one of "
            f"{sorted(OPTIMIZERS)}"
        )
    if config["optimizer"] not in OPTIMIZERS:
        raise _unknown("optimizer", str(config["optimizer"]), sorted(OPTIMIZERS))
    search = config["search"]
    if not isinstance(search, dict):
        raise ConfigError(f"search must be a mapping of search keys, got {search!r}")
    if "epochs" not in search:
        raise ConfigError("search.epochs (the number of distinct cells, or evaluations, to spend) is missing")
    positive_int(search["epochs"], "search.epochs")  # null included: the budget has no default
    if "checkpoint_freq" in search and search["checkpoint_freq"] is None:
        del search["checkpoint_freq"]  # null: the default
    for key in ("epochs", "checkpoint_freq", "fidelity"):
        _positive_int(search, key)
    allowed = set(GENERIC_SEARCH_KEYS) | set(OUR_SEARCH_KEYS) | set(OPTIMIZERS[config["optimizer"]].defaults)
    for key in sorted(set(search) - allowed - NASLIB_SEARCH_KEYS):
        raise _unknown("search key", key, sorted(allowed), f" for optimizer {config['optimizer']!r}")
    if not isinstance(search.get("measured_only", False), bool):
        raise ConfigError(f"search.measured_only must be true or false, got {search['measured_only']!r}")
    _ignored(config, sorted(set(search) - allowed - {"seed"}), ignored_top)
    objectives = search.get("objectives")
    if objectives is not None:
        if not isinstance(objectives, list) or not objectives:
            raise ConfigError(f"search.objectives must be a non-empty list, got {objectives!r}")
        for objective in objectives:
            Objective.parse(objective)
    search["constraints"] = [c.text for c in parse_constraints(search.get("constraints"))]
    search["budget_counts"] = check_budget_counts(search.get("budget_counts", "distinct"), "search.budget_counts")
    semantics = OPTIMIZERS[config["optimizer"]].budget_semantics
    if search["budget_counts"] not in semantics:
        raise ConfigError(
            f"optimizer {config['optimizer']!r} counts its budget as {' or '.join(semantics)}, not "
            f"{search['budget_counts']!r}; set search.budget_counts: distinct"
        )
    search.setdefault("checkpoint_freq", 10)
    search["seed"] = config["seed"]
    return config


def save_dir(config: dict[str, Any]) -> Path:
    """NASLib's layout: {out_dir}/{search_space}/{dataset}/{optimizer}/{seed}."""
    return Path(config["out_dir"]) / config["search_space"] / config["dataset"] / config["optimizer"] / str(config["seed"])
