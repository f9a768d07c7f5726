"""Duty completion: evidence flows in from what workers already record — patrols, check-ins,
registry records and updates, visits, events raised, on-site checks, survey answers and
publicity records — and is counted against the checklist version in force for the period."""
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func

from .. import clock
from ..events.models import Event, EventAction, EventCategory
from ..extensions import db
from ..patrols.models import CheckIn, Patrol
from ..registry.models import PersonTag, RecordRevision, RegistryRecord, Visit
from ..scope.permissions import roles_for
from .models import DutyChecklist

WORKER_ROLES = roles_for("duties.own")  # the full-time staff the checklist binds
# Evidence kinds recorded without anyone doing anything extra; the rest (survey_answer,
# publicity, manual) come from reports on tasks that cite the item.
AUTOMATIC = {"patrol", "checkin", "record_create", "record_update", "visit", "event_report",
             "event_check", "self_resolve"}


# Evidence kinds a feature that depends on duties counts itself (tasks: survey answers,
# publicity, manual reports), registered by its ``register``, so duties imports none of them:
# ``select(item, kind, lo, hi) -> (user column, SELECT user, amount)``.
_EVIDENCE_SOURCES: dict = {}
_CODE_SOURCES: list = []
# ``codes(user) -> {task id: duty code}`` for the open tasks a user works on (the phone adds
# reports still waiting in its outbox to the item they count toward).
_task_codes = None


def register_evidence(kinds, select):
    for kind in kinds:
        _EVIDENCE_SOURCES[kind] = select


def register_code_evidence(select):
    """Register ``select(item, lo, hi) -> (user column, query)``: records of another feature that
    name a duty item by its code (a completed 帮办 request, a confirmed service) and count
    toward it whatever the item's own kind of evidence."""
    if select not in _CODE_SOURCES:  # once, however many apps the process builds
        _CODE_SOURCES.append(select)


def register_task_codes(codes):
    global _task_codes
    _task_codes = codes


def task_codes(user) -> dict:
    return _task_codes(user) if _task_codes else {}


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


# Periods are local days, weeks and months (the configured zone): the clock owns them.
utc_midnight = clock.day_start
local_today = clock.local_today


def _evidence_select(item, lo, hi):
    """SELECT (user id, amount) rows of the item's evidence in [lo, hi) UTC, grouped by user."""
    kind = item.evidence
    flt = item.evidence_filter or {}
    if kind == "patrol":
        user, q = Patrol.worker_id, db.select(Patrol.worker_id, func.count()).where(
            Patrol.started_at >= lo, Patrol.started_at < hi)
    elif kind == "checkin":
        user, q = CheckIn.user_id, db.select(CheckIn.user_id, func.count()).where(
            CheckIn.at >= lo, CheckIn.at < hi)
    elif kind == "record_create":
        user, q = RegistryRecord.created_by, db.select(RegistryRecord.created_by, func.count()).where(
            RegistryRecord.created_at >= lo, RegistryRecord.created_at < hi,
            RegistryRecord.deleted_at.is_(None))
        if flt.get("kind"):
            q = q.where(RegistryRecord.kind == flt["kind"])
    elif kind == "record_update":
        user = RecordRevision.author_id
        q = db.select(user, func.count()).select_from(RecordRevision).where(
            RecordRevision.version > 1, RecordRevision.at >= lo, RecordRevision.at < hi)
        if flt.get("kind"):
            q = q.join(RegistryRecord, RegistryRecord.id == RecordRevision.record_id).where(
                RegistryRecord.kind == flt["kind"])
    elif kind == "visit":
        user = Visit.author_id
        q = db.select(user, func.count()).select_from(Visit).where(
            Visit.visited_at >= lo, Visit.visited_at < hi)
        if flt.get("kind"):
            q = q.join(RegistryRecord, RegistryRecord.id == Visit.record_id).where(
                RegistryRecord.kind == flt["kind"])
        if flt.get("tag"):
            q = q.where(db.exists().where(PersonTag.record_id == Visit.record_id,
                                          PersonTag.tag == flt["tag"]))
    elif kind == "event_report":
        user = Event.reporter_id
        q = db.select(user, func.count()).select_from(Event).where(
            Event.reported_at >= lo, Event.reported_at < hi, Event.deleted_at.is_(None))
        if flt.get("category"):
            q = q.join(EventCategory, EventCategory.id == Event.category_id).where(
                EventCategory.code.startswith(flt["category"]))
    elif kind in ("event_check", "self_resolve"):
        actions = ("check_pass", "check_fail") if kind == "event_check" else ("self_resolve",)
        user, q = EventAction.actor_id, db.select(EventAction.actor_id, func.count()).where(
            EventAction.action.in_(actions), EventAction.at >= lo, EventAction.at < hi)
    else:
        # survey_answer, publicity, manual: counted by the feature that records them (tasks).
        return _EVIDENCE_SOURCES[kind](item, kind, lo, hi)
    return user, q


def evidence_by_user(item, start: date, end: date, user_ids=None) -> dict:
    """{user id: amount} of the item's evidence between local dates [start, end): its own kind
    of evidence, plus the records that name it by code."""
    lo, hi = utc_midnight(start), utc_midnight(end)
    totals: dict = {}
    for user, q in [_evidence_select(item, lo, hi)] + [select(item, lo, hi) for select in _CODE_SOURCES]:
        if user_ids is not None:
            q = q.where(user.in_(list(user_ids)))
        rows: Sequence = db.session.execute(q.group_by(user)).all()
        for uid, n in rows:
            totals[uid] = totals.get(uid, 0) + int(n or 0)
    return totals


def count_evidence(user_id, item, start: date, end: date) -> int:
    return evidence_by_user(item, start, end, [user_id]).get(user_id, 0)


def progress(user_id, day: date):
    """Per item of the checklist in force: (item, period, count, percent)."""
    checklist = checklist_for(day)
    if checklist is None:
        return None, []
    rows = []
    for item in checklist.items:
        start, end = period(item.frequency, day)
        n = count_evidence(user_id, item, start, end)
        pct = 100.0 if item.target == 0 else round(min(100.0, 100.0 * n / item.target), 0)
        rows.append((item, (start, end), n, pct))
    return checklist, rows
