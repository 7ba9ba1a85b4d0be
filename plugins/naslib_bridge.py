"""Bridge from eo_naslib into an installed NASLib (github automl/NASLib, Develop).

`register()` makes, inside NASLib:
- search space ``eo_nasbench101`` (`EONasBench101SearchSpace`): our NB101 space answering NASLib's
  `Metric` (NaN for a metric the benchmark lacks, listed once) for datasets ``cifar10``,
  ``so2sat_lcz42_micro`` and ``so2sat_lcz42_macro``, with NASLib's exact encodings and specs;
  visible through `naslib.search_spaces.supported_search_spaces` and `get_search_space`;
- a `get_dataset_api` route for that space (and, with ``replace_nasbench101=True``, for NASLib's
  *stock* ``nasbench101`` space, whose own code then reads our data through the ``api`` /
  ``nb101_data`` objects it expects), patched in `naslib.utils`, `naslib.utils.get_dataset_api`
  and every loaded module that imported the function;
- our optimizers (``eo_rs``, ``eo_re``, ``eo_ls``, ``eo_pls``...) as NASLib `MetaOptimizer`s;
- learning curves where the data has them (stores built by `eo-naslib build`, CIFAR-10's four
  fidelities), for NASLib's LC predictors in its PredictorEvaluator; refused, in one line, where
  it has none (So2Sat). A built store is a dataset under its own name.
NASLib's stock optimizers (rs, re, ls, bananas, npenas, bp) and predictors run on both spaces.
`run(config)` is NASLib's bbo runner flow (Trainer, errors.json, log.log) for every optimizer and
space here, with a per-epoch ``measured`` flag in errors.json. See docs/naslib_bridge.md.

NASLib's *unchanged* runners (statistics, predictor evaluator, bbo...) see only the measured cells
with ``register(measured_only=True)`` or ``EO_NASLIB_MEASURED_ONLY=1``: the dataset API then holds
only measured cells (NASLib's sampling, mutation, neighbourhoods and arch iterator stay among them)
and answers only measured values. Either way, the share of the answers given to NASLib that were
surrogate predictions is logged once per run (at the end of `run`, else when the process exits).

`register()` returns what it registered or raises `NaslibUnavailable` (an ImportError) with one
message naming what failed to import and what to do. Our core never imports NASLib.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import logging
import math
import os
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Optional

import numpy as np

try:  # NASLib needs torch; without it the bridge space is a plain object (tests without NASLib)
    import torch

    MODULE_BASES: tuple[type, ...] = (torch.nn.Module,)
except ImportError:  # pragma: no cover - torch is present wherever NASLib is
    torch = None
    MODULE_BASES = ()

from eo_naslib.errors import ConfigError
from eo_naslib.naslib_compat import DiscreteOptimizer, Metric, NasBench101SearchSpace
from eo_naslib.naslib_compat import get_dataset_api as eo_get_dataset_api
from eo_naslib.naslib_compat.dataset_api import DATASETS, is_dataset
from eo_naslib.naslib_compat.answers import AnswerTally
from eo_naslib.naslib_compat.curves import curve_epochs, has_curve, learning_curve
from eo_naslib.naslib_compat.metric import as_metric, to_metric_name
from eo_naslib.search import OPTIMIZERS
from eo_naslib.space import Cell

try:  # the network and data reader (the train extra); zero-cost predictors need them
    from eo_naslib.naslib_compat.zc_api import zc_table
    from eo_naslib.training.network import NB101Network
    from eo_naslib.training.so2sat import NUM_CLASSES as SO2SAT_CLASSES
    from eo_naslib.training.so2sat import SENSOR_BANDS, SENSOR_KEYS
    from eo_naslib.training.zc_job import zc_batch
except ImportError:  # pragma: no cover - NASLib needs torch, so these are present wherever it runs
    NB101Network = None

SEARCH_SPACE_NAME = "eo_nasbench101"
OPTIMIZER_PREFIX = "eo_"
#: NASLib's discrete optimizers (optimizers/discrete), by runner name and class name
NASLIB_OPTIMIZERS = {"rs": "RandomSearch", "re": "RegularizedEvolution", "ls": "LocalSearch",
                     "bananas": "Bananas", "npenas": "Npenas", "bp": "BasePredictor"}
INSTALL_HINT = (
    "install NASLib from source beside eo-naslib (docs/naslib_bridge.md: git clone "
    "https://github.com/automl/NASLib; put its folder on PYTHONPATH or `pip install -e . --no-deps`; "
    "pip install fvcore yacs ConfigSpace networkx torchvision pytorch-msssim scikit-image "
    "transforms3d nasbench-pytorch pybnn pyro-ppl grakel tensorwatch lightgbm ngboost emcee)"
)
SHIM_HINT = (
    "NASLib's code targets Python 3.7-3.9; on Python >= 3.10 alias the removed "
    "collections.Iterable/Mapping/... from collections.abc before importing it "
    "(docs/naslib_bridge.md, 'interpreter shims')"
)
#: environment variable read by the bridge's get_dataset_api: 1/true/yes = measured cells only
MEASURED_ONLY_ENV = "EO_NASLIB_MEASURED_ONLY"
#: the So2Sat LCZ42 folder (training.h5) NASLib's zero-cost predictors draw their batch from
SO2SAT_DIR_ENV = "EO_NASLIB_SO2SAT"
#: its bands: s1, s2 (default) or fusion
SO2SAT_SENSOR_ENV = "EO_NASLIB_SO2SAT_SENSOR"
#: the built store of zero-cost scores (`build plan --job zc`) get_zc_benchmark_api serves
ZC_STORE_ENV = "EO_NASLIB_ZC_STORE"
#: (input bands, classes) of CIFAR-10, NASLib's NB101 network
CIFAR10_SHAPE = (3, 10)
logger = logging.getLogger(__name__)
#: a child of NASLib's "naslib" logger, so the share of predictions reaches the run's log.log
share_logger = logging.getLogger("naslib.eo_naslib_bridge")


class NaslibUnavailable(ImportError):
    """NASLib (or a module it needs) cannot be imported; the message says what to do."""


@dataclass(frozen=True)
class NaslibFeatures:
    """What the installed NASLib offers (G1: API up to Sep 2022; G2: after the 2023 refactors)."""

    generation: int  # 1 or 2
    has_supported_search_spaces: bool  # G2's mutable registry
    adapt_takes_dataset: bool  # MetaOptimizer.adapt_search_space(search_space, dataset, ...)


@dataclass
class Naslib:
    """The NASLib modules the bridge uses."""

    metaclasses: ModuleType
    search_spaces: ModuleType
    utils: ModuleType
    dataset_api_module: ModuleType
    query_metrics: ModuleType
    nb101_graph: ModuleType
    optimizers: ModuleType
    trainer: ModuleType
    torch: ModuleType


def unavailable_reason() -> Optional[str]:
    """None when NASLib imports here, else the one-line reason and fix (for callers that only probe)."""
    try:
        import_naslib()
    except NaslibUnavailable as exc:
        return str(exc)
    return None


def import_naslib() -> Naslib:
    """Import the NASLib modules the bridge needs, or raise `NaslibUnavailable` saying why."""
    names = ("naslib.optimizers.core.metaclasses", "naslib.search_spaces", "naslib.utils",
             "naslib.utils.get_dataset_api", "naslib.search_spaces.core.query_metrics",
             "naslib.search_spaces.nasbench101.graph", "naslib.optimizers", "naslib.defaults.trainer", "torch")
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            missing = getattr(exc, "name", None)
            if missing == "naslib" or (missing is None and "naslib" not in sys.modules and name.startswith("naslib")):
                raise NaslibUnavailable(f"NASLib is not importable here ({exc}); {INSTALL_HINT}") from exc
            if "from 'collections'" in str(exc):
                raise NaslibUnavailable(f"NASLib failed to import on Python {sys.version_info.major}.{sys.version_info.minor}: {exc}; {SHIM_HINT}") from exc
            raise NaslibUnavailable(f"NASLib is installed but importing {name} failed: {exc}; {INSTALL_HINT}") from exc
    return Naslib(*modules)


def detect_features(meta_optimizer: type, search_spaces: Optional[ModuleType], has_encodings_module: bool) -> NaslibFeatures:
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
    return as_metric(metric)


def _module_neighbour(arch: Any) -> Any:
    """NASLib keeps neighbours in `nn.ModuleList`s, so each is an `nn.Module` with `.arch`."""
    module = torch.nn.Module()
    module.arch = arch
    return module


def so2sat_sensor() -> str:
    """The So2Sat bands NASLib's networks take (``EO_NASLIB_SO2SAT_SENSOR``, default s2)."""
    sensor = os.environ.get(SO2SAT_SENSOR_ENV, "") or "s2"
    if sensor not in SENSOR_KEYS:
        raise ConfigError(f"{SO2SAT_SENSOR_ENV}={sensor!r} is unknown; choose one of {sorted(SENSOR_KEYS)}")
    return sensor


