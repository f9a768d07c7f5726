"""Quick report pages (online and offline-capable), report lists, event detail, categories."""
import uuid
from datetime import date, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock, geo
from ..auth.models import RoleAssignment
from ..errors import DomainError, put_on_form
from ..exports import table_download
from ..extensions import db
from ..media.services import MediaError, store_photo
from ..org.models import Department, Grid
from ..roster.services import FORCE_LABELS, callable_members
from ..scope.permissions import may
from ..scope.services import can_view, get_or_404, scope_for
from ..transaction import unit_of_work
from ..ui import local_time
from . import metrics, services, stages, workflow
from .forms import URGENCY_LABELS, QuickReportForm
from .models import Event, EventAction, EventCategory, EventStage, EventSupport
from .pull import event_json
from .scope import event_visibility_clause
from .services import create_quick_report

bp = Blueprint("events", __name__)


@bp.before_request
@login_required
def _signed_in():
    pass


def category_tree():
    """Active major categories with their active sub-categories, for the picker."""
    majors = (EventCategory.query.filter_by(parent_id=None, active=True)
              .order_by(EventCategory.sort_order, EventCategory.code).all())
    return [(m, sorted([c for c in m.children if c.active], key=lambda c: (c.sort_order, c.code)))
            for m in majors]


@bp.route("/report", methods=["GET", "POST"])
def report():
    """The quick report. With JS the form is saved to the outbox; without, it posts here."""
    if not may(current_user, "event.report"):
        abort(403)
    form = QuickReportForm()
    if request.method == "POST" and form.validate_on_submit():
        files = [f for f in (form.photo_files.data or []) if getattr(f, "filename", "")]
        problem = form.photo_count_error(len(files))
        if problem:
            form.photo_files.errors = [problem]
        else:
            try:
                with unit_of_work():  # the report and its photos, or nothing
                    photo_ids = []
                    for upload in files:
                        media, _created = store_photo(str(uuid.uuid4()), current_user, upload.read(),
                                                      upload.mimetype)
                        photo_ids.append(media.id)
                    db.session.flush()
                    event = create_quick_report(current_user, str(uuid.uuid4()), form, photo_ids)
                flash(_("已上报：%(grid)s", grid=event.grid.name), "info")
                return redirect(url_for("events.my_reports"))
            except MediaError as exc:
                form.photo_files.errors = [exc.text()]  # said where the photo is chosen
            except DomainError as exc:
                put_on_form(form, exc)
    my_grids = [{"id": g.id, "name": g.name, "geometry": g.geometry} for g in _reporter_grids()]
    return render_template("events/report.html", form=form, categories=category_tree(),
                           form_version=QuickReportForm.FORM_VERSION, my_grids_json=my_grids)


def _reporter_grids():
    return (Grid.query.join(RoleAssignment, RoleAssignment.grid_id == Grid.id)
            .filter(RoleAssignment.user_id == current_user.id).order_by(Grid.code).all())


@bp.route("/reports")
def my_reports():
    """The reporter's list: sent reports from the server, merged on the phone with pending ones."""
    events = (Event.query.filter(Event.reporter_id == current_user.id, Event.deleted_at.is_(None))
              .order_by(Event.reported_at.desc()).limit(100).all())
    return render_template("events/my_reports.html", events=events, URGENCY_LABELS=URGENCY_LABELS)


@bp.route("/events")
def event_list():
    """"Needs me" first (the inbox), or everything in scope."""
    if not any(may(current_user, a) for a in ("event.inbox", "event.see_grid", "event.report")):
        abort(404)  # a party member has no events to handle
    scope = scope_for(current_user)
    tab = request.args.get("tab") if request.args.get("tab") in ("all", "overdue", "due_soon") else "inbox"
    if tab == "inbox":
        query = Event.query.filter(workflow.inbox_clause(current_user), Event.deleted_at.is_(None))
    else:
        query = Event.query.filter(event_visibility_clause(scope, current_user.id))
    moment = workflow.now()
    open_states = ("dispatched", "in_progress", "hold_requested", "extension_requested")
    if tab == "overdue":
        query = query.filter(Event.state.in_(open_states), Event.deadline_at < moment)
    elif tab == "due_soon":  # within the next 24 hours
        query = query.filter(Event.state.in_(open_states), Event.deadline_at >= moment,
                             Event.deadline_at < moment + timedelta(hours=24))
    page = query.order_by(Event.reported_at.desc()).paginate(
        page=request.args.get("page", 1, type=int), per_page=30, error_out=False)
    return render_template("events/list.html", page=page, URGENCY_LABELS=URGENCY_LABELS, tab=tab,
                           STATES=workflow.STATE_LABELS)


