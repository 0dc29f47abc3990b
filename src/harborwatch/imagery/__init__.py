"""Imagery: scenes of a site over time, zones, detections, counts and change.

Pure functions over tables (never the store or the CLI):

- :mod:`~harborwatch.imagery.scenes`: register an image as a SCENES row, STAC items, read windows,
  pixel <-> lon/lat.
- :mod:`~harborwatch.imagery.windows`: overlapping windows over large scenes.
- :mod:`~harborwatch.imagery.zones`: zones per site (lon/lat or pixel polygons) placed in a scene.
- :mod:`~harborwatch.imagery.annotations`: hand counts (DOTA, YOLO, YOLO-OBB, COCO, GeoJSON) as
  DETECTIONS rows.
- :mod:`~harborwatch.imagery.counts`: objects per scene, zone and class (ZONE_COUNTS).
"""
