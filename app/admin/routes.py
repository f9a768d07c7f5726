"""Admin pages: org tree, grids, users, role assignments, CSV import, audit log."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..audit import services as audit
from ..audit.models import AuditLog
from ..auth.models import ROLES, RoleAssignment, User
from ..auth.services import assign_role
from ..extensions import db
from ..org import services as org_services
from ..org.models import Grid, OrgUnit
from ..scope.permissions import may
from ..scope.services import CHANGE, get_or_404
from ..transaction import unit_of_work
from ..ui import ROLE_LABELS
from . import services
from .forms import GridForm, ImportForm, RoleForm, UnitForm, UserForm, normalise_code

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _signed_in():
    pass


def require_admin():
    if not may(current_user, "admin"):
        abort(403)


def _editing(model, object_id, make_form):
    """The object an admin form edits (None for a new one; in scope, changeable, by the admin)
    and its form."""
    obj = get_or_404(current_user, model, object_id, CHANGE) if object_id else None
    require_admin()
    return obj, make_form(obj)


def _free_code(form, column, obj):
    """The form's code, normalised; None, with the error on the form, when another row has it."""
    code = normalise_code(form.code.data)
    if services.value_taken(column, code, obj):
        form.code.errors.append(_("编码已被使用"))
        return None
    return code


def _unit_form(unit):
    """The unit form with its parent choices, filled from ``unit`` when it is first shown."""
    form = UnitForm(obj=unit)
    units = OrgUnit.query.filter(OrgUnit.level != "community").order_by(OrgUnit.code).all()
    form._parents = [(u.id, u.level) for u in units]
    form.parent_id.choices = [(0, "—")] + [(u.id, f"{u.name}（{u.code}）") for u in units]
    if request.method == "GET" and unit:
        form.parent_id.data = unit.parent_id or 0
    return form


def _grid_form(grid):
    """The grid form with its community choices, showing the grid's boundary when first shown."""
    form = GridForm(obj=grid)
    communities = org_services.units_by_level("community")
    form.community_id.choices = [(c.id, f"{c.name}（{c.code}）") for c in communities]
    if request.method == "GET" and grid:
        form.geojson.data = grid.geojson
    return form


@bp.route("/tree")
def tree():
    require_admin()
    districts = OrgUnit.query.filter_by(level="district").order_by(OrgUnit.code).all()
    grid_counts = dict(db.session.execute(
        db.select(Grid.community_id, db.func.count(Grid.id)).group_by(Grid.community_id)
    ).all())
    return render_template("admin/tree.html", districts=districts, grid_counts=grid_counts)


def _coded_edit_page(model, object_id, make_form, save, template, shown_as):
    """The edit page of a unit or grid: a free code, then ``save`` (None when it put an error on
    the form), then back to the tree."""
    obj, form = _editing(model, object_id, make_form)
    if form.validate_on_submit() and (code := _free_code(form, model.code, obj)):
        saved = save(obj, form, code)
        if saved is not None:
            flash(_("已保存 %(name)s", name=saved.name), "info")
            return redirect(url_for("admin.tree"))
    return render_template(template, form=form, **{shown_as: obj})


def _save_unit(unit, form, code):
    if unit and unit.level != form.level.data and (unit.children or Grid.query.filter(
            Grid.community_id == unit.id).first()):
        form.level.errors.append(_("已有下级的组织不能改变层级"))
        return None
    with unit_of_work():
        return services.save_unit(unit, code=code, name=form.name.data.strip(),
                                  level=form.level.data, parent_id=form.parent_id.data or None)


def _save_grid(grid, form, code):
    text = form.geojson.data or ""
    upload = form.geojson_file.data
    if upload and getattr(upload, "filename", ""):
        text = upload.read().decode("utf-8-sig", errors="replace")
    try:
        if not text.strip():
            raise org_services.GeometryError(_("请粘贴或上传网格边界"))
        geom = org_services.parse_grid_geojson(text)
    except org_services.GeometryError as exc:
        form.geojson.errors = list(form.geojson.errors) + [exc.text()]
        return None
    with unit_of_work():
        return services.save_grid_record(grid, code=code, name=form.name.data.strip(),
                                         kind=form.kind.data, geom=geom,
                                         community=db.session.get(OrgUnit, form.community_id.data))


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id=None):
    return _coded_edit_page(OrgUnit, unit_id, _unit_form, _save_unit, "admin/unit_form.html", "unit")


