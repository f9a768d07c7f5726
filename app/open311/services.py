"""Open311 GeoReport v2: the catalogue as services, requests in (each an event with its source
recorded, placed in a grid by its point) and requests out, with no personal data.

Public answers show a request's status, category, time, department and a coarse point. The
description and status notes are shown only for requests that came in through Open311 (the
caller's own words); others show their category, since a worker's notes may name people.
Categories about people (治安隐患, 矛盾纠纷) are neither offered nor listed."""
import hashlib
import re
import secrets
import uuid
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, update

from .. import clock
from ..auth.models import User
from ..auth.services import hash_password
from ..errors import DomainError
from ..events.models import Event, EventAction, EventCategory
from ..events.workflow import OPEN_STATES
from ..extensions import db
from ..org.services import locate_grid
from ..registry import privacy
from ..sync.services import log_change
from .models import ApiKey

# Security tips and disputes (about people) and enterprises' needs: neither offered nor listed.
PRIVATE_GROUPS = ("ZA", "MD", "QY")
SOURCE = "open311"
MAX_RESULTS = 1000


class Open311Error(DomainError):
    """An answer in GeoReport's error format: [{"code": status, "description": …}]."""

    def __init__(self, status, message):
        super().__init__(message, code=str(status), status=status)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(user, name, per_minute=60):
    """A new key for a calling system: returned once in clear, stored only as its hash."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Open311Error(400, _l("请填写调用系统的名称（最多 120 字）"))
    if not isinstance(per_minute, int) or not 1 <= per_minute <= 6000:
        raise Open311Error(400, _l("每分钟限额为 1–6000"))
    key = secrets.token_urlsafe(32)
    account = User(username=f"open311-{secrets.token_hex(4)}", display_name=f"Open311 · {name}",
                   password_hash=hash_password(secrets.token_urlsafe(32)), locale="zh_Hans")
    db.session.add(account)
    db.session.flush()
    row = ApiKey(name=name, key_hash=_digest(key), key_prefix=key[:8], user_id=account.id,
                 per_minute=per_minute, created_by=user.id)
    db.session.add(row)
    db.session.flush()
    return row, key


def revoke_key(row):
    row.revoked_at = row.revoked_at or clock.now()
    db.session.flush()


def key_for(value):
    """The live key a caller sent, counted against its limit. Raises Open311Error."""
    if not isinstance(value, str) or not value:
        raise Open311Error(403, _l("缺少 api_key"))
    row = ApiKey.query.filter_by(key_hash=_digest(value[:200])).first()
    if row is None or row.revoked_at is not None:
        raise Open311Error(403, _l("api_key 无效或已吊销"))
    moment = clock.now()
    minute = moment.replace(second=0, microsecond=0)
    count = db.session.execute(
        update(ApiKey).where(ApiKey.id == row.id).values(
            window_count=case((ApiKey.window_start == minute, ApiKey.window_count + 1), else_=1),
            window_start=minute, last_used_at=moment).returning(ApiKey.window_count)).scalar_one()
    if count > row.per_minute:
        raise Open311Error(429, _l("请求过于频繁，请一分钟后再试"))
    return row


def _public_categories():
    majors = {c.id: c for c in EventCategory.query.filter(EventCategory.parent_id.is_(None))}
    subs = (EventCategory.query.filter(EventCategory.parent_id.isnot(None), EventCategory.active.is_(True))
            .order_by(EventCategory.parent_id, EventCategory.sort_order).all())
    public = {i: m for i, m in majors.items() if m.active and m.code not in PRIVATE_GROUPS}
    return [(s, public[s.parent_id]) for s in subs if s.parent_id in public]


def services():
    return [{"service_code": s.code, "service_name": s.name, "description": f"{m.name} / {s.name}",
             "metadata": False, "type": "realtime",
             "keywords": ",".join(k for k in (m.name, s.national and f"GB/T 30428.2 {s.national}") if k),
             "group": m.name}
            for s, m in _public_categories()]


def service_definition(code):
    if code not in {s.code for s, _m in _public_categories()}:
        raise Open311Error(404, _l("没有这项服务"))
    return {"service_code": code, "attributes": []}


def _number(value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high and number == number else None


def create_request(key, form):
    """A request from a calling system: an event in the grid its point falls in."""
    category = next((s for s, _m in _public_categories() if s.code == form.get("service_code")), None)
    if category is None:
        raise Open311Error(400, _l("service_code 无效"))
    lat, lon = _number(form.get("lat"), -90, 90), _number(form.get("long"), -180, 180)
    if lat is None or lon is None:
        raise Open311Error(400, _l("需要有效的 lat 和 long"))
    description = str(form.get("description") or "").strip()
    if not description:
        raise Open311Error(400, _l("需要 description"))
    if len(description) > 4000 or any("\x00" in str(v) for v in form.values()):
        raise Open311Error(400, _l("description 过长或含有空字符"))
    grid = locate_grid(lon, lat)
    if grid is None:
        raise Open311Error(400, _l("该位置不在本辖区的任何网格内"))
    address = privacy.mask_numbers_in_text(str(form.get("address_string") or "").strip()[:200])
    event = Event(id=str(uuid.uuid4()), category_id=category.id,
                  description=description + (f"（{address}）" if address else ""), lon=lon, lat=lat,
                  grid_id=grid.id, urgency="normal", source=SOURCE, reporter_id=key.user_id,
                  state="reported", level="community", reported_at=clock.now(), version=1)
    db.session.add(event)
    log_change("event", event.id, grid_id=grid.id, owner_id=key.user_id)
    db.session.flush()
    return event


def _iso(moment):
    """Stored UTC as ISO 8601 with its zone, as GeoReport asks."""
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def request_json(event, last_note=None):
    own = event.source == SOURCE
    closed = event.state not in OPEN_STATES
    return {
        "service_request_id": event.id,
        "status": "closed" if closed else "open",
        # Staff notes may name people: the public hears only how it ended.
        "status_notes": str(CLOSED_NOTES.get(event.state, "")) if own and closed else "",
        "service_name": event.category.name,
        "service_code": event.category.code,
        "description": privacy.mask_numbers_in_text(event.description) if own else event.category.full_name,
        "agency_responsible": event.department.name if event.department else "",
        "service_notice": "",
        "requested_datetime": _iso(event.reported_at),
        "updated_datetime": _iso(event.updated_at),
        "expected_datetime": _iso(event.deadline_at),
        "address": event.grid.name,
        "address_id": "",
        "zipcode": "",
        # A coarse point (about 100 m) for what a worker reported; the caller's own as sent.
        "lat": event.lat if own else round(event.lat, 3),
        "long": event.lon if own else round(event.lon, 3),
        "media_url": "",
    }


CLOSED_NOTES = {"closed": _l("已办结"), "refused": _l("不予受理"), "merged": _l("已并入同一问题的案件")}


def _public_events():
    majors = db.select(EventCategory.id).where(EventCategory.parent_id.is_(None),
                                               EventCategory.code.in_(PRIVATE_GROUPS))
    hidden = db.select(EventCategory.id).where(EventCategory.parent_id.in_(majors))
    return Event.query.filter(Event.deleted_at.is_(None), Event.category_id.notin_(hidden),
                              Event.subject_id.is_(None))  # an enterprise's case is not the public's


def _last_notes(events):
    ids = [e.id for e in events if e.source == SOURCE and e.state not in OPEN_STATES]
    if not ids:
        return {}
    return {a.event_id: a.note for a in EventAction.query.filter(EventAction.event_id.in_(ids))
            .order_by(EventAction.id)}


def find_requests(args):
    """GET requests: by ids, or by service codes, status and a time window (90 days by default)."""
    query = _public_events()
    ids = [i.strip() for i in (args.get("service_request_id") or "").split(",") if i.strip()][:MAX_RESULTS]
    if ids:
        query = query.filter(Event.id.in_(ids))
    else:
        codes = [c.strip() for c in (args.get("service_code") or "").split(",") if c.strip()]
        if codes:
            query = query.join(EventCategory, EventCategory.id == Event.category_id).filter(
                EventCategory.code.in_(codes))
        end = _when(args.get("end_date"), "end_date") or clock.now()
        start = _when(args.get("start_date"), "start_date") or end - timedelta(days=90)
        query = query.filter(Event.reported_at >= start, Event.reported_at <= end)
        status = set((args.get("status") or "").split(",")) - {""}
        if status - {"open", "closed"}:
            raise Open311Error(400, _l("status 只能是 open 或 closed"))
        if status == {"open"}:
            query = query.filter(Event.state.in_(OPEN_STATES))
        elif status == {"closed"}:
            query = query.filter(Event.state.notin_(OPEN_STATES))
    events = query.order_by(Event.reported_at.desc()).limit(MAX_RESULTS).all()
    notes = _last_notes(events)
    return [request_json(e, notes.get(e.id)) for e in events]


def _when(value, name):
    if not value:
        return None
    zoned = isinstance(value, str) and (value.endswith("Z") or re.search(r"[+-]\d\d:?\d\d$", value))
    moment = clock.client_time(value) if zoned else None
    if moment is None:
        raise Open311Error(400, _l("%(n)s 须为带时区的 ISO 8601 时间", n=name))
    return moment


def one_request(request_id):
    found = find_requests({"service_request_id": request_id})
    if not found:
        raise Open311Error(404, _l("没有这条请求"))
    return found
