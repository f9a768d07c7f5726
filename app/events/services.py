"""Quick reports (随手拍): validation through the shared form, grid assignment, storage."""

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from .. import clock
from ..clock import client_time
from ..errors import Forbidden, Rejected
from ..extensions import db
from ..media.services import media_owners
from ..org.services import locate_grid
from ..scope.permissions import may
from ..sync.models import ChangeLog
from ..sync.services import Staged, apply_staged, handler, log_change, stager
from . import workflow
from .forms import QuickReportForm
from .models import Event, EventPhoto


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
