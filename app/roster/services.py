"""Keeping the grid's roster: who serves which grids in which force, its import and export, and
the members with an account who can be called to an event."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from ..audit import services as audit
from ..auth.models import User
from ..errors import Forbidden, Rejected
from ..exports import TableError, read_table
from ..extensions import db
from ..org.models import Grid
from ..registry import privacy
from ..registry.forms import PHONE_RE
from ..scope.permissions import may
from ..scope.services import CHANGE, VIEW, rule, scope_for
from .models import FORCES, ONE_GRID_FORCES, ForceMember, force_member_grid

FORCE_LABELS = {
    "chief": _l("网格长"), "full_time": _l("专职网格员"), "part_time": _l("兼职网格员"),
    "linkage": _l("联动力量"), "professional": _l("专业力量"),
}
# The roster file's columns, in the order an export writes them.
MAX_UPLOAD = 2 * 1024 * 1024
COLUMNS = ("网格编码", "力量类别", "职务", "姓名", "单位", "联系电话", "账号")


@rule(ForceMember)
def _member_rule(user, member, action):
    """Seen by those who see one of its grids; kept by keepers whose scope holds all of them."""
    scope = scope_for(user)
    if scope.is_admin:
        return True
    grid_ids = member.grid_ids
    if action == VIEW:
        return may(user, "roster.view") and any(scope.covers_grid(g) for g in grid_ids)
    return may(user, "roster.keep") and bool(grid_ids) and all(scope.covers_grid(g) for g in grid_ids)


def visible_members(user, grid_id=None):
    """The roster this user may see, optionally of one grid, ordered by grid then force."""
    scope = scope_for(user)
    in_scope = db.select(force_member_grid.c.member_id).where(
        scope.grid_clause(force_member_grid.c.grid_id))
    if grid_id is not None:
        in_scope = in_scope.where(force_member_grid.c.grid_id == grid_id)
    order = db.case({f: i for i, f in enumerate(FORCES)}, value=ForceMember.force)
    return (ForceMember.query.options(db.selectinload(ForceMember.grids))
            .filter(ForceMember.id.in_(in_scope)).order_by(order, ForceMember.name))


def _clean(user, values, member=None):
    """Check one member's values as a keeper would enter them. Returns the values to store;
    raises Rejected with every field's problem."""
    errors = {}
    force = (values.get("force") or "").strip()
    if force not in FORCES:
        errors["force"] = [_("请选择力量类别")]
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名")]
    elif len(name) > 60:
        errors["name"] = [_("姓名最多 60 个字")]
    post, unit = (values.get("post") or "").strip(), (values.get("unit") or "").strip()
    if len(post) > 40:
        errors["post"] = [_("职务最多 40 个字")]
    if len(unit) > 120:
        errors["unit"] = [_("单位最多 120 个字")]
    phone = (values.get("phone") or "").replace(" ", "").replace("-", "")
    keep_phone = bool(member and phone and "*" in phone and phone == member.phone_masked)
    if phone and not keep_phone and not PHONE_RE.match(phone):
        errors["phone"] = [_("电话号码格式不正确")]
    grids = values.get("grids") or []
    scope = scope_for(user)
    if not grids:
        errors["grids"] = [_("请选择所在网格")]
    elif any(not scope.covers_grid(g.id) for g in grids):
        errors["grids"] = [_("所选网格不在你的管辖范围内")]
    elif force in ONE_GRID_FORCES and len(grids) > 1:
        errors["grids"] = [_("基础力量和联动力量一员一格；服务多个网格的请选“专业力量”")]
    elif len({g.street_id for g in grids}) > 1:
        errors["grids"] = [_("一名成员的网格须在同一街道")]
    account = None
    username = (values.get("username") or "").strip()
    if username:
        # Accounts are made by the admin with the "force" role; a keeper only links one here.
        account = User.query.filter_by(username=username).first()
        force_grids = {a.grid_id for a in account.assignments if a.role == "force"} if account else set()
        if account is None or not grids or not {g.id for g in grids} <= force_grids:
            errors["username"] = [_("所选网格没有网格联动力量账号 %(u)s（账号由系统管理员开通）", u=username)]
    if errors:
        raise Rejected(errors)
    cleaned = {"force": force, "name": name, "post": post, "unit": unit, "grids": grids,
               "user_id": account.id if account else None, "street_id": grids[0].street_id}
    if not keep_phone:
        cleaned["phone"] = phone or None
    return cleaned


