"""The one I/O module: atomic writes, locks, safe names, alias-free YAML, fingerprints."""

from __future__ import annotations

import multiprocessing
import os
import stat

import numpy as np
import pytest

from eo_naslib.errors import ConfigError, DataFileError
from eo_naslib.io import (
    TMP_PREFIX,
    atomic_write_json,
    changed_keys,
    check_writable,
    fingerprint,
    load_config,
    load_yaml,
    lock,
    read_json,
    safe_child,
    to_jsonable,
)


def test_atomic_json_round_trip_with_numpy_and_no_leftovers(tmp_path):
    path = tmp_path / "sub" / "a.json"
    atomic_write_json(path, {"x": np.float32(0.5), "rows": np.arange(3), "bad": float("nan")})
    assert read_json(path) == {"x": 0.5, "rows": [0, 1, 2], "bad": None}
    assert [p.name for p in path.parent.iterdir()] == ["a.json"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_failed_serialisation_keeps_the_previous_file(tmp_path):
    path = tmp_path / "a.json"
    atomic_write_json(path, {"ok": 1})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"bad": object()})
    assert read_json(path) == {"ok": 1}
    assert not any(p.name.startswith(TMP_PREFIX) for p in tmp_path.iterdir())


def _hold(directory: str, ready, release) -> None:
    with lock(directory):
        ready.set()
        release.wait(10)


def test_lock_excludes_another_process(tmp_path):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(DataFileError, match="in use by another eo-naslib process"):
            with lock(tmp_path, timeout=0.2):
                pass
    finally:
        release.set()
        holder.join(10)
    with lock(tmp_path, timeout=1):
        pass


def test_errors_inside_a_lock_pass_through_unchanged(tmp_path):
    with pytest.raises(DataFileError, match="mine"):
        with lock(tmp_path):
            raise DataFileError("mine")


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "", "x" * 200, 3, None])
def test_unsafe_names_are_refused(tmp_path, name):
    with pytest.raises(ConfigError, match="cannot be used as a file name"):
        safe_child(tmp_path, name)


def test_safe_names_stay_inside_the_root(tmp_path):
    assert safe_child(tmp_path, "pls_500.v2") == tmp_path / "pls_500.v2"


def test_yaml_aliases_and_non_mappings_are_refused(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["x", "x"]\nb: [*a, *a]\n')
    with pytest.raises(ConfigError, match="aliases"):
        load_yaml(bomb)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(listing)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path / "bin.yaml")


def test_check_writable_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(DataFileError, match="is a file"):
        check_writable(tmp_path / "f")
    assert check_writable(tmp_path / "new") == tmp_path / "new"


def test_fingerprints_ignore_order_and_name_changed_keys():
    a = {"search": {"epochs": 10, "init": "random"}, "seed": 0}
    b = {"seed": 0, "search": {"init": "random", "epochs": 10}}
    assert fingerprint(a) == fingerprint(b)
    c = {"seed": 0, "search": {"init": "random", "epochs": np.int64(20)}, "extra": 1}
    assert fingerprint(a) != fingerprint(c)
    assert changed_keys(a, c) == ["extra", "search.epochs"]
    assert to_jsonable((np.bool_(True), np.int8(3))) == [True, 3]
