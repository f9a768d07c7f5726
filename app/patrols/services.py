"""Patrol logic shared by the pages and the sync API: start, trace chunks, gaps, check-ins,
stop (or close an abandoned patrol), the summary and the flags supervisors look at."""
from datetime import UTC, datetime

import numpy as np
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import defer, joinedload

from .. import clock
from ..clock import client_time
from ..errors import Conflict, Forbidden, Rejected
from ..events.models import Event
from ..extensions import db
from ..media.services import media_owners, photo_holder
from ..org.services import locate_grid
from ..registry.models import RegistryRecord
from ..scope.permissions import may, roles_for
from ..scope.services import VIEW, can_view, rule, scope_for
from ..sync.services import Staged, apply_staged, handler, stager
from . import codec
from .geo import coverage_pct, leg_lengths_m
from .models import CheckIn, Patrol, PatrolChunk, PatrolGap

PATROLLER_ROLES = roles_for("patrol.walk")
# Why a trace has no fixes for a while: the screen off, no usable GPS, or the walker on another
# page of the app (a report or a visit made during the patrol).
GAP_REASONS = ("hidden", "gps_lost", "left")
# What looks wrong in a trace (supervisors see these as flags).
TELEPORT_M_PER_S = 50.0  # a jump no vehicle in a street makes
FAST_M_PER_S = 12.0  # ~43 km/h, held over several fixes: nobody walks or rides an e-bike so
FAST_SEGMENTS = 3


now = clock.now


@photo_holder
def _checkin_photos(media):
    """A check-in's photo is seen with its patrol."""
    return [db.session.get(Patrol, c.patrol_id) for c in CheckIn.query.filter_by(
        photo_id=media.id, user_id=media.owner_id).limit(20) if c.patrol_id]


@rule(Patrol)
def patrol_rule(user, patrol, action):
    scope = scope_for(user)
    if patrol.worker_id == user.id:
        return True
    return action == VIEW and may(user, "patrol.supervise") and scope.covers_grid(patrol.grid_id)


def _epoch(dt):
    return dt.replace(tzinfo=UTC).timestamp()


def _seconds(delta):
    """A duration for an integer column: never negative, never past what the column holds
    (fix times from a broken phone clock can lie decades apart)."""
    return min(max(0, int(delta.total_seconds())), 2**31 - 1)


def _when(value, field):
    parsed = client_time(value)
    if parsed is None:
        raise Rejected({field: [str(_l("时间格式不正确"))]})
    return parsed


def _patrol_for_request(patrol_id):
    """The patrol, held for the rest of the request: a batch names it a dozen times, and the
    session keeps rows only weakly."""
    if not has_request_context():
        return db.session.get(Patrol, patrol_id)
    held = g.setdefault("_patrols_held", {})
    if held.get(patrol_id) is None:
        # Locked for the batch (PostgreSQL): a stop and a chunk of one patrol in two requests
        # at once take turns, so no chunk lands beside a trace already closed.
        held[patrol_id] = db.session.get(Patrol, patrol_id, with_for_update=True)
    return held[patrol_id]


def _own_open_patrol(user, patrol_id):
    patrol = _patrol_for_request(patrol_id)
    if patrol is None or patrol.worker_id != user.id:
        raise Rejected({"record_id": [str(_l("没有这次巡查"))]}, code="not_found")
    return patrol


def start_patrol(user, patrol_id, started_at, grid_id=None):
    if not may(user, "patrol.walk"):
        raise Forbidden(_l("你的角色不巡查网格"))
    if db.session.get(Patrol, patrol_id) is not None:
        raise Conflict()
    scope = scope_for(user)
    grid_id = grid_id or (min(scope.grid_ids) if scope.grid_ids else None)
    if grid_id is None or grid_id not in scope.grid_ids:
        raise Rejected({"grid_id": [str(_l("请选择你负责的网格"))]})
    patrol = Patrol(id=patrol_id, worker_id=user.id, grid_id=grid_id, started_at=started_at,
                    status="open", flags=[])
    db.session.add(patrol)
    db.session.flush()
    return patrol


