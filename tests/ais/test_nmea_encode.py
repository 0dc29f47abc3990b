"""The vectorised type 1 / type 5 encoder round-trips through our decoder and pyais."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyais
import pytest

from harborwatch.ais.batch import ReadContext, concat_batches
from harborwatch.ais.nmea.decoder import NmeaDecoder
from harborwatch.ais.nmea.encode import encode_positions, encode_statics
from harborwatch.errors import InputError


def _decode(data: bytes):  # type: ignore[no-untyped-def]
    decoder = NmeaDecoder(ReadContext("f" * 16, Path("encoded.nmea")))
    return concat_batches([decoder.feed(data), decoder.finish()])


def test_positions_round_trip_through_the_decoder() -> None:
    rng = np.random.default_rng(7)
    n = 500
    ts = 1_735_400_000 + np.sort(rng.integers(0, 86_400, n))
    mmsi = rng.integers(200_000_000, 775_999_999, n)
    lon, lat = rng.uniform(-180, 180, n), rng.uniform(-90, 90, n)
    sog, cog = np.round(rng.uniform(0, 40, n), 1), np.round(rng.uniform(0, 359.9, n), 1)
    heading = rng.integers(0, 360, n).astype(float)
    sog[:5] = cog[:5] = heading[:5] = np.nan
    status = rng.integers(0, 16, n)

    batch = _decode(encode_positions(ts, mmsi, lon, lat, sog, cog, heading, status, "SIMULATED"))

    rows = batch.positions.to_pydict()
    assert batch.quarantine.num_rows == 0
    assert rows["mmsi"] == mmsi.tolist()
    assert [t.timestamp() for t in rows["ts"]] == ts.astype(float).tolist()
    np.testing.assert_allclose(rows["lon"], lon, atol=1 / 600_000)
    np.testing.assert_allclose(rows["lat"], lat, atol=1 / 600_000)
    assert rows["sog_knots"][:5] == [None] * 5 and rows["cog_deg"][:5] == [None] * 5
    assert rows["heading_deg"][:5] == [None] * 5
    np.testing.assert_allclose(np.array(rows["sog_knots"][5:], float), sog[5:], atol=0.051)
    np.testing.assert_allclose(np.array(rows["cog_deg"][5:], float), cog[5:], atol=0.051)
    assert rows["heading_deg"][5:] == heading[5:].astype(int).tolist()
    assert rows["nav_status"] == status.tolist()
    assert set(rows["receiver"]) == {"SIMULATED"}


def test_statics_round_trip_through_the_decoder_and_pyais() -> None:
    names = np.array(["SPARTA", "SPARTA II", "SIM TRADER 12"])
    data = encode_statics(
        np.array([1_735_400_000, 1_735_400_360, 1_735_400_720]),
        np.array([273_990_010, 273_990_020, 212_880_011]),
        np.array([9268710, 9160994, 0]),
        np.array(["UBSM1", "UBSM2", "SIM011"]),
        names,
        np.array([70, 70, 80]),
        np.array([149, 146, 120]),
        np.array([23, 22, 17]),
        np.array([6.8, 6.6, 9.1]),
        np.array(["PORT SAID", "FOR ORDERS", "NOVOROSSIYSK"]),
        np.array([[12, 30, 14, 5], [0, 0, 0, 0], [2, 1, 23, 59]]),
        "SIMULATED",
    )

    statics = _decode(data).statics.to_pydict()

    assert statics["name"] == names.tolist()
    assert statics["imo"] == [9268710, 9160994, None]
    assert statics["callsign"] == ["UBSM1", "UBSM2", "SIM011"]
    assert statics["destination"] == ["PORT SAID", "FOR ORDERS", "NOVOROSSIYSK"]
    assert [b + s for b, s in zip(statics["dim_bow_m"], statics["dim_stern_m"], strict=True)] == [
        149, 146, 120,
    ]  # fmt: skip
    np.testing.assert_allclose(statics["draught_m"], [6.8, 6.6, 9.1], atol=0.051)
    lines = data.decode().splitlines()
    sentences = [line.split("\\")[-1] for line in lines]
    first = pyais.decode(sentences[0], sentences[1]).asdict()
    assert (first["shipname"], first["destination"], first["month"], first["day"]) == (
        "SPARTA", "PORT SAID", 12, 30,
    )  # fmt: skip
    assert all(line.startswith("\\s:SIMULATED,c:") for line in lines)


def test_text_outside_the_six_bit_alphabet_is_refused() -> None:
    with pytest.raises(InputError, match="6-bit alphabet"):
        encode_statics(
            np.array([1_735_400_000]), np.array([273_990_010]), np.array([0]), np.array(["A"]),
            np.array(["ŠPARTA"]), np.array([70]), np.array([100]), np.array([20]),
            np.array([5.0]), np.array(["X"]), np.zeros((1, 4), int), "SIMULATED",
        )  # fmt: skip


def test_real_position_reports_round_trip(ais_dir: Path) -> None:
    """Position reports decoded from a real DMA log, encoded again and decoded: every field the
    encoder writes comes back as it was (positions to the 1/10000 minute of the wire format)."""
    path = ais_dir / "dma" / "aislib_stream_example.txt"
    decoded = pl.DataFrame(pl.from_arrow(_decode(path.read_bytes()).positions))
    real = decoded.filter(pl.col("msg_type").is_in([1, 2, 3]) & pl.col("lon").is_not_null())
    assert real.height > 1000, "the DMA stream example has thousands of class A reports"

    def floats(frame: pl.DataFrame, column: str) -> np.ndarray:
        return frame[column].cast(pl.Float64).fill_null(np.nan).to_numpy()

    encoded = encode_positions(
        real["ts"].dt.epoch("s").to_numpy(), real["mmsi"].to_numpy(), floats(real, "lon"),
        floats(real, "lat"), floats(real, "sog_knots"), floats(real, "cog_deg"),
        floats(real, "heading_deg"), real["nav_status"].fill_null(15).to_numpy(), "SIMULATED",
    )  # fmt: skip
    again = pl.DataFrame(pl.from_arrow(_decode(encoded).positions))
    assert again.height == real.height
    assert again["mmsi"].to_list() == real["mmsi"].to_list()
    assert again["ts"].dt.epoch("s").to_list() == real["ts"].dt.epoch("s").to_list()
    for column in ("lon", "lat", "sog_knots", "cog_deg", "heading_deg"):
        np.testing.assert_allclose(floats(again, column), floats(real, column), atol=1e-4)
