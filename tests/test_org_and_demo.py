"""Grids: GeoJSON validation, point-in-grid, the demo district's geometry and size."""
import itertools
import json

import pytest
from click.testing import CliRunner

from app.auth.models import RoleAssignment, User
from app.demo.data import load_district_scale
from app.extensions import db
from app.org.models import Grid, OrgUnit
from app.org.services import GeometryError, locate_grid, parse_grid_geojson

SQUARE = {"type": "Polygon", "coordinates": [[[117.0, 36.6], [117.01, 36.6], [117.01, 36.61],
                                              [117.0, 36.61], [117.0, 36.6]]]}


def test_geojson_forms_accepted():
    for text in (SQUARE, {"type": "Feature", "properties": {}, "geometry": SQUARE},
                 {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": SQUARE}]}):
        geom = parse_grid_geojson(json.dumps(text))
        assert geom.geom_type == "Polygon" and geom.bounds == (117.0, 36.6, 117.01, 36.61)


@pytest.mark.parametrize("text, message", [
    ("not json", "不是有效的 GeoJSON"),
    (json.dumps({"type": "Point", "coordinates": [117, 36]}), "Polygon 或 MultiPolygon"),
    (json.dumps({"type": "Polygon", "coordinates": [[[117, 36], [118, 37], [117, 37], [118, 36],
                                                     [117, 36]]]}), "自相交"),
    (json.dumps({"type": "Polygon", "coordinates": [[[36.6, 117.0], [36.61, 117.0], [36.61, 117.01],
                                                     [36.6, 117.01], [36.6, 117.0]]]}), "超出经纬度范围"),
    (json.dumps({"type": "FeatureCollection", "features": []}), "恰好有一个要素"),
    (json.dumps({"type": "Polygon", "coordinates": [[[117, 36], [117, 36], [117, 36], [117, 36]]]}),
     ""),
])
def test_bad_geojson_is_refused_with_a_reason(app, text, message):
    with pytest.raises(GeometryError) as err:
        parse_grid_geojson(text)
    assert message in str(err.value.args[0])


def test_demo_district_shape(demo):
    assert OrgUnit.query.filter_by(level="street").count() == 2
    assert OrgUnit.query.filter_by(level="community").count() == 4
    grids = Grid.query.all()
    assert len(grids) == 12
    assert sum(g.kind == "exclusive" for g in grids) == 2
    # Every grid is in Lixia, near Quancheng Square and Daming Lake.
    for g in grids:
        assert 117.00 < g.min_lon < g.max_lon < 117.04 and 36.65 < g.min_lat < g.max_lat < 36.68
    # Polygons touch but never overlap, and together they tile one block.
    touching = 0
    for a, b in itertools.combinations(grids, 2):
        assert a.shape.intersection(b.shape).area < 1e-12, (a.code, b.code)
        touching += a.shape.touches(b.shape)
    assert touching >= 15
    usernames = {u.username for u in User.query}
    assert {"admin", "command", "street", "secretary", "leader", "worker", "rider",
            "dept"} <= usernames
    rider = User.query.filter_by(username="rider").one()
    assert len([a for a in rider.assignments if a.role == "part_time"]) == 2
    # Every grid has its one full-time worker.
    for g in grids:
        assert RoleAssignment.query.filter_by(grid_id=g.id, role="grid_worker").count() == 1


def test_locate_grid_finds_the_holding_grid(demo):
    for grid in Grid.query.all():
        inside = grid.shape.representative_point()
        assert locate_grid(inside.x, inside.y).id == grid.id
    assert locate_grid(116.0, 36.0) is None
    # A shared vertex belongs to exactly one grid, the same every time.
    corner = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.exterior.coords[1]
    assert locate_grid(*corner).id == locate_grid(*corner).id


def test_locate_api_only_answers_within_scope(demo, login):
    client = login("worker")
    own = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    far = Grid.query.filter_by(code="LX-DMH-BHZ-01").one().shape.representative_point()
    assert client.get(f"/api/v1/grids/locate?lon={own.x}&lat={own.y}").get_json()["grid"]["code"] \
        == "LX-QCL-FRJ-01"
    assert client.get(f"/api/v1/grids/locate?lon={far.x}&lat={far.y}").get_json()["grid"] is None
    bad = client.get("/api/v1/grids/locate?lon=abc&lat=1")
    assert bad.status_code == 400 and "经纬度" in bad.get_json()["message"]


def test_demo_load_refuses_a_database_with_data(demo):
    from app.demo.cli import demo_cli

    runner = CliRunner()
    result = runner.invoke(demo_cli, ["load"], obj=None, standalone_mode=False,
                           catch_exceptions=True)
    assert result.exit_code == 1 or isinstance(result.exception, SystemExit)
    assert Grid.query.count() == 12


def test_district_scale_matches_the_seed(app):
    counts = load_district_scale()
    assert counts == {"streets": 13, "communities": 100, "grids": 1293, "users": counts["users"]}
    assert 6500 <= counts["users"] <= 7500
    assert Grid.query.filter_by(kind="basic").count() == 1086
    assert Grid.query.filter_by(kind="exclusive").count() == 207
    assert OrgUnit.query.filter_by(level="street").count() == 13
    # The lattice keeps neighbours edge to edge: a random sample never overlaps.
    grids = Grid.query.order_by(Grid.id).limit(80).all()
    for a, b in itertools.combinations(grids, 2):
        assert a.shape.intersection(b.shape).area < 1e-12
    db.session.rollback()


def test_a_grids_outline_keeps_its_true_shape(app, login):
    """A grid that is square on the ground (300 m × 300 m at 36.66°N, so 25 % more degrees of
    longitude than of latitude) is drawn square on its page, not 25 % too wide."""
    import re

    from tests.support import small_district

    grid, _worker = small_district()
    page = login("solo-worker").get(f"/grids/{grid.id}").get_data(as_text=True)
    svg = re.search(r'<svg class="grid-shape"[^>]*>.*?</svg>', page, re.S).group(0)
    xy = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', svg).group(1).split()]
    drawn = (max(x for x, _ in xy) - min(x for x, _ in xy)) / (max(y for _, y in xy) - min(y for _, y in xy))
    assert abs(drawn - 1) < 0.02, drawn
