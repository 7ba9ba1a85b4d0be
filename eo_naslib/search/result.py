"""`SearchResult`: what one search found, in the shape of pymoo's `Result`, with JSON and a plot."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..benchmarks.results import LEVELS as INTERVAL_LEVELS
from ..errors import ConfigError, DataFileError, EONASLibError
from ..io import atomic_write_json, read_json
from ..space import Cell
from . import result_fields as fields
from .constraints import Constraint, describe_violation, total_violation
from .evaluator import check_budget_counts
from .objectives import Objective, minimisation_form
from .pareto import feasible_first


def _json_values(values: np.ndarray) -> list[float | None]:
    """Numbers for JSON, null for NaN (a value the benchmark could not give)."""
    return [None if v != v else float(v) for v in values.tolist()]


@dataclass(frozen=True)
class SearchResult:
    """Every distinct evaluation of a search, in order, with its objective values.

    `values` are natural (accuracies maximised, costs minimised); `measured[i]` is True when every
    objective value of evaluation i is a measurement rather than a surrogate prediction; `front`
    indexes the non-dominated evaluations (strict dominance); `initial` the evaluations the
    initialiser chose. `budget_counts` says what `budget` counted ("distinct" cells or
    "evaluations", repeats included) and `spent` how much of it the search used. `std[i, j]` is the
    calibrated standard deviation of value (i, j) (0 when measured) and `interval_multipliers[j]`
    the half-widths of objective j's 80% and 95% intervals in standard deviations (both None where
    the benchmark gives no uncertainty).

    With `constraints`, `constraint_values[i, j]` is evaluation i's value of constraint j's metric,
    `feasible[i]` whether it meets them all and `front` holds feasible evaluations only (empty,
    with `infeasible_message` saying why, when none is feasible); `best` is the best feasible one
    (the least violating one when none is). `measured_feasible` counts the benchmark's measured
    cells that meet the constraints (None where not counted).
    """

    optimizer: str
    benchmark: str
    objectives: tuple[Objective, ...]
    cells: tuple[Cell, ...]
    values: np.ndarray
    measured: np.ndarray
    seed: int | None = None
    budget: int | None = None
    runtime_s: float = 0.0
    initial: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    budget_counts: str = "distinct"
    spent: int | None = None
    std: np.ndarray | None = None
    interval_multipliers: np.ndarray | None = None  # (m, len(INTERVAL_LEVELS))
    constraints: tuple[Constraint, ...] = ()
    constraint_values: np.ndarray | None = None  # (n, len(constraints))
    measured_feasible: int | None = None

    def __post_init__(self) -> None:
        if self.constraints and (self.constraint_values is None or np.shape(self.constraint_values) != (len(self.cells), len(self.constraints))):
            raise ConfigError(
                f"a result with {len(self.constraints)} constraint(s) needs constraint_values of shape "
                f"({len(self.cells)}, {len(self.constraints)}), got {None if self.constraint_values is None else np.shape(self.constraint_values)}"
            )

    @property
    def hashes(self) -> list[str]:
        return [cell.hash for cell in self.cells]

    @property
    def n_evaluations(self) -> int:
        return len(self.cells)

    @property
    def F(self) -> np.ndarray:
        """Objective values in minimisation form (pymoo's name)."""
        return minimisation_form(self.values, self.objectives)

    @property
    def violation(self) -> np.ndarray:
        """(n,) total constraint violation of every evaluation (0 = feasible; see `Constraint`)."""
        if not self.constraints:
            return np.zeros(self.n_evaluations)
        return total_violation(self.constraints, self.constraint_values)

    @property
    def feasible(self) -> np.ndarray:
        """(n,) whether each evaluation meets every constraint (all True without constraints)."""
        return self.violation == 0

    @property
    def front(self) -> np.ndarray:
        """Indices of the non-dominated feasible evaluations, in evaluation order (empty when
        none is feasible: see `infeasible_message`)."""
        feasible = self.feasible
        if not feasible.any():
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(feasible_first(self.F, self.violation))

    @property
    def best(self) -> int:
        """Index of the best evaluation on the first objective, feasible ones first (then the least
        violation; the first one on ties)."""
        return int(np.lexsort((self.F[:, 0], self.violation))[0])

    @property
    def infeasible_message(self) -> str | None:
        """Why the front is empty: no evaluation meets the constraints; None when one does."""
        if not self.constraints or self.feasible.any():
            return None
        texts = [c.text for c in self.constraints]
        line = f"no feasible cell: none of the {self.n_evaluations} evaluated cells meets {texts}"
        if self.n_evaluations:
            closest = self.best
            line += f" (closest: {self.cells[closest].hash} with {describe_violation(self.constraints, self.constraint_values[closest])})"
        if self.measured_feasible == 0:
            line += "; no cell the benchmark measured meets them either"
        elif self.measured_feasible:
            line += f"; {self.measured_feasible} measured cells of the benchmark do"
        return line + ": the front is empty; loosen the constraints or raise the budget"

    def feasibility(self) -> dict[str, Any]:
        """The constraints, how many evaluations met them, the measured cells that do, and the message."""
        return {
            "constraints": [c.text for c in self.constraints],
            "feasible": int(self.feasible.sum()),
            "evaluated": self.n_evaluations,
            "measured_feasible": self.measured_feasible,
            "message": self.infeasible_message,
        }

    def intervals(self, level: float = 0.8) -> np.ndarray | None:
        """(n, m, 2) low and high ends of every value's `level` interval (0.8 or 0.95); None without uncertainty."""
        if self.std is None or self.interval_multipliers is None:
            return None
        half = self.std * self.interval_multipliers[:, INTERVAL_LEVELS.index(level)]
        return np.stack([self.values - half, self.values + half], axis=2)

    def honesty(self) -> dict[str, Any]:
        """How much of the best cell and of the front was measured, and the predicted values' intervals."""
        labels = [o.label for o in self.objectives]
        bounds = {level: self.intervals(level) for level in INTERVAL_LEVELS}

        def describe(i: int) -> dict[str, Any]:
            described: dict[str, Any] = {
                "hash": self.cells[i].hash,
                "measured": bool(self.measured[i]),
                "values": dict(zip(labels, self.values[i].tolist())),
            }
            if not self.measured[i]:
                if self.std is None:
                    described["intervals"] = "unavailable (the benchmark gives no uncertainty)"
                else:
                    described["std"] = dict(zip(labels, self.std[i].tolist()))
                    described["intervals"] = {
                        str(level): dict(zip(labels, b[i].tolist())) for level, b in bounds.items() if b is not None
                    }
            return described

        front = self.front
        measured_front = int(self.measured[front].sum())
        return {
            "measured_share": float(self.measured.mean()) if self.n_evaluations else 0.0,
            "best": describe(self.best) if self.n_evaluations else None,
            "front": {
                "size": len(front),
                "measured": measured_front,
                "predicted": len(front) - measured_front,
                "cells": [describe(int(i)) for i in front],
            },
        }

    def headline(self) -> str:
        """One line saying whether the front and the best cell are measured or predicted."""
        if self.n_evaluations == 0:
            return "no evaluations"
        if self.infeasible_message:
            return "NO FEASIBLE CELL" + self.infeasible_message.removeprefix("no feasible cell")
        front, best = self.front, self.best
        measured = int(self.measured[front].sum())
        kind = "measured" if measured == len(front) else "PREDICTED" if measured == 0 else "partly predicted"
        line = f"front {kind}: {measured} of {len(front)} front cells measured, {len(front) - measured} predicted by the surrogate"
        if self.constraints:
            line += f" ({int(self.feasible.sum())} of {self.n_evaluations} cells feasible under {[c.text for c in self.constraints]})"
        label = self.objectives[0].label
        if self.measured[best]:
            return f"{line}; best {label} {self.values[best, 0]:.4g} is measured"
        bounds = self.intervals(0.8)
        spread = "" if bounds is None else f" (80% interval {bounds[best, 0, 0]:.4g} to {bounds[best, 0, 1]:.4g})"
        return f"{line}; best {label} {self.values[best, 0]:.4g} is predicted{spread}"

    def incumbent_curve(self) -> np.ndarray:
        """Best natural value of the first objective among the feasible evaluations so far, after
        each evaluation (NaN until one is feasible)."""
        best = np.minimum.accumulate(np.where(self.feasible, self.F[:, 0], np.inf))
        return np.where(np.isinf(best), np.nan, best * self.objectives[0].sign)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "benchmark": self.benchmark,
            "objectives": [o.label for o in self.objectives],
            "seed": self.seed,
            "budget": self.budget,
            "budget_counts": self.budget_counts,
            "spent": self.n_evaluations if self.spent is None else self.spent,
            "runtime_s": self.runtime_s,
            "history": [
                {"hash": c.hash, "matrix": c.matrix.tolist(), "ops": list(c.ops), "values": v.tolist(), "measured": bool(m)}
                | ({"constraint_values": _json_values(self.constraint_values[i]), "feasible": bool(self.feasible[i])} if self.constraints else {})
                for i, (c, v, m) in enumerate(zip(self.cells, self.values, self.measured))
            ],
            "constraints": [c.text for c in self.constraints],
            "measured_feasible": self.measured_feasible,
            "feasibility": self.feasibility(),
            "front": self.front.tolist(),
            "initial": self.initial.tolist(),
            "std": None if self.std is None else self.std.tolist(),
            "interval_multipliers": None if self.interval_multipliers is None else self.interval_multipliers.tolist(),
            "honesty": self.honesty(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchResult:
        """The result `to_dict` wrote; every field is checked (`DataFileError` naming it)."""
        if not isinstance(data, dict):
            raise DataFileError(f"a search result is a JSON object, got {type(data).__name__}")
        objectives = tuple(Objective.parse(o) for o in fields.listing(data, "objectives", non_empty=True))
        history = [fields.mapping(h, "history[]") for h in fields.listing(data, "history")]
        try:
            cells = tuple(Cell(h["matrix"], h["ops"]) for h in history)
            hashes = [h["hash"] for h in history]
        except KeyError as exc:
            raise DataFileError(f"search result history entry has no {exc}; give a file written by SearchResult.to_json") from None
        for cell, entry_hash in zip(cells, hashes):
            if cell.hash != entry_hash:
                raise DataFileError(f"history cell {entry_hash!r} does not match its matrix and ops")
        try:
            budget_counts = check_budget_counts(data.get("budget_counts", "distinct"), "budget_counts of the result")
        except ConfigError as exc:
            raise DataFileError(f"search result field 'budget_counts': {exc}") from None
        m = len(objectives)
        constraints = fields.constraints(data)
        constraint_values = None
        if constraints:
            constraint_values = np.array(
                [fields.values_row(h.get("constraint_values"), "constraint_values", len(constraints)) for h in history], dtype=float
            ).reshape(len(history), len(constraints))
            feasible = total_violation(constraints, constraint_values) == 0
            for i, h in enumerate(history):
                if fields.flag(h.get("feasible"), "feasible") != feasible[i]:
                    raise DataFileError(
                        f"history entry {i} ({h.get('hash')}) says feasible={h.get('feasible')} but its constraint_values "
                        f"{h.get('constraint_values')} {'meet' if feasible[i] else 'break'} {[c.text for c in constraints]}"
                    )
        return cls(
            optimizer=fields.text(data, "optimizer"),
            benchmark=fields.text(data, "benchmark"),
            objectives=objectives,
            cells=cells,
            values=np.array([fields.values_row(h.get("values"), "values", m) for h in history], dtype=float).reshape(len(history), m),
            measured=np.array([fields.flag(h.get("measured"), "measured") for h in history], dtype=bool),
            seed=fields.optional_int(data, "seed", 0),
            budget=fields.optional_int(data, "budget", 1),
            budget_counts=budget_counts,
            spent=fields.optional_int(data, "spent", 0),
            runtime_s=fields.finite_number(data, "runtime_s", 0.0),
            initial=fields.indices(data, "initial", len(history)),
            std=fields.optional_table(data, "std", len(history), m),
            interval_multipliers=fields.optional_table(data, "interval_multipliers", m, len(INTERVAL_LEVELS)),
            constraints=constraints,
            constraint_values=constraint_values,
            measured_feasible=fields.optional_int(data, "measured_feasible", 0),
        )

    def to_json(self, path: str | os.PathLike) -> None:
        atomic_write_json(path, self.to_dict())

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> SearchResult:
        data = read_json(path)
        if not isinstance(data, dict):
            raise DataFileError(f"{path} holds {type(data).__name__}, not a search result")
        try:
            return cls.from_dict(data)
        except EONASLibError as exc:
            raise DataFileError(f"{path}: {exc}") from None

    # ------------------------------------------------------------------ picture
    def plot(self, ax: Axes | None = None) -> Figure:
        """The search in objective space: measured and predicted evaluations told apart (predicted
        ones with their 80% intervals as error bars), the initial cells and the final front marked
        (one objective: the incumbent curve)."""
        figure = Figure(figsize=(6, 4.5)) if ax is None else ax.figure
        ax = figure.add_subplot() if ax is None else ax
        names = [o.label for o in self.objectives]
        if len(self.objectives) == 1:
            ax.plot(np.arange(1, self.n_evaluations + 1), self.incumbent_curve(), color="C0")
            ax.set_xlabel("evaluations")
            ax.set_ylabel(f"best {names[0]}")
        else:
            x, y = self.values[:, 1], self.values[:, 0]
            bounds = self.intervals(0.8)
            if bounds is not None:
                on_front = np.zeros(self.n_evaluations, dtype=bool)
                on_front[self.front] = True
                for p, style in (
                    (~self.measured & ~on_front, {"ecolor": "0.8", "elinewidth": 0.4, "alpha": 0.3, "label": "80% interval (predicted)"}),
                    (~self.measured & on_front, {"ecolor": "C3", "elinewidth": 1.0, "capsize": 2, "label": "80% interval (predicted front)"}),
                ):
                    if p.any():
                        xerr = np.stack([x[p] - bounds[p, 1, 0], bounds[p, 1, 1] - x[p]])
                        yerr = np.stack([y[p] - bounds[p, 0, 0], bounds[p, 0, 1] - y[p]])
                        ax.errorbar(x[p], y[p], xerr=xerr, yerr=yerr, fmt="none", **style)
            for mask, style in ((~self.measured, {"marker": "x", "label": "predicted"}), (self.measured, {"marker": "o", "label": "measured"})):
                if mask.any():
                    ax.scatter(x[mask], y[mask], s=12, alpha=0.5, color="0.55" if style["label"] == "predicted" else "C0", **style)
            infeasible = ~self.feasible
            if infeasible.any():
                ax.scatter(x[infeasible], y[infeasible], s=28, marker="s", facecolors="none", edgecolors="C1", label="infeasible (breaks a constraint)")
            for c in self.constraints:  # a bound on a plotted objective, as a dashed line
                if c.metric in (self.objectives[0].metric, self.objectives[1].metric):
                    line = ax.axhline if c.metric == self.objectives[0].metric else ax.axvline
                    line(c.bound, color="C1", linestyle="--", linewidth=1, label=f"constraint {c.text}")
            if len(self.initial):
                ax.scatter(x[self.initial], y[self.initial], s=40, facecolors="none", edgecolors="C2", label="initial cells")
            front = self.front[np.argsort(x[self.front])]
            front_label = "final front (feasible cells)" if self.constraints else "final front"
            ax.step(x[front], y[front], where="post", color="C3", marker="D", markersize=4, label=front_label)
            ax.set_xlabel(names[1])
            ax.set_ylabel(names[0])
            ax.legend(loc="best", fontsize="small")
        title = f"{self.optimizer} on {self.benchmark}: {self.n_evaluations} evaluations"
        if self.constraints:
            title += f", {int(self.feasible.sum())} feasible"
        ax.set_title(title)
        return figure
