"""Where the benchmark data comes from: public URLs, pinned commits, sha256 of every file, bundled copies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

EO_REPO = "emreds/tum-dlr-automl-for-eo"
EO_COMMIT = "0421b92e6d817b666cde8afad37a78ff6e98858a"
SUBSET_REPO = "tiga1231/nasbench-vis"
SUBSET_COMMIT = "b85bd62ed10fdf6bc085dcaec8928ca918aa451f"


@dataclass(frozen=True)
class SourceFile:
    """One public file: where to fetch it, its pinned sha256, the folder it is imported from."""

    name: str
    url: str
    sha256: str | None  # None: the publisher gives no checksum we could verify
    folder: str


def _github(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def _eo(path: str, sha256: str) -> SourceFile:
    return SourceFile(path.rsplit("/", 1)[-1], _github(EO_REPO, EO_COMMIT, path), sha256, "eo_hwnas_so2sat")


def _subset(name: str, sha256: str) -> SourceFile:
    return SourceFile(name, _github(SUBSET_REPO, SUBSET_COMMIT, f"static/data/{name}"), sha256, "nb101_cifar10_subset")


SOURCES: dict[str, list[SourceFile]] = {
    "so2sat": [
        _eo("nasbench_database/database_pickle_micro.pickle", "ff6fb76ad614d4e649d8bd7e71991526c2031dfd82b46158bd54261cadc404cb"),
        _eo("nasbench_database/database_pickle_macro.pickle", "52fa720f0248404414100385d26676e00bf5511db05c90355139e870ed3ed545"),
        _eo("nasbench_database/database_pickle_latency.pickle", "22b6d84fab27ca929fb184d5b3ab866d4c97642058ea49568bc3a98f0d6b5347"),
        _eo("nasbench_database/database_pickle_MACs.pickle", "092bfd1719f0b876a80ace3a53b443a64c52333cd147f58a42a7f1bf3a7dadd8"),
        _eo("nasbench_database/path_logs.json", "b467598e60618264f3a8cc32cecefbb71c7010779d99ba04a1b0ca7d60b924fe"),
        _eo(
            "nasbench_database/test_results_sampled_all_paths.json",
            "6eb7745f4b453edcad9913a04088229e31fe906d2d2bef61e24793538e322c9e",
        ),
    ],
    "cifar10": [
        _subset("data-20k.json", "7eaca9658aebf16443d3df5b38e61fe75d85787abc485cfc9a2088328443c3e9"),
        _subset("data-10k.json", "2c4c46e44c8ed252f7118d7a73304137ea0a6fa26377e6795baf985369ff3c09"),
        _subset("data-1k.json", "97508235d7b6e1e4cee998629e87ec661d9a27ca882cc31f1503126340d6f1f2"),
    ],
}

#: the official NAS-Bench-101 table (Ying et al. 2019), for users with ~500 MB to spare
NB101_OFFICIAL = SourceFile(
    "nasbench_only108.tfrecord",
    "https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord",
    None,
    "nb101_official",
)

#: sha256 of every pinned file, by name (lets the importer record and check provenance)
KNOWN_SHA256 = {f.name: f.sha256 for files in SOURCES.values() for f in files}

#: benchmark name -> its folder in `benchmarks_data/` (the bundled, compressed public sources)
BUNDLED_FOLDERS = {"so2sat": "eo_hwnas_so2sat", "cifar10": "nb101_cifar10_subset"}
#: the tuned surrogate hyperparameters and CV scores shipped beside the sources
SURROGATES_FILE = "surrogates.json"


def bundled_dir() -> Path:
    """`benchmarks_data/` of this checkout, or $EO_NASLIB_BENCHMARKS_DATA when set."""
    override = os.environ.get("EO_NASLIB_BENCHMARKS_DATA")
    return Path(override).expanduser() if override else Path(__file__).resolve().parents[2] / "benchmarks_data"