def input_shape(dataset: Optional[str]) -> tuple[int, int]:
    """(input bands, classes) of the network for `dataset`: So2Sat's from its sensor and labels."""
    if dataset in DATASETS and dataset != "cifar10":
        return sum(SENSOR_BANDS[k] for k in SENSOR_KEYS[so2sat_sensor()]), SO2SAT_CLASSES
    return CIFAR10_SHAPE


if NB101Network is not None:
    class NASLibNB101Network(NB101Network):
        """Our NB101 network with the attribute NASLib's stock space reads (`layers`: the stages
        before global pooling, whose last output `forward_before_global_avg_pool` hooks)."""

        @property
        def layers(self) -> Any:
            return self.features


def build_naslib_network(spec: Any, dataset: Optional[str]) -> Any:
    """Our NB101 network of a NASLib spec (dict, Cell) for `dataset`'s bands and classes."""
    cell = spec if isinstance(spec, Cell) else Cell.from_spec(spec)
    bands, classes = input_shape(dataset)
    return NASLibNB101Network(cell, in_channels=bands, num_classes=classes)


class EONasBench101SearchSpace(NasBench101SearchSpace, *MODULE_BASES):
    """Our space as NASLib's optimizers see it: an `nn.Module` like NASLib's Graphs (its tree
    predictors encode only `nn.Module`s), NASLib `Metric` accepted, neighbours as nn.Modules.

    For NASLib's zero-cost predictors it is also a Graph: `parse()` builds the cell's PyTorch NB101
    network (its vertex order as set; a hash is set in NB101's labelling) with the dataset's input
    bands and classes, `forward`, `get_loss_fn` (cross-entropy) and `forward_before_global_avg_pool`."""

    space_name = SEARCH_SPACE_NAME

    def __init__(self, n_classes: Optional[int] = None, dataset: Optional[str] = None) -> None:
        if MODULE_BASES:
            torch.nn.Module.__init__(self)
        self.dataset = dataset or _SETTINGS.get("dataset")
        NasBench101SearchSpace.__init__(self, input_shape(self.dataset)[1] if n_classes is None else n_classes)
        self.model = None

    def clone(self) -> EONasBench101SearchSpace:
        clone = super().clone()
        clone.dataset = self.dataset
        return clone

    def set_spec(self, spec: Any, dataset_api: Optional[dict] = None) -> None:
        super().set_spec(spec, dataset_api)
        self.model = None  # a new cell: parse() builds its network

    def neighbour(self, arch: NasBench101SearchSpace) -> Any:
        return _module_neighbour(arch)

    def parse(self) -> None:
        if self.model is None:
            self.model = build_naslib_network(self._cell(), self.dataset)

    def forward(self, x: Any, *args: Any) -> Any:
        self.parse()
        return self.model(x)

    def forward_before_global_avg_pool(self, x: Any) -> Any:
        self.parse()
        return self.model.features(x)

    def get_loss_fn(self) -> Callable:
        return torch.nn.functional.cross_entropy

    def query(self, metric: Any, dataset: Optional[str] = None, path: Optional[str] = None, epoch: Optional[int] = -1,
              full_lc: bool = False, dataset_api: Optional[dict] = None) -> Any:
        tracker = (dataset_api or {}).get("nb101_data")
        if tracker is not None and self.spec is not None:
            tracker.last_cell = self.spec
        return super().query(metric, dataset, path, epoch, full_lc, dataset_api)


