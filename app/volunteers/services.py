"""双报到: units and members registering to a community, the community's service needs, claims
and the service logged and confirmed, and the hours that follow. Pages and the sync push both
call these; nothing here commits."""
import secrets
import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..auth.models import RoleAssignment, User
from ..auth.services import assign_role, hash_password
from ..errors import Conflict, Forbidden, Rejected
from ..extensions import db
from ..ids import is_uuid
from ..media.services import own_photos, photo_holder, rows_naming
from ..org.models import OrgUnit
from ..registry import privacy
from ..registry.forms import PHONE_RE
from ..scope.permissions import may
from ..scope.services import CHANGE, VIEW, rule, scope_for
from ..sync.services import record_handler
from ..tasks.services import volunteer_minutes
from .models import JoinLink, PartyMember, ReportingUnit, ServiceClaim, ServiceNeed

NEED_LABELS = {"project": _l("服务项目"), "wish": _l("微心愿"), "shift": _l("值守班次")}
MEMBER_LABELS = {"pending": _l("待审核"), "approved": _l("已通过"), "rejected": _l("未通过")}
CLAIM_LABELS = {"claimed": _l("已认领"), "logged": _l("已记录，待确认"), "confirmed": _l("已确认"),
                "returned": _l("退回补充")}
MAX_PENDING = 300  # applications waiting per community: a flood through the public link stops here


def _keeps(user, community_id):
    return may(user, "volunteer.keep") and scope_for(user).covers_unit(community_id)


def _oversees(user, community_id):
    office = may(user, "volunteer.keep") or may(user, "volunteer.hours")
    return office and scope_for(user).covers_unit(community_id)


@rule(ReportingUnit)
def _unit_rule(user, unit, action):
    if action == VIEW:
        return _oversees(user, unit.community_id)
    return may(user, "volunteer.units") and scope_for(user).covers_unit(unit.community_id)


@rule(PartyMember)
def _member_rule(user, member, action):
    if member.user_id == user.id:
        return action == VIEW
    return _oversees(user, member.community_id) if action == VIEW else _keeps(user, member.community_id)


@rule(ServiceNeed)
def _need_rule(user, need, action):
    if action == CHANGE:
        return _keeps(user, need.community_id)
    member = approved_member(user)
    if member is not None and member.community_id == need.community_id:
        return True
    return _oversees(user, need.community_id)


@rule(ServiceClaim)
def _claim_rule(user, claim, action):
    if claim.author_id == user.id and action == VIEW:
        return True
    need = claim.need
    return _oversees(user, need.community_id) if action == VIEW else _keeps(user, need.community_id)


@photo_holder
def _claim_photos(media):
    return rows_naming(ServiceClaim, ServiceClaim.photos, media, ServiceClaim.author_id)


def _phone_fields(phone):
    phone = (phone or "").replace(" ", "").replace("-", "")
    return {"phone_cipher": privacy.encrypt(phone or None), "phone_masked": privacy.mask_phone(phone)}


# --- units and members -----------------------------------------------------------------------

def register_unit(user, community, values):
    """A unit reporting to ``community``, registered by the street or the admin."""
    if not (may(user, "volunteer.units") and scope_for(user).covers_unit(community.id)):
        raise Forbidden(_l("只有街道或系统管理员可以登记报到单位"))
    name = (values.get("name") or "").strip()
    errors = {}
    if not name or len(name) > 120:
        errors["name"] = [str(_l("请填写单位名称（最多 120 字）"))]
    elif ReportingUnit.query.filter_by(community_id=community.id, name=name).first():
        errors["name"] = [str(_l("该单位已在本社区报到"))]
    phone = (values.get("phone") or "").replace(" ", "").replace("-", "")
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = [str(_l("电话号码格式不正确"))]
    if errors:
        raise Rejected(errors)
    unit = ReportingUnit(name=name, uscc=(values.get("uscc") or "").strip().upper(),
                         community_id=community.id,
                         contact_name=(values.get("contact_name") or "").strip()[:60],
                         created_by=user.id, **_phone_fields(phone))
    db.session.add(unit)
    db.session.flush()
    return unit


