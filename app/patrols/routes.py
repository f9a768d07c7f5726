"""Patrol pages: the phone's recorder (offline) and the supervisors' day view and map."""
from datetime import UTC, date, datetime

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..auth.models import RoleAssignment, User
from ..org.models import Grid
from ..scope.services import get_or_404, scope_for
from .models import CheckIn, Patrol, PatrolGap
from .services import PATROLLER_ROLES, SUPERVISOR_ROLES, day_rows, fixes_of

bp = Blueprint("patrols", __name__)

FLAG_LABELS = {"teleport": _l("瞬移跳点"), "mocked_accuracy": _l("疑似模拟定位"),
               "too_fast": _l("速度异常")}


@bp.before_request
@login_required
def _signed_in():
    pass


@bp.get("/patrol")
def recorder():
    if not scope_for(current_user).roles & PATROLLER_ROLES:
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
    if not scope.roles & SUPERVISOR_ROLES:
        abort(404)
    try:
        day = date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else \
            datetime.now(UTC).date()
    except ValueError:
        day = datetime.now(UTC).date()
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


def project(grid, fixes, checkins):
    """Screen coordinates for an SVG map of the grid, its trace and its check-ins (no tiles)."""
    import math

    g = grid.geometry
    rings = [g["coordinates"][0]] if g["type"] == "Polygon" else [p[0] for p in g["coordinates"]]
    xs = [c[0] for r in rings for c in r] + [f[1] for f in fixes] + [c.lon for c in checkins]
    ys = [c[1] for r in rings for c in r] + [f[2] for f in fixes] + [c.lat for c in checkins]
    k = math.cos(math.radians((min(ys) + max(ys)) / 2))
    span = max((max(xs) - min(xs)) * k, max(ys) - min(ys)) or 1e-6
    scale = 1000 / span

    def xy(lon, lat):
        return round((lon - min(xs)) * k * scale, 1), round((max(ys) - lat) * scale, 1)

    return {
        "width": round((max(xs) - min(xs)) * k * scale, 1), "height": round((max(ys) - min(ys)) * scale, 1),
        "rings": [" ".join(f"{x},{y}" for x, y in (xy(*c[:2]) for c in r)) for r in rings],
        "trace": " ".join(f"{x},{y}" for x, y in (xy(f[1], f[2]) for f in fixes)),
        "checkins": [(xy(c.lon, c.lat), c) for c in checkins],
    }


@bp.get("/patrols/<patrol_id>")
def detail(patrol_id):
    patrol = get_or_404(current_user, Patrol, patrol_id)
    fixes = fixes_of(patrol)
    checkins = CheckIn.query.filter_by(patrol_id=patrol.id).order_by(CheckIn.at).all()
    gaps = PatrolGap.query.filter_by(patrol_id=patrol.id).order_by(PatrolGap.started_at).all()
    return render_template("patrols/detail.html", patrol=patrol, map=project(patrol.grid, fixes, checkins),
                           checkins=checkins, gaps=gaps, flags=FLAG_LABELS)
