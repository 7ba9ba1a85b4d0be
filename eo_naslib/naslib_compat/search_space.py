"""`NasBench101SearchSpace`: NASLib's NB101 search-space interface over our cells and benchmarks.

Deliberate differences from NASLib (docs/naslib_bridge.md lists them all):
- a spec is always a valid `Cell`; invalid specs raise `InvalidCellError` (NASLib: -1);
- `get_hash()` is the NB101 md5 (identity up to isomorphism), not NASLib's 56-tuple
  (`get_tuple()` gives that);
- `query` honours `epoch` (NASLib ignores it unless `full_lc`) and answers the mean over training
  repeats (NASLib draws one repeat at random per call), so repeated queries agree;
- a metric the benchmark does not have is answered NaN (listed once in the log as unavailable),
  where NASLib raises KeyError; accuracies are in percent as NASLib's optimizers expect;
  PARAMETERS is the plain count (NASLib multiplies it by 100 by mistake);
- `full_lc` is the learning curve the data has (`curves`): the values at the recorded fidelities
  up to `epoch` (CIFAR-10: 4, 12, 36, 108; a built store: every evaluated epoch), where NASLib
  repeats 4/12/36/108 as 4/8/20/56 values (88 long); a metric held at one fidelity (So2Sat's
  108) or not held is refused with one line (`UnknownMetricError`) naming the data that has
  curves; a metric held at fewer epochs (CIFAR-10's train time: 108) is answered at the last
  epoch it is held when `full_lc` is not asked.
A dataset API opened with `measured_only` restricts sampling, mutation, neighbours and the arch
iterator to measured cells, as the `measured_only` attribute does; every answer is counted in the
API's `answers` tally (how many were surrogate predictions).
`get_spec()` and `encode()` are NASLib's: the 7-vertex padded spec and NASLib's encodings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import ConfigError, EONASLibError
from ..space import Cell, CellTable, all_cells, mutate, neighbours, random_cell
from .dataset_api import DATASETS
from .curves import learning_curve
from .encodings import encode, naslib_spec
from .metric import ACCURACIES, Metric, as_metric, held_epoch, report_unavailable, to_metric_name

#: NASLib's op order for the 56-tuple hash/spec form.
NASLIB_TUPLE_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
def _global_rng() -> np.random.Generator:
    """A Generator drawn from numpy's global state, which NASLib's Trainer seeds."""
    return np.random.default_rng(np.random.randint(0, 2**63 - 1, dtype=np.int64))


#: mutation attempts before a measured-only search redraws a random measured cell
MEASURED_TRIES = 100


def _measured(dataset_api: dict[str, Any] | None) -> np.ndarray:
    """The benchmark's measured hashes (sorted), for `measured_only` searches."""
    if dataset_api is None or "benchmark" not in dataset_api:
        raise ConfigError("measured_only needs dataset_api=get_dataset_api('nasbench101', dataset)")
    if "measured_hashes" not in dataset_api:
        dataset_api["measured_hashes"] = np.sort(np.asarray(dataset_api["benchmark"].measured_hashes()))
    return dataset_api["measured_hashes"]


def _measured_set(dataset_api: dict[str, Any] | None) -> frozenset[str]:
    if dataset_api is None or "measured_set" not in dataset_api:
        hashes = _measured(dataset_api)
        dataset_api["measured_set"] = frozenset(hashes.tolist())
    return dataset_api["measured_set"]


class Neighbour:
    """What NASLib's `get_nbhd` returns: an object whose `.arch` is a search space."""

    def __init__(self, arch: NasBench101SearchSpace) -> None:
        self.arch = arch