def save_member(user, member, values):
    """Create (``member`` None) or change a roster member; flushed, audited. Raises Rejected or
    Forbidden."""
    if not may(user, "roster.keep") or (member is not None and not _member_rule(user, member, CHANGE)):
        raise Forbidden(_l("你不能修改这份网格力量名单"))
    cleaned = _clean(user, values, member)
    before = _audit_view(member) if member else None
    if member is None:
        member = ForceMember()
        db.session.add(member)
    for key in ("force", "name", "post", "unit", "user_id", "street_id"):
        setattr(member, key, cleaned[key])
    member.grids = cleaned["grids"]
    if "phone" in cleaned:
        member.phone_cipher = privacy.encrypt(cleaned["phone"])
        member.phone_hash = privacy.keyed_hash(cleaned["phone"])
        member.phone_masked = privacy.mask_phone(cleaned["phone"])
    if "active" in values:
        member.active = bool(values["active"])
    db.session.flush()
    audit.record("roster.save", member, detail={"before": before, "after": _audit_view(member)})
    return member


def _audit_view(member):
    """What the audit keeps of a member: never the phone in clear."""
    return {"force": member.force, "name": member.name, "post": member.post, "unit": member.unit,
            "phone": member.phone_masked, "grids": sorted(g.code for g in member.grids),
            "user_id": member.user_id, "active": member.active}


def import_roster(user, raw: bytes, filename=""):
    """Every row of a roster file, or none: (created, updated, errors [(line, message)]). A row
    matches an existing member by name, force and grids; a masked phone keeps the stored one."""
    if len(raw) > MAX_UPLOAD:
        return 0, 0, [(0, _("文件太大（最多 2 MB）"))]
    try:
        rows = read_table(raw, filename)
    except TableError as exc:
        return 0, 0, [(0, str(exc))]
    if rows and any(c not in rows[0] for c in ("网格编码", "力量类别", "姓名")):
        return 0, 0, [(1, _("缺少列：%(cols)s", cols="网格编码, 力量类别, 姓名"))]
    by_label = {str(label): code for code, label in FORCE_LABELS.items()} | {c: c for c in FORCES}
    errors, created, updated = [], 0, 0
    with db.session.begin_nested() as nested:
        for line, row in enumerate(rows, start=2):
            cell = row.get("网格编码", "").replace("；", ";")
            codes = [c.strip().upper() for c in cell.split(";") if c.strip()]
            grids = Grid.query.filter(Grid.code.in_(codes)).all() if codes else []
            if len(grids) != len(set(codes)):
                errors.append((line, _("找不到网格 %(codes)s", codes=", ".join(
                    sorted(set(codes) - {g.code for g in grids})))))
                continue
            values = {"force": by_label.get(row.get("力量类别", ""), ""), "post": row.get("职务", ""),
                      "name": row.get("姓名", ""), "unit": row.get("单位", ""), "grids": grids,
                      "phone": row.get("联系电话", ""), "username": row.get("账号", "")}
            existing = _matching(user, values)
            try:
                save_member(user, existing, values)
            except (Rejected, Forbidden) as exc:
                errors.append((line, "；".join(m for ms in (exc.fields or {}).values() for m in ms)
                               or exc.text()))
                continue
            created, updated = created + (existing is None), updated + (existing is not None)
        if errors:
            nested.rollback()
            return 0, 0, errors
    return created, updated, []


def _matching(user, values):
    grid_ids = sorted(g.id for g in values["grids"])
    for member in ForceMember.query.filter_by(name=values["name"].strip(), force=values["force"]):
        if sorted(member.grid_ids) == grid_ids and _member_rule(user, member, CHANGE):
            return member
    return None


def export_rows(members):
    """The roster as a table, phones masked (an export leaves the office; the clear number
    stays encrypted here). The same columns import again."""
    rows = [list(COLUMNS)]
    for m in members:
        rows.append([";".join(g.code for g in m.grids), str(FORCE_LABELS[m.force]), m.post, m.name,
                     m.unit, m.phone_masked, m.user.username if m.user else ""])
    return rows


def callable_members(event):
    """Members with an account serving the event's grid: those who can be called to it."""
    serving = db.select(force_member_grid.c.member_id).where(force_member_grid.c.grid_id == event.grid_id)
    return (ForceMember.query.filter(ForceMember.id.in_(serving), ForceMember.active.is_(True),
                                     ForceMember.user_id.isnot(None),
                                     ForceMember.force.in_(("linkage", "professional")))
            .order_by(ForceMember.force, ForceMember.name).all())


def counts_by_force(grid_ids):
    """{grid id: {force: members}} for the grids given: the "2+1+N+X" of each."""
    rows = db.session.execute(
        db.select(force_member_grid.c.grid_id, ForceMember.force, db.func.count())
        .join(ForceMember, ForceMember.id == force_member_grid.c.member_id)
        .where(force_member_grid.c.grid_id.in_(list(grid_ids)), ForceMember.active.is_(True))
        .group_by(force_member_grid.c.grid_id, ForceMember.force))
    out: dict = {}
    for grid_id, force, n in rows:
        out.setdefault(grid_id, {})[force] = n
    return out


def search_clause(q):
    like = f"%{q}%"
    return or_(ForceMember.name.ilike(like), ForceMember.unit.ilike(like), ForceMember.post.ilike(like))
