#!/usr/bin/python3
"""Make a results file written by `kpisim run`/`sweep` the same bytes on every commit and every day.

Usage: normalise_h5.py FILE [OLD=NEW ...]
Used by scripts/fuzz.sh on the results seeds of fuzz_results (docs/fuzzing.md), so that a CI run
starts from the same corpus, and so makes the same mutations, whatever the commit or the time:
  - every OLD=NEW pair replaces the bytes OLD by NEW (the same length) everywhere in the file:
    the provenance strings (git_commit, created_utc) the writer stores in the global heap;
  - HDF5 object headers (version 2, "OHDR") store the access, modification, change and birth times
    of every object: they are set to 0 and the header's checksum (Jenkins lookup3, as HDF5 computes
    it) is recomputed. A header is recognised by its signature and a checksum that verifies, so
    bytes that merely look like one are left alone.
  - the root group's CRC-32 of its string attributes (`kpisim_attrs_crc32`, docs/output-schema.md)
    is set, first and with h5py, to its value after the replacements, so that the file still reads
    as intact.
The file is rewritten in place; the caller checks it still reads (`kpisim compare`).
"""
import struct
import sys


def rot(x, k):
    return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF


def lookup3(data, initval=0):
    """Bob Jenkins' hashlittle (lookup3.c), what HDF5's H5_checksum_lookup3 computes."""
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & 0xFFFFFFFF
    i = 0
    while length - i > 12:
        a = (a + int.from_bytes(data[i : i + 4], "little")) & 0xFFFFFFFF
        b = (b + int.from_bytes(data[i + 4 : i + 8], "little")) & 0xFFFFFFFF
        c = (c + int.from_bytes(data[i + 8 : i + 12], "little")) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 4); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 6); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 8); b = (b + a) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 16); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 19); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 4); b = (b + a) & 0xFFFFFFFF
        i += 12
    tail = data[i:] + bytes(12 - (length - i))
    if length - i == 0:
        return c
    a = (a + int.from_bytes(tail[0:4], "little")) & 0xFFFFFFFF
    b = (b + int.from_bytes(tail[4:8], "little")) & 0xFFFFFFFF
    c = (c + int.from_bytes(tail[8:12], "little")) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 14)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 11)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 25)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 16)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 4)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 14)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 24)) & 0xFFFFFFFF
    return c


def object_headers(buf):
    """(start, end of the checksummed bytes) of every version-2 object header whose checksum verifies."""
    out = []
    pos = buf.find(b"OHDR")
    while pos >= 0:
        if pos + 6 <= len(buf) and buf[pos + 4] == 2:
            flags = buf[pos + 5]
            off = pos + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
            width = 1 << (flags & 0x03)
            if off + width <= len(buf):
                size = int.from_bytes(buf[off : off + width], "little")
                end = off + width + size
                if end + 4 <= len(buf) and lookup3(bytes(buf[pos:end])) == struct.unpack_from("<I", buf, end)[0]:
                    out.append((pos, end))
        pos = buf.find(b"OHDR", pos + 1)
    return out


def reseal_root_strings(path, pairs):
    """Rewrites the root group's kpisim_attrs_crc32 for its string attributes as they will read
    after the byte replacements `pairs` ((old, new) bytes). Before the byte-level steps, which thus
    see its final value (and zero the times that this write sets)."""
    import zlib

    import h5py
    import numpy as np
    with h5py.File(path, "r+") as f:
        if "kpisim_attrs_crc32" not in f.attrs:
            return
        strings = []
        for name in f.attrs:
            attr = f.attrs.get_id(name)
            info = h5py.check_string_dtype(attr.dtype)
            if info is None or info.length is not None or attr.shape != ():
                continue
            value = f.attrs[name]
            value = value.encode() if isinstance(value, str) else bytes(value)
            for old, new in pairs:
                value = value.replace(old, new)
            strings.append((name.encode(), value))
        crc = 0
        for name, value in sorted(strings):
            crc = zlib.crc32(name + b"\0" + value + b"\0", crc)
        f.attrs.modify("kpisim_attrs_crc32", np.uint32(crc))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    pairs = []
    for pair in sys.argv[2:]:
        old, _, new = pair.partition("=")
        if len(old) != len(new) or not old:
            print(f"normalise_h5.py: '{pair}': OLD and NEW must be non-empty and of the same length", file=sys.stderr)
            return 2
        pairs.append((old.encode(), new.encode()))
    if pairs:
        reseal_root_strings(path, pairs)
    with open(path, "rb") as f:
        buf = bytearray(f.read())
    headers = object_headers(buf)  # before anything changes: their checksums verify now
    for old, new in pairs:
        buf = bytearray(bytes(buf).replace(old, new))
    for start, end in headers:
        if buf[start + 5] & 0x20:
            buf[start + 6 : start + 22] = bytes(16)
        struct.pack_into("<I", buf, end, lookup3(bytes(buf[start:end])))
    with open(path, "wb") as f:
        f.write(buf)
    print(f"{path}: {len(headers)} object headers normalised")
    return 0


if __name__ == "__main__":
    sys.exit(main())
