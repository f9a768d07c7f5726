"""Distances, coverage and coordinate conversion. Everything is stored in WGS-84; GCJ-02 (used
by most Chinese tile services) is computed for display only."""
import math

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from ..geo import EARTH_RADIUS_M, haversine_m  # noqa: F401  (haversine_m: re-exported for patrols)


def leg_lengths_m(fixes) -> np.ndarray:
    """Great-circle metres between consecutive fixes (haversine, as haversine_m), all at once."""
    if len(fixes) < 2:
        return np.zeros(0)
    lon, lat = np.radians(np.array([(f[1], f[2]) for f in fixes], dtype=np.float64)).T
    dlat, dlon = np.diff(lat), np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


# A walked line is buffered in pieces of this many legs, then the pieces' buffers are united.
# The result is the same area (the buffer of a union is the union of the buffers), but GEOS
# nodes a two-hour patrol that crosses itself hundreds of times 3× faster this way.
COVERAGE_PIECE = 50


def coverage_pct(fixes, grid_shape, reach_m=15.0):
    """Share of the grid's area within ``reach_m`` of the walked line (a worker sees that far).

    Computed in metres on a plane centred on the grid, so the reach is the same in every
    direction (a buffer in degrees reaches ~25 % further north–south than east–west at 36.7°N).
    The line is simplified by a metre and the buffer's round ends use 4 segments a quarter
    circle: neither moves the figure by 0.1 point.
    """
    if not fixes or grid_shape.is_empty:
        return 0.0
    centre = grid_shape.centroid
    metres_per_degree = math.radians(1) * EARTH_RADIUS_M
    scale = np.array([metres_per_degree * math.cos(math.radians(centre.y)), metres_per_degree])
    origin = np.array([centre.x, centre.y])
    grid_m = shapely.transform(grid_shape, lambda coords: (coords - origin) * scale)
    total = grid_m.area
    if not total:
        return 0.0
    points = (np.array([(lon, lat) for _t, lon, lat, _a in fixes]) - origin) * scale
    if len(points) == 1:
        pieces = [Point(points[0])]
    else:
        line = np.asarray(LineString(points).simplify(1.0).coords)
        pieces = [LineString(line[i:i + COVERAGE_PIECE + 1])
                  for i in range(0, len(line) - 1, COVERAGE_PIECE)]
    walked = shapely.union_all(shapely.buffer(pieces, reach_m, quad_segs=4))
    return round(min(100.0, 100.0 * walked.intersection(grid_m).area / total), 1)
