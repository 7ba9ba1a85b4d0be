"""Shared fixtures: the real data from benchmarks_data/ (always present) and the space.

`eo_data` / `nb101_subset` are plain (decompressed) copies of the bundled sources, so tests read
them like the public files; `data_dir` holds both benchmarks built as `load_benchmark` builds them
on first use. Only tests that compare benchmarks_data/ with the reference copies in ../shared/data
need ../shared (`shared_data`), and skip when it is absent. `naslib` registers the NASLib bridge
in real NASLib for the NASLib test set (tests/naslib_setup.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from eo_naslib.benchmarks import load_benchmark
from eo_naslib.benchmarks.formats.compressed import read_source
from eo_naslib.benchmarks.install import build_bundled
from eo_naslib.io import atomic_write_bytes
from eo_naslib.lazy import lazy_module
from eo_naslib.space import all_cells

#: the NASLib test set's helpers (they import torch and the bridge): only once a NASLib test runs
naslib_setup = lazy_module("tests.naslib_setup")

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "benchmarks_data"
SLURM_SCRIPTS = REPO / "tests" / "slurm"
SHARED_DATA = Path(os.environ.get("EO_NASLIB_SHARED", REPO.parent / "shared")) / "data"


def _plain_copy(folder: Path, target: Path) -> Path:
    for path in sorted(folder.iterdir()):
        if path.is_file():
            atomic_write_bytes(target / path.name.removesuffix(".gz"), read_source(path))
    return target


@pytest.fixture(scope="session")
def eo_data(tmp_path_factory) -> Path:
    """The EO HW-NAS sources, decompressed from benchmarks_data/eo_hwnas_so2sat."""
    return _plain_copy(BUNDLED / "eo_hwnas_so2sat", tmp_path_factory.mktemp("eo_hwnas_so2sat"))


@pytest.fixture(scope="session")
def nb101_subset(tmp_path_factory) -> Path:
    """The NB101 CIFAR-10 subset, decompressed from benchmarks_data/nb101_cifar10_subset."""
    return _plain_copy(BUNDLED / "nb101_cifar10_subset", tmp_path_factory.mktemp("nb101_cifar10_subset"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference copies in ../shared/data (skipped with a reason when absent)."""
    if not SHARED_DATA.exists():
        pytest.skip(f"reference data not found at {SHARED_DATA} (the ../shared folder is absent in this checkout)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def space():
    """The whole enumerated space, from $EO_NASLIB_CACHE (CI sets it) or the user cache."""
    return all_cells()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """A data dir with both real benchmarks built from benchmarks_data/ (as on first use), once per session."""
    directory = tmp_path_factory.mktemp("eo_naslib_data")
    build_bundled("so2sat", directory, progress=False)
    build_bundled("cifar10", directory, progress=False)
    return directory


@pytest.fixture(scope="session")
def so2sat(data_dir):
    return load_benchmark("so2sat", data_dir, build=False)


@pytest.fixture(scope="session")
def cifar10(data_dir):
    return load_benchmark("cifar10", data_dir, build=False)


@pytest.fixture(scope="module")
def naslib_env(data_dir) -> dict[str, str]:
    """The environment the bridge reads while `naslib` is registered: the session's benchmarks
    (a module overrides this fixture to point the bridge at other data)."""
    return {"EO_NASLIB_DATA": str(data_dir)}


@pytest.fixture(scope="module")
def naslib(naslib_env):
    """The bridge registered in real NASLib (`register(replace_nasbench101=True)`; what it returns)
    with `naslib_env` set, for one module. Its modules skip without NASLib (`naslib_setup.needs_naslib`)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in naslib_env.items():
            patch.setenv(name, value)
        yield naslib_setup.naslib_bridge.register(replace_nasbench101=True)


@pytest.fixture
def one_torch_thread():
    """Torch on one thread for the test (training tests: steady timings, no oversubscription)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A running single-node SLURM: the one in $SLURM_CONF, else one started (as root) by
    tests/slurm/start_slurm.sh for the session and stopped after it; skipped without SLURM."""
    if shutil.which("sbatch") is None or shutil.which("slurmctld") is None:
        pytest.skip(
            "SLURM is not installed: `apt-get install -y slurm-wlm munge`, then tests/slurm/start_slurm.sh"
        )
    if os.environ.get("SLURM_CONF") and subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0:
        yield os.environ["SLURM_CONF"]
        return
    if os.geteuid() != 0:
        pytest.skip(
            "starting munged/slurmctld/slurmd needs root; "
            "start them with tests/slurm/start_slurm.sh and set SLURM_CONF"
        )
    state = tmp_path_factory.mktemp("slurm_state")
    started = subprocess.run(
        [str(SLURM_SCRIPTS / "start_slurm.sh"), str(state)], capture_output=True, text=True, timeout=120
    )
    if started.returncode != 0:
        pytest.skip(f"tests/slurm/start_slurm.sh could not start SLURM here: {started.stderr.strip()[-500:]}")
    conf = started.stdout.strip().splitlines()[-1].split("=", 1)[1]
    os.environ["SLURM_CONF"] = conf
    yield conf
    subprocess.run([str(SLURM_SCRIPTS / "stop_slurm.sh"), str(state)], capture_output=True, timeout=60)
    os.environ.pop("SLURM_CONF", None)
