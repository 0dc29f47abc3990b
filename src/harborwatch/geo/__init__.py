"""Reference geography and identity lookups (flags from MMSI; later ports, land, sites)."""
