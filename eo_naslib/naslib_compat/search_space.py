"""`NasBench101SearchSpace`: NASLib's NB101 search-space interface over our cells and benchmarks.

Deliberate differences from NASLib (documented in the README):
- a spec is always a valid pruned `Cell`; invalid specs raise `InvalidCellError` (NASLib: -1);
- `get_hash()` is the NB101 md5 (identity up to isomorphism), not NASLib's 56-tuple;
- `query` honours `epoch` (NASLib ignores it unless `full_lc`) and answers the mean over training
  repeats (NASLib draws one repeat at random per call), so repeated queries agree;
- accuracies are in percent as NASLib's optimizers expect; PARAMETERS is the plain count
  (NASLib multiplies it by 100 by mistake).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import ConfigError, EONASLibError, UnknownMetricError
from ..space import Cell, CellTable, all_cells
from .dataset_api import DATASETS
from .metric import ACCURACIES, Metric, to_metric_name

#: NASLib's op order for the 56-tuple hash/spec form.
NASLIB_TUPLE_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")


def _global_rng() -> np.random.Generator:
    """A Generator drawn from numpy's global state, which NASLib's Trainer seeds."""
    return np.random.default_rng(np.random.randint(0, 2**63 - 1, dtype=np.int64))


class _Neighbour:
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

    # ------------------------------------------------------------------ identity
    def get_type(self) -> str:
        return "nasbench101"

    def clone(self) -> NasBench101SearchSpace:
        return copy.copy(self)  # the spec is immutable

    def get_hash(self) -> str:
        return self._cell().hash

    def get_spec(self) -> dict[str, Any]:
        cell = self._cell()
        return {"matrix": cell.matrix.copy(), "ops": list(cell.ops)}

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
    def sample_random_architecture(self, dataset_api: dict[str, Any] | None = None, load_labeled: bool = False) -> None:
        if load_labeled:
            raise EONASLibError("load_labeled is not supported for nasbench101; sample without it")
        self.spec = Cell.random(_global_rng())

    def mutate(self, parent: NasBench101SearchSpace, dataset_api: dict[str, Any] | None = None, edits: int = 1) -> None:
        self.spec = parent._cell().mutate(_global_rng())

    def get_nbhd(self, dataset_api: dict[str, Any] | None = None) -> list[_Neighbour]:
        neighbours = []
        for cell in self._cell().neighbours("edit"):
            arch = NasBench101SearchSpace(self.num_classes)
            arch.spec = cell
            neighbours.append(_Neighbour(arch))
        order = np.random.permutation(len(neighbours))
        return [neighbours[i] for i in order]

    def get_arch_iterator(self, dataset_api: dict[str, Any] | None = None) -> Iterator[str]:
        table: CellTable = (dataset_api or {}).get("space") or all_cells()
        return iter(table.hashes.tolist())

    def encode(self, encoding_type: Any = "adjacency_one_hot") -> np.ndarray:
        return self._cell().encode(str(getattr(encoding_type, "value", encoding_type)))

    # ------------------------------------------------------------------ query
    def query(
        self,
        metric: Metric,
        dataset: str | None = None,
        path: str | None = None,
        epoch: int | None = -1,
        full_lc: bool = False,
        dataset_api: dict[str, Any] | None = None,
    ) -> Any:
        """NASLib-style query (percent accuracies); `full_lc` gives the values at every fidelity
        up to `epoch`."""
        if dataset_api is None or "benchmark" not in dataset_api:
            raise ConfigError("query needs dataset_api=get_dataset_api('nasbench101', dataset)")
        benchmark = dataset_api["benchmark"]
        dataset = dataset or dataset_api["dataset"]
        if dataset not in DATASETS:
            raise ConfigError(f"dataset {dataset!r} is unknown; allowed: {sorted(DATASETS)}")
        cell = self._cell()
        fidelity = None if epoch in (-1, None) else int(epoch)
        if metric is Metric.RAW:
            return benchmark.query_all(cell, epoch=fidelity)
        name = to_metric_name(metric, macro=DATASETS[dataset].macro)
        scale = 100.0 if metric in ACCURACIES else 1.0
        if not full_lc:
            return scale * benchmark.query(cell, name, epoch=fidelity)
        last = fidelity or benchmark.default_epoch
        epochs = [e for e in benchmark.fidelities if e <= last]
        if not epochs:
            raise UnknownMetricError(f"no fidelity <= {last}; available: {list(benchmark.fidelities)}")
        return [scale * benchmark.query(cell, name, epoch=e) for e in epochs]
