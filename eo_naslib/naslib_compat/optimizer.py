"""NASLib's `MetaOptimizer` lifecycle, and the adapter that runs our optimizers through it."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ..benchmarks.datasets import dataset_spec
from ..errors import ConfigError, UnknownMetricError
from ..search import BudgetExhausted, Evaluator, Search, SearchOptimizer, minimisation_form, optimizer_class
from .metric import Metric, to_metric_name
from .search_space import NasBench101SearchSpace


class MetaOptimizer(ABC):
    """NASLib's optimizer lifecycle (optimizers/core/metaclasses.py)."""

    using_step_function = True

    def step(self, data_train: Any, data_val: Any) -> Any:
        raise NotImplementedError("discrete optimizers have no step function; use new_epoch")

    def train_statistics(self, report_incumbent: bool = True) -> tuple[float, float, float, float]:
        raise NotImplementedError

    def test_statistics(self) -> Any:
        raise NotImplementedError

    @abstractmethod
    def adapt_search_space(self, search_space: Any, scope: Any = None, dataset_api: Any = None, **kwargs: Any) -> None: ...

    def new_epoch(self, epoch: int) -> None:
        pass

    def before_training(self) -> None:
        pass

    def after_training(self) -> None:
        pass

    @abstractmethod
    def get_final_architecture(self) -> Any: ...

    def get_op_optimizer(self) -> Any:
        return None

    def get_model_size(self) -> float:
        return 0.0

    @abstractmethod
    def get_checkpointables(self) -> dict[str, Any]: ...


#: search keys the runner/Trainer reads; everything else belongs to the optimizer
GENERIC_SEARCH_KEYS = ("epochs", "checkpoint_freq", "fidelity", "objectives")


class DiscreteOptimizer(MetaOptimizer):
    """Runs one of our `SearchOptimizer`s (rs, re, ls, pls, ...) under NASLib's lifecycle.

    Epoch e is the e-th unit of budget: the e-th distinct evaluated cell, or with
    `search.budget_counts: evaluations` the e-th evaluation (repeats included). `new_epoch(e)` steps
    the optimizer until e + 1 units are spent (the budget is `search.epochs`).
    """

    using_step_function = False

    def __init__(self, name: str, dataset: str, search: dict[str, Any], seed: int) -> None:
        self.cls = optimizer_class(name)
        self.name = name
        self.dataset = dataset
        self.search = dict(search)
        self.seed = seed
        self.macro = dataset_spec(dataset).macro
        self.run: Search | None = None
        self.dataset_api: dict[str, Any] | None = None
        self._epoch = -1

    @property
    def evaluator(self) -> Evaluator | None:
        return None if self.run is None else self.run.evaluator

    @property
    def inner(self) -> SearchOptimizer | None:
        return None if self.run is None else self.run.optimizer

    def optimizer_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.search.items() if k in self.cls.defaults}

    def objectives(self) -> list[Any]:
        costs = getattr(self.cls, "cost_objectives", ())  # multi-objective optimizers
        default = [to_metric_name(Metric.VAL_ACCURACY, self.macro), *costs]
        return list(self.search.get("objectives") or default)

    def measured_only(self) -> bool:
        """`search.measured_only`, or a search space NASLib's runner restricted to measured cells."""
        return bool(self.search.get("measured_only") or getattr(self.search_space, "measured_only", False))

    def adapt_search_space(self, search_space: Any, scope: Any = None, dataset_api: Any = None, **kwargs: Any) -> None:
        if dataset_api is None:
            raise ConfigError("adapt_search_space needs dataset_api=get_dataset_api(search_space, dataset)")
        self.search_space = search_space.clone()
        self.dataset_api = dataset_api
        benchmark = dataset_api["benchmark"]
        fidelity = self.search.get("fidelity")
        if fidelity is not None and int(fidelity) not in benchmark.fidelities:
            raise ConfigError(f"search.fidelity {fidelity} is not offered by {self.dataset}; allowed: {list(benchmark.fidelities)}")
        self.run = Search(
            benchmark,
            self.cls,
            self.objectives(),
            int(self.search["epochs"]),
            seed=self.seed,
            space=dataset_api["space"],
            epoch=None if fidelity is None else int(fidelity),
            measured_only=self.measured_only(),
            budget_counts=str(self.search.get("budget_counts", "distinct")),
            constraints=self.search.get("constraints"),
            **self.optimizer_params(),
        )

    def new_epoch(self, epoch: int) -> None:
        assert self.inner is not None and self.evaluator is not None, "call adapt_search_space first"
        try:
            while self.evaluator.spent <= epoch and not self.evaluator.exhausted:
                self.inner.step()
        except BudgetExhausted:
            pass  # the step (a generation of several new cells) spent the rest of the budget part-way
        self._epoch = epoch

    # ------------------------------------------------------------------ statistics
    def row_at(self, epoch: int, incumbent: bool) -> int:
        """The epoch's evaluated row, or the best row among the first epoch + 1 evaluations
        (feasible ones first under `search.constraints`)."""
        rows = self.evaluator.charged_rows[: epoch + 1]
        if not incumbent:
            return rows[-1]
        if self.evaluator.budget_counts == "distinct":
            values = self.evaluator.history_values[: epoch + 1]
        else:
            values = np.array([self.evaluator.value(r) for r in rows])
        scores = minimisation_form(values, self.evaluator.objectives)[:, 0]
        return rows[int(np.lexsort((scores, self.evaluator.violation(rows)))[0])]

    def _value(self, row: int, metric: Metric) -> float | None:
        """A benchmark value for NASLib's statistics (percent accuracies), None where not offered."""
        benchmark = self.dataset_api["benchmark"]
        try:
            value = float(benchmark.query(self.evaluator.space.hashes[row], to_metric_name(metric, self.macro), epoch=self.evaluator.epoch))
        except (UnknownMetricError, KeyError):
            return None
        if math.isnan(value):
            return None
        return 100.0 * value if "ACCURACY" in metric.name else value

    def statistics(self, epoch: int, report_incumbent: bool = True) -> dict[str, float | None]:
        row = self.row_at(epoch, report_incumbent)
        return {
            "train_acc": self._value(row, Metric.TRAIN_ACCURACY),
            "valid_acc": self._value(row, Metric.VAL_ACCURACY),
            "test_acc": self._value(row, Metric.TEST_ACCURACY),
            "train_time": self._value(row, Metric.TRAIN_TIME),
            "params": self._value(row, Metric.PARAMETERS),
        }

    def train_statistics(self, report_incumbent: bool = True) -> tuple[float | None, ...]:
        stats = self.statistics(self._epoch, report_incumbent)
        return stats["train_acc"], stats["valid_acc"], stats["test_acc"], stats["train_time"]

    def test_statistics(self) -> dict[str, Any]:
        row = self.inner.incumbent()
        return self.dataset_api["benchmark"].query_all(self.evaluator.space.hashes[row], epoch=self.evaluator.epoch).to_dict()

    def get_final_architecture(self) -> NasBench101SearchSpace:
        arch = self.search_space.clone()
        arch.set_spec(self.evaluator.space.cell(self.inner.incumbent()))
        return arch

    # ------------------------------------------------------------------ checkpoints
    def get_checkpointables(self) -> dict[str, Any]:
        return {"model": {"evaluator": self.evaluator.state_dict(), "optimizer": self.inner.state_dict(), "epoch": self._epoch}}

    def load_checkpointables(self, state: dict[str, Any]) -> None:
        model = state["model"]
        self.evaluator.load_state_dict(model["evaluator"])
        self.inner.load_state_dict(model["optimizer"])
        self._epoch = int(model["epoch"])