def join_link(user, community):
    """The community's join link, made on first asking (by those who keep its members)."""
    if community.level != "community" or not _keeps(user, community.id):
        raise Forbidden(_l("你不能发布这个社区的报到链接"))
    link = db.session.get(JoinLink, community.id)
    if link is None:
        link = JoinLink(community_id=community.id, token=secrets.token_urlsafe(32))
        db.session.add(link)
        db.session.flush()
    return link


def link_by_token(token):
    if not isinstance(token, str) or not 20 <= len(token) <= 43:
        return None
    link = JoinLink.query.filter_by(token=token, active=True).first()
    return link


def apply_to_join(link, values):
    """A party member registers through the community's link: an account in the member role,
    and an application for the secretary. Raises Rejected."""
    errors = {}
    username = (values.get("username") or "").strip()
    if User.query.filter(func.lower(User.username) == username.lower()).first():
        errors["username"] = [str(_l("用户名已存在"))]
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = [str(_l("请填写姓名"))]
    phone = (values.get("phone") or "").replace(" ", "").replace("-", "")
    if not PHONE_RE.match(phone):
        errors["phone"] = [str(_l("电话号码格式不正确"))]
    unit_id = values.get("unit_id") or None
    if unit_id and not ReportingUnit.query.filter_by(id=unit_id, community_id=link.community_id,
                                                     active=True).first():
        errors["unit_id"] = [str(_l("请选择本社区的报到单位"))]
    waiting = PartyMember.query.filter_by(community_id=link.community_id, state="pending").count()
    if waiting >= MAX_PENDING:
        errors["username"] = [str(_l("本社区待审核的申请过多，请稍后再试或联系社区"))]
    if errors:
        raise Rejected(errors)
    user = User(username=username, display_name=name, password_hash=hash_password(values["password"]),
                locale="zh_Hans")
    try:
        with db.session.begin_nested():  # two sign-ups racing for one name: the loser is told
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise Rejected({"username": [str(_l("用户名已存在"))]}) from None
    assign_role(user, "member", unit=db.session.get(OrgUnit, link.community_id))
    member = PartyMember(user_id=user.id, community_id=link.community_id, unit_id=unit_id, name=name,
                         phone_hash=privacy.keyed_hash(phone), **_phone_fields(phone))
    db.session.add(member)
    db.session.flush()
    return member


def decide_member(user, member, approve, note=""):
    if not _keeps(user, member.community_id):
        raise Forbidden(_l("你不能审核这位党员的报到"))
    if member.state != "pending":
        raise Rejected({"state": [str(_l("这份报到申请已处理"))]}, code="illegal")
    member.state = "approved" if approve else "rejected"
    member.decided_by, member.decided_at = user.id, clock.now()
    member.decision_note = (note or "").strip()[:200]
    db.session.flush()
    return member


def approved_member(user):
    if not may(user, "volunteer.serve"):
        return None
    return PartyMember.query.filter_by(user_id=user.id, state="approved").first()


def my_membership(user):
    return PartyMember.query.filter_by(user_id=user.id).first()


# --- needs, claims, service ------------------------------------------------------------------

def publish_need(user, community, values):
    if not _keeps(user, community.id):
        raise Forbidden(_l("你不能为这个社区发布需求"))
    errors = {}
    kind = values.get("kind")
    if kind not in NEED_LABELS:
        errors["kind"] = [str(_l("请选择需求类型"))]
    title = (values.get("title") or "").strip()
    if not title or len(title) > 120:
        errors["title"] = [str(_l("请填写标题（最多 120 字）"))]
    slots, hours = values.get("slots"), values.get("hours")
    if not isinstance(slots, int) or not 1 <= slots <= 500:
        errors["slots"] = [str(_l("名额为 1–500"))]
    if not isinstance(hours, int | float) or not 0.25 <= hours <= 24:
        errors["hours"] = [str(_l("每次服务时长为 0.25–24 小时"))]
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if starts and ends and ends < starts:
        errors["ends_on"] = [str(_l("结束日期不能早于开始日期"))]
    if errors:
        raise Rejected(errors)
    need = ServiceNeed(community_id=community.id, kind=kind, title=title,
                       detail=(values.get("detail") or "").strip()[:2000], starts_on=starts, ends_on=ends,
                       slots=slots, hours=float(hours), created_by=user.id)
    db.session.add(need)
    db.session.flush()
    return need


