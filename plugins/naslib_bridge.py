"""Bridge from eo_naslib into an installed NASLib (github automl/NASLib; Python 3.7-3.9).

`register()` makes, inside NASLib:
- search space ``eo_nasbench101``: our NB101 space answering NASLib's `Metric` for datasets
  ``cifar10``, ``so2sat_lcz42_micro`` and ``so2sat_lcz42_macro``;
- `get_dataset_api` route for that space (NASLib's own spaces keep NASLib's route);
- our optimizers (``eo_rs``, ``eo_re``, ``eo_ls``, ``eo_pls``...) as NASLib `MetaOptimizer`s, so
  NASLib's Trainer runs them, while NASLib's stock optimizers (rs, re, ls, bananas, npenas) run
  on the EO space unchanged.
Without NASLib, `register()` does nothing and says why. Our core never imports NASLib.

Usage (from a checkout): ``PYTHONPATH=plugins python -c "import naslib_bridge; naslib_bridge.register()"``
then NASLib's Trainer with `register()["optimizers"]["eo_re"](config)` and the space
``EONasBench101SearchSpace()``.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from eo_naslib.naslib_compat import DiscreteOptimizer, Metric, NasBench101SearchSpace
from eo_naslib.naslib_compat import get_dataset_api as eo_get_dataset_api
from eo_naslib.naslib_compat.dataset_api import DATASETS
from eo_naslib.search import OPTIMIZERS

SEARCH_SPACE_NAME = "eo_nasbench101"
OPTIMIZER_PREFIX = "eo_"


@dataclass(frozen=True)
class NaslibFeatures:
    """What the installed NASLib offers (G1: API up to Sep 2022; G2: after the 2023 refactors)."""

    generation: int  # 1 or 2
    has_supported_search_spaces: bool  # G2's mutable registry
    adapt_takes_dataset: bool  # MetaOptimizer.adapt_search_space(search_space, dataset, ...)


def import_naslib() -> ModuleType | None:
    try:
        return importlib.import_module("naslib")
    except ImportError:
        return None


def detect_features(meta_optimizer: type, search_spaces: ModuleType | None, has_encodings_module: bool) -> NaslibFeatures:
    """Feature detection as the interface doc prescribes (versions are both 0.1.0)."""
    adapt = inspect.signature(meta_optimizer.adapt_search_space)
    takes_dataset = "dataset" in adapt.parameters
    registry = search_spaces is not None and isinstance(getattr(search_spaces, "supported_search_spaces", None), dict)
    generation = 2 if (has_encodings_module or takes_dataset or registry) else 1
    return NaslibFeatures(generation, registry, takes_dataset)


def to_naslib_metric(metric: Metric, naslib_metric_enum: Any) -> Any:
    """The member of NASLib's `Metric` with the same name (NASLib-only members: 1-16)."""
    try:
        return naslib_metric_enum[metric.name]
    except KeyError:
        raise KeyError(f"NASLib's Metric has no {metric.name}; it is an eo_naslib extension") from None


def from_naslib_metric(metric: Any) -> Metric:
    """Our `Metric` for a member of NASLib's enum (or ours), matched by name."""
    return Metric[getattr(metric, "name", str(metric))]


class EONasBench101SearchSpace(NasBench101SearchSpace):
    """Our space as NASLib's optimizers see it: NASLib `Metric` accepted, 7-vertex specs."""

    space_name = SEARCH_SPACE_NAME

    def query(self, metric: Any, dataset: str | None = None, path: str | None = None, epoch: int | None = -1,
              full_lc: bool = False, dataset_api: dict[str, Any] | None = None) -> Any:
        return super().query(from_naslib_metric(metric), dataset, path, epoch, full_lc, dataset_api)

    def clone(self) -> EONasBench101SearchSpace:
        clone = EONasBench101SearchSpace(self.num_classes)
        clone.spec = self.spec
        return clone


def _naslib_optimizer_class(name: str, meta_optimizer: type) -> type:
    """A NASLib `MetaOptimizer` subclass that runs our optimizer `name` (config.search keys)."""
    import torch

    def __init__(self, config: Any) -> None:
        meta_optimizer.__init__(self)
        self._eo = DiscreteOptimizer(name, config.dataset, dict(config.search), int(config.search.seed))  # CfgNode is a dict

    def adapt_search_space(self, search_space: Any, *args: Any, dataset_api: Any = None, **kwargs: Any) -> None:
        space = search_space if isinstance(search_space, NasBench101SearchSpace) else EONasBench101SearchSpace()
        self._eo.adapt_search_space(space, dataset_api=dataset_api or eo_get_dataset_api("nasbench101", self._eo.dataset))

    attributes = {
        "using_step_function": False,
        "__init__": __init__,
        "adapt_search_space": adapt_search_space,
        "new_epoch": lambda self, epoch: self._eo.new_epoch(epoch),
        "train_statistics": lambda self, report_incumbent=True: self._eo.train_statistics(report_incumbent),
        "test_statistics": lambda self: self._eo.test_statistics(),
        "get_final_architecture": lambda self: self._eo.get_final_architecture(),
        "get_op_optimizer": lambda self: None,
        # NASLib's checkpointer keeps only an nn.Module's state_dict; our own runner's JSON
        # checkpoints are the ones that restore an optimizer exactly.
        "get_checkpointables": lambda self: {"model": torch.nn.ModuleList()},
    }
    return type(f"EO{name.upper()}Optimizer", (meta_optimizer,), attributes)


def register(replace_nasbench101: bool = False) -> dict[str, Any]:
    """Register our space, dataset API and optimizers in NASLib; returns what was registered."""
    naslib = import_naslib()
    if naslib is None:
        print("naslib_bridge: NASLib is not importable here; nothing registered (install NASLib on Python 3.7-3.9).")
        return {}
    metaclasses = importlib.import_module("naslib.optimizers.core.metaclasses")
    search_spaces = importlib.import_module("naslib.search_spaces")
    try:
        importlib.import_module("naslib.utils.encodings")
        has_encodings = True
    except ImportError:
        has_encodings = False
    features = detect_features(metaclasses.MetaOptimizer, search_spaces, has_encodings)

    names = [SEARCH_SPACE_NAME] + (["nasbench101"] if replace_nasbench101 else [])
    if features.has_supported_search_spaces:
        for space_name in names:
            search_spaces.supported_search_spaces[space_name] = EONasBench101SearchSpace

    utils = importlib.import_module("naslib.utils")
    original = utils.get_dataset_api

    def get_dataset_api(search_space: str | None = None, dataset: str | None = None) -> Any:
        if search_space in names and dataset in DATASETS:
            return eo_get_dataset_api("nasbench101", dataset)
        return original(search_space=search_space, dataset=dataset)

    utils.get_dataset_api = get_dataset_api
    optimizers = {f"{OPTIMIZER_PREFIX}{n}": _naslib_optimizer_class(n, metaclasses.MetaOptimizer) for n in OPTIMIZERS}
    return {"features": features, "search_spaces": names, "optimizers": optimizers, "get_dataset_api": get_dataset_api}