def _nan(value: Any) -> Any:
    return math.nan if value is None else value


def _naslib_optimizer_class(name: str, meta_optimizer: type) -> type:
    """A NASLib `MetaOptimizer` subclass that runs our optimizer `name` (config.search keys)."""

    def __init__(self: Any, config: Any) -> None:
        meta_optimizer.__init__(self)
        search = {k: v for k, v in dict(config.search).items() if k in OPTIMIZERS[name].defaults or k in ("epochs", "fidelity", "objectives")}
        self._eo = DiscreteOptimizer(name, config.dataset, search, int(config.search.seed))  # CfgNode is a dict

    def adapt_search_space(self: Any, search_space: Any, *args: Any, dataset_api: Any = None, **kwargs: Any) -> None:
        space = search_space if isinstance(search_space, NasBench101SearchSpace) else EONasBench101SearchSpace()
        self._eo.adapt_search_space(space, dataset_api=dataset_api or eo_get_dataset_api("nasbench101", self._eo.dataset))

    def train_statistics(self: Any, report_incumbent: bool = True) -> tuple:
        eo = self._eo
        data = eo.dataset_api.get("nb101_data")
        if data is not None:  # what record_measured reads
            data.last_cell = eo.evaluator.space.cell(eo.row_at(eo._epoch, report_incumbent))
        return tuple(_nan(v) for v in eo.train_statistics(report_incumbent))  # NASLib formats them

    attributes = {
        "using_step_function": False,
        "__init__": __init__,
        "adapt_search_space": adapt_search_space,
        "new_epoch": lambda self, epoch: self._eo.new_epoch(epoch),
        "train_statistics": train_statistics,
        "test_statistics": lambda self: self._eo.test_statistics(),
        "get_final_architecture": lambda self: self._eo.get_final_architecture(),
        "get_op_optimizer": lambda self: None,
        # NASLib's checkpointer keeps only an nn.Module's state_dict; our own runner's JSON
        # checkpoints are the ones that restore an optimizer exactly.
        "get_checkpointables": lambda self: {"model": torch.nn.ModuleList()},
    }
    return type(f"EO{name.upper()}Optimizer", (meta_optimizer,), attributes)


# ---------------------------------------------------------------------------------- patching
_ORIGINALS: dict[str, Any] = {}


