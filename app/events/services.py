"""Quick reports (随手拍): validation through the shared form, grid assignment, storage."""

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from .. import clock
from ..clock import client_time
from ..errors import Conflict, Forbidden, Rejected
from ..extensions import db
from ..geo import haversine_m
from ..media.services import media_owners, own_photos, photo_holder, rows_naming
from ..org.services import locate_grid
from ..scope.permissions import may
from ..scope.services import VIEW, rule, scope_for
from ..sync.models import ChangeLog
from ..sync.services import Staged, apply_staged, handler, log_change, record_handler, stager
from . import workflow
from .forms import QuickReportForm
from .models import Event, EventPhoto, EventSupport


def form_from_payload(data: dict) -> QuickReportForm:
    """Build the page's form from a synced payload (no CSRF: the API checks its own token)."""
    formdata: MultiDict = MultiDict()
    for key, value in (data or {}).items():
        if key == "photos" and isinstance(value, list):
            for photo_id in value:
                formdata.add("photos", str(photo_id))
        elif isinstance(value, bool):
            if value:
                formdata.add(key, "y")
        elif value is not None and not isinstance(value, (dict, list)):
            formdata.add(key, str(value))
    return QuickReportForm(formdata=formdata, meta={"csrf": False})


def _field_errors(form):
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def check_quick_report(user, event_id: str, form: QuickReportForm, photo_ids, reported_at=None):
    """Validate one quick report and say what it will store: (event values, photo ids, grid).
    Raises Rejected with field errors, or Forbidden. Writes nothing."""
    if not may(user, "event.report"):
        raise Forbidden(_l("只有网格员和兼职网格员可以随手拍"))
    # A record id already taken is caught by the primary key (the sync engine answers conflict).
    errors = {} if form.validate() else _field_errors(form)
    problem = form.photo_count_error(len(photo_ids))
    if problem:
        errors.setdefault("photos", []).append(str(problem))
    owners = media_owners(photo_ids)
    if any(owners.get(p) != user.id for p in photo_ids):
        raise Rejected({"photos": [str(_l("照片尚未上传"))]}, code="media_missing")
    grid = None
    if "lon" not in errors and "lat" not in errors:
        grid = locate_grid(form.lon.data, form.lat.data)
        if grid is None:
            errors.setdefault("lon", []).append(str(_l("该位置不在任何网格内，请在地图上重新选点")))
    if errors:
        raise Rejected(errors)
    assert grid is not None  # no location error: the point is in a grid
    now = clock.now()
    claimed = client_time(reported_at)
    values = dict(
        id=event_id, category_id=form.category_id.data, description=form.description.data.strip(),
        lon=form.lon.data, lat=form.lat.data, accuracy_m=form.accuracy.data,
        location_manual=bool(form.location_manual.data), grid_id=grid.id, version=1,
        urgency=form.urgency.data or "normal",
        source="part_time" if user.primary_role == "part_time" else "grid_worker",
        reporter_id=user.id, state="reported",
        reported_at=min(claimed, now) if claimed else now,
    )
    return values, list(photo_ids), grid


def create_quick_report(user, event_id: str, form: QuickReportForm, photo_ids, reported_at=None):
    """Validate and store one quick report (the online page). Raises Rejected or Forbidden."""
    values, photo_ids, grid = check_quick_report(user, event_id, form, photo_ids, reported_at)
    event = Event(**values)
    event.grid = grid
    event.photos = [EventPhoto(media_id=p, position=i) for i, p in enumerate(photo_ids)]
    db.session.add(event)
    log_change("event", event.id, grid_id=event.grid_id, owner_id=user.id)
    return event


@stager("event.report")
def stage_report(user, mutation):
    """A synced quick report: the rows it adds, written with the rest of its run."""
    data = mutation["data"]
    form = form_from_payload(data)
    values, photo_ids, grid = check_quick_report(user, mutation["record_id"], form,
                                                 form.photos.data or [],
                                                 reported_at=mutation.get("created_at"))
    rows = [(Event, values)]
    rows += [(EventPhoto, {"event_id": values["id"], "media_id": p, "position": i})
             for i, p in enumerate(photo_ids)]
    rows.append((ChangeLog, {"object_type": "event", "object_id": values["id"],
                             "grid_id": values["grid_id"], "owner_id": user.id, "op": "upsert"}))
    return Staged(rows, {"record_id": values["id"], "version": 1, "grid": grid.name})


@handler("event.report")
def apply_report(user, mutation):
    return apply_staged("event.report", user, mutation)