def close_need(user, need):
    if not _keeps(user, need.community_id):
        raise Forbidden(_l("你不能修改这个需求"))
    need.state = "closed"
    db.session.flush()


def _taken(need_id):
    # A claim sent back for more (returned) is still its member's: it keeps its place.
    return ServiceClaim.query.filter(ServiceClaim.need_id == need_id).count()


def claim(user, claim_id, data, at=None):
    """A member claims an open need of their community. Raises Rejected / Forbidden."""
    need_id = data.get("need_id")
    member = approved_member(user)
    if member is None:
        raise Forbidden(_l("社区审核通过后才能认领"))
    if not is_uuid(claim_id):
        raise Rejected({"record_id": [str(_l("记录编号必须是 UUID"))]})
    need = db.session.get(ServiceNeed, need_id) if isinstance(need_id, int) else None
    if need is None or need.community_id != member.community_id:
        raise Rejected({"need_id": [str(_l("需求不存在或不属于你的社区"))]}, code="not_found")
    if need.state != "open":
        raise Rejected({"need_id": [str(_l("这个需求已结束"))]}, code="need_closed")
    if db.session.get(ServiceClaim, claim_id) is not None:
        raise Conflict()
    mine = ServiceClaim.query.filter(ServiceClaim.need_id == need.id, ServiceClaim.member_id == member.id)
    if mine.first():
        raise Rejected({"need_id": [str(_l("你已认领过这个需求"))]}, code="exists")
    if _taken(need.id) >= need.slots:
        raise Rejected({"need_id": [str(_l("名额已满"))]}, code="full")
    row = ServiceClaim(id=claim_id, need_id=need.id, member_id=member.id, author_id=user.id,
                       claimed_at=clock.recorded_at(at))
    db.session.add(row)
    db.session.flush()
    return row


def log_service(user, claim_id, data, at=None):
    """The service done on one's claim (again after the secretary sent it back)."""
    row = db.session.get(ServiceClaim, claim_id) if isinstance(claim_id, str) else None
    if row is None or row.author_id != user.id or row.member_id is None:
        raise Rejected({"record_id": [str(_l("认领记录不存在或不是你的"))]}, code="not_found")
    if row.state not in ("claimed", "returned"):
        raise Rejected({"record_id": [str(_l("这次服务已记录，等待社区确认"))]}, code="illegal")
    errors = {}
    hours = data.get("hours")
    if not isinstance(hours, int | float) or isinstance(hours, bool) or not 0.25 <= hours <= 24:
        errors["hours"] = [str(_l("服务时长为 0.25–24 小时"))]
    note = str(data.get("note") or "").strip()
    if not note or len(note) > 1000:
        errors["note"] = [str(_l("请写明服务内容（最多 1000 字）"))]
    if errors:
        raise Rejected(errors)
    photos = own_photos(user, data.get("photos"))
    row.hours, row.note, row.photos = round(float(hours), 2), note, photos
    row.state, row.logged_at = "logged", clock.recorded_at(at)
    db.session.flush()
    return row


