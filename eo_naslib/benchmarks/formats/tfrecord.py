"""TFRecord files without TensorFlow: framing, masked CRC-32C checks and a small writer.

Each record is ``uint64 length | uint32 masked_crc(length bytes) | data | uint32 masked_crc(data)``,
all little-endian, where ``masked_crc(c) = ((c >> 15) | (c << 17)) + 0xA282EAD8 (mod 2**32)`` and
``c`` is the CRC-32C (Castagnoli) of the bytes. The CRC comes from `google_crc32c` or `crc32c` when
one is installed, else from a vectorised numpy implementation (see `crc32c_many`).
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ...errors import DataFileError

_POLY = 0x82F63B78  # CRC-32C, reflected
_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")
_BLOCK = 64  # bytes per block of the numpy CRC
_BATCH_BYTES = 8 << 20  # CRC-check records in batches of about this many bytes
_FIX = "re-download it with `eo-naslib data download`"


def _byte_table() -> np.ndarray:
    """The classic 256-entry table: CRC register after shifting in one byte from state 0."""
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ np.uint32(_POLY), t >> 1).astype(np.uint32)
    return t


_TABLE = _byte_table()
_TABLE_LIST = _TABLE.tolist()


def _zero_byte(x: np.ndarray) -> np.ndarray:
    """Shift one zero byte into register values `x` (a linear map of GF(2)^32)."""
    return _TABLE[x & 0xFF] ^ (x >> 8)


def _position_table() -> np.ndarray:
    """(BLOCK*256,) contribution of byte value b at block position p, at index p*256 + b."""
    rows = [_TABLE]
    for _ in range(_BLOCK - 1):
        rows.append(_zero_byte(rows[-1]))
    return np.stack(rows[::-1]).reshape(-1)  # row p: BLOCK-1-p zero bytes follow the byte


_POSITIONS = _position_table()
_POS_OFFSETS = (np.arange(_BLOCK, dtype=np.uint16) * 256)


def _apply(tables: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Apply a linear map given as 4 byte tables (4, 256) to uint32 values `x`."""
    return (tables[0][x & 0xFF] ^ tables[1][(x >> 8) & 0xFF]
            ^ tables[2][(x >> 16) & 0xFF] ^ tables[3][x >> 24])


def _byte_tables(images: np.ndarray) -> np.ndarray:
    """Byte tables (4, 256) of the linear map sending bit i to `images[i]`."""
    b = np.arange(256, dtype=np.uint32)
    tables = np.zeros((4, 256), dtype=np.uint32)
    for j in range(4):
        for bit in range(8):
            tables[j] ^= np.where((b >> bit) & 1, images[8 * j + bit], 0).astype(np.uint32)
    return tables


def _shift_tables(levels: int) -> list[np.ndarray]:
    """Tables of 'shift in BLOCK * 2**k zero bytes' for k < levels."""
    images = np.uint32(1) << np.arange(32, dtype=np.uint32)
    for _ in range(_BLOCK):
        images = _zero_byte(images)
    tables = [_byte_tables(images)]
    for _ in range(levels - 1):
        basis = np.uint32(1) << np.arange(32, dtype=np.uint32)
        tables.append(_byte_tables(_apply(tables[-1], _apply(tables[-1], basis))))
    return tables


_SHIFTS = _shift_tables(40)  # enough for records of BLOCK * 2**40 bytes


def _crc32c_small(data: bytes) -> int:
    """Plain byte-at-a-time CRC-32C, for inputs too short for the block method."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE_LIST[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _crc32c_aligned(rows: np.ndarray) -> np.ndarray:
    """CRC-32C of uint8 rows (n, blocks*BLOCK), each message right-aligned after zero padding.

    The initial 0xFFFFFFFF must already be folded into each message's first 4 bytes (XOR 0xFF).
    Leading zero bytes do not change the linear part, so padding is free.
    """
    n, width = rows.shape
    index = rows.astype(np.uint16).reshape(n, -1, _BLOCK)
    index += _POS_OFFSETS
    parts = np.bitwise_xor.reduce(_POSITIONS[index], axis=2)  # (n, blocks)
    level = 0
    while parts.shape[1] > 1:
        parts = _apply(_SHIFTS[level], parts[:, 0::2]) ^ parts[:, 1::2]
        level += 1
    return parts[:, 0] ^ np.uint32(0xFFFFFFFF)


def _pow2_blocks(length: int) -> int:
    """Number of blocks for a message of `length` bytes, rounded up to a power of two."""
    blocks = max(1, -(-length // _BLOCK))
    return 1 << (blocks - 1).bit_length()


def _crc32c_numpy(buffers: Sequence[bytes | memoryview]) -> list[int]:
    """CRC-32C of many buffers at once, grouped by padded size."""
    out = [0] * len(buffers)
    groups: dict[int, list[int]] = {}
    for i, buf in enumerate(buffers):
        if len(buf) < 4:
            out[i] = _crc32c_small(bytes(buf))
        else:
            groups.setdefault(_pow2_blocks(len(buf)), []).append(i)
    for blocks, members in groups.items():
        width = blocks * _BLOCK
        rows = np.zeros((len(members), width), dtype=np.uint8)
        for r, i in enumerate(members):
            rows[r, width - len(buffers[i]):] = np.frombuffer(buffers[i], dtype=np.uint8)
        starts = np.array([width - len(buffers[i]) for i in members])
        fold = starts[:, None] + np.arange(4)
        rows[np.arange(len(members))[:, None], fold] ^= 0xFF
        for i, crc in zip(members, _crc32c_aligned(rows).tolist()):
            out[i] = crc
    return out


def _library_crc():
    """A compiled CRC-32C function if `google_crc32c` or `crc32c` is installed, else None."""
    try:
        import google_crc32c

        return google_crc32c.value
    except ImportError:
        pass
    try:
        import crc32c

        return crc32c.crc32c
    except ImportError:
        return None


_LIBRARY_CRC = _library_crc()


def crc32c_many(buffers: Sequence[bytes | memoryview]) -> list[int]:
    """CRC-32C of each buffer: the compiled library when present, else the numpy method."""
    if _LIBRARY_CRC is not None:
        return [_LIBRARY_CRC(bytes(b)) for b in buffers]
    return _crc32c_numpy(buffers)


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of `data`."""
    return crc32c_many([data])[0]