@handler("event.transition")
def apply_transition(user, mutation):
    """Moves a worker makes on the phone, maybe offline: the on-site check, self-resolution."""
    data = mutation.get("data") or {}
    action = data.get("action")
    if action not in workflow.PHONE_ACTIONS:
        raise Rejected({"action": [str(_l("这个操作不能从手机离线提交"))]})
    photos = [str(p) for p in data.get("photos") or []]
    owners = media_owners(photos)
    if any(owners.get(p) != user.id for p in photos):
        raise Rejected({"photos": [str(_l("照片尚未上传"))]}, code="media_missing")
    try:
        event = workflow.transition(user, mutation["record_id"], action, mutation.get("base_version"),
                                    note=data.get("note", ""), photos=photos)
    except workflow.WorkflowError as exc:
        if exc.code == "forbidden":
            raise Forbidden(exc.message) from None
        raise Rejected({"action": [str(exc.message)]}, code=exc.code) from None
    return {"record_id": event.id, "version": event.version, "state": event.state}


def nav_badges(user):
    """The navigation's counts: events waiting for this user; their reports to check on site."""
    badges = {}
    if may(user, "event.inbox"):
        badges["events.event_list"] = workflow.inbox_count(user)
    if may(user, "event.report"):
        badges["events.my_reports"] = Event.query.filter_by(reporter_id=user.id, state="handled").count()
    return badges


# --- the same problem twice: supporting reports and proposed merges -------------------------

NEAR_M = 50  # reports of one major category this close are taken as the same problem


def support_event(user, support_id, data, at=None):
    """A report added to an open event as a supporting one (同一问题), with its photos."""
    from .scope import event_rule

    if not may(user, "event.report"):
        raise Forbidden(_l("只有网格员和兼职网格员可以随手拍"))
    event = db.session.get(Event, data.get("event_id")) if isinstance(data.get("event_id"), str) else None
    if event is None or not event_rule(user, event, "view"):
        raise Rejected({"event_id": [str(_l("事件不存在或不在你的范围内"))]}, code="not_found")
    if event.state not in workflow.OPEN_STATES:
        raise Rejected({"event_id": [str(_l("这个事件已结束，请新建上报"))]}, code="event_closed")
    if db.session.get(EventSupport, support_id) is not None:
        raise Conflict()
    photos = own_photos(user, data.get("photos"))
    if not photos:
        raise Rejected({"photos": [str(_l("至少需要 1 张照片"))]})
    row = EventSupport(id=support_id, event_id=event.id, actor_id=user.id, photos=photos,
                       note=str(data.get("note") or "").strip()[:2000], at=clock.recorded_at(at))
    db.session.add(row)
    log_change("event", event.id, grid_id=event.grid_id, owner_id=event.reporter_id)
    db.session.flush()
    return row


record_handler("event.support", support_event)


@rule(EventSupport)
def _support_rule(user, support, action):
    """Seen with the event it supports; changed by no one."""
    from .scope import event_rule

    event = db.session.get(Event, support.event_id)
    return action == VIEW and event is not None and event_rule(user, event, VIEW)


@photo_holder
def _support_photos(media):
    return rows_naming(EventSupport, EventSupport.photos, media, EventSupport.actor_id)


def duplicate_pairs(user, limit=200):
    """Proposed merges: each open report in scope with an earlier open event of the same major
    category within NEAR_M metres. (report, original, metres), the nearest first."""
    from .scope import event_visibility_clause

    scope = scope_for(user)
    open_ = Event.state.in_(("reported", "accepted"))
    events = (Event.query.filter(event_visibility_clause(scope, user.id), open_,
                                 Event.merged_into_id.is_(None))
              .options(db.joinedload(Event.category)).order_by(Event.reported_at).limit(2000).all())
    major = {e.id: (e.category.code[:2]) for e in events}
    pairs = []
    for i, later in enumerate(events):
        if later.state != "reported" or later.source == "hotline":  # an order closes on its own
            continue
        for earlier in events[:i]:
            if major[earlier.id] != major[later.id] or earlier.id == later.id:
                continue
            if earlier.subject_id != later.subject_id:  # two enterprises' needs are two cases
                continue
            metres = haversine_m(later.lon, later.lat, earlier.lon, earlier.lat)
            if metres <= NEAR_M:
                pairs.append((later, earlier, round(metres)))
                break
    pairs.sort(key=lambda p: p[2])
    return pairs[:limit]
