"""Reference geography and identity lookups.

- :mod:`~harborwatch.geo.ports`: World Port Index, GFW anchorages, searoute ports as PORTS
  tables; :class:`~harborwatch.geo.ports.PortIndex` nearest-port lookup.
- :mod:`~harborwatch.geo.shore`: distance to the coast and land test (Natural Earth).
- :mod:`~harborwatch.geo.reference`: :class:`Geography` (ports, index, shore) from a folder.
- :mod:`~harborwatch.geo.enrich`: per-position port and shore columns of TRACK_POINTS.
- :mod:`~harborwatch.geo.sites`: named sites (polygon or point + radius) and membership.
- :mod:`~harborwatch.geo.watchlists`: watched vessels and matching broadcast identities.
- :mod:`~harborwatch.geo.flags`: flag state from an MMSI's MID.
"""
