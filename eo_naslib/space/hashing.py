"""NAS-Bench-101's graph hash (`unique_hash`), for one cell and vectorised for many.

The hash is NB101's iterated Weisfeiler-Lehman-style md5: every vertex starts from
md5(str((out_degree, in_degree, label))); then, as many times as there are vertices, each vertex
becomes md5(sorted in-neighbour hashes joined + "|" + sorted out-neighbour hashes joined + "|" +
own hash); the fingerprint is md5(str(sorted(vertex hashes))). Labels: -1 input, -2 output,
index in `OPS` for interior vertices.

`hash_many` computes the same strings for many cells at once: an exact 64-bit refinement with the
same structure finds which cells and vertex states coincide, so each distinct md5 message is built
(with numpy) and digested once.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from .constants import PAD_LABEL

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_PIPE = np.frombuffer(b"|", dtype=np.uint8)
#: Below this many cells, worker processes cost more than they save.
_PARALLEL_MIN_CELLS = 20_000
#: Cells per vectorised pass: small enough for the working arrays to stay in the CPU caches.
_CHUNK_CELLS = 4_000


def _md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def nb101_hash(matrix: np.ndarray, labels: Sequence[int]) -> str:
    """NB101 `unique_hash` of a pruned cell given its adjacency matrix and integer labels."""
    n = len(labels)
    rows = matrix.tolist()
    ins = [[w for w in range(n) if rows[w][v]] for v in range(n)]
    outs = [[w for w in range(n) if rows[v][w]] for v in range(n)]
    hashes = [_md5_hex(str((len(outs[v]), len(ins[v]), int(labels[v])))) for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5_hex(
                "".join(sorted([hashes[w] for w in ins[v]]))
                + "|"
                + "".join(sorted([hashes[w] for w in outs[v]]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5_hex(str(sorted(hashes)))


# --------------------------------------------------------------------------- vectorised form

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective, well-spread scramble of uint64 values."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _refine(state: np.ndarray, adj: np.ndarray) -> np.ndarray:
    """One refinement step on (N, n) uint64 states: own state + multisets of in/out states."""
    in_part = _mix(state ^ np.uint64(0x9E3779B97F4A7C15))
    out_part = _mix(state ^ np.uint64(0xC2B2AE3D27D4EB4F))
    n = state.shape[1]
    acc_in = np.zeros_like(state)
    acc_out = np.zeros_like(state)
    for w in range(n):
        acc_in += adj[:, w, :] * in_part[:, w, None]  # w -> v
        acc_out += adj[:, :, w] * out_part[:, w, None]  # v -> w
    return _mix(state * np.uint64(0xD6E8FEB86659FD93) + _mix(acc_in) + _mix(acc_out ^ np.uint64(7)))


def _initial_state(adj: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out_deg = adj.sum(axis=2).astype(np.uint64)
    in_deg = adj.sum(axis=1).astype(np.uint64)
    lab = (labels.astype(np.int64) + 8).astype(np.uint64)
    return _mix(out_deg * np.uint64(1 << 40) + in_deg * np.uint64(1 << 20) + lab)


def _sorted_order(digests: np.ndarray) -> np.ndarray:
    """Argsort of (U, 16) md5 digests in the order of their hex strings (exact).

    Hex preserves byte order, so the first 8 bytes as one big-endian word decide; all 16 bytes
    are used only if two digests tie there.
    """
    words = np.ascontiguousarray(digests).view(">u8").astype(np.uint64)  # (U, 2)
    order = np.argsort(words[:, 0], kind="stable")
    if np.any(np.diff(words[order, 0]) == 0):
        order = np.lexsort((words[:, 1], words[:, 0]))
    return order


def _hex(digests: np.ndarray) -> np.ndarray:
    """(U, 32) uint8 ASCII hex of (U, 16) md5 digests."""
    out = np.empty((digests.shape[0], 32), dtype=np.uint8)
    out[:, 0::2] = _HEX_DIGITS[digests >> 4]
    out[:, 1::2] = _HEX_DIGITS[digests & 15]
    return out


def _digest_rows(messages: np.ndarray) -> np.ndarray:
    """(U, 16) md5 digests of the rows of a (U, L) uint8 array."""
    length = messages.shape[1]
    view = memoryview(np.ascontiguousarray(messages).tobytes())
    md5 = hashlib.md5
    joined = b"".join([md5(view[i : i + length]).digest() for i in range(0, len(view), length)])
    return np.frombuffer(joined, dtype=np.uint8).reshape(-1, 16)


def _first_digests(adj: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Iteration 0: per-vertex ids (N, n) into a digest table of md5(str((out, in, label)))."""
    out_deg = adj.sum(axis=2, dtype=np.int64)
    in_deg = adj.sum(axis=1, dtype=np.int64)
    code = (out_deg * 16 + in_deg) * 16 + (labels + 8)
    uniq, inverse = np.unique(code.ravel(), return_inverse=True)
    texts = [str((int(c) // 256, int(c) // 16 % 16, int(c) % 16 - 8)).encode() for c in uniq]
    digests = np.array([np.frombuffer(hashlib.md5(t).digest(), np.uint8) for t in texts])
    return inverse.reshape(labels.shape), digests


def _next_digests(
    adj: np.ndarray, ids: np.ndarray, digests: np.ndarray, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ids and digest table of the next iteration; one md5 per distinct vertex state."""
    n_cells, n = ids.shape
    _, first, inverse = np.unique(state.ravel(), return_index=True, return_inverse=True)
    cell, vertex = np.divmod(first, n)
    order = _sorted_order(digests)
    rank = np.empty(len(digests), dtype=np.int64)
    rank[order] = np.arange(len(digests))
    hex_by_rank = np.concatenate([_hex(digests[order]), np.zeros((1, 32), np.uint8)])
    absent = len(digests)  # rank of the zero row, sorts after every real rank
    nb_rank = rank[ids[cell]]  # (U, n)
    in_mask = adj[cell, :, vertex].astype(bool)  # w -> vertex
    out_mask = adj[cell, vertex, :].astype(bool)  # vertex -> w
    in_sorted = np.sort(np.where(in_mask, nb_rank, absent), axis=1)
    out_sorted = np.sort(np.where(out_mask, nb_rank, absent), axis=1)
    own = nb_rank[np.arange(len(first)), vertex]
    degree_pair = in_mask.sum(axis=1) * (n + 1) + out_mask.sum(axis=1)
    new_digests = np.empty((len(first), 16), dtype=np.uint8)
    for pair in np.unique(degree_pair):
        k_in, k_out = divmod(int(pair), n + 1)
        sel = np.flatnonzero(degree_pair == pair)
        pipe = np.broadcast_to(_PIPE, (len(sel), 1))
        message = np.concatenate(
            [
                hex_by_rank[in_sorted[sel, :k_in]].reshape(len(sel), 32 * k_in),
                pipe,
                hex_by_rank[out_sorted[sel, :k_out]].reshape(len(sel), 32 * k_out),
                pipe,
                hex_by_rank[own[sel]],
            ],
            axis=1,
        )
        new_digests[sel] = _digest_rows(message)
    return inverse.reshape(n_cells, n), new_digests


def _fingerprints(ids: np.ndarray, digests: np.ndarray) -> np.ndarray:
    """(N,) S32 md5(str(sorted(vertex hexes))) for every row of ids."""
    n_cells, n = ids.shape
    order = _sorted_order(digests)
    rank = np.empty(len(digests), dtype=np.int64)
    rank[order] = np.arange(len(digests))
    sorted_hex = _hex(digests[order])[np.sort(rank[ids], axis=1)]  # (N, n, 32)
    parts = [np.broadcast_to(np.frombuffer(b"['", np.uint8), (n_cells, 2))]
    for v in range(n):
        if v:
            parts.append(np.broadcast_to(np.frombuffer(b"', '", np.uint8), (n_cells, 4)))
        parts.append(sorted_hex[:, v])
    parts.append(np.broadcast_to(np.frombuffer(b"']", np.uint8), (n_cells, 2)))
    return _hex(_digest_rows(np.concatenate(parts, axis=1))).view("S32").ravel()


def wl_fingerprints(adj: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """64-bit fingerprints equal exactly when NB101 hashes are equal (same-size cells, (N, n, n))."""
    state = _initial_state(adj, labels)
    for _ in range(adj.shape[1]):
        state = _refine(state, adj)
    return _mix(_mix(state).sum(axis=1, dtype=np.uint64) + np.uint64(adj.shape[1]))


def _digest_cells(adj: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N,) S32 hashes of distinct same-size cells; one md5 per distinct vertex state."""
    ids, digests = _first_digests(adj, labels)
    state = _initial_state(adj, labels)
    for _ in range(adj.shape[1]):
        state = _refine(state, adj)
        ids, digests = _next_digests(adj, ids, digests, state)
    return _fingerprints(ids, digests)


def _in_chunks(
    function: Callable[[np.ndarray, np.ndarray], np.ndarray], adj: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """function(adj, labels) applied to cache-sized slices of the cells, results concatenated."""
    slices = [slice(i, i + _CHUNK_CELLS) for i in range(0, len(adj), _CHUNK_CELLS)]
    return np.concatenate([function(adj[s], labels[s]) for s in slices])


def _hash_same_size(adj: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N,) S32 hashes of same-size cells; md5 work only for the distinct ones."""
    fingerprints = _in_chunks(wl_fingerprints, adj, labels)
    _, first, inverse = np.unique(fingerprints, return_index=True, return_inverse=True)
    return _in_chunks(_digest_cells, adj[first], labels[first])[inverse]


def _invariant_groups(adj: np.ndarray, labels: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """Split rows into groups by a relabelling-invariant key: equal cells share a group."""
    key = _mix(_initial_state(adj, labels)).sum(axis=1, dtype=np.uint64) % np.uint64(n_groups)
    groups = [np.flatnonzero(key == g) for g in range(n_groups)]
    return [group for group in groups if len(group)]


def hash_many(matrices: np.ndarray, labels: np.ndarray, processes: int | None = None) -> np.ndarray:
    """NB101 hashes of many pruned cells in padded form.

    matrices: (N, 7, 7) 0/1 with a cell of n vertices in the top-left n x n block;
    labels: (N, 7) ints, `PAD_LABEL` after the output vertex. Returns an (N,) array of str.
    Cells are de-duplicated by their 64-bit refinement first, so each distinct cell is digested
    once. With many cells the work is split over `processes` worker processes (default: all CPUs)
    by a relabelling-invariant key, so no two workers ever digest the same cell.
    """
    matrices = np.asarray(matrices, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.int64)
    sizes = (labels != PAD_LABEL).sum(axis=1)
    processes = processes or os.cpu_count() or 1
    n_groups = processes if len(labels) >= _PARALLEL_MIN_CELLS else 1
    jobs: list[tuple[np.ndarray, np.ndarray]] = []
    placements: list[np.ndarray] = []
    for n in np.unique(sizes):
        rows = np.flatnonzero(sizes == n)
        adj = np.ascontiguousarray(matrices[rows, :n, :n])
        lab = labels[rows, :n]
        for group in _invariant_groups(adj, lab, n_groups):
            jobs.append((adj[group], lab[group]))
            placements.append(rows[group])
    if n_groups > 1:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
            results = list(pool.map(_hash_same_size, *zip(*jobs)))
    else:
        results = [_hash_same_size(adj, lab) for adj, lab in jobs]
    out = np.empty(len(labels), dtype="S32")
    for rows, hashes in zip(placements, results):
        out[rows] = hashes
    return out.astype(str)
