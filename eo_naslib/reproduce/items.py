"""What one reproduced table or figure is (`Item`), what it produced (`Outcome`) and what every item
shares while the report runs (`Context`: output folder, data, seeds, backend, opened benchmarks).

An item names the seed's figure or table (`ref`), says what the paper shows (`paper`), the command
that computes ours (`command`) and why the two differ (`differs`); `run(context)` returns the
`Outcome`: a Markdown fragment, figure files (relative to the output folder) and the numbers.
`NeedsData` lists a numbered figure or table that needs data the public sources lack.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..benchmarks import load_benchmark
from ..benchmarks.base import Benchmark
from ..creation.backends import Backend
from ..io import save_figure
from ..landscape import Landscape, from_benchmark
from ..space import CellTable, all_cells

SEEDS = ("seed000", "seed001", "seed002", "seed003")
#: a figure is drawn at this resolution (the committed PNGs stay small)
DPI = 80


def number(value: Any, spec: str = ".3f") -> str:
    """`value` formatted with `spec`, or "n/a" when it is missing or not finite."""
    return "n/a" if value is None or (isinstance(value, float) and not math.isfinite(value)) else format(value, spec)


@dataclass(frozen=True)
class Outcome:
    """An item's result: Markdown (`text`), figure paths relative to the output folder, numbers."""

    text: str
    figures: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Shared by the items of one `reproduce` run. `quick` scales budgets and seeds down (the
    synthetic end-to-end test); `backend` (None: local worker processes) runs the experiments."""

    out_dir: Path
    data_dir: str | None
    seeds: int
    workers: int = 2
    quick: bool = False
    synthetic: bool = False
    eo_folder: str | None = None
    backend: Callable[[Path], Backend] | None = None
    _benchmarks: dict[tuple[str, bool], Benchmark] = field(default_factory=dict, repr=False)
    _landscapes: dict[tuple, Landscape] = field(default_factory=dict, repr=False)

    @cached_property
    def space(self) -> CellTable:
        return all_cells()

    def benchmark(self, name: str, surrogate: bool = True) -> Benchmark:
        """Benchmark `name` of the data dir (opened once per run)."""
        key = (name, surrogate)
        if key not in self._benchmarks:
            self._benchmarks[key] = load_benchmark(name, self.data_dir, surrogate=surrogate)
        return self._benchmarks[key]

    def landscape(self, name: str, metric: str, epoch: int | None = None, surrogate: bool = True) -> Landscape:
        """The landscape of `metric` at `epoch` (symmetric edit moves), built once per run."""
        key = (name, metric, epoch, surrogate)
        if key not in self._landscapes:
            self._landscapes[key] = from_benchmark(self.benchmark(name, surrogate), metric, epoch, space=self.space)
        return self._landscapes[key]

    def figure(self, figure: Any, key: str, name: str) -> str:
        """Save `figure` as figures/<key>_<name>.png; returns the path relative to the output folder."""
        relative = f"figures/{key}_{name}.png"
        save_figure(figure, self.out_dir / relative, dpi=DPI)
        return relative

    @property
    def data_label(self) -> str:
        """How the report names the data (SYNTHETIC stand-ins say so)."""
        return "SYNTHETIC stand-in benchmarks (not real data)" if self.synthetic else "public data"

    def settings(self) -> dict[str, Any]:
        """What decides every item's numbers (a finished item of other settings is recomputed)."""
        return {
            "seeds": self.seeds,
            "quick": self.quick,
            "synthetic": self.synthetic,
            "data_dir": os.path.abspath(self.data_dir) if self.data_dir else None,
            "eo_folder": os.path.abspath(self.eo_folder) if self.eo_folder else None,
        }


@dataclass(frozen=True)
class Item:
    """One reproduced figure or table of a seed."""

    key: str
    seed: str
    ref: str
    title: str
    paper: str
    command: str
    differs: str
    run: Callable[[Context], Outcome]
    #: rough minutes on the 2-core machine at the default seeds (orders the run: quick items first)
    minutes: float = 0.5


@dataclass(frozen=True)
class NeedsData:
    """A numbered figure or table that public data cannot reproduce, and what it needs."""

    seed: str
    ref: str
    title: str
    needs: str
