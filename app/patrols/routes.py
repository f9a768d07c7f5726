"""Patrol pages: the phone's recorder (offline) and the supervisors' day view and map."""
from datetime import date

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock, geo
from ..auth.models import RoleAssignment, User
from ..org.models import Grid
from ..scope.permissions import may
from ..scope.services import get_or_404, scope_for
from .models import CheckIn, Patrol, PatrolGap
from .services import PATROLLER_ROLES, day_rows, fixes_of

bp = Blueprint("patrols", __name__)

GAP_LABELS = {"hidden": _l("息屏"), "gps_lost": _l("无定位"), "left": _l("离开巡查页")}
FLAG_LABELS = {"teleport": _l("瞬移跳点"), "mocked_accuracy": _l("疑似模拟定位"),
               "too_fast": _l("速度异常")}


@bp.before_request
@login_required
def _signed_in():
    pass


@bp.get("/patrol")
def recorder():
    if not may(current_user, "patrol.walk"):
        abort(404)
    scope = scope_for(current_user)
    grids = Grid.query.filter(Grid.id.in_(scope.grid_ids)).order_by(Grid.code).all()
    config = {"maxAccuracy": current_app.config.get("PATROL_MAX_ACCURACY_M", 50),
              "maxSpeed": current_app.config.get("PATROL_MAX_SPEED_M_S", 30),
              "thinMeters": 10, "thinSeconds": 30, "chunk": 50}
    return render_template("patrols/recorder.html", grids=grids, config=config,
                           grid_json=[{"id": g.id, "name": g.name, "geometry": g.geometry} for g in grids])


@bp.get("/patrols")
def supervision():
    scope = scope_for(current_user)
    if not may(current_user, "patrol.supervise"):
        abort(404)
    try:
        day = date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else \
            clock.local_today()
    except ValueError:
        day = clock.local_today()
    worker_id = request.args.get("worker", type=int)
    grid_id = request.args.get("grid", type=int)
    grids = Grid.query.filter(scope.grid_clause()).order_by(Grid.code).limit(500).all()
    workers = (User.query.join(RoleAssignment, RoleAssignment.user_id == User.id)
               .filter(scope.grid_clause(RoleAssignment.grid_id),
                       RoleAssignment.role.in_(PATROLLER_ROLES))
               .distinct().order_by(User.display_name).limit(500).all())
    rows = day_rows(current_user, day, worker_id, grid_id)
    return render_template("patrols/supervision.html", rows=rows, day=day, grids=grids,
                           workers=workers, worker_id=worker_id, grid_id=grid_id, flags=FLAG_LABELS)


def project(grid, fixes, checkins, tile_url="", tile_crs="wgs84"):
    """Screen coordinates for an SVG map of the grid, its trace and its check-ins.

    Stored points are WGS-84; for a GCJ-02 tile service they are shifted for display only. With
    tiles configured, the XYZ tiles that cover the view are placed under the drawing.
    """
    shift = geo.wgs84_to_gcj02 if tile_url and tile_crs == "gcj02" else (lambda lon, lat: (lon, lat))
    rings = [[geo.mercator(*shift(c[0], c[1])) for c in r] for r in geo.rings_of(grid.geometry)]
    trace = [geo.mercator(*shift(f[1], f[2])) for f in fixes]
    marks = [(geo.mercator(*shift(c.lon, c.lat)), c) for c in checkins]
    points = [p for r in rings for p in r] + trace + [m[0] for m in marks]
    view = geo.View.fit(points)
    tiles = view.tiles(tile_url, max(p[0] for p in points), max(p[1] for p in points)) if tile_url else []
    return {
        "width": view.width, "height": view.height,
        "rings": [view.points(r) for r in rings],
        "trace": view.points(trace),
        "checkins": [(view.xy(p), c) for p, c in marks],
        "tiles": tiles,
    }


@bp.get("/patrols/<patrol_id>")
def detail(patrol_id):
    patrol = get_or_404(current_user, Patrol, patrol_id)
    fixes = fixes_of(patrol)
    checkins = CheckIn.query.filter_by(patrol_id=patrol.id).order_by(CheckIn.at).all()
    gaps = PatrolGap.query.filter_by(patrol_id=patrol.id).order_by(PatrolGap.started_at).all()
    view = project(patrol.grid, fixes, checkins, current_app.config.get("MAP_TILE_URL", ""),
                   current_app.config.get("MAP_TILE_CRS", "wgs84"))
    return render_template("patrols/detail.html", patrol=patrol, map=view,
                           checkins=checkins, gaps=gaps, flags=FLAG_LABELS, gap_labels=GAP_LABELS)
