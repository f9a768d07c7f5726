"""Completion and assessment (考核) for a week or a month, per worker, grid, community and street.

Everything is computed with a fixed number of grouped queries (one per checklist item, plus
patrols, collection and events), whatever the number of workers, so a whole district's month
takes seconds. The score formula is documented in docs/assessment.md and configured by
``ASSESSMENT_FORMULA``; the defaults are below.
"""
import calendar
from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import case, func

from ..auth.models import RoleAssignment, User
from ..events.models import Event
from ..extensions import db
from ..org.models import Grid, OrgUnit
from ..patrols.models import Patrol
from ..registry.models import RecordRevision, RegistryRecord
from .services import WORKER_ROLES, checklist_for, evidence_by_user, local_today, period, utc_midnight

PERIOD_DAYS = {"daily": 1, "weekly": 7}
DEFAULT_FORMULA = {
    # Points out of 100, shared in these proportions.
    "weights": {"completion": 50, "patrol": 20, "collection": 15, "timeliness": 15},
    # Full marks for patrol time and for collection at these amounts per month (pro-rated).
    "patrol_hours_per_month": 44,
    "collections_per_month": 30,
}


def formula():
    configured = current_app.config.get("ASSESSMENT_FORMULA") or {}
    merged = {**DEFAULT_FORMULA, **configured}
    merged["weights"] = {**DEFAULT_FORMULA["weights"], **configured.get("weights", {})}
    return merged


def period_bounds(kind: str, day: date):
    """[start, end) of the week (Monday first) or month containing ``day``."""
    return period("weekly" if kind == "week" else "monthly", day)


def expected_amount(item, days: int, month_days: int) -> float:
    """What the item asks for over ``days`` days: its target times the share of its period."""
    period_days = PERIOD_DAYS.get(item.frequency, month_days)
    return item.target * days / period_days


def scored(item) -> bool:
    """Items in the completion average: with a target, and evidence that comes by itself or from
    tasks of a known kind. 'As needed' items (target 0) and manual items are shown, not scored."""
    return item.target > 0 and item.evidence != "manual"


def _workers(grid_ids):
    """{user id: grid id} of the full-time workers on these grids (a worker on several grids is
    counted once, at the first)."""
    rows = db.session.execute(
        db.select(RoleAssignment.user_id, RoleAssignment.grid_id)
        .where(RoleAssignment.role.in_(sorted(WORKER_ROLES)), RoleAssignment.grid_id.in_(grid_ids))
        .order_by(RoleAssignment.grid_id)).all()
    found = {}
    for user_id, grid_id in rows:
        found.setdefault(user_id, grid_id)
    return found


def _limit(user_ids):
    # Small scopes filter by user in SQL; a district-wide run reads every row and picks after.
    return user_ids if len(user_ids) <= 500 else None


def _worker_row(user_id, grid_id, specs, patrol, collected, events, targets, weights, days):
    """One worker's line: per item done and share of target, the score's four parts, the score."""
    item_rows, pcts = {}, []
    for code, want, counts_in_score, amounts in specs:
        n = amounts.get(user_id, 0)
        pct = min(100.0, 100.0 * n / want) if want > 0 else None
        item_rows[code] = (n, pct)
        if counts_in_score and pct is not None:
            pcts.append(pct)
    completion = sum(pcts) / len(pcts) if pcts else 0.0
    n_patrols, seconds, coverage_sum = patrol
    hours = seconds / 3600
    closed, on_time = events
    parts = {
        "completion": completion / 100,
        "patrol": min(1.0, hours / targets["patrol"]) if targets["patrol"] else 0.0,
        "collection": min(1.0, collected / targets["collection"]) if targets["collection"] else 0.0,
        "timeliness": on_time / closed if closed else 1.0,
    }
    weight_sum = sum(weights.values()) or 1
    score = 100 * sum(weights[k] * parts[k] for k in weights) / weight_sum if days else 0.0
    return {
        "user_id": user_id, "grid_id": grid_id, "completion": round(completion, 1),
        "patrols": n_patrols, "patrol_hours": round(hours, 2),
        "coverage": round(coverage_sum / n_patrols, 1) if n_patrols else None,
        "collections": collected, "events_closed": closed, "on_time": on_time,
        "timeliness": round(100 * on_time / closed, 1) if closed else None,
        "parts": parts, "score": round(score, 1), "items": item_rows,
    }


