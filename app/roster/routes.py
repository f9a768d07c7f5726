"""The roster's desk pages: the list by grid, one member's form, import and export."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError, put_on_form
from ..exports import table_download, upload_page
from ..org.models import Grid
from ..scope.permissions import may, requires
from ..scope.services import CHANGE, get_or_404, scope_for
from ..transaction import unit_of_work
from . import services
from .forms import MemberForm, RosterImportForm
from .models import ForceMember

bp = Blueprint("roster", __name__, url_prefix="/roster")


@bp.before_request
@login_required
def _signed_in():
    pass


def _grid_choices():
    grids = Grid.query.filter(scope_for(current_user).grid_clause()).order_by(Grid.code).all()
    return [(g.id, f"{g.name}（{g.code}）") for g in grids]


@bp.route("")
@requires("roster.view")
def roster():
    q = request.args.get("q", "").strip()[:60]
    grid_id = request.args.get("grid", type=int)
    query = services.visible_members(current_user, grid_id)
    if q:
        query = query.filter(services.search_clause(q))
    page = query.paginate(page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render_template("roster/list.html", page=page, q=q, grid_id=grid_id, grids=_grid_choices(),
                           labels=services.FORCE_LABELS, can_keep=may(current_user, "roster.keep"))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:member_id>", methods=["GET", "POST"])
@requires("roster.keep")
def member_form(member_id=None):
    member = get_or_404(current_user, ForceMember, member_id, CHANGE) if member_id else None
    form = MemberForm(obj=member)
    form.grids.choices = _grid_choices()
    if request.method == "GET" and member:
        form.grids.data = sorted(member.grid_ids)
        form.phone.data = member.phone_masked
        form.username.data = member.user.username if member.user else ""
    if form.validate_on_submit():
        chosen = Grid.query.filter(Grid.id.in_(form.grids.data)).all()
        try:
            with unit_of_work():
                saved = services.save_member(current_user, member, {
                    "force": form.force.data, "post": form.post.data, "name": form.name.data,
                    "unit": form.unit.data, "phone": form.phone.data, "grids": chosen,
                    "username": form.username.data, "active": form.active.data})
            flash(_("已保存 %(name)s", name=saved.name), "info")
            return redirect(url_for("roster.roster", grid=chosen[0].id))
        except DomainError as exc:
            put_on_form(form, exc, fallback="name")
    return render_template("roster/form.html", form=form, member=member)


@bp.route("/import", methods=["GET", "POST"])
@requires("roster.keep")
def import_roster():
    return upload_page(RosterImportForm(), lambda raw, name: services.import_roster(current_user, raw, name),
                       lambda c, u: _("已导入：新增 %(c)d 人，更新 %(u)d 人", c=c, u=u),
                       url_for("roster.roster"), "roster/import.html", columns=services.COLUMNS)


@bp.route("/export.<fmt>")
@requires("roster.keep")
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    members = services.visible_members(current_user, request.args.get("grid", type=int)).all()
    return table_download(fmt, f"roster.{fmt}", [(_("网格力量"), services.export_rows(members))])