@bp.route("/events/<event_id>")
def event_detail(event_id):
    event = db.session.get(Event, event_id)
    if event is None or not can_view(current_user, event):
        abort(404)

    actions = workflow.available_actions(current_user, event)
    log = EventAction.query.filter_by(event_id=event.id).order_by(EventAction.id).all()
    needs_department = {"dispatch", "whistle"} & set(actions)
    departments = Department.query.order_by(Department.code).all() if needs_department else []
    members = callable_members(event) if "call_force" in actions else []
    if "call_force" in actions and not members:
        actions.remove("call_force")  # nobody on the grid's roster to call
    stage_log = EventStage.query.filter_by(event_id=event.id).order_by(EventStage.id).all()
    supports = EventSupport.query.filter_by(event_id=event.id).order_by(EventSupport.at).all()
    return render_template("events/detail.html", event=event, URGENCY_LABELS=URGENCY_LABELS,
                           stage=stages.current(event), stage_log=stage_log, STAGES=stages.STAGES,
                           supports=supports,
                           now=workflow.now(),
                           actions=actions, log=log, departments=departments, members=members,
                           FORCE_LABELS=FORCE_LABELS, MOVES=workflow.MOVES,
                           STATES=workflow.STATE_LABELS, ACTIONS=workflow.ACTION_LABELS,
                           next_level=_next_level)


def _next_level(level):
    levels = workflow.LEVELS
    return levels[min(levels.index(level) + 1, len(levels) - 1)] if level in levels else level


@bp.post("/events/<event_id>/act")
def event_act(event_id):
    event = db.session.get(Event, event_id)
    if event is None or not can_view(current_user, event):
        abort(404)
    photos = []
    try:
        with unit_of_work():  # the photos and the move are kept together, or neither
            for upload in request.files.getlist("photos"):
                if getattr(upload, "filename", ""):
                    media, _created = store_photo(str(uuid.uuid4()), current_user, upload.read(),
                                                  upload.mimetype)
                    photos.append(media.id)
            db.session.flush()
            workflow.transition(current_user, event.id, request.form.get("action", ""),
                                request.form.get("version", type=int), note=request.form.get("note", ""),
                                photos=photos, department_id=request.form.get("department_id", type=int),
                                hours=request.form.get("hours", type=float),
                                target_id=(request.form.get("target_id") or "").strip() or None,
                                member_id=request.form.get("member_id", type=int))
        flash(_("已完成：%(a)s", a=workflow.ACTION_LABELS.get(request.form.get("action"), "")), "info")
    except DomainError as exc:  # a photo that cannot be taken, a move refused: nothing kept
        flash(exc.text(), "error")
    return redirect(url_for("events.event_detail", event_id=event.id))


@bp.get("/events/duplicates")
def duplicates():
    """Reports that look like an open event's twin (same major category, within 50 m): the
    office confirms each merge from the list and the map, not by typing a number."""
    if not may(current_user, "event.duplicates"):
        abort(404)
    pairs = services.duplicate_pairs(current_user)
    points = [(e.lon, e.lat) for pair in pairs for e in pair[:2]]
    view = geo.View.fit([geo.mercator(lon, lat) for lon, lat in points]) if points else None
    dots = [(view.xy(geo.mercator(later.lon, later.lat)), view.xy(geo.mercator(earlier.lon, earlier.lat)), n)
            for n, (later, earlier, _m) in enumerate(pairs, start=1)] if view else []
    return render_template("events/duplicates.html", pairs=pairs, view=view, dots=dots,
                           may_merge={later.id: "merge" in workflow.available_actions(current_user, later)
                                      for later, _e, _m in pairs})


@bp.get("/api/v1/events/<event_id>")
def event_api(event_id):
    return jsonify(event_json(get_or_404(current_user, Event, event_id), current_user))