def _patrol_totals(ids, lo, hi):
    """Closed patrols per worker: (count, seconds, summed coverage %)."""
    q = (db.select(Patrol.worker_id, func.count(), func.sum(Patrol.duration_s),
                   func.sum(Patrol.coverage_pct))
         .where(Patrol.started_at >= lo, Patrol.started_at < hi, Patrol.status == "closed")
         .group_by(Patrol.worker_id))
    if _limit(ids):
        q = q.where(Patrol.worker_id.in_(ids))
    return {u: (n, s or 0, c or 0.0) for u, n, s, c in db.session.execute(q) if u in ids}


def _collection_counts(ids, lo, hi):
    """Records created plus records updated, per worker."""
    collections = defaultdict(int)
    creates = (db.select(RegistryRecord.created_by, func.count())
               .where(RegistryRecord.created_at >= lo, RegistryRecord.created_at < hi,
                      RegistryRecord.deleted_at.is_(None)).group_by(RegistryRecord.created_by))
    updates = (db.select(RecordRevision.author_id, func.count())
               .where(RecordRevision.version > 1, RecordRevision.at >= lo, RecordRevision.at < hi)
               .group_by(RecordRevision.author_id))
    for q in (creates, updates):
        for u, n in db.session.execute(q):
            if u in ids:
                collections[u] += n
    return collections


def _closed_events(grid_ids, lo, hi):
    """Events closed per grid: (closed, closed on time)."""
    q = (db.select(Event.grid_id, func.count(),
                   func.sum(case((Event.close_type == "on_time", 1), else_=0)))
         .where(Event.state == "closed", Event.closed_at >= lo, Event.closed_at < hi,
                Event.deleted_at.is_(None)).group_by(Event.grid_id))
    if len(grid_ids) <= 500:
        q = q.where(Event.grid_id.in_(grid_ids))
    return {g: (n, int(k or 0)) for g, n, k in db.session.execute(q)}


def assess(grid_ids, kind="month", day=None, today=None):
    """The assessment of the workers on ``grid_ids`` for the week or month containing ``day``."""
    today = today or local_today()
    day = day or today
    start, end = period_bounds(kind, day)
    until = min(end, today + timedelta(days=1))  # a running period is judged on the days so far
    days = max(0, (until - start).days)
    month_days = calendar.monthrange(start.year, start.month)[1]
    f = formula()
    grid_ids = list(grid_ids)
    workers = _workers(grid_ids) if grid_ids else {}
    ids = set(workers)
    checklist = checklist_for(start)
    items = [i for i in checklist.items] if checklist else []
    lo, hi = utc_midnight(start), utc_midnight(until)

    per_item, patrol, collections, events = {}, {}, defaultdict(int), {}
    if days and ids:
        for item in items:
            counts = evidence_by_user(item, start, until, _limit(ids))
            per_item[item.code] = {u: n for u, n in counts.items() if u in ids}
        patrol = _patrol_totals(ids, lo, hi)
        collections = _collection_counts(ids, lo, hi)
    if days and grid_ids:
        events = _closed_events(grid_ids, lo, hi)

    expected = {i.code: expected_amount(i, days, month_days) for i in items}
    share = days / month_days if month_days else 0
    targets = {"patrol": f["patrol_hours_per_month"] * share,
               "collection": f["collections_per_month"] * share}
    # Plain tuples for the inner loop: thousands of workers × 42 items.
    specs = [(i.code, expected[i.code], scored(i), per_item.get(i.code, {})) for i in items]
    worker_rows = [
        _worker_row(user_id, grid_id, specs, patrol.get(user_id, (0, 0, 0.0)), collections[user_id],
                    events.get(grid_id, (0, 0)), targets, f["weights"], days)
        for user_id, grid_id in workers.items()]
    patrol_target, collection_target = targets["patrol"], targets["collection"]
    _name_workers(worker_rows)
    return {
        "grid_ids": grid_ids,
        "kind": kind, "start": start, "end": end, "until": until, "days": days, "checklist": checklist,
        "last_day": end - timedelta(days=1), "through": until - timedelta(days=1),
        "items": items, "expected": expected, "formula": f, "workers": worker_rows, "events": events,
        "patrol_target": patrol_target, "collection_target": collection_target,
    }