def _patch_everywhere(name: str, original: Any, replacement: Any) -> int:
    """Set attribute `name` to `replacement` on every loaded module holding `original`."""
    patched = 0
    for module in list(sys.modules.values()):
        if module is not None and getattr(module, name, None) is original:
            setattr(module, name, replacement)
            patched += 1
    return patched


def _our_metric_name(metric: Any, dataset_api: dict) -> str:
    """Our metric name for a NASLib `Metric` on a dataset API of ours (its name if we map none)."""
    ours = from_naslib_metric(metric)
    return to_metric_name(ours, DATASETS[dataset_api["dataset"]].macro, strict=False) or ours.name


def _stock_query_accepting_our_datasets(stock_query: Callable) -> Callable:
    """NASLib's stock NB101 `query` asserts dataset in {cifar10, None}; the dataset_api already
    names the data, so our dataset names are passed on as None. With `full_lc` on our data it
    answers the learning curve the data holds (`eo_naslib.naslib_compat.curves`: the values at
    the recorded fidelities, fractions as NASLib's stock curve gives them) where NASLib's reads
    NB101's four epochs and repeats them 4/8/20/56 times; data without curves is refused."""

    def query(self: Any, metric: Any, dataset: Optional[str] = "cifar10", path: Optional[str] = None, epoch: Optional[int] = -1,
              full_lc: bool = False, dataset_api: Optional[dict] = None) -> Any:
        if full_lc and isinstance(dataset_api, dict) and "benchmark" in dataset_api and self.get_spec() is not None:
            spec = dataset_api["api"].ModelSpec(**self.spec)
            if not dataset_api["nb101_data"].is_valid(spec):
                return -1  # as NASLib's stock query answers a spec its data does not hold
            return learning_curve(dataset_api["benchmark"], spec.cell, _our_metric_name(metric, dataset_api), epoch)
        return stock_query(self, metric, None if dataset in DATASETS else dataset, path, epoch, full_lc, dataset_api)

    query.__wrapped__ = stock_query
    return query


def count_parameters_in_MB(model: Any) -> float:
    """NASLib's `utils.count_parameters_in_MB` (millions of parameters, auxiliary heads excluded)
    without `np.sum(generator)`, which NumPy >= 2 refuses."""
    return sum(int(np.prod(v.size())) for name, v in model.named_parameters() if "auxiliary" not in name) / 1e6


def _numpy2_fixes(nl: Naslib) -> None:
    """NASLib calls `np.sum` on a generator in `count_parameters_in_MB` (every Trainer and every
    optimizer's `get_model_size`); under NumPy >= 2 that raises TypeError, so the function is
    replaced by the equivalent above wherever it was imported."""
    original = _ORIGINALS.setdefault("count_parameters_in_MB", getattr(nl.utils, "count_parameters_in_MB", None))
    if original is not None and int(np.__version__.split(".")[0]) >= 2:
        _patch_everywhere("count_parameters_in_MB", original, count_parameters_in_MB)


_SETTINGS: dict[str, Any] = {"measured_only": False}
#: the answer tallies of the dataset APIs handed to NASLib, reported once each (see `report_share`)
_TALLIES: list[AnswerTally] = []


def measured_only_requested() -> bool:
    """`register(measured_only=True)` or ``EO_NASLIB_MEASURED_ONLY`` (1/true/yes; 0/false/no/empty)."""
    value = os.environ.get(MEASURED_ONLY_ENV, "").strip().lower()
    if value not in ("", "0", "false", "no", "1", "true", "yes"):
        raise ConfigError(f"{MEASURED_ONLY_ENV}={value!r} is not a switch; set it to 1 (measured cells only) or 0")
    return _SETTINGS["measured_only"] or value in ("1", "true", "yes")


def report_share(tally: AnswerTally) -> None:
    """Log once how many answers given to NASLib were surrogate predictions (warning if any)."""
    if tally.reported or not tally.answers:
        return
    tally.reported = True
    share_logger.log(logging.WARNING if tally.predicted else logging.INFO, tally.summary())


def _report_all_shares() -> None:
    for tally in _TALLIES:
        report_share(tally)


atexit.register(_report_all_shares)


