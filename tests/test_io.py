"""The one I/O module: atomic writes, locks, safe names, alias-free YAML, fingerprints."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat

import numpy as np
import pytest

from eo_naslib.errors import ConfigError, DataFileError
from eo_naslib.io import (
    MAX_DEPTH,
    TMP_PREFIX,
    JSONRefused,
    atomic_write_json,
    changed_keys,
    check_writable,
    decode_json,
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


# ---------------------------------------------------------------------------------------- reader limits
DEEP = [900, 100_000]


@pytest.mark.parametrize("depth", DEEP)
def test_deep_yaml_is_refused_in_one_line(tmp_path, depth):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(ConfigError, match=rf"deep.yaml, line 1: nested deeper than {MAX_DEPTH} levels") as info:
        load_config(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("depth", DEEP)
def test_deep_json_is_refused_in_one_line(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(DataFileError, match=rf"deep.json .*nested deeper than {MAX_DEPTH} levels"):
        read_json(path)


def test_nesting_up_to_the_limit_is_read():
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_yaml("x", nested) is not None and decode_json(nested) is not None
    with pytest.raises(ConfigError, match="nested deeper"):
        load_yaml("x", "[" + nested + "]")
    with pytest.raises(JSONRefused, match="nested deeper"):
        decode_json("[" + nested + "]")
    assert decode_json('["[[[[' + "[" * MAX_DEPTH + '"]') == ["[[[[" + "[" * MAX_DEPTH]  # brackets in strings


@pytest.mark.parametrize("text", ["seed: " + "9" * 5000, "seed: 9223372036854775808", "seed: -9223372036854775809", "seed: 0x" + "f" * 17])
def test_yaml_integers_outside_int64_are_refused_in_one_line(tmp_path, text):
    path = tmp_path / "big.yaml"
    path.write_text("search:\n  epochs: 3\n" + text + "\n")
    with pytest.raises(ConfigError, match=r"big.yaml, line 3: the integer .* outside the 64-bit range"):
        load_config(path)


def test_yaml_integers_inside_int64_are_read():
    assert load_yaml("x", "a: 9223372036854775807\nb: -9223372036854775808\nc: 0b" + "1" * 62 + "\nd: 1_000") == {
        "a": 2**63 - 1, "b": -(2**63), "c": 2**62 - 1, "d": 1000,
    }


@pytest.mark.parametrize("number", ["9" * 5000, str(2**128), str(-(2**128))])
def test_huge_json_integers_are_refused_in_one_line(tmp_path, number):
    path = tmp_path / "big.json"
    path.write_text('{"seed": ' + number + "}")
    with pytest.raises(DataFileError, match=r"big.json .*the integer .* wider than 128 bits"):
        read_json(path)


def test_json_holds_numpy_generator_states():
    state = np.random.default_rng(0).bit_generator.state
    assert decode_json(json.dumps(state)) == state and decode_json(str(2**128 - 1)) == 2**128 - 1


def test_duplicate_yaml_keys_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("search:\n  epochs: 3\n  epochs: 5\n")
    with pytest.raises(ConfigError, match=r"dup.yaml, line 3: key 'epochs' appears twice"):
        load_config(path)
    assert load_yaml("x", "a: {b: 1, <<: {c: 2}}") == {"a": {"b": 1, "c": 2}}  # merge keys still work


def test_duplicate_json_keys_are_refused(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"val_accuracy": 0.5, "val_accuracy": 0.9}')
    with pytest.raises(DataFileError, match="key 'val_accuracy' appears twice"):
        read_json(path)


def test_invalid_yaml_is_one_line():
    with pytest.raises(ConfigError, match=r"not valid YAML: found unhashable key \(line 1") as info:
        load_yaml("x", "? [1]\n: 2\n")
    assert "\n" not in str(info.value)
