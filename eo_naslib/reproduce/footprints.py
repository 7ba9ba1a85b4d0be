"""Footprint records shared by several items (computed once per output folder, kept in
`<out_dir>/footprints/<name>.json`, read back through `landscape.load`'s checks)."""

from __future__ import annotations

from ..errors import DataFileError
from ..io import fingerprint
from ..landscape import Footprint, FootprintSettings, footprint, load, save
from ..landscape.footprint import EXACT_FIELDS
from .items import Context

#: name -> (benchmark, metric, epoch, walks, persistence epochs, reference for the ratio)
RECORDS = {
    "cifar10_36": ("cifar10", "val_accuracy", 36, 30, (4, 12, 36, 108), None),
    "cifar10_108": ("cifar10", "val_accuracy", 108, 30, (4, 12, 36, 108), None),
    "so2sat_micro": ("so2sat", "val_accuracy", None, "recorded", (), ("cifar10", "val_accuracy", 36)),
    "so2sat_macro": ("so2sat", "val_accuracy_macro", None, "recorded", (), ("cifar10", "val_accuracy", 36)),
}

COMMANDS = {
    "cifar10_36": "eo-naslib footprint --benchmark cifar10 --metric val_accuracy --epoch 36 --epochs 4 12 36 108 --out DIR",
    "cifar10_108": "eo-naslib footprint --benchmark cifar10 --metric val_accuracy --epoch 108 --epochs 4 12 36 108 --out DIR",
    "so2sat_micro": "eo-naslib footprint --benchmark so2sat --metric val_accuracy --walks recorded --reference cifar10:val_accuracy:36 --out DIR",
    "so2sat_macro": "eo-naslib footprint --benchmark so2sat --metric val_accuracy_macro --walks recorded --reference cifar10:val_accuracy:36 --out DIR",
}


def settings_of(context: Context, name: str) -> FootprintSettings:
    _, metric, epoch, walks, persistence, _ = RECORDS[name]
    if context.quick:
        return FootprintSettings(metric, epoch, walks=walks if walks == "recorded" else 5, steps=20, trials=2, runs=20,
                                 persistence_epochs=persistence, proxy_samples=30, proxy_neighbours=5)
    return FootprintSettings(metric, epoch, walks=walks, persistence_epochs=persistence)


def record(context: Context, name: str) -> Footprint:
    """Footprint `name` of `RECORDS` (surrogate-completed landscape), read back when computed before
    with the same settings and record fields (the file name carries their fingerprint)."""
    bench, _, _, _, _, reference = RECORDS[name]
    settings = settings_of(context, name)
    tag = fingerprint(
        {
            **settings.__dict__,
            "persistence_epochs": list(settings.persistence_epochs),
            "reference": reference,
            "exact_fields": list(EXACT_FIELDS),
        }
    )
    path = context.out_dir / "footprints" / f"{name}-{tag[:12]}.json"
    if path.is_file():
        try:
            return load(path)
        except DataFileError:
            pass  # damaged or edited: recomputed below
    ref = None if reference is None else (context.benchmark(reference[0]), reference[1], reference[2])
    result = footprint(context.benchmark(bench), settings, space=context.space, reference=ref, progress=False)
    save(result, path)
    return result
