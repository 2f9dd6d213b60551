#!/usr/bin/env python3
"""Writes the input of bench/run_shuffle.sh's sort: records in the shape of the sort
benchmark's gensort (100 bytes, a 10-byte key), as JSON lines of exactly 100 bytes:

    {"k":"<10 printable random chars>","v":"<16 hex digits: record number><58 filler>"}

Keys are uniform over the 92 printable ASCII characters other than '"', '\\' and '/'
(no JSON escapes, so a line's bytes 6-15 are its key; '/' is left out because pandas'
to_json writes it as "\\/", which would make the two sides' outputs differ in length).
The filler is gensort's: a letter repeated, changing with the record number.

    gen_sort_records.py OUT_DIR SIZE_GB [--seed 1] [--file-mb 64]
    gen_sort_records.py --check SORTED_DIR RECORDS

SIZE_GB is decimal: 1 GB = 10^7 records. Files are part-00000.json, ... of FILE_MB
(decimal) each, the last one shorter. Deterministic for a given seed and size.

--check reads a sort's output, one file per partition (in the order of the number in
their names), and prints `check ok <records>` or `check FAILED <why>`: every line one of
these records, RECORDS of them, record numbers summing to 0 + 1 + ... + RECORDS-1 (so each
record once), keys ascending within each file and across files. Standard library only
(numpy, when present, makes --check faster).
"""
import argparse
import os
import random
import sys

RECORD_BYTES = 100
KEY_BYTES = 10
FILLER_BYTES = RECORD_BYTES - len(b'{"k":"","v":""}\n') - KEY_BYTES - 16
KEY_ALPHABET = bytes(c for c in range(32, 127) if c not in b'"\\/')
# Byte b < 2 * len(KEY_ALPHABET) maps to KEY_ALPHABET[b % len]; larger bytes are dropped
# (rejection sampling keeps the keys uniform).
_TABLE = bytes(KEY_ALPHABET[b % len(KEY_ALPHABET)] for b in range(256))
_REJECT = bytes(range(2 * len(KEY_ALPHABET), 256))
FILLERS = [bytes([ord("A") + i]) * FILLER_BYTES for i in range(26)]


def random_keys(rng, n):
    """n keys of KEY_BYTES, concatenated."""
    out = bytearray()
    need = n * KEY_BYTES
    while len(out) < need:
        out += rng.randbytes(need - len(out) + 64).translate(_TABLE, _REJECT)
    return bytes(out[:need])


def write_file(path, rng, first, count):
    keys = random_keys(rng, count)
    lines = [b'{"k":"%s","v":"%016x%s"}\n' % (keys[i * KEY_BYTES:(i + 1) * KEY_BYTES],
                                             first + i, FILLERS[(first + i) % 26])
             for i in range(count)]
    data = b"".join(lines)
    assert len(data) == count * RECORD_BYTES
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def check_file_numpy(data, np):
    """(count, sum of record numbers, first key, last key, sorted?) of one file."""
    rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    keys = np.ascontiguousarray(rows[:, 6:6 + KEY_BYTES]).view("S%d" % KEY_BYTES).ravel()
    digits = rows[:, 23:39].astype(np.uint64)
    digits = np.where(digits >= ord("a"), digits - ord("a") + 10, digits - ord("0"))
    numbers = (digits * (np.uint64(16) ** np.arange(15, -1, -1, dtype=np.uint64))).sum(axis=1)
    ok = bool(np.all(keys[1:] >= keys[:-1])) and bool(np.all(rows[:, 99] == ord("\n")))
    return len(rows), int(numbers.sum()), bytes(keys[0]), bytes(keys[-1]), ok


def check_file_python(data):
    lines = data.split(b"\n")[:-1]
    keys = [line[6:6 + KEY_BYTES] for line in lines]
    numbers = sum(int(line[23:39], 16) for line in lines)
    ok = all(len(line) == RECORD_BYTES - 1 for line in lines) and keys == sorted(keys)
    return len(lines), numbers, keys[0], keys[-1], ok


def check(sorted_dir, records):
    try:
        import numpy as np
    except ImportError:
        np = None
    names = [n for n in os.listdir(sorted_dir) if any(c.isdigit() for c in n)]
    names.sort(key=lambda n: int("".join(c for c in n if c.isdigit())))
    count, total, last = 0, 0, None
    for name in names:
        with open(os.path.join(sorted_dir, name), "rb") as f:
            data = f.read()
        if not data:
            continue
        if len(data) % RECORD_BYTES == RECORD_BYTES - 1:
            data += b"\n"  # a writer that leaves the last line open
        if len(data) % RECORD_BYTES or not data.startswith(b'{"k":"'):
            return "check FAILED %s: not records of %d bytes" % (name, RECORD_BYTES)
        n, numbers, first_key, last_key, ok = (check_file_numpy(data, np) if np
                                               else check_file_python(data))
        if not ok:
            return "check FAILED %s: keys out of order within the file" % name
        if last is not None and first_key < last:
            return "check FAILED %s starts with %r, below the previous file's last %r" % (
                name, first_key, last)
        count, total, last = count + n, total + numbers, last_key
    if count != records:
        return "check FAILED: %d records, expected %d" % (count, records)
    if total != records * (records - 1) // 2:
        return "check FAILED: records lost or repeated (record numbers sum to %d)" % total
    return "check ok %d" % count


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        print(check(sys.argv[2], int(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("size_gb", type=float)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file-mb", type=int, default=64)
    args = parser.parse_args()
    total = int(args.size_gb * 10**9) // RECORD_BYTES
    per_file = args.file_mb * 10**6 // RECORD_BYTES
    os.makedirs(args.out_dir, exist_ok=True)
    rng = random.Random(args.seed)
    first, index = 0, 0
    while first < total:
        count = min(per_file, total - first)
        write_file(os.path.join(args.out_dir, "part-%05d.json" % index), rng, first, count)
        first += count
        index += 1
    print("%d records in %d files under %s" % (total, index, args.out_dir))


if __name__ == "__main__":
    main()