def _valid_fix(fix):
    if not isinstance(fix, (list, tuple)) or len(fix) != 4:
        return False
    t, lon, lat, acc = fix
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (t, lon, lat)) \
        and -180 <= lon <= 180 and -90 <= lat <= 90 and (acc is None or isinstance(acc, (int, float)))


def _gaps(patrol, gaps):
    """(start, end, reason) of the gaps not yet recorded for this patrol."""
    found = []
    for gap in gaps or []:
        if not isinstance(gap, (list, tuple)) or len(gap) != 3 or gap[2] not in GAP_REASONS:
            raise Rejected({"gaps": [str(_l("间断格式不正确"))]})
        start, end = _when(gap[0], "gaps"), _when(gap[1], "gaps")
        if end > start and not PatrolGap.query.filter_by(patrol_id=patrol.id, started_at=start).first():
            found.append((start, end, gap[2]))
    return found


def _add_gaps(patrol, gaps):
    for start, end, reason in _gaps(patrol, gaps):
        db.session.add(PatrolGap(patrol_id=patrol.id, started_at=start, ended_at=end, reason=reason))


def merge_late_chunk(patrol, fixes, gaps):
    """Retries and batches keep no order: a piece that comes after the stop is merged into the
    closed trace (a fix already there is not added twice) and the summary redone."""
    if not all(_valid_fix(f) for f in fixes):
        raise Rejected({"points": [str(_l("轨迹点格式不正确"))]})
    stored = codec.decode(patrol.trace)
    merged = sorted(set(stored) | set(codec.decode(codec.encode(fixes))))
    _add_gaps(patrol, gaps)
    if len(merged) != len(stored):
        patrol.trace = codec.encode(merged)
    db.session.flush()
    summarise(patrol, merged)
    return patrol


def fixes_of(patrol):
    if patrol.trace is not None:
        return codec.decode(patrol.trace)
    fixes = []
    for chunk in PatrolChunk.query.filter_by(patrol_id=patrol.id).order_by(PatrolChunk.seq):
        fixes.extend(codec.decode(chunk.data))
    return sorted(fixes)


def trace_flags(fixes, legs=None):
    """Teleport jumps, zero-accuracy (mocked) fixes, speeds no one walks or rides. ``legs``:
    the fixes' leg lengths when the caller has them already."""
    flags = set()
    if any(fix[3] == 0 for fix in fixes):
        flags.add("mocked_accuracy")
    if len(fixes) > 1:
        times = np.array([fix[0] for fix in fixes], dtype=np.float64)
        speeds = (leg_lengths_m(fixes) if legs is None else legs) / np.maximum(np.diff(times), 1)
        if (speeds > TELEPORT_M_PER_S).any():
            flags.add("teleport")
        fast = (speeds > FAST_M_PER_S).astype(np.int64)
        if len(fast) >= FAST_SEGMENTS and (np.convolve(fast, np.ones(FAST_SEGMENTS, dtype=np.int64),
                                                       "valid") == FAST_SEGMENTS).any():
            flags.add("too_fast")
    return sorted(flags)


def summarise(patrol, fixes=None):
    fixes = fixes_of(patrol) if fixes is None else fixes
    patrol.point_count = len(fixes)
    legs = leg_lengths_m(fixes)
    patrol.distance_m = round(float(legs.sum()), 1)
    end = patrol.ended_at or (datetime.fromtimestamp(fixes[-1][0], UTC).replace(tzinfo=None)
                              if fixes else patrol.started_at)
    patrol.duration_s = _seconds(end - patrol.started_at)
    gaps = PatrolGap.query.filter_by(patrol_id=patrol.id).all()
    patrol.gap_count = len(gaps)
    patrol.gap_s = int(sum((g.ended_at - g.started_at).total_seconds() for g in gaps))
    patrol.coverage_pct = coverage_pct(fixes, patrol.grid.shape)
    patrol.flags = trace_flags(fixes, legs)