def mask_crc(crc: int) -> int:
    """TFRecord's masked CRC."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def write_records(path: str | os.PathLike, records: Iterable[bytes]) -> None:
    """Write `records` to a TFRecord file at `path` (no compression)."""
    with open(path, "wb") as f:
        for data in records:
            length = struct.pack("<Q", len(data))
            f.write(length + _FOOTER.pack(mask_crc(crc32c(length))))
            f.write(data + _FOOTER.pack(mask_crc(crc32c(data))))


def _frames(path: Path, view: memoryview) -> Iterator[tuple[int, int, int, int]]:
    """(record index, header offset, data offset, data length) of each frame, checking bounds."""
    offset, index, size = 0, 0, len(view)
    while offset < size:
        if size - offset < _HEADER.size:
            raise DataFileError(f"{path}: record {index} at byte {offset}: truncated header; {_FIX}")
        length, _ = _HEADER.unpack_from(view, offset)
        start = offset + _HEADER.size
        if length > size - start - _FOOTER.size:
            raise DataFileError(
                f"{path}: record {index} at byte {offset}: truncated data (length {length}, "
                f"{size - start} bytes left); {_FIX}")
        yield index, offset, start, length
        offset = start + length + _FOOTER.size
        index += 1


def _check_batch(path: Path, view: memoryview, batch: list[tuple[int, int, int, int]]) -> None:
    """Verify the length and data CRCs of a batch of frames."""
    buffers: list[memoryview] = []
    for _, offset, start, length in batch:
        buffers.append(view[offset:offset + 8])
        buffers.append(view[start:start + length])
    crcs = crc32c_many(buffers)
    del buffers  # release the views on the map before any error propagates
    for k, (index, offset, start, length) in enumerate(batch):
        stored_len = _FOOTER.unpack_from(view, offset + 8)[0]
        stored_data = _FOOTER.unpack_from(view, start + length)[0]
        checks = (("length", stored_len, crcs[2 * k]), ("data", stored_data, crcs[2 * k + 1]))
        for what, stored, crc in checks:
            if stored != mask_crc(crc):
                raise DataFileError(
                    f"{path}: record {index} at byte {offset}: {what} CRC mismatch; {_FIX}")


def _batches(path: Path, view: memoryview, check_crc: bool) -> Iterator[list[tuple[int, int, int, int]]]:
    """Frames grouped into batches of about _BATCH_BYTES, CRC-checked when asked."""
    batch: list[tuple[int, int, int, int]] = []
    size = 0
    for frame in _frames(path, view):
        batch.append(frame)
        size += frame[3]
        if size >= _BATCH_BYTES:
            if check_crc:
                _check_batch(path, view, batch)
            yield batch
            batch, size = [], 0
    if batch:
        if check_crc:
            _check_batch(path, view, batch)
        yield batch


def iter_records(path: str | os.PathLike, check_crc: bool = True) -> Iterator[bytes]:
    """Yield the data of each record in the TFRecord file at `path`.

    Raises `DataFileError` naming the record and byte offset on truncation or a CRC mismatch.
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise DataFileError(f"cannot read {path}: {exc.strerror}; check the path") from None
    with f:
        if os.fstat(f.fileno()).st_size == 0:
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            view = memoryview(mm)
            try:
                for batch in _batches(path, view, check_crc):
                    for _, _, start, length in batch:
                        yield bytes(view[start:start + length])
            finally:
                view.release()
