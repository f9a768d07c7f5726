"""Command-centre figures for a period: on-time dispatch, on-time close, rework, time to close,
per street, community or department. Computed from the events and their action log."""
from collections import defaultdict
from datetime import timedelta

from ..org.models import Department, Grid, OrgUnit
from . import workflow
from .models import Event, EventAction

# Dispatch counts as on time within one working day of the report (practice in the seed's city).
DISPATCH_WITHIN = timedelta(days=1)


def figures(events, actions_by_event):
    closed = [e for e in events if e.state == "closed"]
    dispatched = [e for e in events if e.dispatched_at]
    on_time_dispatch = [e for e in dispatched if e.dispatched_at - e.reported_at <= DISPATCH_WITHIN]
    hours = [(e.closed_at - e.reported_at).total_seconds() / 3600 for e in closed if e.closed_at]
    pct = lambda part, whole: round(100.0 * len(part) / len(whole), 1) if whole else None  # noqa: E731
    return {
        "events": len(events),
        "closed": len(closed),
        "on_time_dispatch_pct": pct(on_time_dispatch, dispatched),
        "on_time_close_pct": pct([e for e in closed if e.close_type == "on_time"], closed),
        "rework_pct": pct([e for e in closed if e.rework_count], closed),
        "mean_hours_to_close": round(sum(hours) / len(hours), 1) if hours else None,
        "whistles": sum(1 for e in events if any(a.action == "whistle" for a in actions_by_event[e.id])),
    }


def metrics(scope_clause, start, end, by):
    """Rows of figures grouped ``by`` street | community | department, for events reported in
    [start, end)."""
    events = (Event.query.filter(scope_clause, Event.deleted_at.is_(None), Event.reported_at >= start,
                                 Event.reported_at < end).all())
    actions = defaultdict(list)
    if events:
        for a in EventAction.query.filter(EventAction.event_id.in_([e.id for e in events])):
            actions[a.event_id].append(a)
    grids = {g.id: g for g in Grid.query.filter(Grid.id.in_({e.grid_id for e in events}))} if events else {}
    groups = defaultdict(list)
    for e in events:
        if by == "department":
            key = e.department_id
        elif by == "community":
            key = grids[e.grid_id].community_id
        else:
            key = grids[e.grid_id].street_id
        groups[key].append(e)
    model = Department if by == "department" else OrgUnit
    names = {o.id: o.name for o in model.query.filter(model.id.in_([k for k in groups if k]))}
    rows = [{"name": names.get(key, "—"), **figures(evts, actions)} for key, evts in groups.items()]
    rows.sort(key=lambda r: r["name"])
    total = figures(events, actions)
    return rows, total


def open_counts(scope_clause):
    """Open events by state and level, by street; overdue; whistles still waiting."""
    open_events = Event.query.filter(scope_clause, Event.deleted_at.is_(None),
                                     Event.state.in_(workflow.OPEN_STATES)).all()
    by_state, by_street = defaultdict(int), defaultdict(int)
    grids = {g.id: g for g in Grid.query.filter(Grid.id.in_({e.grid_id for e in open_events}))} \
        if open_events else {}
    for e in open_events:
        by_state[(e.state, e.level)] += 1
        by_street[grids[e.grid_id].street.name] += 1
    return open_events, dict(by_state), dict(by_street)
