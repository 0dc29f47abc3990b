"""Per-vessel tracks: segmentation of each MMSI's positions (shared and spoofed MMSIs split)."""
