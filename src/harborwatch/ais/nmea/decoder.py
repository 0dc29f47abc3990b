"""Streaming NMEA decoding: :class:`NmeaDecoder` over byte chunks, :func:`read_nmea` over a file.

Decisions worth knowing (details in the package docstring of :mod:`harborwatch.ais.nmea`):

- Time, first match wins: tag-block ``c:`` (milliseconds when above 1e11), then a ``$PGHP`` line
  (or a tag block on a line of its own) just before the sentence, then the last all-digit field
  after the checksum. Without any, ``no_timestamp`` unless ``ctx.assume_date`` (00:00 UTC).
- A tag block's checksum is not enforced; the sentence checksum is.
- Invalid COG (above 360°) and heading (360-510) become null; the fix is kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

import numpy as np

from harborwatch.ais.batch import DecodedBatch, ReadContext, concat_batches
from harborwatch.ais.nmea import _kernel as k
from harborwatch.ais.nmea._arrow import KernelOutput
from harborwatch.ais.nmea._codes import NO_TS

_MAX_ROWS = 1 << 20
"""Rows per table per kernel call: bounds the output arrays for any chunk size."""
_EPOCH = date(1970, 1, 1)
_DAY_US = 86_400_000_000
_Bytes = bytes | bytearray | memoryview | np.ndarray
_Segment = tuple[np.ndarray, int, int]
"""Bytes to decode: (uint8 array, start, end), ``end`` just after a newline or the end of input."""


def _midnight_us(day: date | None) -> int:
    """Microseconds since epoch of 00:00 UTC on ``day``; NO_TS for None."""
    if day is None:
        return NO_TS
    return (day - _EPOCH).days * _DAY_US


def _output(rows: int, nbytes: int) -> KernelOutput:
    """Output arrays for up to ``rows`` rows per table from ``nbytes`` of input (rejects keep
    their raw text, and incomplete multipart groups may be quarantined on top)."""
    raw_bytes = 2 * nbytes + k.SLOTS * k.MAX_FRAGMENTS * (k.FRAGMENT_MAX_RAW + 1)
    return KernelOutput(rows, raw_bytes + 1024)


class NmeaDecoder:
    """Decode NMEA 0183 AIS bytes fed in arbitrary chunks into position, statics and quarantine
    tables.

    Keeps what spans chunks: the trailing partial line, the pending ``$PGHP`` time and station,
    and incomplete multipart groups. Results do not depend on how the bytes are chunked.
    """

    def __init__(self, ctx: ReadContext) -> None:
        self._ctx = ctx
        self._assume_ts = _midnight_us(ctx.assume_date)
        self._tail = b""
        self._state = np.zeros(k.STATE_LEN, np.int64)
        self._state[k.S_PEND_TS] = NO_TS
        self._state[k.S_PEND_RECV_LEN] = -1
        self._groups = (
            np.zeros((k.SLOTS, k.META_LEN), np.int64),
            np.zeros((k.SLOTS, k.RECEIVER_MAX_BYTES), np.uint8),
            np.zeros((k.SLOTS, k.MAX_FRAGMENTS, k.FRAG_META_LEN), np.int64),
            np.zeros((k.SLOTS, k.MAX_FRAGMENTS, k.FRAGMENT_MAX_CHARS), np.uint8),
            np.zeros((k.SLOTS, k.MAX_FRAGMENTS, k.FRAGMENT_MAX_RAW), np.uint8),
        )
        self._scratch = (
            np.zeros(k.SCRATCH_LEN, np.int64),
            np.zeros(k.RECEIVER_MAX_BYTES, np.uint8),
        )

    def feed(self, data: _Bytes, length: int | None = None) -> DecodedBatch:
        """Decode the complete lines of ``data[:length]`` (after what is left from the last call).

        ``data`` (any bytes-like object) is read in place: only the partial line left from the
        last call, joined with the head of ``data`` up to its first newline, is copied.
        """
        array = np.frombuffer(data, np.uint8)
        length = len(array) if length is None else length
        head, end = k.line_bounds(array, length)
        if not end:
            self._tail += array[:length].tobytes()
            return self._decode([], flush=False)
        segments: list[_Segment] = [(array, 0, end)]
        if self._tail:
            joined = np.frombuffer(self._tail + array[:head].tobytes(), np.uint8)
            segments = [(joined, 0, len(joined)), (array, head, end)]
        self._tail = array[end:length].tobytes()
        return self._decode(segments, flush=False)

    def finish(self) -> DecodedBatch:
        """Decode the last, unterminated line and quarantine incomplete multipart groups."""
        buf, self._tail = self._tail, b""
        return self._decode([(np.frombuffer(buf, np.uint8), 0, len(buf))], flush=True)

    def _decode(self, segments: list[_Segment], flush: bool) -> DecodedBatch:
        """Run the kernel over each ``(buffer, start, end)`` in turn, appending to the same
        output arrays until they fill up."""
        remaining = sum(end - start for _, start, end in segments)
        rows = min((remaining // 16) + 64, _MAX_ROWS)
        out = _output(rows, remaining)
        batches = []
        for array, start, end in segments:
            while start < end:
                reached = k.decode_lines(
                    array, start, end, self._assume_ts, self._state,
                    self._groups, self._scratch,
                    *out.arrays(),
                )  # fmt: skip
                remaining -= reached - start
                if reached < end:
                    if out.empty():
                        rows *= 4  # one very long line needs more room than a chunk's estimate
                    else:
                        batches.append(self._batch(out))
                    out = _output(rows, remaining)
                start = reached
        if flush:
            k.flush_groups(self._groups, out.rej_i, out.rej_raw, out.cnt)
        batches.append(self._batch(out))
        return batches[0] if len(batches) == 1 else concat_batches(batches)

    def _batch(self, out: KernelOutput) -> DecodedBatch:
        file_id = self._ctx.file_id
        return DecodedBatch(
            out.positions_table(file_id),
            out.statics_table(file_id),
            out.quarantine_table(file_id),
            out.counts(),
        )


def read_nmea(stream: BinaryIO, ctx: ReadContext) -> Iterator[DecodedBatch]:
    """Decode an NMEA stream ``ctx.chunk_bytes`` at a time; the last batch flushes the decoder.

    An in-memory stream (``io.BytesIO``) is decoded in place from its position on, and left at
    its end (``getvalue`` shares the stream's bytes; ``getbuffer`` would copy them). Other
    buffered streams are read into one reused buffer, left uninitialised: a fresh ``bytes``
    object per 64 MB chunk, or zero-filling the buffer, cost more in page faults than copying
    the data in.
    """
    decoder = NmeaDecoder(ctx)
    if isinstance(stream, io.BytesIO):
        data = memoryview(stream.getvalue())  # the bytes it was made from, when unchanged
        for start in range(stream.tell(), len(data), ctx.chunk_bytes):
            yield decoder.feed(data[start : start + ctx.chunk_bytes])
        stream.seek(len(data))
    elif isinstance(stream, io.BufferedIOBase):
        buf = np.empty(ctx.chunk_bytes, np.uint8)
        while n := stream.readinto(buf.data):
            yield decoder.feed(buf, n)
    else:
        while chunk := stream.read(ctx.chunk_bytes):
            yield decoder.feed(chunk)
    yield decoder.finish()
