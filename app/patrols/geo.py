"""Distances, coverage and coordinate conversion. Everything is stored in WGS-84; GCJ-02 (used
by most Chinese tile services) is computed for display only."""
import math

from shapely.geometry import LineString, Point

from ..org.services import area_m2

EARTH_RADIUS_M = 6371008.8


def haversine_m(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def coverage_pct(fixes, grid_shape, reach_m=15.0):
    """Share of the grid's area within ``reach_m`` of the walked line (a worker sees that far)."""
    points = [(lon, lat) for _t, lon, lat, _a in fixes]
    if not points or grid_shape.is_empty:
        return 0.0
    lat0 = grid_shape.centroid.y
    degrees = reach_m / (math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(lat0)))
    line = LineString(points) if len(points) > 1 else Point(points[0])
    # Buffer in degrees scaled for longitude; the error at grid scale is well under a metre.
    covered = line.buffer(degrees).intersection(grid_shape)
    total = area_m2(grid_shape)
    return round(min(100.0, 100.0 * area_m2(covered) / total), 1) if total else 0.0


def mercator(lon, lat):
    """Web Mercator in world units (0..1), the space XYZ tiles are cut in; also our SVG maps'."""
    x = (lon + 180.0) / 360.0
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return x, y


# --- WGS-84 → GCJ-02 (the published offset algorithm; outside China it is the identity) -----
_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lon, lat):
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _tlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _tlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat):
    if _out_of_china(lon, lat):
        return lon, lat
    dlat = _tlat(lon - 105.0, lat - 35.0)
    dlon = _tlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat
