"""Atomic latest-only training checkpoints, checked before a resume; a damaged one (random bytes,
wrong keys or tensor shapes, an epoch its curves disagree with) is set aside and reported plainly."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError, DataFileError
from ..io import atomic_write_bytes
from ..schema import FileCheck
from ..space import Cell
from .config import TrainConfig

log = logging.getLogger(__name__)

FORMAT = "eo_naslib.training.checkpoint/1"


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Serialise `state` in memory, then write it atomically over `path`."""
    buffer = BytesIO()
    torch.save({"format": FORMAT, **state}, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def set_aside(path: Path) -> Path:
    """Rename a bad checkpoint to `<name>.corrupt` (numbered if taken) and return the new path."""
    target = path.with_name(path.name + ".corrupt")
    number = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt{number}")
        number += 1
    os.replace(path, target)
    return target


def load_checkpoint(path: str | os.PathLike, check: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any] | None:
    """The saved state, or None when there is none; a file that cannot be read, or that `check`
    refuses with a `DataFileError`, is set aside (-> None). A `ConfigError` from `check` (a
    checkpoint of other settings or another cell) is the caller's to report."""
    source = Path(path)
    if not source.exists():
        return None
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise DataFileError(f"not an {FORMAT} file")
        if check is not None:
            check(state)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - the unpickler raises anything on damaged bytes (IndexError, KeyError, ...)
        moved = set_aside(source)
        log.warning(
            "checkpoint %s is corrupt (%s: %s); moved it to %s and training restarts from scratch",
            source,
            type(exc).__name__,
            exc,
            moved,
        )
        return None
    return state


def evaluated_epochs(config: TrainConfig, last: int) -> list[int]:
    """The epochs up to `last` at which a run of `config` records a curve point."""
    return [e for e in range(1, last + 1) if e % config.eval_every == 0 or e == config.epochs]


def check_checkpoint(
    state: dict[str, Any],
    source: str | os.PathLike,
    config: TrainConfig,
    cell: Cell,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
) -> None:
    """Refuse (`DataFileError`) a state that cannot resume `model`/`optimizer` under `config`: missing
    keys, other tensor shapes, an epoch out of range or curves that are not that epoch's; other
    settings or another cell are a `ConfigError` naming them."""
    check = FileCheck(source, "it is set aside and training restarts")
    settings = check.mapping(check.key(state, "settings"), "settings")
    config.check_same(settings, f"checkpoint {source}")
    if check.text(check.key(state, "cell_hash"), "cell_hash") != cell.hash:
        raise ConfigError(f"checkpoint {source} is of cell {state['cell_hash']}, not {cell.hash}; use a new output directory")
    if [state.get("cell_matrix", cell.matrix.tolist()), state.get("cell_ops", list(cell.ops))] != [cell.matrix.tolist(), list(cell.ops)]:
        raise ConfigError(
            f"checkpoint {source} is of cell {cell.hash} in another vertex order (another network: "
            f"ops {state.get('cell_ops')}); use a new output directory"
        )
    epoch = check.integer(check.key(state, "epoch"), "epoch", 1, config.epochs)
    curves = check.listing(check.key(state, "curves"), "curves")
    expected = evaluated_epochs(config, epoch)
    stated = [check.mapping(point, f"curves[{i}]").get("epoch") for i, point in enumerate(curves)]
    if stated != expected:
        raise check.error("curves", f"points at epochs {expected} (epoch {epoch})", stated)
    check.number(check.key(state, "train_time_s"), "train_time_s", 0)
    weights, wanted = check.mapping(check.key(state, "model"), "model"), model.state_dict()
    if set(weights) != set(wanted):
        raise check.error("model", f"the {len(wanted)} tensors of this network", detail=f" (it has {len(weights)} of other names)")
    for name, tensor in wanted.items():
        if not isinstance(weights[name], torch.Tensor) or weights[name].shape != tensor.shape:
            raise check.error(f"model.{name}", f"a tensor of shape {tuple(tensor.shape)}", getattr(weights[name], "shape", weights[name]))
    saved = check.mapping(check.key(state, "optimizer"), "optimizer")
    groups = check.listing(check.key(saved, "param_groups", "optimizer"), "optimizer.param_groups")
    if [len(g.get("params", ())) if isinstance(g, dict) else -1 for g in groups] != [len(g["params"]) for g in optimizer.param_groups]:
        raise check.error("optimizer.param_groups", "the parameter groups of this network's optimizer")
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    for index, entry in check.mapping(check.key(saved, "state", "optimizer"), "optimizer.state").items():
        buffer = entry.get("momentum_buffer") if isinstance(entry, dict) else None
        if not isinstance(index, int) or not 0 <= index < len(parameters) or (
            buffer is not None and (not isinstance(buffer, torch.Tensor) or buffer.shape != parameters[index].shape)
        ):
            raise check.error(f"optimizer.state.{index}", "the momentum of a parameter of this network")