def _plain(value: Any) -> Any:
    """`value` with NumPy scalars and arrays (also inside lists, tuples and dicts) as Python ones."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _json_safe_predictor_results() -> None:
    """NASLib's PredictorEvaluator writes `full_ytest`/`full_testpred` as lists of NumPy scalars,
    which `json.dump` refuses when a predictor answers float32 (XGBoost under NumPy 1.x): the run
    then dies after scoring. Its `_log_to_json` gets the results as plain Python numbers first."""
    evaluator = importlib.import_module("naslib.defaults.predictor_evaluator").PredictorEvaluator
    original = evaluator._log_to_json
    if hasattr(original, "__wrapped__"):
        return

    def _log_to_json(self: Any) -> Any:
        self.results = [r if not isinstance(r, dict) or hasattr(r, "dump") else _plain(r) for r in self.results]
        return original(self)

    _log_to_json.__wrapped__ = original
    evaluator._log_to_json = _log_to_json


def so2sat_loader(batch_size: int, seed: int) -> Any:
    """A loader yielding one batch of `batch_size` So2Sat-layout samples from ``$EO_NASLIB_SO2SAT``
    (drawn with `seed`, normalised per band over the batch): what NASLib's zero-cost predictors read."""
    folder = os.environ.get(SO2SAT_DIR_ENV, "")
    if not folder:
        raise ConfigError(f"NASLib's zero-cost predictors on So2Sat need data: set {SO2SAT_DIR_ENV} to a folder with So2Sat LCZ42's training.h5")
    x, y, synthetic = zc_batch(folder, so2sat_sensor(), int(batch_size), int(seed) % 2**32)
    if synthetic:
        logger.warning("%s holds synthetic So2Sat-layout data: zero-cost correlations on it mean nothing", folder)
    data = torch.utils.data.TensorDataset(x, y)
    return torch.utils.data.DataLoader(data, batch_size=int(batch_size), shuffle=False)


def _loaders_for_our_datasets(original: Callable) -> Callable:
    """NASLib's `get_train_val_loaders`, answering our So2Sat datasets with `so2sat_loader` (train,
    valid and test queues the same batch; no transforms); cifar10 and NASLib's others unchanged."""

    def get_train_val_loaders(config: Any, mode: str = "train") -> tuple:
        if config.dataset in DATASETS and config.dataset != "cifar10":
            search = getattr(config, "search", None)
            batch_size = getattr(config, "batch_size", None) or getattr(search, "batch_size", 64)
            seed = getattr(search, "seed", None) if search is not None else None
            loader = so2sat_loader(batch_size, getattr(config, "seed", 0) if seed is None else seed)
            return loader, loader, loader, None, None
        return original(config, mode)

    get_train_val_loaders.__wrapped__ = original
    return get_train_val_loaders


def _zero_cost_over_lists() -> None:
    """NASLib's PredictorEvaluator hands every predictor the whole test list
    (`predictor.query(xtest, test_info)`), which its `ZeroCost.query(graph, dataloader)` takes for
    one graph ("'list' object has no attribute 'get_loss_fn'", on every space). `ZeroCost.query`
    then scores each architecture of a list on the train loader NASLib's own zero-cost evaluator
    gives it (`get_train_val_loaders(config)`), set when the evaluator adapts its search space."""
    zero_cost = importlib.import_module("naslib.predictors.zerocost").ZeroCost
    evaluator = importlib.import_module("naslib.defaults.predictor_evaluator").PredictorEvaluator
    if hasattr(zero_cost.query, "__wrapped__"):
        return
    query, adapt = zero_cost.query, evaluator.adapt_search_space

    def zc_query(self: Any, graph: Any, dataloader: Any = None, info: Any = None) -> Any:
        if not isinstance(graph, (list, tuple)):
            return query(self, graph, dataloader, info)
        loader = getattr(self, "train_loader", None)
        if loader is None:
            raise ConfigError("ZeroCost got a list of architectures but no data loader; adapt a PredictorEvaluator first")
        scores = []
        for arch in graph:
            if not getattr(arch, "is_parsed", True) or isinstance(arch, EONasBench101SearchSpace):
                arch.parse()
            scores.append(query(self, arch, loader, None))
        return np.array(scores)

    def adapt_search_space(self: Any, search_space: Any, *args: Any, **kwargs: Any) -> Any:
        result = adapt(self, search_space, *args, **kwargs)
        if isinstance(self.predictor, zero_cost):
            loaders = importlib.import_module("naslib.utils").get_train_val_loaders
            self.predictor.train_loader = loaders(self.config, mode="train")[0]
        return result

    zc_query.__wrapped__ = query
    adapt_search_space.__wrapped__ = adapt
    zero_cost.query = zc_query
    evaluator.adapt_search_space = adapt_search_space


def _stock_models_of_our_network(nl: Naslib) -> None:
    """NASLib's stock NB101 space builds `nasbench_pytorch`'s network with 3 input channels and 10
    classes whatever the data; on our datasets it gets ours (bands and classes of the dataset last
    opened through the bridge, wrapped in NASLib's `ModelWrapper`), so its Graph runs on So2Sat."""
    graph = nl.nb101_graph
    original = _ORIGINALS.setdefault("convert_spec_to_model", graph.convert_spec_to_model)
    wrapper = importlib.import_module("naslib.search_spaces.nasbench101.primitives").ModelWrapper

    def convert_spec_to_model(spec: Any) -> Any:
        dataset = _SETTINGS.get("dataset")
        if dataset in DATASETS and dataset != "cifar10":
            return wrapper(build_naslib_network(spec, dataset))
        return original(spec)

    graph.convert_spec_to_model = convert_spec_to_model


