"""The indicators cities are judged by (GB/T 30428.4), per street, community, grid, department or
worker and period. Every formula is in docs/indicators.md; this module is the one place they are
computed, from the events, their moves and stages, and the 12345 call-backs."""
from collections import defaultdict
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from .. import clock
from ..auth.models import RoleAssignment, User
from ..events.models import Event, EventAction, EventCategory, EventStage
from ..events.workflow import OPEN_STATES
from ..extensions import db
from ..hotline.models import HotlineOrder
from ..org.models import Department, Grid, OrgUnit
from .models import IndicatorThreshold

INDICATORS = {
    "on_time_close": _l("按期结案率"), "close": _l("结案率"), "rework": _l("返工率"),
    "stage_register": _l("立案按时率"), "stage_dispatch": _l("派遣按时率"), "stage_handle": _l("处置按时率"),
    "stage_check": _l("核查按时率"), "valid_report": _l("有效上报率"), "missed_report": _l("漏报率"),
    "satisfaction": _l("满意率"),
}
LOWER_IS_BETTER = {"rework", "missed_report"}
# (good, poor) in %: practice in assessed cities, changed by the command centre.
DEFAULT_THRESHOLDS = {"on_time_close": (90, 75), "close": (90, 75), "rework": (5, 15),
                      "stage_register": (95, 80), "stage_dispatch": (95, 80), "stage_handle": (90, 75),
                      "stage_check": (95, 80), "valid_report": (90, 75), "missed_report": (10, 25),
                      "satisfaction": (90, 75)}
GROUPS = {"street": _l("街道"), "community": _l("社区"), "grid": _l("网格"), "department": _l("部门"),
          "worker": _l("网格员")}
FIELD_ROLES = ("grid_worker", "grid_leader", "officer")
DEFERRING = ("approve_hold", "approve_extension")


def thresholds():
    stored = {t.indicator: (t.good, t.poor) for t in IndicatorThreshold.query}
    return {k: stored.get(k, v) for k, v in DEFAULT_THRESHOLDS.items()}


def set_threshold(indicator, good, poor):
    if indicator not in INDICATORS:
        raise ValueError(indicator)
    row = db.session.get(IndicatorThreshold, indicator) or IndicatorThreshold(indicator=indicator)
    row.good, row.poor = float(good), float(poor)
    db.session.add(row)
    db.session.flush()


def rating(indicator, value, limits=None):
    """green | amber | red for a value against its thresholds (None: no figure)."""
    if value is None:
        return None
    good, poor = (limits or thresholds())[indicator]
    if indicator in LOWER_IS_BETTER:
        return "green" if value <= good else "red" if value > poor else "amber"
    return "green" if value >= good else "red" if value < poor else "amber"