class NasBench101SearchSpace:
    """NB101 cell space with NASLib's duck-typed search-space methods (queryable, no torch model)."""

    QUERYABLE = True
    OPTIMIZER_SCOPE = "all"
    space_name = "nasbench101"

    def __init__(self, n_classes: int = 10) -> None:
        self.num_classes = n_classes
        self.spec: Cell | None = None
        self.instantiate_model = False
        self.labeled_archs = None
        self.sample_without_replacement = False
        #: draw, mutate and neighbour only among cells the benchmark measured (`search.measured_only`)
        self.measured_only = False

    # ------------------------------------------------------------------ identity
    def get_type(self) -> str:
        return "nasbench101"

    def clone(self) -> NasBench101SearchSpace:
        clone = type(self)(self.num_classes)
        clone.spec = self.spec  # immutable
        clone.measured_only = self.measured_only
        return clone

    def get_hash(self) -> str:
        return self._cell().hash

    def get_tuple(self) -> tuple[int, ...]:
        """NASLib's 56-tuple form (its `get_hash`) of the 7-vertex spec."""
        spec = self.get_spec()
        return tuple(int(b) for b in spec["matrix"].ravel()) + tuple(NASLIB_TUPLE_OPS.index(op) for op in spec["ops"])

    def get_spec(self) -> dict[str, Any]:
        """NASLib's 7-vertex spec {"matrix": 7 x 7 int8, "ops": 7 names} (padded as NASLib pads)."""
        return naslib_spec(self._cell())

    def set_spec(self, spec: Any, dataset_api: dict[str, Any] | None = None) -> None:
        """Accept a `Cell`, a spec dict, an NB101 md5 hash or NASLib's 56-tuple."""
        if isinstance(spec, Cell):
            self.spec = spec
        elif isinstance(spec, dict):
            self.spec = Cell.from_spec(spec)
        elif isinstance(spec, str):
            table: CellTable = (dataset_api or {}).get("space") or all_cells()
            self.spec = table.cell(table.index(spec))
        elif isinstance(spec, (tuple, list)) and len(spec) == 56:
            matrix = np.array(spec[:49]).reshape(7, 7)
            self.spec = Cell(matrix, [NASLIB_TUPLE_OPS[int(i)] for i in spec[49:]])
        else:
            raise EONASLibError(f"cannot set a spec from {type(spec).__name__}; give a Cell, dict, md5 hash or 56-tuple")

    def _cell(self) -> Cell:
        if self.spec is None:
            raise EONASLibError("this search space has no architecture yet; call set_spec or sample_random_architecture")
        return self.spec

    # ------------------------------------------------------------------ moves
    def _measured_only(self, dataset_api: dict[str, Any] | None) -> bool:
        """This space's flag, or a dataset API opened with `measured_only`."""
        return self.measured_only or bool((dataset_api or {}).get("measured_only"))

    def sample_random_architecture(self, dataset_api: dict[str, Any] | None = None, load_labeled: bool = False) -> None:
        if load_labeled:
            raise EONASLibError("load_labeled is not supported for nasbench101; sample without it")
        if self._measured_only(dataset_api):
            hashes = _measured(dataset_api)
            self.set_spec(str(hashes[np.random.randint(len(hashes))]), dataset_api)
        else:
            self.spec = random_cell(_global_rng())

    def mutate(self, parent: NasBench101SearchSpace, dataset_api: dict[str, Any] | None = None, edits: int = 1) -> None:
        """NB101 mutation; with `measured_only`, redrawn until the child is a measured cell."""
        restricted = self._measured_only(dataset_api)
        for _ in range(MEASURED_TRIES):
            self.spec = mutate(parent._cell(), _global_rng())
            if not restricted or self.spec.hash in _measured_set(dataset_api):
                return
        self.sample_random_architecture(dataset_api)

    def neighbour(self, arch: NasBench101SearchSpace) -> Any:
        """The object `get_nbhd` returns for one neighbour (NASLib's bridge returns an nn.Module)."""
        return Neighbour(arch)

    def get_nbhd(self, dataset_api: dict[str, Any] | None = None) -> list[Any]:
        """Every valid one-edit neighbour (NASLib's moves; with `measured_only` the measured ones),
        shuffled with numpy's global RNG."""
        cells = neighbours(self._cell(), "edit")
        if self._measured_only(dataset_api):
            measured = _measured_set(dataset_api)
            cells = [c for c in cells if c.hash in measured]
        found = []
        for cell in cells:
            arch = self.clone()
            arch.spec = cell
            found.append(self.neighbour(arch))
        order = np.random.permutation(len(found))
        return [found[i] for i in order]

    def get_arch_iterator(self, dataset_api: dict[str, Any] | None = None) -> Iterator[str]:
        """Every cell's hash (measured-only: the measured cells', sorted)."""
        if self._measured_only(dataset_api):
            return iter(_measured(dataset_api).tolist())
        table: CellTable = (dataset_api or {}).get("space") or all_cells()
        return iter(table.hashes.tolist())

    def encode(self, encoding_type: Any = "adjacency_one_hot") -> Any:
        """NASLib's encoding (`EncodingType` member or its string), exactly as NASLib computes it."""
        return encode(self._cell(), encoding_type)

    def get_loss_fn(self) -> Any:
        raise EONASLibError("this space has no torch model; use NASLib's stock nasbench101 space for training")

    # ------------------------------------------------------------------ query
    def query(
        self,
        metric: Any,
        dataset: str | None = None,
        path: str | None = None,
        epoch: int | None = -1,
        full_lc: bool = False,
        dataset_api: dict[str, Any] | None = None,
    ) -> Any:
        """NASLib-style query (percent accuracies; NaN for a metric the benchmark lacks);
        `full_lc` gives the learning curve at the recorded fidelities up to `epoch` (`curves`)."""
        if dataset_api is None or "benchmark" not in dataset_api:
            raise ConfigError("query needs dataset_api=get_dataset_api('nasbench101', dataset)")
        benchmark = dataset_api["benchmark"]
        dataset = dataset or dataset_api["dataset"]
        if dataset not in DATASETS:
            raise ConfigError(f"dataset {dataset!r} is unknown; allowed: {sorted(DATASETS)}")
        metric = as_metric(metric)
        cell = self._cell()
        fidelity = None if epoch in (-1, None) or full_lc else int(epoch)
        answers = dataset_api.get("answers")
        if metric in (Metric.RAW, Metric.ALL):
            if answers is not None:
                answers.record(cell, benchmark.metrics)
            return benchmark.query_all(cell, epoch=fidelity).to_dict()
        name = to_metric_name(metric, macro=DATASETS[dataset].macro, strict=False)
        scale = 100.0 if metric in ACCURACIES else 1.0
        if full_lc:
            curve = learning_curve(benchmark, cell, metric.name if name is None else name, epoch, scale)
            if answers is not None:
                answers.record(cell, [name])
            return curve
        if name is None or name not in benchmark.metrics:
            report_unavailable(benchmark.name, metric.name if name is None else name)
            return math.nan
        if answers is not None:
            answers.record(cell, [name])
        return scale * benchmark.query(cell, name, epoch=held_epoch(benchmark, name, fidelity))

