"""End-to-end ingest benchmark: decode, de-duplicate and write Parquet for 10,000,000 sentences.

Builds (once, under benchmarks/.work/) an NMEA file of at least 10,000,000 sentences by repeating
the real DMA sample (``dma/ais-sample.txt.gz``: tag block, ``$PGHP`` time line, ``!BSVDM``
sentence), each repeat moved to a later hour so every repeat is a distinct set of reports (with
``$PGHP`` checksums updated). Then runs ``harborwatch ingest`` on it in a child process and prints
sentences/s and the child's peak RSS. Goals: >= 1,000,000 sentences/s, peak RSS < 1.5 GB.

    python benchmarks/ingest.py [--sentences N]
"""

from __future__ import annotations

import argparse
import gzip
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _data import WORK_DIR, data_dir, machine

_PGHP = re.compile(rb"\$PGHP,1,2013,11,12,12,")


def _hex_value(digits: np.ndarray) -> np.ndarray:
    """Value of ASCII hex digit codes (upper case)."""
    return np.where(digits >= ord("A"), digits - ord("A") + 10, digits - ord("0")).astype(np.uint8)


def _hex_digit(values: np.ndarray) -> np.ndarray:
    return np.where(values >= 10, values - 10 + ord("A"), values + ord("0")).astype(np.uint8)


def _repeat_times(count: int) -> list[tuple[int, int, int]]:
    """(month, day, hour), all two-digit so every repeat has the same byte layout, in order."""
    times = [(m, d, h) for m in (10, 11, 12) for d in range(12, 29) for h in range(10, 24)]
    if count > len(times):
        sys.exit(f"at most {len(times)} repeats are supported")
    return times[:count]


def build_file(sample: Path, target: Path, min_sentences: int) -> int:
    """Write ``target`` with at least ``min_sentences`` sentences; return the sentence count."""
    template = gzip.decompress(sample.read_bytes())
    per_repeat = template.count(b"\n!")
    repeats = -(-min_sentences // per_repeat)
    starts = np.array([m.start() for m in _PGHP.finditer(template)], dtype=np.int64)
    # checksum digits of each $PGHP line: the two bytes after the first '*' following its start
    stars = np.array([template.index(b"*", s) for s in starts], dtype=np.int64)
    buffer = np.frombuffer(template, dtype=np.uint8).copy()
    old_checksum = _hex_value(buffer[stars + 1]) << 4 | _hex_value(buffer[stars + 2])
    old_fields = b"11,12,12"
    if target.exists() and target.stat().st_size == len(template) * repeats:
        return per_repeat * repeats
    with open(target, "wb") as out:
        for month, day, hour in _repeat_times(repeats):
            new_fields = f"{month:02d},{day:02d},{hour:02d}".encode()
            delta = np.bitwise_xor.reduce(np.frombuffer(old_fields, np.uint8)) ^ (
                np.bitwise_xor.reduce(np.frombuffer(new_fields, np.uint8))
            )
            chunk = buffer.copy()
            for offset, byte in enumerate(new_fields):
                chunk[starts + len(b"$PGHP,1,2013,") + offset] = byte
            checksum = old_checksum ^ delta
            chunk[stars + 1] = _hex_digit(checksum >> 4)
            chunk[stars + 2] = _hex_digit(checksum & 0xF)
            out.write(chunk.tobytes())
    return per_repeat * repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10_000_000)
    args = parser.parse_args()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    source = WORK_DIR / f"dma-repeated-{args.sentences}.nmea"
    sentences = build_file(data_dir() / "ais/dma/ais-sample.txt.gz", source, args.sentences)
    store = WORK_DIR / "ingest-store"
    shutil.rmtree(store, ignore_errors=True)
    command = ["harborwatch", "-q", "ingest", str(source), "--store", str(store), "--json"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"ingest failed ({result.returncode}): {result.stderr}")
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {machine()}")
    print(f"input: {source.name}, {source.stat().st_size / 1e6:,.0f} MB, {sentences:,} sentences")
    print(
        f"harborwatch ingest end to end: {seconds:.1f} s, {sentences / seconds:,.0f} sentences/s"
        f" (goal >= 1,000,000)"
    )
    print(f"peak RSS of the ingest process: {peak_rss_mb:,.0f} MB (goal < 1,500)")
    print(f"summary: {result.stdout.strip().splitlines()[1:8]}")
    shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