@bp.route("/grids/new", methods=["GET", "POST"])
@bp.route("/grids/<int:grid_id>", methods=["GET", "POST"])
def grid_edit(grid_id=None):
    return _coded_edit_page(Grid, grid_id, _grid_form, _save_grid, "admin/grid_form.html", "grid")


@bp.route("/users")
def users():
    require_admin()
    q = request.args.get("q", "").strip()
    query = User.query
    if q:
        like = f"%{q}%"
        query = query.filter(User.username.ilike(like) | User.display_name.ilike(like))
    page = query.order_by(User.username).paginate(
        page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render_template("admin/users.html", page=page, q=q)


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id=None):
    user, form = _editing(User, user_id, lambda user: UserForm(obj=user))
    role_form = RoleForm(prefix="role")
    role_form.role.choices = [(r, ROLE_LABELS[r]) for r in ROLES]
    if form.validate_on_submit():
        if services.value_taken(User.username, form.username.data, user):
            form.username.errors.append(_("用户名已存在"))
        elif user is None and not form.password.data:
            form.password.errors.append(_("新用户需要设置密码"))
        else:
            with unit_of_work():
                user = services.save_user(user, username=form.username.data,
                                          display_name=form.display_name.data, locale=form.locale.data,
                                          active=form.active.data, password=form.password.data,
                                          unlock=form.unlock.data)
            flash(_("已保存 %(name)s", name=user.display_name), "info")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user, role_form=role_form)


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def role_add(user_id):
    user = get_or_404(current_user, User, user_id, CHANGE)
    require_admin()
    form = RoleForm(prefix="role")
    form.role.choices = [(r, ROLE_LABELS[r]) for r in ROLES]
    if form.validate_on_submit():
        codes = [normalise_code(c) for c in (form.target_code.data or "").split(";") if c.strip()]
        try:
            with unit_of_work():  # every target, or none
                for target in services.resolve_targets(form.role.data, codes):
                    assignment = assign_role(user, form.role.data, **target)
                    db.session.flush()
                    audit.record("role.add", assignment,
                                 detail={"user": user.username, "role": form.role.data,
                                         "target": assignment.target_label})
            flash(_("已添加角色"), "info")
        except ValueError as exc:
            flash(str(exc), "error")
    else:
        flash(_("请选择角色"), "error")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/roles/<int:assignment_id>/delete", methods=["POST"])
def role_remove(user_id, assignment_id):
    user = get_or_404(current_user, User, user_id, CHANGE)
    require_admin()
    assignment = RoleAssignment.query.filter_by(id=assignment_id, user_id=user.id).first_or_404()
    if not ImportForm().validate_on_submit():
        abort(400)
    with unit_of_work():
        audit.record("role.remove", assignment, detail={"user": user.username,
                                                        "role": assignment.role,
                                                        "target": assignment.target_label})
        db.session.delete(assignment)
    flash(_("已移除角色"), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/import", methods=["GET", "POST"])
def import_users():
    require_admin()
    form = ImportForm()
    errors, imported = [], None
    if form.validate_on_submit():
        if not form.file.data:
            form.file.errors = [_("请选择文件")]
        else:
            imported, errors = services.import_users(form.file.data.read())
            if errors:  # all or nothing
                db.session.rollback()
                flash(_("文件有 %(n)d 处错误，未导入任何用户", n=len(errors)), "error")
            else:
                db.session.commit()
                flash(_("已导入 %(n)d 个用户", n=imported), "info")
    status = 422 if errors else 200
    return render_template("admin/import.html", form=form, errors=errors,
                           imported=imported, columns=services.IMPORT_COLUMNS), status


def audit_log():
    require_admin()
    query = AuditLog.query
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    if action:
        query = query.filter(AuditLog.action.startswith(action))
    if actor:
        query = query.filter(AuditLog.actor_name == actor)
    page = query.order_by(AuditLog.id.desc()).paginate(
        page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, action=action, actor=actor)


# The endpoint is named "audit" for navigation; the function name avoids the module name.
bp.add_url_rule("/audit", endpoint="audit", view_func=audit_log)
