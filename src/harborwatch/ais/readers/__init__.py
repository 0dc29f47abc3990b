"""Readers of providers' decoded AIS exports (CSV and JSON lines), one module per format.

Every module exposes ``read(stream, ctx) -> Iterator[DecodedBatch]`` (see
:mod:`harborwatch.ais.sources`): ``dma``, ``marinecadastre``, ``debs``, ``suez``, ``spire``,
``sbarc``, ``gfw`` and ``mapped`` (the generic ``csv`` format with ``--columns``). The shared
machinery (chunked line reading, field splitting, reject checks, not-available nulling, statics
change filtering) lives in :mod:`harborwatch.ais.readers.common`; text labels that stand for AIS
codes in :mod:`harborwatch.ais.readers.labels`.
"""
