"""Admin domain logic: resolving role targets and the all-or-nothing CSV user import."""
import csv
import io
import re

from flask_babel import gettext as _

from ..audit import services as audit
from ..auth.models import ROLE_BINDING, ROLES, User
from ..auth.services import assign_role, hash_password
from ..extensions import db
from ..org.models import Department, Grid, OrgUnit
from ..ui import LEVEL_LABELS

IMPORT_COLUMNS = ("username", "display_name", "password", "role", "scope", "locale")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def save_unit(unit, *, code, name, level, parent_id):
    """Create (``unit`` None) or change an org unit; audited; flushed, not committed."""
    from ..org import services as org_services

    created = unit is None
    unit = unit or OrgUnit()
    changes = audit.apply_changes(unit, {"code": code, "name": name, "level": level,
                                         "parent_id": parent_id}, created=created)
    db.session.add(unit)
    db.session.flush()
    org_services.resync_unit_descendants(unit)
    audit.record("org_unit.create" if created else "org_unit.update", unit, detail=changes)
    return unit


def save_grid_record(grid, *, code, name, kind, community, geom):
    """Create or change a grid with its boundary; the audit names what changed (the boundary
    only as changed, not its coordinates)."""
    from ..org import services as org_services

    created = grid is None
    fields = ("code", "name", "kind", "community_id", "geojson")
    before = {} if created else {f: getattr(grid, f) for f in fields}
    grid = grid or Grid()
    org_services.save_grid(grid, code=code, name=name, kind=kind, community=community, geom=geom)
    db.session.flush()
    changes = {f: [before.get(f), getattr(grid, f)] for f in fields if before.get(f) != getattr(grid, f)}
    if "geojson" in changes:
        changes["geojson"] = [bool(before.get("geojson")), "changed"]
    audit.record("grid.create" if created else "grid.update", grid, detail=changes)
    return grid


def save_user(user, *, username, display_name, locale, active, password=None, unlock=False):
    """Create or change an account. A new password signs the user out everywhere."""
    from ..auth.services import end_sessions

    created = user is None
    user = user or User(password_hash="")
    changes = audit.apply_changes(user, {"username": username, "display_name": display_name,
                                         "locale": locale, "active": active}, created=created)
    if password:
        user.password_hash = hash_password(password)
        end_sessions(user)  # whoever knew the old password is signed out everywhere
        changes["password"] = "reset"
    if unlock:
        user.locked_until, user.failed_logins = None, 0
        changes["unlocked"] = True
    db.session.add(user)
    db.session.flush()
    audit.record("user.create" if created else "user.update", user, detail=changes)
    return user


def value_taken(column, value, obj=None):
    """Whether another row than ``obj`` already uses ``value`` in this unique column."""
    model = column.class_
    query = model.query.filter(column == value)
    if obj is not None and obj.id is not None:
        query = query.filter(model.id != obj.id)
    return db.session.query(query.exists()).scalar()


def resolve_targets(role, codes):
    """Map a role and target codes to keyword arguments for assign_role, or raise ValueError."""
    binding = ROLE_BINDING[role]
    if binding is None:
        if codes:
            raise ValueError(_("管理员角色不需要编码"))
        return [{}]
    if not codes:
        raise ValueError(_("该角色需要填写编码"))
    if binding != "grid" and len(codes) > 1:
        raise ValueError(_("该角色只能绑定一个编码"))
    targets = []
    for code in codes:
        if binding == "grid":
            grid = Grid.query.filter_by(code=code).first()
            if grid is None:
                raise ValueError(_("找不到网格 %(code)s", code=code))
            targets.append({"grid": grid})
        elif binding == "department":
            department = Department.query.filter_by(code=code).first()
            if department is None:
                raise ValueError(_("找不到部门 %(code)s", code=code))
            targets.append({"department": department})
        else:
            unit = OrgUnit.query.filter_by(code=code, level=binding).first()
            if unit is None:
                raise ValueError(_("找不到%(level)s %(code)s", level=LEVEL_LABELS[binding], code=code))
            targets.append({"unit": unit})
    return targets


def decode_csv(raw: bytes) -> str:
    """CSV from Excel in China is often GB18030; accept it as well as UTF-8 (with BOM)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("无法识别文件编码，请保存为 UTF-8 CSV"))


def import_users(raw: bytes):
    """Validate every row; import all of them or none.

    Returns (imported_count, errors) where errors is a list of (line_number, message).
    """
    try:
        text = decode_csv(raw)
    except ValueError as exc:
        return 0, [(0, str(exc))]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS[:5] if c not in header]
    if missing:
        return 0, [(1, _("缺少列：%(cols)s", cols=", ".join(missing)))]
    reader.fieldnames = header

    errors, planned, seen = [], [], set()
    existing = {u for (u,) in db.session.execute(db.select(User.username))}
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        problems = []
        username = row.get("username", "")
        if not USERNAME_RE.match(username):
            problems.append(_("用户名格式不正确"))
        elif username in existing:
            problems.append(_("用户名 %(u)s 已存在", u=username))
        elif username in seen:
            problems.append(_("用户名 %(u)s 在文件中重复", u=username))
        seen.add(username)
        if not row.get("display_name"):
            problems.append(_("姓名为空"))
        if len(row.get("password", "")) < 8:
            problems.append(_("密码至少 8 位"))
        locale = row.get("locale") or "zh_Hans"
        if locale not in ("zh_Hans", "en"):
            problems.append(_("语言只能是 zh_Hans 或 en"))
        role = row.get("role", "")
        targets = []
        if role not in ROLES:
            problems.append(_("未知角色 %(r)s", r=role))
        else:
            codes = [c.strip() for c in row.get("scope", "").split(";") if c.strip()]
            try:
                targets = resolve_targets(role, codes)
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            errors.append((line, "；".join(problems)))
        else:
            planned.append((row, locale, role, targets))
    if not planned and not errors:
        errors.append((0, _("文件中没有数据行")))
    if errors:
        return 0, errors

    for row, locale, role, targets in planned:
        user = User(username=row["username"], display_name=row["display_name"],
                    password_hash=hash_password(row["password"]), locale=locale)
        db.session.add(user)
        db.session.flush()
        for target in targets:
            assign_role(user, role, **target)
        audit.record("user.import", user, detail={"role": role})
    audit.record("users.import", object_type="user", detail={"count": len(planned)})
    return len(planned), []
