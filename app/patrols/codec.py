"""Compact trace storage: fixes as zig-zag varint deltas, zlib-compressed.

A fix is (t, lon, lat, accuracy): t in whole seconds since the epoch, lon/lat in 1e-6 degrees
(about 0.1 m), accuracy in whole metres. A two-hour patrol thinned to a fix every ~10 s is
about 700 fixes and a few kilobytes, in one row — not 700 rows.

The varints are written and read with numpy, a whole trace at a time: a patrol's stop encodes
600 fixes and the twelve chunks before it decode and encode 50 each, which in a Python loop per
byte was a twentieth of the server's time at the morning peak.
"""
import zlib

import numpy as np

SCALE = 1_000_000
_MAX_GROUPS = 10  # 7-bit groups in a 64-bit varint
_SHIFTS = np.arange(_MAX_GROUPS, dtype=np.uint64) * np.uint64(7)


def _varints(values: np.ndarray) -> bytes:
    """LEB128 varints of unsigned 64-bit values, in order."""
    values = values.astype(np.uint64)
    used = np.ones(len(values), dtype=np.int64)  # 7-bit groups each value needs
    for k in range(1, _MAX_GROUPS):
        used += values >= np.uint64(1 << (7 * k))
    width = int(used.max()) if len(values) else 1
    groups = (values[:, None] >> _SHIFTS[None, :width]) & np.uint64(0x7F)
    column = np.arange(width)[None, :]
    more = (column < (used - 1)[:, None]).astype(np.uint64) << np.uint64(7)
    return (groups | more).astype(np.uint8)[column < used[:, None]].tobytes()


def _read_varints(data: bytes) -> np.ndarray:
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw < 0x80)
    if not len(ends):
        return np.zeros(0, dtype=np.uint64)
    raw = raw[:ends[-1] + 1]
    starts = np.concatenate(([0], ends[:-1] + 1))
    position = np.arange(len(raw)) - np.repeat(starts, ends - starts + 1)
    if position.max() >= _MAX_GROUPS:
        raise ValueError("varint longer than 64 bits")
    parts = (raw & 0x7F).astype(np.uint64) << (position.astype(np.uint64) * np.uint64(7))
    return np.add.reduceat(parts, starts)


def encode(fixes) -> bytes:
    table = np.array([(t, lon, lat, acc or 0) for t, lon, lat, acc in fixes], dtype=np.float64)
    table = table.reshape(-1, 4) * np.array([1, SCALE, SCALE, 1])
    # The sync schema bounds every value far below this; a caller that did not would otherwise
    # see int64 wrap silently.
    if not np.isfinite(table).all() or (np.abs(table) > 2.0 ** 52).any():
        raise ValueError("a fix value is not finite or out of range")
    whole = np.rint(table).astype(np.int64)
    deltas = np.diff(whole, axis=0, prepend=np.zeros((1, 4), dtype=np.int64)).ravel()
    zigzag = (deltas << 1) ^ (deltas >> 63)
    counted = np.concatenate((np.array([len(fixes)], dtype=np.int64), zigzag)).view(np.uint64)
    return zlib.compress(_varints(counted), 9)


def decode(blob):
    if not blob:
        return []
    values = _read_varints(zlib.decompress(blob))
    count = int(values[0])
    zigzag = values[1:1 + 4 * count]
    if len(zigzag) != 4 * count:
        raise ValueError("trace shorter than its count")
    deltas = (zigzag >> np.uint64(1)).astype(np.int64) ^ -(zigzag & np.uint64(1)).astype(np.int64)
    whole = np.cumsum(deltas.reshape(count, 4), axis=0)
    times, accuracy = whole[:, 0].tolist(), whole[:, 3].tolist()
    lons, lats = (whole[:, 1] / SCALE).tolist(), (whole[:, 2] / SCALE).tolist()
    return list(zip(times, lons, lats, accuracy, strict=True))
