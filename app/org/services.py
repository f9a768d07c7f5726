"""Org tree and grid logic: GeoJSON validation, placing a point into its grid."""
import json
import math
import threading

import shapely
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from sqlalchemy import func

from ..errors import DomainError
from ..extensions import db
from .models import GRID_KINDS, Grid, OrgUnit

EARTH_RADIUS_M = 6371008.8
# Grids may share edges; an overlap smaller than this (m²) is rounding, not a mistake.
OVERLAP_TOLERANCE_M2 = 1.0


class GeometryError(DomainError, ValueError):
    """A GeoJSON text that cannot be a grid boundary; the message is for the user."""

    code = "geometry"

    def __init__(self, message):
        super().__init__(message, fields={"geojson": [message]})


def parse_grid_geojson(text: str):
    """Parse pasted or uploaded GeoJSON into a valid shapely (Multi)Polygon in WGS-84.

    Accepts a bare geometry, a Feature, or a FeatureCollection holding exactly one feature.
    """
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        raise GeometryError(_l("不是有效的 GeoJSON 文本")) from None
    if not isinstance(data, dict):
        raise GeometryError(_l("GeoJSON 必须是一个对象"))
    if data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise GeometryError(_l("FeatureCollection 中必须恰好有一个要素"))
        data = features[0]
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    if data.get("type") not in ("Polygon", "MultiPolygon"):
        raise GeometryError(_l("网格边界必须是 Polygon 或 MultiPolygon"))
    try:
        geom = shape(data)
    except Exception:  # shapely raises several kinds for malformed coordinates
        raise GeometryError(_l("坐标格式不正确")) from None
    if geom.is_empty:
        raise GeometryError(_l("多边形为空"))
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise GeometryError(_l("坐标超出经纬度范围（应为 WGS-84 经度, 纬度）"))
    if not geom.is_valid:
        raise GeometryError(_l("多边形无效（自相交或环未闭合）"))
    if area_m2(geom) < 1:
        raise GeometryError(_l("多边形面积为零"))
    return geom


def area_m2(geom) -> float:
    """Area in square metres on a local equirectangular projection (fine at grid scale)."""
    lat0 = math.radians(geom.centroid.y)
    kx = math.radians(1) * EARTH_RADIUS_M * math.cos(lat0)
    ky = math.radians(1) * EARTH_RADIUS_M
    return shapely.transform(geom, lambda coords: coords * [kx, ky]).area


def overlapping_grids(geom, exclude_id=None):
    """Grids whose area overlaps ``geom`` by more than the tolerance."""
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    query = Grid.query.filter(
        Grid.min_lon <= max_lon, Grid.max_lon >= min_lon,
        Grid.min_lat <= max_lat, Grid.max_lat >= min_lat,
    )
    if exclude_id is not None:
        query = query.filter(Grid.id != exclude_id)
    clashes = []
    for grid in query:
        overlap = grid.shape.intersection(geom)
        if not overlap.is_empty and area_m2(overlap) > OVERLAP_TOLERANCE_M2:
            clashes.append(grid)
    return clashes


def apply_geometry(grid: Grid, geom) -> None:
    if isinstance(geom, (Polygon, MultiPolygon)):
        grid.geojson = json.dumps(mapping(geom), separators=(",", ":"))
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat = min_lon, min_lat, max_lon, max_lat
    grid.area_m2 = round(area_m2(geom), 1)


def place_in_tree(grid: Grid, community: OrgUnit) -> None:
    if community.level != "community":
        raise ValueError("a grid belongs to a community")
    street = community.parent
    grid.community_id = community.id
    grid.street_id = street.id
    grid.district_id = street.parent_id


def save_grid(grid: Grid, *, code, name, kind, community: OrgUnit, geom) -> Grid:
    """Create or update a grid. Raises GeometryError when it would overlap another grid."""
    if kind not in GRID_KINDS:
        raise ValueError(kind)
    clashes = overlapping_grids(geom, exclude_id=grid.id)
    if clashes:
        names = "、".join(f"{g.name}（{g.code}）" for g in clashes[:5])
        raise GeometryError(_l("与已有网格重叠：%(names)s", names=names))
    grid.code, grid.name, grid.kind = code, name, kind
    place_in_tree(grid, community)
    apply_geometry(grid, geom)
    db.session.add(grid)
    return grid


# Every grid's shape, prepared, in an STRtree: built once per process and rebuilt when the grid
# table changes (its row count, highest id or latest update, read once per request). A push of
# 20 reports then parses no GeoJSON and asks the database nothing to place them. The index is
# replaced whole, never changed in place, so a thread reading it never sees half a rebuild.
_grid_index = (None, None, (), ())  # (version, tree, ids, shapes)
_grid_index_lock = threading.Lock()


def _grid_table_version():
    if has_request_context() and "_grid_version" in g:
        return g._grid_version
    version = tuple(db.session.execute(
        db.select(func.count(Grid.id), func.max(Grid.id), func.max(Grid.updated_at))).one())
    if has_request_context():
        g._grid_version = version
    return version


def _current_grid_index():
    global _grid_index
    version = _grid_table_version()
    index = _grid_index
    if index[0] != version:
        with _grid_index_lock:
            index = _grid_index
            if index[0] != version:
                rows = db.session.execute(db.select(Grid.id, Grid.geojson).order_by(Grid.id)).all()
                shapes = tuple(shape(json.loads(geojson)) for _, geojson in rows)
                shapely.prepare(list(shapes))
                index = (version, shapely.STRtree(shapes) if shapes else None,
                         tuple(grid_id for grid_id, _ in rows), shapes)
                _grid_index = index
    return index


def locate_grid(lon: float, lat: float):
    """The grid that holds this WGS-84 point, or None.

    The STRtree narrows the search; the prepared shapes decide. A point on a shared edge
    belongs to the grid with the lowest id, so the answer is always the same.
    """
    _version, tree, ids, shapes = _current_grid_index()
    if tree is None:
        return None
    point = Point(lon, lat)
    for i in sorted(tree.query(point)):  # positions follow the ids' order
        if shapely.covers(shapes[i], point):
            return _grid_for_request(ids[i])
    return None


def _grid_for_request(grid_id):
    """The Grid row, held for the rest of the request (the session keeps rows only weakly)."""
    if not has_request_context():
        return db.session.get(Grid, grid_id)
    held = g.setdefault("_grids_held", {})
    if grid_id not in held:
        held[grid_id] = db.session.get(Grid, grid_id)
    return held[grid_id]


def resync_unit_descendants(unit: OrgUnit) -> None:
    """After a unit moves in the tree, fix the denormalised street/district on its grids."""
    if unit.level == "community":
        grids = Grid.query.filter_by(community_id=unit.id)
    elif unit.level == "street":
        grids = Grid.query.filter_by(street_id=unit.id)
    else:
        return
    for grid in grids:
        place_in_tree(grid, grid.community)


def units_by_level(level):
    return OrgUnit.query.filter_by(level=level).order_by(OrgUnit.code).all()