def _pct(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def _grids(scope_clause):
    return {g.id: g for g in Grid.query.filter(scope_clause)}


def compute(scope_clause, start: date, end: date, by="street"):
    """Rows of every indicator for [start, end] (local days), grouped ``by`` street, community,
    grid, department or worker, with the total. Scope is a clause on Grid.id."""
    lo, hi = clock.day_range(start, end)
    grids = _grids(scope_clause)
    ids = list(grids)
    if not ids:
        return [], {}
    reported = Event.query.filter(Event.grid_id.in_(ids), Event.deleted_at.is_(None),
                                  Event.reported_at >= lo, Event.reported_at < hi).all()
    due = Event.query.filter(Event.grid_id.in_(ids), Event.deleted_at.is_(None),
                             Event.deadline_at >= lo, Event.deadline_at < hi).all()
    touched = {e.id for e in reported} | {e.id for e in due}
    deferred = set()
    if touched:
        deferred = {a.event_id for a in EventAction.query.filter(EventAction.event_id.in_(touched),
                                                                 EventAction.action.in_(DEFERRING))}
    stages = db.session.execute(
        db.select(EventStage.stage, EventStage.outcome, Event.grid_id, Event.department_id, Event.reporter_id)
        .join(Event, Event.id == EventStage.event_id)
        .where(EventStage.ended_at >= lo, EventStage.ended_at < hi, Event.grid_id.in_(ids))).all()
    calls = db.session.execute(
        db.select(Event.id, Event.grid_id, Event.department_id, Event.reporter_id, HotlineOrder.reached,
                  HotlineOrder.satisfied)
        .join(HotlineOrder, HotlineOrder.event_id == Event.id)
        .where(Event.grid_id.in_(ids), HotlineOrder.callback_at >= lo, HotlineOrder.callback_at < hi)).all()
    workers = defaultdict(set)  # grid -> its field staff
    staff = db.select(RoleAssignment.user_id, RoleAssignment.grid_id).where(
        RoleAssignment.grid_id.in_(ids), RoleAssignment.role.in_(FIELD_ROLES))
    for user_id, grid_id in db.session.execute(staff):
        workers[grid_id].add(user_id)

    def keys_of(grid_id, department_id=None, reporter_id=None):
        grid = grids[grid_id]
        if by == "department":
            return [department_id] if department_id else []
        if by == "worker":
            return [reporter_id] if reporter_id in workers[grid_id] else []
        return [{"street": grid.street_id, "community": grid.community_id, "grid": grid_id}[by]]

    bucket: defaultdict = defaultdict(lambda: defaultdict(int))

    def add(keys, name, n=1):
        for key in keys + ["__total__"]:
            bucket[key][name] += n

    for e in reported:
        keys = keys_of(e.grid_id, e.department_id, e.reporter_id)
        add(keys, "reported")
        if e.state not in ("refused", "merged"):
            add(keys, "valid")
        if e.state not in ("reported", "refused", "merged", "self_resolved"):
            add(keys, "filed")
            if e.state == "closed":
                add(keys, "closed")
        if e.state == "closed" or e.rework_count:
            add(keys, "handled")
            if e.rework_count:
                add(keys, "reworked")
        # Found by others first: not reported by one of the grid's own field staff.
        grid_keys = keys if by != "worker" else [w for w in workers[e.grid_id]]
        add(grid_keys, "grid_events")
        if e.reporter_id not in workers[e.grid_id]:
            add(grid_keys, "missed")
    now = clock.now()
    for e in due:
        if e.id in deferred:
            continue
        keys = keys_of(e.grid_id, e.department_id, e.reporter_id)
        if e.state == "closed" or e.deadline_at <= now:
            add(keys, "due")
            if e.state == "closed" and e.close_type == "on_time":
                add(keys, "due_on_time")
    for stage, outcome, grid_id, department_id, reporter_id in stages:
        keys = keys_of(grid_id, department_id, reporter_id)
        add(keys, f"{stage}_all")
        if outcome == "on_time":
            add(keys, f"{stage}_on_time")
    for _id, grid_id, department_id, reporter_id, reached, satisfied in calls:
        if reached:
            keys = keys_of(grid_id, department_id, reporter_id)
            add(keys, "called")
            if satisfied:
                add(keys, "satisfied")

    def figures(b):
        return {
            "on_time_close": _pct(b["due_on_time"], b["due"]), "close": _pct(b["closed"], b["filed"]),
            "rework": _pct(b["reworked"], b["handled"]),
            **{f"stage_{s}": _pct(b[f"{s}_on_time"], b[f"{s}_all"])
               for s in ("register", "dispatch", "handle", "check")},
            "valid_report": _pct(b["valid"], b["reported"]),
            "missed_report": _pct(b["missed"], b["grid_events"]),
            "satisfaction": _pct(b["satisfied"], b["called"]),
            "events": b["reported"],
        }

    names = _names(by, [k for k in bucket if k != "__total__"])
    rows = [{"key": k, "name": names.get(k, "—"), **figures(b)}
            for k, b in bucket.items() if k != "__total__"]
    rows.sort(key=lambda r: str(r["name"]))
    return rows, figures(bucket["__total__"])


def _names(by, keys):
    if by == "grid":
        return {g.id: g.name for g in Grid.query.filter(Grid.id.in_(keys))}
    if by == "department":
        return {d.id: d.name for d in Department.query.filter(Department.id.in_(keys))}
    if by == "worker":
        return {u.id: u.display_name for u in User.query.filter(User.id.in_(keys))}
    return {u.id: u.name for u in OrgUnit.query.filter(OrgUnit.id.in_(keys))}


def month_starts(today, months):
    """The first days of the last ``months`` local months, oldest first."""
    starts = [today.replace(day=1)]
    while len(starts) < months:
        starts.insert(0, (starts[0] - timedelta(days=1)).replace(day=1))
    return starts


def trend(scope_clause, months=6, today=None):
    """The totals for each of the last ``months`` local months, oldest first."""
    today = today or clock.local_today()
    out = []
    for start in month_starts(today, months):
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        _rows, total = compute(scope_clause, start, min(end, today), by="street")
        out.append((start, total))
    return out


def heat(scope_clause, category_prefix=None):
    """Open events per grid (of one major category, by code prefix), for the heat map."""
    q = db.select(Event.grid_id, db.func.count()).where(Event.state.in_(OPEN_STATES),
                                                        Event.deleted_at.is_(None))
    if category_prefix:
        q = q.join(EventCategory, EventCategory.id == Event.category_id).where(
            EventCategory.code.startswith(category_prefix))
    counts = dict(db.session.execute(q.where(Event.grid_id.in_(list(_grids(scope_clause)))).group_by(
        Event.grid_id)).all())
    return counts