def confirm(user, row, accept, note=""):
    """The secretary confirms the service logged, or sends it back with a reason."""
    if not _keeps(user, row.need.community_id):
        raise Forbidden(_l("你不能确认这次服务"))
    if row.state != "logged":
        raise Rejected({"state": [str(_l("只有已记录的服务可以确认"))]}, code="illegal")
    if not accept and not (note or "").strip():
        raise Rejected({"note": [str(_l("退回时请写明原因"))]})
    row.state = "confirmed" if accept else "returned"
    row.confirmed_by, row.confirmed_at = user.id, clock.now()
    row.return_note = "" if accept else note.strip()[:200]
    db.session.flush()
    return row


def record_unit_service(user, unit, need, hours, note):
    """A unit's service, recorded and confirmed at the desk (units have no phone of their own)."""
    if not (_keeps(user, need.community_id) and unit.community_id == need.community_id):
        raise Forbidden(_l("你不能为这个单位记录服务"))
    if not isinstance(hours, int | float) or not 0.25 <= hours <= 1000:
        raise Rejected({"hours": [str(_l("服务时长为 0.25–1000 小时"))]})
    if not (note or "").strip():
        raise Rejected({"note": [str(_l("请写明服务内容（最多 1000 字）"))]})
    moment = clock.now()
    row = ServiceClaim(id=str(uuid.uuid4()), need_id=need.id, unit_id=unit.id, author_id=user.id,
                       state="confirmed", hours=round(float(hours), 2), note=note.strip()[:1000],
                       claimed_at=moment, logged_at=moment, confirmed_by=user.id, confirmed_at=moment)
    db.session.add(row)
    db.session.flush()
    return row


record_handler("service.claim", claim, lambda row: {"record_id": row.id, "state": row.state})
record_handler("service.log", log_service, lambda row: {"record_id": row.id, "state": row.state})


# --- what members and the office see ---------------------------------------------------------

def open_needs(community_id):
    return (ServiceNeed.query.filter_by(community_id=community_id, state="open")
            .order_by(ServiceNeed.starts_on.is_(None), ServiceNeed.starts_on, ServiceNeed.id).all())


def need_json(need, taken):
    return {"id": need.id, "kind": need.kind, "title": need.title, "detail": need.detail,
            "starts_on": need.starts_on.isoformat() if need.starts_on else None,
            "ends_on": need.ends_on.isoformat() if need.ends_on else None,
            "slots_left": max(0, need.slots - taken), "hours": need.hours}


def taken_counts(need_ids):
    if not need_ids:
        return {}
    q = (db.select(ServiceClaim.need_id, func.count())
         .where(ServiceClaim.need_id.in_(need_ids)).group_by(ServiceClaim.need_id))
    return dict(db.session.execute(q).all())


def my_claims(member):
    return (ServiceClaim.query.filter_by(member_id=member.id)
            .order_by(ServiceClaim.claimed_at.desc()).limit(100).all())


def claim_json(row):
    return {"id": row.id, "need_id": row.need_id, "title": row.need.title, "kind": row.need.kind,
            "state": row.state, "hours": row.hours, "return_note": row.return_note}


def month_range(month: date):
    start = month.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return clock.day_start(start), clock.day_start(end)


def confirmed_hours(month=None, **by):
    """Confirmed service hours (and services), optionally in one local month, for one member
    (member_id), unit (unit_id: the unit's own and its members') or community (community_id)."""
    q = db.select(func.coalesce(func.sum(ServiceClaim.hours), 0), func.count()).where(
        ServiceClaim.state == "confirmed")
    if month is not None:
        lo, hi = month_range(month)
        q = q.where(ServiceClaim.confirmed_at >= lo, ServiceClaim.confirmed_at < hi)
    if "member_id" in by:
        q = q.where(ServiceClaim.member_id == by["member_id"])
    if "unit_id" in by:
        members = db.select(PartyMember.id).where(PartyMember.unit_id == by["unit_id"])
        q = q.where(or_(ServiceClaim.unit_id == by["unit_id"], ServiceClaim.member_id.in_(members)))
    if "community_id" in by:
        q = q.join(ServiceNeed, ServiceNeed.id == ServiceClaim.need_id).where(
            ServiceNeed.community_id == by["community_id"])
    hours, count = db.session.execute(q).one()
    return round(float(hours or 0), 2), int(count or 0)


