"""Columnar NMEA 0183 AIS decoding: raw ``!AIVDM``/``!AIVDO`` bytes to Arrow tables.

:class:`NmeaDecoder` feeds byte chunks through one Numba kernel (:mod:`._kernel`) that writes
typed columns directly; :func:`read_nmea` is the reader :mod:`harborwatch.ais.sources` calls.

What is decoded: types 1, 2, 3, 4, 18, 19, 27 into ``positions``; 5, 19, 24 A/B into
``statics``. Other well-formed types are kept raw in ``quarantine`` as ``unsupported_type`` and
counted in ``type_counts``, which counts every message whose type could be read.

Rules, decided here:

- Lines: blank lines and ``#`` comments are skipped. ``$`` sentences other than ``$PGHP`` (GPS
  fixes, proprietary status) and ``!`` sentences other than VDM/VDO are not AIS and are skipped
  silently. Several tag-block/sentence pairs on one line (some relays) are all decoded. Anything
  after a sentence's ``*hh`` that is not ``,``-separated trailing fields is ignored.
- Time, first found wins: tag block ``c:`` (Unix seconds; milliseconds when above 1e11), then
  the ``$PGHP`` line (or a tag block alone on its line) right before the sentence, which dates
  only that next sentence, then the last all-digit trailing field after the checksum. A multipart
  message takes the first time any of its fragments carries. With none: ``no_timestamp``, unless
  ``ctx.assume_date`` is set (then 00:00 UTC of that date).
- Receiver, first found wins: tag block ``s:``, the ``$PGHP`` station (11th field), the first
  trailing field starting with ``r`` or ``b``.
- Tag-block checksums are not enforced (relays such as Spire write ``*00``); the sentence's own
  checksum protects the payload and is enforced (``bad_checksum``). A ``c:`` that does not parse
  gives no time rather than a guessed one. A ``$PGHP`` line with a bad checksum or impossible
  date is quarantined and dates nothing.
- Multipart groups are keyed by sequence id and channel, and by tag-block ``g:`` id when both
  fragments carry one; interleaving with other sentences is fine. A group that never completes,
  or is superseded by a new fragment of the same number, becomes ``missing_fragment`` (all its
  received lines joined by newlines as ``raw``). At most 64 groups wait at once.
- Payload length per type must be the standard length up to 5 bits more (misstated fill bits):
  168 for 1-4 and 18, 312 for 19, 424 for 5, 96 for 27, 160-168 for 24A, 168 for 24B; other
  lengths are ``malformed``, as are types 0 and 28-63 and type 24 parts 2-3.
- Not available becomes null: lon 181, lat 91, SOG 102.3 (type 27: 63), COG 360 (27: 511),
  heading 511, draught 0, IMO 0, empty text. Invalid COG (above 360) and heading (360-510) also
  become null: the rest of the report (the position) is sound and kept. Lon/lat beyond ±180/±90
  other than the not-available values are ``out_of_range``; MMSI 0 or above 999,999,999 is
  ``bad_mmsi``. Ship type and dimensions are kept as sent (0 means not available there); type
  24B dimensions of auxiliary craft (MMSI 98xxxxxxx) hold the mother ship's MMSI and are null.
- Text: cut at the first ``@`` (padding) and trimmed of spaces at both ends.
"""

from harborwatch.ais.nmea.decoder import NmeaDecoder, read_nmea

__all__ = ["NmeaDecoder", "read_nmea"]
