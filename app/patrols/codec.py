"""Compact trace storage: fixes as zig-zag varint deltas, zlib-compressed.

A fix is (t, lon, lat, accuracy): t in whole seconds since the epoch, lon/lat in 1e-6 degrees
(about 0.1 m), accuracy in whole metres. A two-hour patrol thinned to a fix every ~10 s is
about 700 fixes and a few kilobytes, in one row — not 700 rows.
"""
import zlib

SCALE = 1_000_000


def _zigzag(n):
    return (n << 1) ^ (n >> 63)


def _unzigzag(n):
    return (n >> 1) ^ -(n & 1)


def _varint(n, out):
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def encode(fixes):
    out = bytearray()
    prev = (0, 0, 0, 0)
    _varint(len(fixes), out)
    for t, lon, lat, acc in fixes:
        cur = (int(round(t)), int(round(lon * SCALE)), int(round(lat * SCALE)), int(round(acc or 0)))
        for value, before in zip(cur, prev, strict=True):
            _varint(_zigzag(value - before), out)
        prev = cur
    return zlib.compress(bytes(out), 9)


def decode(blob):
    if not blob:
        return []
    data = zlib.decompress(blob)
    pos = 0

    def read():
        nonlocal pos
        shift = result = 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    count = read()
    fixes, prev = [], [0, 0, 0, 0]
    for _ in range(count):
        prev = [p + _unzigzag(read()) for p in prev]
        fixes.append((prev[0], prev[1] / SCALE, prev[2] / SCALE, prev[3]))
    return fixes