def hours_by_member(member_ids):
    """{member id: (hours, services)} of confirmed service, for a page of members at once."""
    if not member_ids:
        return {}
    rows = db.session.execute(
        db.select(ServiceClaim.member_id, func.coalesce(func.sum(ServiceClaim.hours), 0), func.count())
        .where(ServiceClaim.state == "confirmed", ServiceClaim.member_id.in_(list(member_ids)))
        .group_by(ServiceClaim.member_id))
    return {m: (round(float(h or 0), 2), int(n)) for m, h, n in rows}


def unit_month_rows(unit, month):
    """The unit's month for its home organisation: each confirmed service, by the unit or one of
    its members, with the hours."""
    lo, hi = month_range(month)
    members = db.select(PartyMember.id).where(PartyMember.unit_id == unit.id)
    mine = or_(ServiceClaim.unit_id == unit.id, ServiceClaim.member_id.in_(members))
    rows = (ServiceClaim.query.filter(ServiceClaim.state == "confirmed", ServiceClaim.confirmed_at >= lo,
                                      ServiceClaim.confirmed_at < hi, mine)
            .order_by(ServiceClaim.confirmed_at).all())
    table = [["日期", "服务者", "需求", "类型", "服务内容", "时长（小时）"]]
    for r in rows:
        who = r.member.name if r.member else unit.name
        table.append([clock.local_day(r.confirmed_at).isoformat(), who, r.need.title,
                      str(NEED_LABELS[r.need.kind]), r.note, r.hours])
    total = round(sum(r.hours for r in rows), 2)
    table.append(["合计", "", "", "", f"{len(rows)} 次", total])
    return table


def communities_kept(user):
    scope = scope_for(user)
    return [c for c in OrgUnit.query.filter_by(level="community").order_by(OrgUnit.code)
            if scope.covers_unit(c.id)]


def waiting_to_confirm(community_ids):
    return (ServiceClaim.query.join(ServiceNeed).filter(ServiceClaim.state == "logged",
                                                        ServiceNeed.community_id.in_(community_ids))
            .order_by(ServiceClaim.logged_at).all())


def volunteer_hours(user, month):
    """Riders' and members' volunteer hours in one place: for the month, in the user's scope."""
    scope = scope_for(user)
    riders = (User.query.join(RoleAssignment, RoleAssignment.user_id == User.id)
              .filter(RoleAssignment.role == "part_time", scope.grid_clause(RoleAssignment.grid_id))
              .distinct().order_by(User.username).all())
    lo, hi = month_range(month)
    rows = [("rider", u.display_name, round((volunteer_minutes(u, lo) - volunteer_minutes(u, hi)) / 60, 2))
            for u in riders]
    communities = [c.id for c in communities_kept(user)]
    members = PartyMember.query.filter(PartyMember.community_id.in_(communities),
                                       PartyMember.state == "approved").order_by(PartyMember.name).all()
    lo, hi = month_range(month)
    month_hours = dict(db.session.execute(
        db.select(ServiceClaim.member_id, func.coalesce(func.sum(ServiceClaim.hours), 0))
        .where(ServiceClaim.state == "confirmed", ServiceClaim.member_id.in_([m.id for m in members]),
               ServiceClaim.confirmed_at >= lo, ServiceClaim.confirmed_at < hi)
        .group_by(ServiceClaim.member_id)).all()) if members else {}
    rows += [("member", m.name, round(float(month_hours.get(m.id, 0)), 2)) for m in members]
    return rows


def parse_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_month(value):
    """The first day of a YYYY-MM month (this month when empty), or None when it is not one the
    app's clock can hold (2000–2099: a month's end must exist as a date)."""
    try:
        month = datetime.strptime(value, "%Y-%m").date() if value else clock.local_today().replace(day=1)
    except ValueError:
        return None
    return month if 2000 <= month.year <= 2099 else None