def _curve_metrics(predictor: Any, dataset_api: Any) -> Optional[list]:
    """Our names of the learning curves `predictor` needs (None when the dataset API is not ours)."""
    if not isinstance(dataset_api, dict) or "benchmark" not in dataset_api:
        return None
    reqs = predictor.get_data_reqs()
    if not reqs.get("requires_partial_lc"):
        return []
    wanted = reqs["metric"] if isinstance(reqs["metric"], list) else [reqs["metric"]]
    return [_our_metric_name(m, dataset_api) for m in wanted]


def _learning_curves_in_predictor_evaluator() -> None:
    """NASLib's PredictorEvaluator declares no learning curves for a `nasbench101` space
    (`full_lc = False`), so every LC predictor stops with "This predictor requires learning curve
    info". On our data it declares them where the benchmark holds them (`full_lc`), refuses an LC
    predictor on data without them at `adapt_search_space` (one line naming the data that has
    them), and refuses a fidelity outside 1 .. points - 1: the curve's last point is the value the
    predictor is scored against. Fidelity f means the first f recorded fidelities (logged)."""
    evaluator = importlib.import_module("naslib.defaults.predictor_evaluator").PredictorEvaluator
    if hasattr(evaluator.single_evaluate, "__wrapped__"):  # adapt_search_space is wrapped for zero-cost too
        return
    adapt, single = evaluator.adapt_search_space, evaluator.single_evaluate

    def adapt_search_space(self: Any, search_space: Any, load_labeled: Any, scope: Any = None, dataset_api: Any = None) -> Any:
        result = adapt(self, search_space, load_labeled, scope=scope, dataset_api=dataset_api)
        names = _curve_metrics(self.predictor, dataset_api)
        if names is not None:
            benchmark = dataset_api["benchmark"]
            for name in names:
                curve_epochs(benchmark, name)  # raises, naming the data that has curves
            accuracy = _our_metric_name(importlib.import_module("naslib.search_spaces.core.query_metrics").Metric.VAL_ACCURACY, dataset_api)
            self.full_lc = bool(names) or has_curve(benchmark, accuracy)
        return result

    def single_evaluate(self: Any, train_data: Any, test_data: Any, fidelity: int) -> Any:
        names = _curve_metrics(self.predictor, self.dataset_api)
        if names:
            benchmark = self.dataset_api["benchmark"]
            held = min((curve_epochs(benchmark, name) for name in names), key=len)
            if not 1 <= int(fidelity) < len(held):
                raise ConfigError(
                    f"fidelity {fidelity} is outside 1..{len(held) - 1}: {benchmark.name!r} records {names[0]} at epochs "
                    f"{list(held)}, and the last point is the value the predictor is scored against; pass a smaller "
                    "fidelity_single / fidelity_list"
                )
            share_logger.info("fidelity %d on %s: the learning curves at the recorded epochs %s (nothing interpolated)",
                              fidelity, benchmark.name, list(held[: int(fidelity)]))
        return single(self, train_data, test_data, fidelity)

    adapt_search_space.__wrapped__ = adapt
    single_evaluate.__wrapped__ = single
    evaluator.adapt_search_space = adapt_search_space
    evaluator.single_evaluate = single_evaluate


