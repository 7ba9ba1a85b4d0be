"""The one way eo_naslib writes files, plus JSON conversion and safe JSON/YAML reading.

Writers put bytes in a unique temporary file beside the target, flush and fsync it, and rename it
over the target (atomic on POSIX): a reader sees the old file or the new one, never a mix, and a
killed writer leaves at most a `.tmp-*` file that nothing reads. `append_bytes` is the one
exception, for append-only journals: it appends and fsyncs, and cuts a failed append back off.
`lock(path)` serialises writers of one directory across processes.

Readers (`read_json`, `parse_json`, `load_yaml`) refuse in one line what would otherwise end in a
traceback or a silent surprise: documents nested deeper than `MAX_DEPTH`, huge integers (a
5,000-digit number would hit Python's 4,300-digit limit: configs hold int64, JSON files 128 bits),
duplicate keys (YAML and JSON keep the last silently), and YAML aliases.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from filelock import FileLock, Timeout

from .errors import ConfigError, DataFileError

#: prefix of the temporary files writers leave behind when killed (ignored by readers)
TMP_PREFIX = ".tmp-"
PROBE_PREFIX = TMP_PREFIX + "probe."
#: the largest YAML document `load_yaml` accepts
MAX_YAML_BYTES = 1 << 20
#: the deepest nesting of lists/mappings a JSON or YAML reader accepts (the package's own files use < 10)
MAX_DEPTH = 100
#: integers a YAML config may hold: the int64 range, the most numpy arrays and torch tensors hold
MAX_INT = int(np.iinfo(np.int64).max)
MIN_INT = int(np.iinfo(np.int64).min)
#: integers a JSON file may hold: |n| < 2**128, the widest the package writes (numpy's PCG64 state)
JSON_INT_BITS = 128
_MAX_JSON_INT_CHARS = len(str(-(2**JSON_INT_BITS)))
_UMASK = os.umask(0)
os.umask(_UMASK)
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


# ---------------------------------------------------------------------------------------- writing
def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically (temp file + fsync + rename); returns the path."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + target.name + ".", dir=target.parent)
    except OSError as exc:
        raise DataFileError(f"cannot write {target}: {exc.strerror or exc}; choose a writable location") from None
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise DataFileError(f"cannot write {target}: {exc.strerror or exc}; free space or fix permissions") from None
        raise
    return target


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int | None = 1) -> Path:
    """Serialise `obj` (numpy values converted, see `to_jsonable`) first, then write it atomically."""
    return atomic_write_text(path, json.dumps(to_jsonable(obj), indent=indent) + "\n")


def append_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Append `data` to `path` (created if absent), flush and fsync it; returns the path.

    For append-only journals: a failed append (full disk, file-size limit) is cut back off, so the
    file ends where it did; only a kill mid-write can leave a partial tail, which readers of a
    journal must detect (a last line without its newline).
    """
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        raise DataFileError(f"cannot append to {target}: {exc.strerror or exc}; choose a writable location") from None
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    except OSError as exc:
        raise DataFileError(f"cannot append to {target}: {exc.strerror or exc}; free space or fix permissions") from None
    finally:
        os.close(fd)
    return target


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Save one numpy array atomically in `.npy` format."""
    buffer = BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return atomic_write_bytes(path, buffer.getvalue())


@contextlib.contextmanager
def lock(directory: str | os.PathLike, timeout: float = -1) -> Iterator[None]:
    """Hold the writers' lock of `directory` (a `.lock` file in it), across processes."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataFileError(f"cannot create {folder}: {exc.strerror or exc}; choose a writable location") from None
    file_lock = FileLock(str(folder / ".lock"))
    try:
        file_lock.acquire(timeout=timeout)
    except Timeout:
        raise DataFileError(
            f"{folder} is in use by another eo-naslib process; wait for it to finish, or use another folder "
            "(the lock ends with its process, so a killed one never holds it)"
        ) from None
    except OSError as exc:
        raise DataFileError(f"cannot lock {folder}: {exc.strerror or exc}; choose a writable location") from None
    try:
        yield
    finally:
        file_lock.release()


