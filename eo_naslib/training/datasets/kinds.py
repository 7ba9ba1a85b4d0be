"""The dataset kinds by name (`--dataset KIND`), importing no reader (the settings check them)."""

from __future__ import annotations

from ...errors import ConfigError

#: kind -> what `--data PATH` must hold
KINDS = {
    "so2sat": "So2Sat LCZ42 v2: a folder with training.h5, validation.h5, testing.h5",
    "so2sat_v3_random": "So2Sat LCZ42 v3: a folder with random/training.h5, random/testing.h5",
    "so2sat_v3_block": "So2Sat LCZ42 v3: a folder with block/training.h5, block/testing.h5",
    "so2sat_v3_culture_10": "So2Sat LCZ42 v3: a folder with culture_10/training.h5, culture_10/testing.h5",
    "folder": "a folder with labels.csv (file,label[,split]) and .npy or GeoTIFF patches",
    "torchgeo_eurosat": "torchgeo's EuroSAT (13-band EuroSAT-MS) root folder (needs the torchgeo extra)",
}
#: kinds whose band groups `sensor` selects (s1, s2, fusion); other kinds select bands by name only
SO2SAT_KINDS = ("so2sat", "so2sat_v3_random", "so2sat_v3_block", "so2sat_v3_culture_10")


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError(f"dataset {kind!r} is unknown; choose one of {list(KINDS)} (--dataset KIND)")
    return kind
