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
_BATCH_BYTES = 4 << 20  # CRC-check records in batches of about this many bytes
_GATHER_WIDTH = 4096  # spans up to this many bytes are CRC'd together in one gather
_GATHER_BYTES = 4 << 20  # bytes per gather
_CHUNK_LEVEL = 16  # long spans go in chunks of BLOCK * 2**16 bytes (4 MiB)
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


def _linear_aligned(rows: np.ndarray) -> np.ndarray:
    """CRC register (from state 0, no final XOR) after each uint8 row (n, width) of messages.

    `width` is a multiple of BLOCK, or below BLOCK. Messages are right-aligned after zero padding,
    which leaves the register as is; the initial 0xFFFFFFFF of CRC-32C must already be folded into
    each message's first 4 bytes (XOR 0xFF).
    """
    n, width = rows.shape
    if width < _BLOCK:  # the last `width` positions of one block
        index = rows.astype(np.uint16) + _POS_OFFSETS[_BLOCK - width:]
        return np.bitwise_xor.reduce(_POSITIONS[index], axis=1)
    index = rows.astype(np.uint16).reshape(n, -1, _BLOCK)
    index += _POS_OFFSETS
    parts = np.bitwise_xor.reduce(_POSITIONS[index], axis=2)  # (n, blocks)
    blocks = parts.shape[1]
    padded = 1 << (blocks - 1).bit_length()
    if padded != blocks:  # leading zero blocks contribute nothing
        parts = np.concatenate([np.zeros((n, padded - blocks), np.uint32), parts], axis=1)
    level = 0
    while parts.shape[1] > 1:
        parts = _apply(_SHIFTS[level], parts[:, 0::2]) ^ parts[:, 1::2]
        level += 1
    return parts[:, 0]


def _fold_init(rows: np.ndarray, pad: np.ndarray) -> None:
    """XOR 0xFF into the first 4 bytes of each right-aligned message (its initial CRC state)."""
    rows[np.arange(len(rows))[:, None], pad[:, None] + np.arange(4)] ^= 0xFF


