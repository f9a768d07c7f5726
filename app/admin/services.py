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
    db.session.commit()
    return len(planned), []