@bp.get("/command")
def command_centre():
    """The command centre (and a street's own view): open events, overdue, whistles, metrics."""
    scope = scope_for(current_user)
    if not may(current_user, "event.command_centre"):
        abort(404)
    clause = event_visibility_clause(scope, current_user.id)
    moment = workflow.now()
    today = clock.local_today()
    try:
        start = date.fromisoformat(request.args.get("from", "")) if request.args.get("from") else \
            today.replace(day=1)
        end = date.fromisoformat(request.args.get("to", "")) if request.args.get("to") else today
    except ValueError:
        start, end = today.replace(day=1), today
    by = request.args.get("by") if request.args.get("by") in ("street", "community", "department") \
        else "street"
    rows, total = metrics.metrics(clause, *clock.day_range(start, end), by)
    open_events, by_state, by_street = metrics.open_counts(clause)
    overdue = [e for e in open_events if e.deadline_at and e.deadline_at < moment]
    waiting = [e.id for e in open_events if e.state == "dispatched"]
    whistled = {row[0] for row in db.session.query(EventAction.event_id).filter(
        EventAction.event_id.in_(waiting), EventAction.action == "whistle").distinct()} if waiting else set()
    whistles = [e for e in open_events if e.id in whistled]  # one query, not one per event
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx") and request.args.get("rows") == "events":
        return _events_export(fmt, clause, start, end)
    if fmt in ("csv", "xlsx"):
        return _metrics_export(fmt, by, start, end, rows, total)
    return render_template("events/command.html", rows=rows, total=total, by=by, start=start, end=end,
                           open_events=open_events, by_state=by_state, by_street=by_street,
                           overdue=overdue, whistles=whistles, STATES=workflow.STATE_LABELS,
                           map=_overview_map(scope, open_events, overdue))


def _overview_map(scope, open_events, overdue):
    """SVG of the grids in scope with open events as dots (red when overdue); no tiles needed."""
    grids = Grid.query.filter(scope.grid_clause()).limit(2000).all()
    if not grids:
        return None
    rings = [[geo.mercator(lon, lat) for lon, lat in ring]
             for g in grids for ring in geo.rings_of(g.geometry)]
    view = geo.View.fit([p for r in rings for p in r])
    late = {e.id for e in overdue}
    return {"width": view.width, "height": view.height, "rings": [view.points(r) for r in rings],
            "dots": [(*view.xy(geo.mercator(e.lon, e.lat)), e.id in late, e) for e in open_events]}


EVENT_COLUMNS = ("编号", "上报时间", "类别编码", "类别", "国标分类", "来源", "状态", "紧急程度", "网格",
                 "承办部门", "处置时限", "结案时间", "结案类型")


def _events_export(fmt, clause, start, end):
    """The period's events one per row, with their own category code and the national class."""
    lo, hi = clock.day_range(start, end)
    events = (Event.query.filter(clause, Event.reported_at >= lo, Event.reported_at < hi)
              .options(db.joinedload(Event.category), db.joinedload(Event.grid),
                       db.joinedload(Event.department))
              .order_by(Event.reported_at).limit(50_000).all())
    table = [list(EVENT_COLUMNS)] + [
        [e.id, local_time(e.reported_at), e.category.code, e.category.full_name, e.category.national or "",
         e.source, str(workflow.STATE_LABELS.get(e.state, e.state)),
         str(URGENCY_LABELS.get(e.urgency, e.urgency)),
         e.grid.name, e.department.name if e.department else "", local_time(e.deadline_at),
         local_time(e.closed_at),
         e.close_type or ""] for e in events]
    return table_download(fmt, f"events-{start}-{end}.{fmt}", [("events", table)])


METRIC_COLUMNS = ("events", "closed", "on_time_dispatch_pct", "on_time_close_pct", "rework_pct",
                  "mean_hours_to_close", "whistles")


def _metrics_export(fmt, by, start, end, rows, total):
    header = [by, *METRIC_COLUMNS]
    table = [[r["name"], *(r[c] for c in METRIC_COLUMNS)] for r in rows]
    table.append(["total", *(total[c] for c in METRIC_COLUMNS)])
    name = f"event-metrics-{by}-{start}-{end}.{fmt}"
    return table_download(fmt, name, [("metrics", [header, *table])])