def register(replace_nasbench101: bool = False, measured_only: bool = False) -> dict[str, Any]:
    """Register our space, dataset API and optimizers in NASLib; returns what was registered.
    `measured_only`: every dataset API handed to NASLib holds only the measured cells and answers
    only measured values (also ``EO_NASLIB_MEASURED_ONLY=1``), for NASLib's unchanged runners.

    Raises `NaslibUnavailable` (one message: what failed to import and what to do)."""
    nl = import_naslib()
    _SETTINGS["measured_only"] = bool(measured_only)
    try:
        importlib.import_module("naslib.utils.encodings")
        has_encodings = True
    except ImportError:
        has_encodings = False
    features = detect_features(nl.metaclasses.MetaOptimizer, nl.search_spaces, has_encodings)
    names = [SEARCH_SPACE_NAME] + (["nasbench101"] if replace_nasbench101 else [])

    if features.has_supported_search_spaces:
        nl.search_spaces.supported_search_spaces[SEARCH_SPACE_NAME] = EONasBench101SearchSpace
    original_get_search_space = _ORIGINALS.setdefault("get_search_space", getattr(nl.search_spaces, "get_search_space", None))
    if original_get_search_space is not None:
        def get_search_space(name: str, dataset: str) -> Any:
            if name.lower() == SEARCH_SPACE_NAME:
                return EONasBench101SearchSpace(dataset=dataset)
            return original_get_search_space(name, dataset)

        _patch_everywhere("get_search_space", getattr(nl.search_spaces, "get_search_space"), get_search_space)

    original_get_dataset_api = _ORIGINALS.setdefault("get_dataset_api", nl.dataset_api_module.get_dataset_api)

    def get_dataset_api(search_space: Optional[str] = None, dataset: Optional[str] = None,
                        measured_only: Optional[bool] = None) -> Any:
        """NASLib's get_dataset_api; ours for our space and datasets (`measured_only` None: as
        registered / ``EO_NASLIB_MEASURED_ONLY``)."""
        if search_space in names and (is_dataset(dataset, os.environ.get("EO_NASLIB_DATA")) or search_space == SEARCH_SPACE_NAME):
            only = measured_only_requested() if measured_only is None else measured_only
            _SETTINGS["dataset"] = dataset or "cifar10"  # the networks NASLib builds take its bands and classes
            api = eo_get_dataset_api("nasbench101", dataset or "cifar10", os.environ.get("EO_NASLIB_DATA"), measured_only=only)
            _TALLIES.append(api["answers"])
            return api
        return original_get_dataset_api(search_space=search_space, dataset=dataset)

    current = nl.dataset_api_module.get_dataset_api
    _patch_everywhere("get_dataset_api", current, get_dataset_api)
    nl.dataset_api_module.get_dataset_api = get_dataset_api

    original_zc = _ORIGINALS.setdefault("get_zc_benchmark_api", getattr(nl.dataset_api_module, "get_zc_benchmark_api", None))
    if original_zc is not None:
        def get_zc_benchmark_api(search_space: str, dataset: str) -> Any:
            """NAS-Bench-Suite-Zero's table of the zero-cost store named by ``EO_NASLIB_ZC_STORE``
            (`eo_naslib.naslib_compat.zc_api`); without one an empty table, said once in the log
            (NASLib's bbo runner loads it whenever `search.use_zc_api` exists)."""
            if search_space in names and (dataset in DATASETS or search_space == SEARCH_SPACE_NAME):
                store = os.environ.get(ZC_STORE_ENV, "")
                if not store:
                    logger.info("no zero-cost scores for %s: build a store with `build plan --job zc` and set %s", dataset, ZC_STORE_ENV)
                    return {}
                return zc_table(dataset or "cifar10", store, os.environ.get("EO_NASLIB_DATA"))
            return original_zc(search_space, dataset)

        _patch_everywhere("get_zc_benchmark_api", nl.dataset_api_module.get_zc_benchmark_api, get_zc_benchmark_api)

    _numpy2_fixes(nl)
    _json_safe_predictor_results()
    _zero_cost_over_lists()
    utils_dataset = importlib.import_module("naslib.utils.dataset")
    original_loaders = _ORIGINALS.setdefault("get_train_val_loaders", utils_dataset.get_train_val_loaders)
    _patch_everywhere("get_train_val_loaders", utils_dataset.get_train_val_loaders, _loaders_for_our_datasets(original_loaders))
    if replace_nasbench101:
        _stock_models_of_our_network(nl)
    _learning_curves_in_predictor_evaluator()
    stock = nl.nb101_graph.NasBench101SearchSpace
    if replace_nasbench101 and not hasattr(stock.query, "__wrapped__"):
        stock.query = _stock_query_accepting_our_datasets(stock.query)

    optimizers = {f"{OPTIMIZER_PREFIX}{n}": _naslib_optimizer_class(n, nl.metaclasses.MetaOptimizer) for n in OPTIMIZERS}
    return {"features": features, "search_spaces": names, "optimizers": optimizers, "get_dataset_api": get_dataset_api}


# ---------------------------------------------------------------------------------- runner
def measured_flag(dataset_api: dict, metric: str) -> Optional[bool]:
    """Whether the cell the optimizer last reported was measured (None if unknown)."""
    data = dataset_api.get("nb101_data")
    cell = getattr(data, "last_cell", None)
    if cell is None:
        return None
    return bool(dataset_api["benchmark"].is_measured(cell.hash, metric))


def record_measured(trainer: Any, dataset_api: dict) -> None:
    """Make NASLib's Trainer write per epoch `measured` (was the reported cell measured, not a
    surrogate prediction?) and `arch_hash` into errors.json, beside its own keys."""
    optimizer = trainer.optimizer
    statistics = optimizer.train_statistics
    dataset = dataset_api["dataset"]
    metric = to_metric_name(Metric.VAL_ACCURACY, DATASETS[dataset].macro)
    trainer.search_trajectory["measured"] = []
    trainer.search_trajectory["arch_hash"] = []

    def train_statistics(report_incumbent: bool = True) -> Any:
        data = dataset_api["nb101_data"]
        data.last_cell = None
        result = statistics(report_incumbent)
        trainer.search_trajectory["measured"].append(measured_flag(dataset_api, metric))
        cell = data.last_cell
        trainer.search_trajectory["arch_hash"].append(None if cell is None else cell.hash)
        return result

    optimizer.train_statistics = train_statistics