def _row_widths(lengths: np.ndarray) -> np.ndarray:
    """Padded row width of each span: a multiple of 8 up to BLOCK, then a multiple of BLOCK."""
    step = np.where(lengths <= _BLOCK, 8, _BLOCK)
    return -(-lengths // step) * step


def _crc32c_gathered(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """CRC-32C of short spans padded to the same width, gathered in one vectorised step."""
    lo = int(starts.min())
    local = data[lo:int((starts + lengths).max())]
    itype = np.int32 if len(local) < 2**31 else np.int64
    pad = (width - lengths).astype(itype)
    index = (starts - lo - pad).astype(itype)[:, None] + np.arange(width, dtype=itype)
    leading = np.arange(width, dtype=itype) < pad[:, None]
    index[leading] = 0
    rows = local[index]
    rows[leading] = 0
    _fold_init(rows, pad)
    return _linear_aligned(rows) ^ np.uint32(0xFFFFFFFF)


def _crc32c_long(data: np.ndarray, start: int, length: int) -> int:
    """CRC-32C of one long span, in chunks of BLOCK * 2**_CHUNK_LEVEL bytes after a leading part."""
    chunk = _BLOCK << _CHUNK_LEVEL
    first = length % chunk if length % chunk >= 4 else length % chunk + chunk
    first = min(first, length)
    width = int(_row_widths(np.array([first]))[0])
    rows = np.zeros((1, width), dtype=np.uint8)
    pad = np.array([width - first])
    rows[0, pad[0]:] = data[start:start + first]
    _fold_init(rows, pad)
    register = _linear_aligned(rows)
    for pos in range(start + first, start + length, chunk):
        part = _linear_aligned(data[pos:pos + chunk].reshape(1, -1))
        register = _apply(_SHIFTS[_CHUNK_LEVEL], register) ^ part
    return int(register[0] ^ np.uint32(0xFFFFFFFF))


def _crc32c_spans_numpy(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """CRC-32C of data[start:start+length] for each span, vectorised over spans."""
    out = np.zeros(len(starts), dtype=np.uint32)
    widths = _row_widths(lengths)
    for i in np.flatnonzero((lengths < 4) | (widths > _GATHER_WIDTH)):
        s, n = int(starts[i]), int(lengths[i])
        out[i] = _crc32c_small(data[s:s + n].tobytes()) if n < 4 else _crc32c_long(data, s, n)
    short = (lengths >= 4) & (widths <= _GATHER_WIDTH)
    for width in np.unique(widths[short]).tolist():
        sel = np.flatnonzero(short & (widths == width))
        for chunk in np.array_split(sel, min(len(sel), -(-len(sel) * width // _GATHER_BYTES))):
            out[chunk] = _crc32c_gathered(data, starts[chunk], lengths[chunk], width)
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


def crc32c_spans(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """CRC-32C (uint32) of each span data[start:start+length] of a uint8 array."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if _LIBRARY_CRC is not None:
        crcs = [_LIBRARY_CRC(data[s:s + n].tobytes()) for s, n in zip(starts.tolist(), lengths.tolist())]
        return np.array(crcs, dtype=np.uint32)
    return _crc32c_spans_numpy(data, starts, lengths)


def crc32c_many(buffers: Sequence[bytes]) -> list[int]:
    """CRC-32C of each buffer."""
    lengths = np.array([len(b) for b in buffers], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    data = np.frombuffer(b"".join(buffers), dtype=np.uint8)
    return crc32c_spans(data, starts, lengths).tolist()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of `data`."""
    return crc32c_many([data])[0]


def mask_crc(crc: int) -> int:
    """TFRecord's masked CRC."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def _mask_crcs(crcs: np.ndarray) -> np.ndarray:
    """`mask_crc` of a uint32 array."""
    c = crcs.astype(np.uint64)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def write_records(path: str | os.PathLike, records: Iterable[bytes]) -> None:
    """Write `records` to a TFRecord file at `path` (no compression)."""
    with open(path, "wb") as f:
        for data in records:
            length = struct.pack("<Q", len(data))
            f.write(length + _FOOTER.pack(mask_crc(crc32c(length))))
            f.write(data + _FOOTER.pack(mask_crc(crc32c(data))))


Frame = tuple[int, int, int]  # header offset, data offset, data length


class _Truncated(DataFileError):
    """A record runs past the end of the file; `header` is its offset when its header is whole."""

    def __init__(self, message: str, header: int | None) -> None:
        super().__init__(message)
        self.header = header


def _frames(path: Path, view: memoryview) -> Iterator[Frame]:
    """(header offset, data offset, data length) of each record, checking bounds."""
    offset, index, size = 0, 0, len(view)
    while offset < size:
        if size - offset < _HEADER.size:
            raise _Truncated(f"{path}: record {index} at byte {offset}: truncated header; {_FIX}", None)
        length, _ = _HEADER.unpack_from(view, offset)
        start = offset + _HEADER.size
        if length > size - start - _FOOTER.size:
            raise _Truncated(
                f"{path}: record {index} at byte {offset}: truncated data (length {length}, "
                f"{size - start} bytes left); {_FIX}", offset)
        yield offset, start, length
        offset = start + length + _FOOTER.size
        index += 1


def _stored_crcs(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The little-endian uint32 values at byte offsets `at`."""
    return data[at[:, None] + np.arange(4)].copy().view("<u4")[:, 0].astype(np.uint64)


def _bad_spans(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices of the spans whose masked CRC differs from the uint32 stored right after them."""
    computed = _mask_crcs(crc32c_spans(data, starts, lengths))
    return np.flatnonzero(computed != _stored_crcs(data, starts + lengths))


def _check_batch(path: Path, data: np.ndarray, batch: list[Frame], first: int,
                 with_data: int | None = None) -> None:
    """Verify the length CRCs of `batch` and the data CRCs of its first `with_data` frames (all).

    `first` is the index of the batch's first record; the earliest bad record is reported.
    """
    offsets, starts, lengths = (np.array(column, dtype=np.int64) for column in zip(*batch))
    n = len(batch) if with_data is None else with_data
    bad = {"length": _bad_spans(data, offsets, np.full(len(batch), 8)),
           "data": _bad_spans(data, starts[:n], lengths[:n])}
    found = [(int(indices[0]), what) for what, indices in bad.items() if indices.size]
    if found:
        k, what = min(found, key=lambda item: item[0])  # on a tie the length field is to blame
        raise DataFileError(
            f"{path}: record {first + k} at byte {batch[k][0]}: {what} CRC mismatch; {_FIX}")


def _batches(path: Path, view: memoryview, data: np.ndarray, check_crc: bool) -> Iterator[list[Frame]]:
    """Frames grouped into batches of about _BATCH_BYTES, CRC-checked when asked."""
    batch: list[Frame] = []
    size = first = 0
    try:
        for frame in _frames(path, view):
            batch.append(frame)
            size += frame[2]
            if size >= _BATCH_BYTES:
                if check_crc:
                    _check_batch(path, data, batch, first)
                yield batch
                first += len(batch)
                batch, size = [], 0
    except _Truncated as exc:
        pending = batch + ([(exc.header, exc.header + _HEADER.size, 0)] if exc.header is not None else [])
        if check_crc and pending:  # a corrupt length field reads as truncation: report its CRC
            _check_batch(path, data, pending, first, with_data=len(batch))
        raise
    if batch:
        if check_crc:
            _check_batch(path, data, batch, first)
        yield batch


def iter_records(path: str | os.PathLike, check_crc: bool = True) -> Iterator[bytes]:
    """Yield the data of each record in the TFRecord file at `path`.

    Raises `DataFileError` naming the record and byte offset on truncation or a CRC mismatch.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return
            # closed when the last view on it goes (an error's traceback may keep views alive)
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise DataFileError(f"cannot read {path}: {exc.strerror}; check the path") from None
    view = memoryview(mm)
    data = np.frombuffer(mm, dtype=np.uint8)
    for batch in _batches(path, view, data, check_crc):
        for _, start, length in batch:
            yield view[start:start + length].tobytes()
