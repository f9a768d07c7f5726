"""Read-only pages on the org tree, grids and people, each filtered by the scope service."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..auth.models import RoleAssignment, User
from ..org.models import Grid, OrgUnit
from ..roster import services as roster
from ..scope.permissions import may
from ..scope.services import get_or_404, scope_for, visible_users_query

bp = Blueprint("org", __name__)


@bp.before_request
@login_required
def _signed_in():
    pass


@bp.route("/grids")
def grid_list():
    scope = scope_for(current_user)
    page = (
        Grid.query.filter(scope.grid_clause())
        .order_by(Grid.code)
        .paginate(page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    )
    return render_template("org/grid_list.html", page=page)


@bp.route("/grids/<int:grid_id>")
def grid_detail(grid_id):
    grid = get_or_404(current_user, Grid, grid_id)
    staff = (
        RoleAssignment.query.filter_by(grid_id=grid.id)
        .join(User).order_by(RoleAssignment.role, User.username).all()
    )
    members = (roster.visible_members(current_user, grid.id).all()
               if may(current_user, "roster.view") else [])
    return render_template("org/grid_detail.html", grid=grid, staff=staff, members=members,
                           FORCE_LABELS=roster.FORCE_LABELS)


@bp.route("/units/<int:unit_id>")
def unit_detail(unit_id):
    unit = get_or_404(current_user, OrgUnit, unit_id)
    scope = scope_for(current_user)
    if unit.level == "community":
        grids = Grid.query.filter(Grid.community_id == unit.id, scope.grid_clause())
        grids = grids.order_by(Grid.code).all()
    else:
        grids = []
    return render_template("org/unit_detail.html", unit=unit, grids=grids)


@bp.route("/people")
def people():
    query = visible_users_query(current_user)
    q = request.args.get("q", "").strip()
    if q:
        like = f"%{q}%"
        query = query.filter(User.username.ilike(like) | User.display_name.ilike(like))
    page = query.order_by(User.username).paginate(
        page=request.args.get("page", 1, type=int), per_page=50, error_out=False
    )
    return render_template("org/people.html", page=page, q=q)


@bp.route("/people/<int:user_id>")
def person(user_id):
    user = get_or_404(current_user, User, user_id)
    return render_template("org/person.html", user=user)