def stop_patrol(user, patrol_id, ended_at):
    patrol = _own_open_patrol(user, patrol_id)
    if patrol.status == "closed":
        return patrol
    fixes = fixes_of(patrol)
    if ended_at is None:  # closing an abandoned patrol: it ended with its last fix
        ended_at = (datetime.fromtimestamp(fixes[-1][0], UTC).replace(tzinfo=None) if fixes
                    else patrol.started_at)
    patrol.ended_at = max(ended_at, patrol.started_at)
    patrol.status = "closed"
    patrol.trace = codec.encode(fixes)  # one compact row; the chunks go
    PatrolChunk.query.filter_by(patrol_id=patrol.id).delete()
    summarise(patrol, fixes)
    return patrol


def check_checkin(user, checkin_id, data, at):
    """Validate a check-in and return the values of its row. Writes nothing."""
    if not may(user, "patrol.walk"):
        raise Forbidden(_l("你的角色不巡查网格"))
    try:
        lon, lat = float(data.get("lon")), float(data.get("lat"))
    except (TypeError, ValueError):
        raise Rejected({"lon": [str(_l("需要位置"))]}) from None
    grid = locate_grid(lon, lat)
    if grid is None:
        raise Rejected({"lon": [str(_l("该位置不在任何网格内"))]})
    patrol = None
    if data.get("patrol_id"):
        patrol = _own_open_patrol(user, str(data["patrol_id"]))
    photo = data.get("photo_id")
    if photo and media_owners([str(photo)]).get(str(photo)) != user.id:
        raise Rejected({"photo_id": [str(_l("照片尚未上传"))]}, code="media_missing")
    link_kind, link_id = data.get("link_kind"), data.get("link_id")
    if link_kind:
        model = {"record": RegistryRecord, "event": Event}.get(link_kind)
        target = db.session.get(model, str(link_id)) if model else None
        if target is None or not can_view(user, target):
            raise Rejected({"link_id": [str(_l("关联的记录不存在或不在你的范围内"))]})
    note = (data.get("note") or "").strip()[:1000] or None
    accuracy = data.get("accuracy")
    values = dict(id=checkin_id, user_id=user.id, patrol_id=patrol.id if patrol else None,
                  grid_id=grid.id, lon=lon, lat=lat,
                  accuracy_m=float(accuracy) if isinstance(accuracy, (int, float)) else None,
                  at=at, note=note, photo_id=photo or None, link_kind=link_kind or None,
                  link_id=str(link_id) if link_kind else None)
    return values, grid


@handler("patrol.start")
def apply_start(user, m):
    data = m.get("data") or {}
    patrol = start_patrol(user, m["record_id"], _when(data.get("started_at"), "started_at"),
                          data.get("grid_id") if isinstance(data.get("grid_id"), int) else None)
    return {"record_id": patrol.id, "version": 1}


@handler("patrol.chunk")
def apply_chunk(user, m):
    data = m.get("data") or {}
    patrol = _own_open_patrol(user, m["record_id"])
    if patrol.status != "closed":
        # Running totals added in SQL, as in a run: never written back from a row read earlier.
        return apply_staged("patrol.chunk", user, m)
    merge_late_chunk(patrol, data.get("points") or [], data.get("gaps"))
    return {"record_id": patrol.id, "version": 1}


@handler("patrol.stop")
def apply_stop(user, m):
    data = m.get("data") or {}
    ended = _when(data["ended_at"], "ended_at") if data.get("ended_at") else None
    patrol = stop_patrol(user, m["record_id"], ended)
    return {"record_id": patrol.id, "version": 1, "distance_m": patrol.distance_m,
            "coverage_pct": patrol.coverage_pct}


