"""The embedded store on real data: idempotent, de-duplicating, crash-safe, queryable."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import threading
import time
from functools import reduce
from pathlib import Path

import pytest

from harborwatch.errors import InputError
from harborwatch.store import Store, queries

SUEZ = "eastern-med/suez_2021_boat_positions.csv"
DMA = "dma/ais-sample.txt.gz"


def _count(store: Store, sql: str) -> int:
    row = store.connect().execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _nmea_checksum(body: bytes) -> bytes:
    return b"%02X" % reduce(lambda a, b: a ^ b, body, 0)


def _dma_lines(ais_dir: Path) -> list[bytes]:
    return gzip.decompress((ais_dir / DMA).read_bytes()).splitlines(keepends=True)


def test_same_file_twice_adds_nothing(ais_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    first = store.ingest(ais_dir / SUEZ)
    second = store.ingest(ais_dir / SUEZ)
    assert first.status == "ingested" and first.positions > 20_000
    assert second.status == "already_ingested"
    assert _count(store, "SELECT count(*) FROM positions") == first.positions
    assert len(store.catalog.files) == 1


def test_overlapping_files_store_each_report_once(ais_dir: Path, tmp_path: Path) -> None:
    """Two logs sharing a third of their sentences give the same rows as the whole log."""
    lines = _dma_lines(ais_dir)
    cut_a, cut_b = len(lines) * 2 // 3 // 3 * 3, len(lines) // 3 // 3 * 3  # whole 3-line records
    (tmp_path / "a.nmea").write_bytes(b"".join(lines[:cut_a]))
    (tmp_path / "b.nmea").write_bytes(b"".join(lines[cut_b:]))
    whole = Store(tmp_path / "whole")
    whole.ingest(ais_dir / DMA)
    parts = Store(tmp_path / "parts")
    parts.ingest(tmp_path / "a.nmea")
    report_b = parts.ingest(tmp_path / "b.nmea")
    assert report_b.duplicates >= (cut_a - cut_b) // 3 * 0.9  # the overlap was recognised
    sql = "SELECT count(*) FROM (SELECT DISTINCT mmsi, ts, lon, lat, msg_type FROM positions)"
    assert _count(parts, "SELECT count(*) FROM positions") == _count(
        whole, "SELECT count(*) FROM positions"
    )
    assert _count(parts, sql) == _count(whole, sql)


def test_report_heard_by_another_receiver_is_one_position(ais_dir: Path, tmp_path: Path) -> None:
    """The same sentences stamped 300 ms later by another base station are duplicates."""
    lines = _dma_lines(ais_dir)[:3000]
    relayed = []
    for line in lines:
        if line.startswith(b"$PGHP"):
            fields = line[1:].split(b"*")[0].split(b",")
            fields[8] = b"%d" % ((int(fields[8]) + 300) % 1000)  # ms later (same second or next)
            fields[11] = b"2199999"  # another base station
            body = b",".join(fields)
            line = b"$" + body + b"*" + _nmea_checksum(body) + b"\r\n"
        relayed.append(line)
    (tmp_path / "a.nmea").write_bytes(b"".join(lines))
    (tmp_path / "b.nmea").write_bytes(b"".join(relayed))
    store = Store(tmp_path / "store")
    first = store.ingest(tmp_path / "a.nmea")
    second = store.ingest(tmp_path / "b.nmea")
    assert first.positions > 500
    # ms wrap-around moves a few reports to a different second: still within the 2 s window
    assert second.positions == 0
    assert second.duplicates >= first.positions


def _kill_when(child: subprocess.Popen[bytes], root: Path, parts_written: int) -> int:
    """SIGKILL ``child`` once its ingest has written ``parts_written`` pending parts (or it
    ended); returns how many pending parts were on disk at the kill."""
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        pending = len(list((root / "tmp").rglob("*.parquet")))
        if pending >= parts_written:
            break
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait()
    return len(list((root / "tmp").rglob("*.parquet")))


def test_killed_ingest_leaves_none_or_all_of_a_file(ais_dir: Path, tmp_path: Path) -> None:
    """Kill an ingest mid-way; the store stays readable and holds each file whole or not at all."""
    big = tmp_path / "big.nmea"
    sample = gzip.decompress((ais_dir / DMA).read_bytes())
    big.write_bytes(sample * 12)
    reference = Store(tmp_path / "reference")
    expected = reference.ingest(big, chunk_bytes=1 << 20).positions
    command = [sys.executable, "-m", "harborwatch.cli", "-q", "ingest", str(big),
               "--chunk-mb", "1", "--store"]  # fmt: skip
    debris_seen = 0
    for attempt, parts_written in enumerate([1, 8, 20]):
        root = tmp_path / f"killed-{attempt}"
        child = subprocess.Popen([*command, str(root)], stderr=subprocess.DEVNULL)
        debris_seen += _kill_when(child, root, parts_written) > 0
        root.mkdir(exist_ok=True)  # killed before the store existed: an empty store
        store = Store(root)
        stored = _count(store, "SELECT count(*) FROM positions")
        assert stored in (0, expected), f"killed after {parts_written} parts: {stored} rows"
        assert (stored == expected) == bool(store.catalog.files)
        # the next ingest sweeps the debris and completes the file
        store.ingest(big, chunk_bytes=1 << 20)
        assert _count(store, "SELECT count(*) FROM positions") == expected
        assert not (root / "tmp").exists()
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}
        assert on_disk == {part.path for part in store.catalog.parts}
    assert debris_seen, "no kill landed mid-ingest"


def test_stats_vessels_track_and_quarantine(ais_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.ingest(ais_dir / DMA)
    store.ingest(ais_dir / SUEZ)
    con = store.connect()
    stats = queries.stats(con)
    assert stats["files"] == 2
    assert stats["positions"] > 40_000
    assert stats["vessels"] > 1_500 + 200  # DMA MMSIs plus Suez vessel keys
    assert stats["ts_min"].startswith("2013-11-12")
    assert stats["ts_max"].startswith("2021-03-2")
    vessels = queries.vessels(con)
    by_key = {row["vessel"]: row for row in vessels.to_pylist()}
    assert "suez:1" in by_key and by_key["suez:1"]["mmsi"] is None
    danish = [row for row in vessels.to_pylist() if row["mmsi"] and str(row["mmsi"])[:3] == "219"]
    assert danish and all(row["flag"] == "DK" for row in danish)
    named = [row for row in vessels.to_pylist() if row["name"]]
    assert len(named) > 50  # type 5 and 24 reports were joined in
    track = queries.track(con, "suez:1")
    times = track.column("ts").to_pylist()
    assert len(times) > 10 and times == sorted(times)
    assert queries.quarantined(con).num_rows == stats["quarantined"]


def test_store_is_readable_while_locked_and_rejects_a_second_writer(
    ais_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    Store(root).ingest(ais_dir / SUEZ)
    import fcntl

    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert _count(Store(root), "SELECT count(*) FROM positions") > 20_000
        with pytest.raises(OSError, match="another process is writing"):
            Store(root).ingest(ais_dir / DMA)


def test_store_defaults_to_the_environment(ais_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HARBORWATCH_STORE": str(tmp_path / "env-store")}
    command = [sys.executable, "-m", "harborwatch.cli", "-q", "ingest", str(ais_dir / SUEZ)]
    subprocess.run(command, env=env, check=True, cwd=tmp_path)
    assert (tmp_path / "env-store" / "catalog.json").exists()


def test_failed_ingest_adds_nothing_and_leaves_no_thread(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("ship,when\n273396130,2024-12-29T16:19:00Z\n")
    store = Store(tmp_path / "store")
    threads = threading.active_count()
    with pytest.raises(InputError, match="lon"):
        store.ingest(export, fmt="csv", columns={"mmsi": "ship", "ts": "when"})
    assert threading.active_count() == threads
    assert store.catalog.files == {}
    assert _count(store, "SELECT count(*) FROM positions") == 0
