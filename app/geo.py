"""Map maths for every map the server draws (grid outlines, patrol traces, the command centre's
overview): one projection, Web Mercator, the space XYZ tiles are cut in, which keeps a grid's
true shape at any latitude; a view that fits points into an SVG box; the tiles under a view;
and the GCJ-02 shift for Chinese tile services. The phone's maps (static/js/gridmap.js) draw
offline in the local equivalent (longitude scaled by cos latitude)."""
import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def mercator(lon, lat):
    """Web Mercator in world units (0..1), the space XYZ tiles are cut in; also our SVG maps'."""
    x = (lon + 180.0) / 360.0
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return x, y


def rings_of(geometry) -> list:
    """The outer rings of a GeoJSON Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [polygon[0] for polygon in geometry["coordinates"]]


@dataclass(frozen=True)
class View:
    """Mercator points fitted into a box ``size`` units across its longer side."""
    x0: float
    y0: float
    scale: float
    width: float
    height: float

    @classmethod
    def fit(cls, points, size=1000.0):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, y0 = min(xs), min(ys)
        scale = size / (max(max(xs) - x0, max(ys) - y0) or 1e-9)
        return cls(x0, y0, scale, round((max(xs) - x0) * scale, 1), round((max(ys) - y0) * scale, 1))

    def xy(self, point):
        return round((point[0] - self.x0) * self.scale, 1), round((point[1] - self.y0) * self.scale, 1)

    def points(self, line) -> str:
        """An SVG points attribute for a line or ring of Mercator points."""
        return " ".join(f"{x},{y}" for x, y in map(self.xy, line))

    def tiles(self, url, x1, y1):
        """The XYZ tiles covering [x0, x1] × [y0, y1] at about one tile pixel per unit."""
        zoom = max(0, min(19, int(math.log2(self.scale / 256))))
        n = 2 ** zoom
        out = []
        for tx in range(int(self.x0 * n), int(x1 * n) + 1):
            for ty in range(int(self.y0 * n), int(y1 * n) + 1):
                left, top = self.xy((tx / n, ty / n))
                out.append({"href": url.format(z=zoom, x=tx, y=ty), "x": left, "y": top,
                            "size": round(self.scale / n, 1)})
        return out


def outline(geometry, size=100.0):
    """A grid's outline for a small SVG: (width, height, [points attribute per ring])."""
    rings = [[mercator(lon, lat) for lon, lat in ring] for ring in rings_of(geometry)]
    view = View.fit([p for ring in rings for p in ring], size)
    return view.width, view.height, [view.points(ring) for ring in rings]


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
