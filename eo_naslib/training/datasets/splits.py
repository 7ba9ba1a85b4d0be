"""Split protocols by name: which rows of which file are train, validation and test.

Every protocol trains on a seeded, class-stratified `subset_fraction` of the dataset's training
split (seed 002: P = 35%) and holds out a seeded, class-stratified `val_fraction` (0.2) of it:

- `seeds` (seed 002, section 5.4: "training and testing sets made by randomly sampling
  respectively, 80% and 20% of the image patches of the original training-set"): the held-out
  20% is the **test** split; validation is the dataset's own validation split (So2Sat's
  `validation.h5`). The default of `TrainConfig` and of the seed configs.
- `holdout` (what this package did before split protocols had names): the held-out 20% is the
  **validation** split; test is the dataset's own test split (So2Sat's `testing.h5`).
- `files`: the dataset's own validation and test splits (`validation.h5`, `testing.h5`); nothing
  is held out.

A split the protocol takes from the dataset's files but the dataset does not have (So2Sat v3 has
no validation file, a folder without a `split` column has only training rows) is held out of the
training subset instead, stratified in the same way with the next seed. Each held-out part needs
at least two samples of every class in what it is drawn from (one stays for training).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import ConfigError, DataFileError

PROTOCOLS = ("holdout", "seeds", "files")
#: the split each protocol holds out of the training subset first, and the one it reads from files
HELD_FIRST = {"holdout": "val", "seeds": "test"}


def stratified_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a seeded `fraction` of every class (rounded, at least one per present class)."""
    if fraction >= 1.0:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    picks = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        take = max(1, round(fraction * len(members)))
        picks.append(rng.permutation(members)[:take])
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)


def stratified_split(
    indices: np.ndarray, labels: np.ndarray, val_fraction: float, seed: int, class_names: Sequence[str] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held) sorted index arrays: a seeded, class-stratified `val_fraction` of `indices` held out.

    A class with a single sample in `indices` cannot be both kept and held: a `DataFileError`."""
    if val_fraction <= 0:
        return indices, np.zeros(0, dtype=np.int64)
    classes, counts = np.unique(labels[indices], return_counts=True)
    if len(counts) and counts.min() < 2:
        cls = int(classes[np.argmin(counts)])
        name = class_names[cls] if cls < len(class_names) else cls
        raise DataFileError(
            f"class {name!r} has {counts.min()} sample in the training subset; a stratified split needs at least 2 "
            "per class (one to train, one held out): raise subset_fraction or give the class more samples"
        )
    held = stratified_subset(labels[indices], val_fraction, seed + 1)
    mask = np.zeros(len(indices), dtype=bool)
    mask[held] = True
    return indices[~mask], indices[mask]


def check_protocol(protocol: str) -> str:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"split_protocol {protocol!r} is unknown; choose one of {list(PROTOCOLS)}")
    return protocol


def choose_rows(
    labels: dict[str, np.ndarray],
    protocol: str,
    subset_fraction: float,
    val_fraction: float,
    seed: int,
    class_names: Sequence[str] = (),
) -> dict[str, tuple[str, np.ndarray]]:
    """For each of train/val/test: (the dataset split its rows come from, sorted row indices).

    `labels` holds the class indices of each split the dataset's files define ("train" always)."""
    check_protocol(protocol)
    train_labels = labels["train"]
    train = stratified_subset(train_labels, subset_fraction, seed)
    wanted = [HELD_FIRST[protocol]] if protocol in HELD_FIRST else []
    wanted += [s for s in ("val", "test") if s not in wanted and s not in labels]
    if wanted and val_fraction <= 0:
        raise ConfigError(
            f"split_protocol {protocol!r} holds {' and '.join(wanted)} out of the training subset, but val_fraction "
            "is 0; set val_fraction (the seeds' 0.2), or use split_protocol files with a dataset that has those splits"
        )
    chosen: dict[str, tuple[str, np.ndarray]] = {}
    for step, split in enumerate(wanted):
        train, held = stratified_split(train, train_labels, val_fraction, seed + step, class_names)
        chosen[split] = ("train", held)
    chosen["train"] = ("train", train)
    for split in ("val", "test"):
        if split not in chosen:
            chosen[split] = (split, np.arange(len(labels[split])))
    return chosen
