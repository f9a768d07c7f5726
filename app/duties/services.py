"""Duty completion: evidence flows in from what workers already record — patrols, check-ins,
registry records and updates, visits, events raised, on-site checks — and is counted against
the checklist version in force for the period."""
from datetime import date, datetime, timedelta

from sqlalchemy import func

from ..events.models import Event, EventAction, EventCategory
from ..extensions import db
from ..patrols.models import CheckIn, Patrol
from ..registry.models import PersonTag, RecordRevision, RegistryRecord, Visit
from .models import DutyChecklist

LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai: periods are local days, weeks and months
AUTOMATIC = {"patrol", "checkin", "record_create", "record_update", "visit", "event_report",
             "event_check", "self_resolve"}


def checklist_for(day: date):
    """The checklist version in force on ``day``."""
    return (DutyChecklist.query.filter(DutyChecklist.valid_from <= day)
            .order_by(DutyChecklist.valid_from.desc()).first())


def period(frequency: str, day: date):
    """[start, end) in local dates for the item's period containing ``day``."""
    if frequency == "daily":
        return day, day + timedelta(days=1)
    if frequency == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _utc(d: date):
    return datetime.combine(d, datetime.min.time()) - LOCAL_OFFSET


def count_evidence(user_id, item, start: date, end: date) -> int:
    kind = item.evidence
    flt = item.evidence_filter or {}
    lo, hi = _utc(start), _utc(end)
    q = None
    if kind == "patrol":
        q = db.select(func.count()).select_from(Patrol).where(
            Patrol.worker_id == user_id, Patrol.started_at >= lo, Patrol.started_at < hi)
    elif kind == "checkin":
        q = db.select(func.count()).select_from(CheckIn).where(
            CheckIn.user_id == user_id, CheckIn.at >= lo, CheckIn.at < hi)
    elif kind == "record_create":
        q = db.select(func.count()).select_from(RegistryRecord).where(
            RegistryRecord.created_by == user_id, RegistryRecord.created_at >= lo,
            RegistryRecord.created_at < hi, RegistryRecord.deleted_at.is_(None))
        if flt.get("kind"):
            q = q.where(RegistryRecord.kind == flt["kind"])
    elif kind == "record_update":
        q = db.select(func.count()).select_from(RecordRevision).join(
            RegistryRecord, RegistryRecord.id == RecordRevision.record_id).where(
            RecordRevision.author_id == user_id, RecordRevision.version > 1,
            RecordRevision.at >= lo, RecordRevision.at < hi)
        if flt.get("kind"):
            q = q.where(RegistryRecord.kind == flt["kind"])
    elif kind == "visit":
        q = db.select(func.count()).select_from(Visit).join(
            RegistryRecord, RegistryRecord.id == Visit.record_id).where(
            Visit.author_id == user_id, Visit.visited_at >= lo, Visit.visited_at < hi)
        if flt.get("kind"):
            q = q.where(RegistryRecord.kind == flt["kind"])
        if flt.get("tag"):
            q = q.where(db.exists().where(PersonTag.record_id == Visit.record_id,
                                          PersonTag.tag == flt["tag"]))
    elif kind == "event_report":
        q = db.select(func.count()).select_from(Event).join(EventCategory).where(
            Event.reporter_id == user_id, Event.reported_at >= lo, Event.reported_at < hi,
            Event.deleted_at.is_(None))
        if flt.get("category"):
            q = q.where(EventCategory.code.startswith(flt["category"]))
    elif kind in ("event_check", "self_resolve"):
        actions = ("check_pass", "check_fail") if kind == "event_check" else ("self_resolve",)
        q = db.select(func.count()).select_from(EventAction).where(
            EventAction.actor_id == user_id, EventAction.action.in_(actions),
            EventAction.at >= lo, EventAction.at < hi)
    return db.session.execute(q).scalar() if q is not None else 0


def progress(user_id, day: date):
    """Per item of the checklist in force: (item, period, count or None, percent or None).
    None: this kind of evidence is not yet recorded by the app."""
    checklist = checklist_for(day)
    if checklist is None:
        return None, []
    rows = []
    for item in checklist.items:
        start, end = period(item.frequency, day)
        if item.evidence not in AUTOMATIC:
            rows.append((item, (start, end), None, None))
            continue
        n = count_evidence(user_id, item, start, end)
        pct = 100.0 if item.target == 0 else round(min(100.0, 100.0 * n / item.target), 0)
        rows.append((item, (start, end), n, pct))
    return checklist, rows