def remove_temp_files(folder: str | os.PathLike, targets: Callable[[str], bool] | None = None) -> list[Path]:
    """Delete the temporary files that killed atomic writers left in `folder`, for the target names
    `targets` accepts (default: all); write probes of running writers are left alone. Hold the
    folder's lock: a running writer's temporary file looks the same."""
    removed = []
    for leftover in sorted(Path(folder).glob(f"{TMP_PREFIX}*")):
        target = leftover.name[len(TMP_PREFIX) :].rsplit(".", 1)[0]  # mkstemp's suffix has no dot
        if leftover.name.startswith(PROBE_PREFIX) or (targets is not None and not targets(target)) or not leftover.is_file():
            continue
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def check_writable(directory: str | os.PathLike) -> Path:
    """Create `directory` if needed and check a file can be written there, before long work starts."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise DataFileError(f"{folder} is a file, not a directory; give a directory path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=folder)  # unique: writers may probe at once
        os.close(fd)
        os.unlink(probe)
    except FileNotFoundError:
        pass  # another writer cleaned leftovers meanwhile: the file was created, so the folder is writable
    except OSError as exc:
        raise DataFileError(f"cannot write in {folder}: {exc.strerror or exc}; choose a writable location") from None
    return folder


def safe_child(root: str | os.PathLike, name: str) -> Path:
    """`root / name` for a user-given `name` that must be a plain slug (no separators, no `..`)."""
    if not isinstance(name, str) or not _SLUG.match(name) or name in (".", ".."):
        raise ConfigError(
            f"name {name!r} cannot be used as a file name; use letters, digits, '_', '-' and '.' only"
        )
    return Path(root) / name


# ---------------------------------------------------------------------------------------- reading
def read_json(path: str | os.PathLike) -> Any:
    """Parse a JSON file (see `parse_json`); a missing, unreadable or malformed file raises `DataFileError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"{path} does not exist; check the path") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a directory; give the JSON file inside it") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path} is not UTF-8 text ({exc}); restore or re-create it") from None
    except OSError as exc:
        raise DataFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_json(text, path)


def parse_json(text: str | bytes, source: str | os.PathLike) -> Any:
    """`decode_json(text)`, its refusals as one-line `DataFileError`s naming `source`."""
    try:
        return decode_json(text)
    except ValueError as exc:
        raise DataFileError(f"{source} is not valid JSON for eo-naslib ({exc}); restore or re-create it") from None


def decode_json(text: str | bytes) -> Any:
    """Parse UTF-8 JSON `text`; malformed text, duplicate keys, integers of `JSON_INT_BITS` or more and nesting
    deeper than `MAX_DEPTH` raise a `ValueError` whose message is one line."""
    try:
        data = _DECODER.decode(text.decode("utf-8") if isinstance(text, bytes) else text)
    except RecursionError:  # the C scanner's own guard, far beyond MAX_DEPTH
        raise JSONRefused(f"nested deeper than {MAX_DEPTH} levels, the limit") from None
    if _depth_exceeds(data, MAX_DEPTH, _openings(text)):
        raise JSONRefused(f"nested deeper than {MAX_DEPTH} levels, the limit")
    return data


class JSONRefused(ValueError):
    """Valid JSON that eo_naslib's readers refuse (too deep, a huge integer, a duplicate key)."""


def _json_int(text: str) -> int:
    if len(text) > _MAX_JSON_INT_CHARS or abs(value := int(text)) >= 2**JSON_INT_BITS:
        raise JSONRefused(f"the integer {_abbreviate(text)} is wider than {JSON_INT_BITS} bits, the most eo-naslib writes")
    return value


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) < len(pairs):  # a key came twice: name the first one
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JSONRefused(f"key {key!r} appears twice in one object")
            seen.add(key)
    return mapping


_DECODER = json.JSONDecoder(parse_int=_json_int, object_pairs_hook=_json_object)


def _openings(text: str | bytes) -> int:
    """How many lists/objects `text` could open: a bound on its depth that costs no Python loop."""
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{")
    return text.count("[") + text.count("{")


def _depth_exceeds(data: Any, limit: int, openings: int) -> bool:
    """Whether lists/dicts in `data` nest deeper than `limit` (walked without recursion)."""
    if openings <= limit:
        return False
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _abbreviate(digits: str) -> str:
    return digits if len(digits) <= 24 else f"{digits[:10]}...{digits[-6:]} ({len(digits)} characters)"


class _SafeConfigLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases (no 'billion laughs'), nesting deeper than `MAX_DEPTH`,
    duplicate keys and integers outside int64 (each a `ConfigError` naming the line)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConfigError(f"YAML aliases ('*{event.anchor}') are not allowed; write the value out")
        if self._depth >= MAX_DEPTH:
            raise ConfigError(f"{_where(self.peek_event())}: nested deeper than {MAX_DEPTH} levels (the limit); flatten it")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:  # noqa: D102
        self.flatten_mapping(node)  # merge keys ('<<') first, as SafeConstructor does
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the base class refuses it
            if duplicate:
                raise ConfigError(f"{_where(key_node)}: key {key!r} appears twice in one mapping; keep one")
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:  # noqa: D102
        digits = str(node.value).replace("_", "")
        if len(digits) <= 100:  # int64 needs at most a sign, a base prefix and 64 binary digits
            value = super().construct_yaml_int(node)
            if MIN_INT <= value <= MAX_INT:
                return value
        raise ConfigError(
            f"{_where(node)}: the integer {_abbreviate(digits)} is outside the 64-bit range numpy and torch hold; "
            "write a smaller number"
        )


_SafeConfigLoader.add_constructor("tag:yaml.org,2002:int", _SafeConfigLoader.construct_yaml_int)


def _where(item: Any) -> str:
    """'<source>, line N' of a YAML node or event."""
    mark = item.start_mark
    return f"{mark.name}, line {mark.line + 1}"


def load_yaml(source: str | os.PathLike, text: str | None = None) -> Any:
    """Parse a YAML file (or `text`, named `source` in errors) safely: no tags, aliases or huge documents."""
    if text is None:
        path = Path(source)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist; check the path") from None
        except IsADirectoryError:
            raise ConfigError(f"{path} is a directory; give a YAML file") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
        if len(raw) > MAX_YAML_BYTES:
            raise ConfigError(f"config {path} is {len(raw)} bytes; configs are limited to {MAX_YAML_BYTES}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"config {path} is not UTF-8 text") from None
    try:
        loader = _SafeConfigLoader(text)
        loader.name = f"config {source}"
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"config {source} is not valid YAML: {exc.problem or exc.context}{where}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {source} is not valid YAML: {exc}") from None


# ---------------------------------------------------------------------------------------- JSON
def to_jsonable(obj: Any) -> Any:
    """Plain JSON types from numpy scalars/arrays, tuples, Paths and dataclass-like `to_dict()` objects.

    Non-finite floats become None (JSON has no NaN).
    """
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """A YAML config file that must hold a mapping of keys (see `load_yaml`)."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(data).__name__}")
    return data


def save_figure(figure: Any, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Render a matplotlib figure to PNG (or the format `path` names) and write it atomically."""
    buffer = BytesIO()
    figure.savefig(buffer, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png")
    return atomic_write_bytes(path, buffer.getvalue())


# ---------------------------------------------------------------------------------------- fingerprints
def fingerprint(settings: Any) -> str:
    """sha256 of the canonical JSON of `settings` (key order and numpy types do not matter)."""
    canonical = json.dumps(to_jsonable(settings), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def changed_keys(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested settings mappings."""
    old, new = to_jsonable(old), to_jsonable(new)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else [prefix or "(value)"]
    changed = []
    for key in sorted(set(old) | set(new)):
        name = f"{prefix}.{key}" if prefix else str(key)
        if key not in old or key not in new:
            changed.append(name)
        else:
            changed.extend(changed_keys(old[key], new[key], name))
    return changed