@stager("patrol.checkin")
def stage_checkin(user, m):
    values, grid = check_checkin(user, m["record_id"], m["data"],
                                 client_time(m.get("created_at")) or now())
    return Staged([(CheckIn, values)], {"record_id": values["id"], "version": 1, "grid": grid.name})


@handler("patrol.checkin")
def apply_checkin(user, m):
    return apply_staged("patrol.checkin", user, m)


@stager("patrol.chunk")
def stage_chunk(user, m):
    """A piece of an open patrol's trace: its row, and the patrol's running totals after.
    A piece for a closed patrol goes to the handler, which merges it into the trace."""
    data = m["data"]
    patrol = _own_open_patrol(user, m["record_id"])
    if patrol.status == "closed":
        return None
    fixes = data.get("points") or []
    if not all(_valid_fix(f) for f in fixes):
        raise Rejected({"points": [str(_l("轨迹点格式不正确"))]})
    rows = [(PatrolChunk, {"patrol_id": patrol.id, "seq": data["seq"], "data": codec.encode(fixes),
                           "point_count": len(fixes)})]
    for start, end, reason in _gaps(patrol, data.get("gaps")):
        rows.append((PatrolGap, {"patrol_id": patrol.id, "started_at": start, "ended_at": end,
                                 "reason": reason}))
    ordered = sorted(fixes, key=lambda fix: fix[0])  # by time: accuracy may be null
    distance = float(leg_lengths_m(ordered).sum())
    duration = 0
    if ordered:
        last = datetime.fromtimestamp(ordered[-1][0], UTC).replace(tzinfo=None)
        duration = _seconds(last - patrol.started_at)

    totals = (patrol, {"point_count": len(fixes), "distance_m": round(distance, 1)},
              {"duration_s": duration})
    return Staged(rows, {"record_id": patrol.id, "version": 1}, totals=totals)


def day_rows(user, day, worker_id=None, grid_id=None):
    """Per worker for one day: patrol time, distance, best coverage, check-ins, gaps, flags."""
    scope = scope_for(user)
    start, end = clock.day_range(day, day)  # the local day, as duties count it
    # The traces stay in the database (a day view needs only the summaries); people come in
    # the same query, not one query each.
    patrols = Patrol.query.options(defer(Patrol.trace), joinedload(Patrol.worker)).filter(
        scope.grid_clause(Patrol.grid_id), Patrol.started_at >= start, Patrol.started_at < end)
    checkins = CheckIn.query.options(joinedload(CheckIn.user)).filter(
        scope.grid_clause(CheckIn.grid_id), CheckIn.at >= start, CheckIn.at < end)
    if worker_id:
        patrols = patrols.filter(Patrol.worker_id == worker_id)
        checkins = checkins.filter(CheckIn.user_id == worker_id)
    if grid_id:
        patrols = patrols.filter(Patrol.grid_id == grid_id)
        checkins = checkins.filter(CheckIn.grid_id == grid_id)
    rows = {}
    for p in patrols.order_by(Patrol.started_at):
        row = rows.setdefault(p.worker_id, {"worker": p.worker, "patrols": [], "duration_s": 0,
                                            "distance_m": 0.0, "coverage_pct": 0.0, "gap_s": 0,
                                            "gaps": 0, "checkins": 0, "flags": set()})
        row["patrols"].append(p)
        row["duration_s"] += p.duration_s
        row["distance_m"] += p.distance_m
        row["coverage_pct"] = max(row["coverage_pct"], p.coverage_pct)
        row["gap_s"] += p.gap_s
        row["gaps"] += p.gap_count
        row["flags"].update(p.flags or [])
    for c in checkins:
        row = rows.setdefault(c.user_id, {"worker": c.user, "patrols": [], "duration_s": 0,
                                          "distance_m": 0.0, "coverage_pct": 0.0, "gap_s": 0,
                                          "gaps": 0, "checkins": 0, "flags": set()})
        row["checkins"] += 1
    return sorted(rows.values(), key=lambda r: r["worker"].display_name)
