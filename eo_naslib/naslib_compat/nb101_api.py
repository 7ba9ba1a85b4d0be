"""NASLib's TF-free NB101 API (`naslib.utils.nb101_api`) answered from our benchmarks.

NASLib's stock `NasBench101SearchSpace` reads ``dataset_api["api"]`` (this module: `ModelSpec`,
`OutOfDomainError`) and ``dataset_api["nb101_data"]`` (a `NASBench`: `is_valid`, `query`,
`get_metrics_from_hash`, `get_metrics_from_spec`, `hash_iterator`, `config`). Both are provided
here over any of our benchmarks, so NASLib's own NB101 code runs on So2Sat as on CIFAR-10, without
TensorFlow or the nasbench package. Differences from NASLib's NASBench (docs/naslib_bridge.md):
- values are the benchmark's (the mean over training repeats; surrogate predictions for cells the
  benchmark did not measure), so `query` is deterministic and there is one repeat, not three;
- `query` defaults to the benchmark's default fidelity (108 on both benchmarks shipped); a metric
  the benchmark holds at fewer epochs is answered at the last epoch it is held (CIFAR-10's train
  time at 108 whatever the epoch, as NASLib's stock query reads 108 for every epoch; logged once);
- a metric the benchmark lacks is NaN (listed once in the log), never a KeyError;
- `hash_iterator` yields every cell of the space (what `query` answers), not a file's keys;
- loading does not reseed Python's global `random` (NASLib's NASBench calls `random.seed(None)`);
- `measured_only`: only the measured cells exist (`is_valid`, `hash_iterator`, `query`), so
  NASLib's sampling, mutation and neighbourhoods stay among them;
- every answer is counted in `answers` (an `AnswerTally`: how many were surrogate predictions).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import InvalidCellError
from ..space import MAX_EDGES, MAX_VERTICES, OPS, Cell, CellTable, prune
from .answers import AnswerTally
from .metric import held_epoch, report_unavailable

#: NB101 result keys and our metric names (the accuracy flavour is the dataset's)
RESULT_KEYS = {
    "train_accuracy": "train_accuracy",
    "validation_accuracy": "val_accuracy",
    "test_accuracy": "test_accuracy",
    "training_time": "train_time_s",
    "trainable_parameters": "params",
}
MACRO = {"train_accuracy": "train_accuracy_macro", "val_accuracy": "val_accuracy_macro", "test_accuracy": "test_accuracy_macro"}


class OutOfDomainError(Exception):
    """A spec or epoch count NB101 does not hold (the name NASLib's nb101_api uses)."""


#: (matrix bytes, shape, ops) -> (pruned matrix, pruned ops, cell); NASLib builds a ModelSpec per query
_SPECS: dict[tuple[bytes, tuple[int, ...], tuple[str, ...]], tuple[Any, Any, Any]] = {}
_SPECS_MAX = 200_000


class ModelSpec:
    """NB101's model spec: the given matrix and ops, pruned; `valid_spec` False when no
    input-to-output path remains; `cell` None unless NB101 holds it (<= 7 vertices, <= 9 edges)."""

    def __init__(self, matrix: Any, ops: list[str], data_format: str = "channels_last") -> None:
        matrix = np.array(matrix)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError("matrix must be square")
        if matrix.shape[0] != len(ops):
            raise ValueError("length of ops must match matrix dimensions")
        if np.any(np.tril(matrix)):
            raise ValueError("matrix must be upper triangular")
        self.original_matrix = matrix.copy()
        self.original_ops = list(ops)
        self.data_format = data_format
        key = (matrix.astype(np.uint8).tobytes(), matrix.shape, tuple(ops))
        if key not in _SPECS:
            if len(_SPECS) >= _SPECS_MAX:
                _SPECS.clear()
            _SPECS[key] = _pruned(matrix, list(ops))
        pruned, pruned_ops, self.cell = _SPECS[key]
        self.valid_spec = pruned is not None
        self.matrix = None if pruned is None else pruned.copy()
        self.ops = None if pruned_ops is None else list(pruned_ops)

    def hash_spec(self, canonical_ops: Any = None) -> str:
        if self.cell is None:
            raise OutOfDomainError("an invalid spec has no hash")
        return self.cell.hash


def _pruned(matrix: np.ndarray, ops: list[str]) -> tuple[Any, Any, Any]:
    """(pruned matrix, pruned ops, Cell or None); (None, None, None) without an input-output path."""
    try:
        pruned, pruned_ops = prune(matrix, ops)
    except InvalidCellError:
        return None, None, None
    cell = None
    if len(pruned_ops) <= MAX_VERTICES and int(np.sum(pruned)) <= MAX_EDGES:
        try:
            cell = Cell(pruned, pruned_ops)
            cell.hash  # resolved once here, not per query
        except InvalidCellError:
            cell = None
    return pruned, tuple(pruned_ops), cell


class NASBench:
    """NASLib's `NASBench` interface over one of our benchmarks (one dataset, one accuracy flavour)."""

    def __init__(self, benchmark: Any, space: CellTable, macro: bool = False, measured_only: bool = False,
                 answers: AnswerTally | None = None) -> None:
        self.benchmark = benchmark
        self.space = space
        self.macro = macro
        self.measured_only = measured_only
        self.answers = answers if answers is not None else AnswerTally(benchmark, benchmark.name)
        self._measured = frozenset(benchmark.measured_hashes().tolist()) if measured_only else frozenset()
        self.config = {
            "module_vertices": MAX_VERTICES,
            "max_edges": MAX_EDGES,
            "num_repeats": 1,
            "available_ops": list(OPS),
        }
        #: the cell of the last query (the bridge reads it to flag measured cells in errors.json)
        self.last_cell: Cell | None = None

    # ------------------------------------------------------------------ specs
    def is_valid(self, model_spec: ModelSpec) -> bool:
        """A cell of NB101 (with `measured_only`: a measured one)."""
        cell = model_spec.cell
        return cell is not None and (not self.measured_only or cell.hash in self._measured)

    def _hash_spec(self, model_spec: ModelSpec) -> str:
        return model_spec.hash_spec()

    def hash_iterator(self) -> Iterator[str]:
        """Every cell's hash (with `measured_only`: the measured cells', sorted)."""
        if self.measured_only:
            return iter(sorted(self._measured))
        return iter(self.space.hashes.tolist())

    def _check_measured(self, cell: Cell) -> None:
        if self.measured_only and cell.hash not in self._measured:
            raise OutOfDomainError(f"cell {cell.hash} was not measured by benchmark {self.benchmark.name!r} "
                                   "(measured_only: only its measured cells exist)")

    # ------------------------------------------------------------------ values
    def _value(self, cell: Cell, key: str, epochs: int) -> float:
        name = RESULT_KEYS[key]
        if self.macro:
            name = MACRO.get(name, name)
        if name not in self.benchmark.metrics or (self.measured_only and not self.benchmark.is_measured(cell, name)):
            report_unavailable(self.benchmark.name, name)
            return math.nan
        return float(self.benchmark.query_rows(self._rows(cell), name, held_epoch(self.benchmark, name, epochs))[0])

    def _record(self, cell: Cell, keys: Any) -> None:
        """Count one answer holding the values of NB101 result `keys` (see `AnswerTally`)."""
        names = (MACRO.get(RESULT_KEYS[k], RESULT_KEYS[k]) if self.macro else RESULT_KEYS[k] for k in keys)
        self.answers.record(cell, [n for n in names if n in self.benchmark.metrics])

    def _rows(self, cell: Cell) -> np.ndarray:
        return np.array([self.space.index(cell.hash)])

    def _epochs(self, epochs: int | None) -> int:
        epochs = self.benchmark.default_epoch if epochs is None else int(epochs)
        if epochs not in self.benchmark.fidelities:
            raise OutOfDomainError(f"invalid number of epochs {epochs}; {self.benchmark.name} holds {list(self.benchmark.fidelities)}")
        return epochs

    def query(self, model_spec: ModelSpec, epochs: int | None = None, stop_halfway: bool = False) -> dict[str, Any]:
        """NB101's result dict for a spec at `epochs` (accuracies as fractions, time in s)."""
        if model_spec.cell is None:
            raise OutOfDomainError("the spec is not valid (no input-to-output path, or over 7 vertices / 9 edges)")
        self._check_measured(model_spec.cell)
        self.last_cell = model_spec.cell
        result = self._result(model_spec.cell, self._epochs(epochs), stop_halfway)
        self._record(model_spec.cell, [k for k in RESULT_KEYS if k in result])
        return result

    def _result(self, cell: Cell, epochs: int, stop_halfway: bool) -> dict[str, Any]:
        result: dict[str, Any] = {"module_adjacency": cell.matrix.copy(), "module_operations": list(cell.ops)}
        result["trainable_parameters"] = self._value(cell, "trainable_parameters", epochs)
        result["training_time"] = self._value(cell, "training_time", epochs)
        if not stop_halfway:
            for key in ("train_accuracy", "validation_accuracy", "test_accuracy"):
                result[key] = self._value(cell, key, epochs)
        return result

    def get_metrics_from_hash(self, module_hash: str) -> tuple[dict[str, Any], dict[int, list[dict[str, float]]]]:
        """(fixed, computed) as NB101 stores them; one repeat per epoch count (the mean)."""
        cell = self.space.cell(self.space.index(module_hash))
        self._check_measured(cell)
        self._record(cell, RESULT_KEYS)
        fixed = {
            "module_adjacency": cell.matrix.copy(),
            "module_operations": list(cell.ops),
            "trainable_parameters": self._value(cell, "trainable_parameters", self.benchmark.default_epoch),
        }
        computed = {}
        for epochs in self.benchmark.fidelities:
            values = self._result(cell, epochs, stop_halfway=False)
            computed[epochs] = [{f"final_{key}": values[key] for key in ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")}]
        return fixed, computed

    def get_metrics_from_spec(self, model_spec: ModelSpec) -> tuple[dict[str, Any], dict[int, list[dict[str, float]]]]:
        return self.get_metrics_from_hash(self._hash_spec(model_spec))
