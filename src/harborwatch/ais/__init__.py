"""Decode AIS into column tables: raw NMEA logs and provider CSV/JSON exports.

Entry points: :func:`harborwatch.ais.sources.read_file` (any supported file, in chunks) and
:class:`harborwatch.ais.nmea.NmeaDecoder` (streaming NMEA decoding).
"""
