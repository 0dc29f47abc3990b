"""NMEA decoding throughput: harborwatch vs pyais vs aiscat on the same bytes, one core.

Repeats the DMA sample (tag block + ``$PGHP`` + ``!BSVDM`` per sentence) to at least a million
sentences and prints sentences/s of each decoder and harborwatch's ratios to the others:

- harborwatch: ``read_nmea`` over an in-memory stream of the bytes (default chunk size),
  producing Arrow positions/statics/quarantine tables;
- pyais: every sentence through ``pyais.stream.ByteStream`` (multiparts assembled) and
  ``.decode().asdict()``;
- aiscat (GPL-3.0, benchmark only): ``Decoder.feed(bytes)`` then ``.next()`` until None.

Data: ``$HARBORWATCH_DATA`` or ``<repo>/../shared/data``. Run: ``python benchmarks/decode.py``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import time
from collections.abc import Callable
from pathlib import Path

from harborwatch.ais.batch import ReadContext
from harborwatch.ais.nmea import read_nmea

REPO = Path(__file__).resolve().parents[1]
SAMPLE_SENTENCES = 26_146


def sample_path() -> Path:
    data = Path(os.environ.get("HARBORWATCH_DATA", REPO.parent / "shared" / "data"))
    return data / "ais" / "dma" / "ais-sample.txt.gz"


def harborwatch_decode(data: bytes) -> int:
    """Decode with harborwatch's ``read_nmea`` from an in-memory stream; returns rows produced."""
    rows = 0
    ctx = ReadContext(file_id="0" * 16, path=Path("bench.nmea"))
    for batch in read_nmea(io.BytesIO(data), ctx):
        rows += batch.positions.num_rows + batch.statics.num_rows + batch.quarantine.num_rows
    return rows


def pyais_decode(data: bytes) -> int:
    """Decode every message with pyais into dicts; returns messages decoded."""
    from pyais.stream import ByteStream

    decoded = 0
    for message in ByteStream(data.splitlines()):
        message.decode().asdict()
        decoded += 1
    return decoded


def aiscat_decode(data: bytes) -> int:
    """Decode with aiscat into dicts; returns messages decoded."""
    import aiscat  # GPL-3.0: benchmark-only reference

    decoder = aiscat.Decoder()
    decoder.feed(data)
    decoded = 0
    while decoder.next() is not None:
        decoded += 1
    return decoded


def best_seconds(func: Callable[[bytes], int], data: bytes, repeats: int) -> tuple[float, int]:
    """Fastest wall time of ``repeats`` runs (after one warm-up run) and the run's result."""
    result = func(data[: len(data) // 50])  # warm-up: JIT, imports, caches
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = func(data)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1_000_000, help="at least this many")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per decoder (best)")
    args = parser.parse_args()
    sample = gzip.decompress(sample_path().read_bytes())
    copies = -(-args.sentences // SAMPLE_SENTENCES)
    data = sample * copies
    sentences = SAMPLE_SENTENCES * copies
    print(f"input: {copies} x {sample_path().name} = {sentences:,} sentences, {len(data):,} bytes")
    rates = {}
    for name, func in (
        ("harborwatch", harborwatch_decode),
        ("aiscat", aiscat_decode),
        ("pyais", pyais_decode),
    ):
        seconds, produced = best_seconds(func, data, args.repeats if name != "pyais" else 1)
        rates[name] = sentences / seconds
        print(
            f"{name:12s} {rates[name]:>14,.0f} sentences/s  {len(data) / seconds / 1e6:8.1f} MB/s"
            f"  ({seconds:.3f} s, {produced:,} records)"
        )
    for other in ("aiscat", "pyais"):
        print(f"harborwatch / {other}: {rates['harborwatch'] / rates[other]:.1f}x")


if __name__ == "__main__":
    main()