def make_optimizer(name: str, config: Any, registered: dict[str, Any], zc_api: Any = None) -> Any:
    """A NASLib optimizer (rs, re, ls, bananas, npenas, bp) or one of ours (eo_*) for `config`."""
    if name in registered["optimizers"]:
        return registered["optimizers"][name](config)
    if name not in NASLIB_OPTIMIZERS:
        known = sorted(NASLIB_OPTIMIZERS) + sorted(registered["optimizers"])
        raise KeyError(f"optimizer {name!r} is unknown; choose one of {known}")
    cls = getattr(importlib.import_module("naslib.optimizers"), NASLIB_OPTIMIZERS[name])
    params = inspect.signature(cls.__init__).parameters
    optimizer = cls(config, zc_api=zc_api) if "zc_api" in params else cls(config)
    if name == "bp":
        add_train_time_statistic(optimizer)
    return optimizer


def add_train_time_statistic(optimizer: Any) -> None:
    """NASLib's BasePredictor returns (train, valid, test) accuracies where NASLib's Trainer unpacks
    (train, valid, test, train_time), on every space (a NASLib defect): append the train time of the
    same cell, queried as NASLib's other discrete optimizers query it."""
    statistics = optimizer.train_statistics
    naslib_metric = importlib.import_module("naslib.search_spaces.core.query_metrics").Metric

    def train_statistics(report_incumbent: bool = True) -> tuple:
        arch = optimizer.get_final_architecture() if report_incumbent else optimizer.history[-1].arch
        train_time = arch.query(naslib_metric.TRAIN_TIME, optimizer.dataset, dataset_api=optimizer.dataset_api)
        return (*statistics(report_incumbent), train_time)

    optimizer.train_statistics = train_statistics


def make_search_space(name: str, dataset: str) -> Any:
    """Our space for ``eo_nasbench101``; NASLib's stock class for its own names."""
    if name == SEARCH_SPACE_NAME:
        return EONasBench101SearchSpace(dataset=dataset)
    space = importlib.import_module("naslib.search_spaces").get_search_space(name, dataset)
    if name == "nasbench101":
        space.instantiate_model = False  # tabular runs need no torch model (NASLib's bbo runner does the same with zc)
    return space


def run(config: Any, replace_nasbench101: bool = True, quiet: bool = False) -> Any:
    """NASLib's bbo runner flow on a NASLib `CfgNode` config (from `get_config_from_args`):
    log.log, Trainer(lightweight_output=True).search(report_incumbent=False), evaluate.
    Returns the final architecture's test accuracy as NASLib's `Trainer.evaluate` does;
    `quiet` keeps NASLib's console output to warnings (log.log still gets everything)."""
    registered = register(replace_nasbench101=replace_nasbench101, measured_only=_SETTINGS["measured_only"])
    utils = importlib.import_module("naslib.utils")
    trainer_module = importlib.import_module("naslib.defaults.trainer")
    before = list(logging.getLogger("naslib").handlers)
    naslib_logger = utils.setup_logger(os.path.join(config.save, "log.log"))
    naslib_logger.setLevel(logging.INFO)
    added = [h for h in naslib_logger.handlers if h not in before]
    for handler in added:
        if quiet and not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.WARNING)
    try:
        utils.log_args(config)
        # search.measured_only (or register/EO_NASLIB_MEASURED_ONLY): NASLib's optimizers draw,
        # mutate and step only among measured cells, on either space; ours (eo_*) read the flag
        # from our space and search only the cells measured for all their objectives
        measured_only = bool(getattr(config.search, "measured_only", False)) or measured_only_requested()
        dataset_api = registered["get_dataset_api"](config.search_space, config.dataset, measured_only=measured_only)
        utils.set_seed(config.seed)
        search_space = make_search_space(config.search_space, config.dataset)
        if measured_only and isinstance(search_space, NasBench101SearchSpace):
            search_space.measured_only = True
        optimizer = make_optimizer(config.optimizer, config, registered)
        optimizer.adapt_search_space(search_space, dataset_api=dataset_api)
        trainer = trainer_module.Trainer(optimizer, config, lightweight_output=True)
        if isinstance(dataset_api, dict) and "benchmark" in dataset_api:
            record_measured(trainer, dataset_api)
        trainer.search(resume_from="", report_incumbent=False)
        result = trainer.evaluate(resume_from="", dataset_api=dataset_api)
        if isinstance(dataset_api, dict) and "answers" in dataset_api:
            report_share(dataset_api["answers"])
        return result
    finally:
        for handler in added:  # a second run in this process logs once, into its own log.log
            naslib_logger.removeHandler(handler)
            handler.close()


def main(argv: Optional[list] = None) -> int:
    """``python plugins/naslib_bridge.py --config-file f.yaml [key value ...]``: NASLib's bbo
    runner, with ``eo_nasbench101`` / our datasets / ``eo_*`` optimizers available."""
    try:
        import_naslib()
    except NaslibUnavailable as exc:
        print(f"naslib_bridge: {exc}", file=sys.stderr)
        return 2
    utils = importlib.import_module("naslib.utils")
    sys.argv = [sys.argv[0], *(sys.argv[1:] if argv is None else argv)]
    config = utils.get_config_from_args(config_type="bbo-bs")
    result = run(config)
    print(f"final architecture {config.search_space}/{config.dataset}/{config.optimizer}: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
