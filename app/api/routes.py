"""JSON API under /api/v1. The same scope service guards every object."""
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..audit import services as audit
from ..auth.models import User
from ..org import services as org_services
from ..org.models import Grid, OrgUnit
from ..scope.services import CHANGE, get_or_404, scope_for
from ..transaction import unit_of_work
from .guard import guard_blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


guard_blueprint(bp)


def grid_json(grid, with_geometry=True):
    data = {
        "id": grid.id, "code": grid.code, "name": grid.name, "kind": grid.kind,
        "community": {"id": grid.community_id, "name": grid.community.name},
        "street": {"id": grid.street_id, "name": grid.street.name},
        "area_m2": grid.area_m2,
    }
    if with_geometry:
        data["geometry"] = grid.geometry
    return data


@bp.get("/me")
def me():
    return jsonify(
        id=current_user.id, username=current_user.username,
        display_name=current_user.display_name, locale=current_user.locale,
        roles=[{"role": a.role, "grid_id": a.grid_id, "org_unit_id": a.org_unit_id,
                "department_id": a.department_id} for a in current_user.assignments],
    )


@bp.get("/csrf")
def csrf_token():
    """A fresh CSRF token for a phone that has been offline longer than a token lives."""
    return jsonify(csrf_token=generate_csrf())


@bp.get("/grids")
def grids():
    scope = scope_for(current_user)
    rows = Grid.query.filter(scope.grid_clause()).order_by(Grid.code).limit(2000).all()
    return jsonify(grids=[grid_json(g, with_geometry=request.args.get("geometry") == "1")
                          for g in rows])


@bp.get("/grids/locate")
def locate():
    lon, lat = request.args.get("lon", type=float), request.args.get("lat", type=float)
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return jsonify(error=400, message=_("需要有效的经纬度 lon, lat")), 400
    grid = org_services.locate_grid(lon, lat)
    if grid is None or not scope_for(current_user).covers_grid(grid.id):
        return jsonify(grid=None)
    return jsonify(grid=grid_json(grid, with_geometry=False))


@bp.get("/grids/<int:grid_id>")
def grid(grid_id):
    return jsonify(grid_json(get_or_404(current_user, Grid, grid_id)))


@bp.patch("/grids/<int:grid_id>")
def grid_update(grid_id):
    """Rename a grid or change its kind (admin). Boundaries change through the admin page."""
    target = get_or_404(current_user, Grid, grid_id, CHANGE)
    payload = request.get_json(silent=True) or {}
    errors = {}
    name = payload.get("name", target.name)
    kind = payload.get("kind", target.kind)
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        errors["name"] = _("名称不能为空，且不超过 120 字")
    if kind not in ("basic", "exclusive"):
        errors["kind"] = _("类型只能是 basic 或 exclusive")
    if errors:
        return jsonify(error=422, fields=errors), 422
    with unit_of_work():
        changes = audit.apply_changes(target, {"name": name.strip(), "kind": kind})
        audit.record("grid.update", target, detail=changes)
    return jsonify(grid_json(target))


@bp.get("/org-units/<int:unit_id>")
def org_unit(unit_id):
    unit = get_or_404(current_user, OrgUnit, unit_id)
    return jsonify(id=unit.id, code=unit.code, name=unit.name, level=unit.level,
                   parent_id=unit.parent_id)


@bp.get("/users/<int:user_id>")
def user(user_id):
    other = get_or_404(current_user, User, user_id)
    return jsonify(id=other.id, username=other.username, display_name=other.display_name,
                   roles=sorted(other.roles))