def _name_workers(rows):
    if not rows:
        return
    names = dict(db.session.execute(db.select(User.id, User.display_name)
                                    .where(User.id.in_([r["user_id"] for r in rows]))).all())
    for r in rows:
        r["name"] = names.get(r["user_id"], "—")
    rows.sort(key=lambda r: (-r["score"], r["name"]))


def roll_up(result, key_of_grid, grid_ids_by_key, names):
    """Rows for groups of grids (grids, communities or streets): means of the workers'
    completion and score, sums of patrol time and collection, timeliness over the group's events."""
    groups = defaultdict(list)
    for r in result["workers"]:
        groups[key_of_grid[r["grid_id"]]].append(r)
    rows = []
    for key, grid_ids in grid_ids_by_key.items():
        members = groups.get(key, [])
        closed = sum(result["events"].get(g, (0, 0))[0] for g in grid_ids)
        on_time = sum(result["events"].get(g, (0, 0))[1] for g in grid_ids)
        patrols = sum(r["patrols"] for r in members)
        coverage = [r["coverage"] * r["patrols"] for r in members if r["coverage"] is not None]
        n = len(members)
        items = {}
        for code in (members[0]["items"] if members else {}):
            pcts = [r["items"][code][1] for r in members if r["items"][code][1] is not None]
            items[code] = round(sum(pcts) / len(pcts), 1) if pcts else None
        rows.append({
            "key": key, "name": names.get(key, "—"), "workers": n,
            "completion": round(sum(r["completion"] for r in members) / n, 1) if n else None,
            "patrols": patrols, "patrol_hours": round(sum(r["patrol_hours"] for r in members), 2),
            "coverage": round(sum(coverage) / patrols, 1) if patrols else None,
            "collections": sum(r["collections"] for r in members),
            "events_closed": closed, "on_time": on_time,
            "timeliness": round(100 * on_time / closed, 1) if closed else None,
            "score": round(sum(r["score"] for r in members) / n, 1) if n else None,
            "items": items,
        })
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"]))
    return rows


def item_summary(result):
    """Per item across the workers: (item, expected per worker, mean completion %, total amount)."""
    rows = []
    n = len(result["workers"]) or 1
    for item in result["items"]:
        amounts = [r["items"][item.code] for r in result["workers"]]
        pcts = [p for _, p in amounts if p is not None]
        rows.append((item, result["expected"][item.code],
                     round(sum(pcts) / n, 1) if pcts else None, sum(a for a, _ in amounts)))
    return rows


def grids_under(unit: OrgUnit, visible=None):
    """Grid ids inside ``unit`` (limited to ``visible`` ids when given)."""
    column = {"district": Grid.district_id, "street": Grid.street_id,
              "community": Grid.community_id}[unit.level]
    q = db.select(Grid.id).where(column == unit.id)
    ids = [g for (g,) in db.session.execute(q)]
    return [g for g in ids if visible is None or g in visible]


def breakdown(unit: OrgUnit, result):
    """Rows one level below ``unit``: streets of a district, communities of a street, grids of a
    community; with the same figures for the unit as a whole."""
    grid_ids = {r["grid_id"] for r in result["workers"]} | set(result.get("grid_ids", []))
    grids = Grid.query.filter(Grid.id.in_(grid_ids)).all() if grid_ids else []
    child = {"district": "street_id", "street": "community_id", "community": "id"}[unit.level]
    key_of_grid = {g.id: getattr(g, child) for g in grids}
    by_key = defaultdict(list)
    for g in grids:
        by_key[key_of_grid[g.id]].append(g.id)
    if child == "id":
        names = {g.id: g.name for g in grids}
    else:
        names = dict(db.session.execute(db.select(OrgUnit.id, OrgUnit.name)
                                        .where(OrgUnit.id.in_(list(by_key)))).all())
    rows = roll_up(result, key_of_grid, by_key, names)
    total = roll_up(result, {g.id: unit.id for g in grids}, {unit.id: [g.id for g in grids]},
                    {unit.id: unit.name})[0]
    return rows, total, child
