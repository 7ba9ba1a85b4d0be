"""NASLib-style run configuration: YAML file + trailing `key value` overrides, validated up front."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..search import OPTIMIZERS
from .dataset_api import DATASETS, canonical_search_space
from .optimizer import GENERIC_SEARCH_KEYS

REQUIRED_KEYS = ("seed", "search_space", "dataset", "optimizer", "out_dir", "search")
OPTIONAL_KEYS = ("data_dir", "config_id", "evaluation")
#: search keys of NASLib's stock optimizers: accepted (and ignored) when our optimizer has no use for them
NASLIB_SEARCH_KEYS = frozenset(
    "sample_size population_size num_init k num_ensemble predictor_type acq_fn_type acq_fn_optimization "
    "encoding_type num_arches_to_mutate max_mutations num_candidates zc zc_names zc_only use_zc_api "
    "load_labeled batch_size data_size cutout cutout_length cutout_prob train_portion seed".split()
)


def load_yaml(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(data).__name__}")
    return data


def apply_overrides(config: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply NASLib's trailing `key value` pairs (`seed 3 search.epochs 100`); values are YAML."""
    if len(overrides) % 2:
        raise ConfigError(f"overrides come in 'key value' pairs; {overrides[-1]!r} has no value")
    config = copy.deepcopy(config)
    for key, raw in zip(overrides[::2], overrides[1::2]):
        value = yaml.safe_load(raw)
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {key!r}: {part!r} is not a section")
        node[leaf] = value
    return config


def _positive_int(search: dict[str, Any], key: str) -> None:
    value = search.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"search.{key} must be a positive integer, got {value!r}")


def validate(config: dict[str, Any]) -> dict[str, Any]:
    """Check every key and value; returns the config with defaults filled in. Writes nothing."""
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise ConfigError(f"config key {missing[0]!r} is missing; required keys: {list(REQUIRED_KEYS)}")
    unknown = sorted(set(config) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise ConfigError(f"config key {unknown[0]!r} is unknown; allowed: {sorted(REQUIRED_KEYS + OPTIONAL_KEYS)}")
    config = copy.deepcopy(config)
    if not isinstance(config["seed"], int) or isinstance(config["seed"], bool) or config["seed"] < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {config['seed']!r}")
    config["search_space"] = str(config["search_space"])
    canonical_search_space(config["search_space"])
    if config["dataset"] not in DATASETS:
        raise ConfigError(f"dataset {config['dataset']!r} is unknown; allowed: {sorted(DATASETS)}")
    if config["optimizer"] not in OPTIMIZERS:
        raise ConfigError(f"optimizer {config['optimizer']!r} is unknown; allowed: {sorted(OPTIMIZERS)}")
    search = config["search"]
    if not isinstance(search, dict):
        raise ConfigError(f"search must be a mapping of search keys, got {search!r}")
    if "epochs" not in search:
        raise ConfigError("search.epochs (the number of distinct cells to evaluate) is missing")
    for key in ("epochs", "checkpoint_freq", "fidelity"):
        _positive_int(search, key)
    allowed = set(GENERIC_SEARCH_KEYS) | set(OPTIMIZERS[config["optimizer"]].defaults)
    unknown = sorted(set(search) - allowed - NASLIB_SEARCH_KEYS)
    if unknown:
        raise ConfigError(f"search key {unknown[0]!r} is unknown for optimizer {config['optimizer']!r}; allowed: {sorted(allowed)}")
    objectives = search.get("objectives")
    if objectives is not None:
        from ..search import Objective

        if not isinstance(objectives, list) or not objectives:
            raise ConfigError(f"search.objectives must be a non-empty list, got {objectives!r}")
        for objective in objectives:
            Objective.parse(objective)
    search.setdefault("checkpoint_freq", 10)
    search["seed"] = config["seed"]
    return config


def save_dir(config: dict[str, Any]) -> Path:
    """NASLib's layout: {out_dir}/{search_space}/{dataset}/{optimizer}/{seed}."""
    return Path(config["out_dir"]) / config["search_space"] / config["dataset"] / config["optimizer"] / str(config["seed"])
