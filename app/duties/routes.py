from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..exports import table_download
from ..extensions import db
from ..org.models import Grid, OrgUnit
from ..scope.permissions import may, requires
from ..scope.services import scope_for
from . import assessment as assessment_service
from .services import WORKER_ROLES, local_today, progress, task_codes

bp = Blueprint("duties", __name__)

FREQUENCY = {"daily": _l("每日"), "weekly": _l("每周"), "monthly": _l("每月")}
EVIDENCE = {"patrol": _l("巡查"), "checkin": _l("打卡"), "record_create": _l("登记"),
            "record_update": _l("信息更新"), "visit": _l("走访"), "event_report": _l("上报事件"),
            "event_check": _l("现场核查"), "self_resolve": _l("自行处置"),
            "survey_answer": _l("民意调查"), "publicity": _l("政策宣传"), "manual": _l("人工记录")}


@bp.get("/duties")
@login_required
@requires("duties.own")
def my_duties():
    """"My duties": progress per checklist item in its own period (today, this week, this month)."""
    today = local_today()
    try:
        day = date.fromisoformat(request.args["date"]) if request.args.get("date") else today
    except ValueError:
        day = today
    checklist, rows = progress(current_user.id, day)
    groups = {}
    for row in rows:
        groups.setdefault(row[0].category, []).append(row)
    # Which item each open task counts toward, for reports still waiting on the phone.
    return render_template("duties/mine.html", checklist=checklist, groups=groups, day=day,
                           task_codes=task_codes(current_user), FREQUENCY=FREQUENCY, EVIDENCE=EVIDENCE)


# --- completion and assessment (考核) -------------------------------------------------------

def _period_args():
    kind = request.args.get("period", "month")
    kind = kind if kind in ("week", "month") else "month"
    try:
        day = date.fromisoformat(request.args["date"]) if request.args.get("date") else local_today()
    except ValueError:
        day = local_today()
    return kind, day


def _allowed_unit(scope, unit_id):
    """The unit to assess: one inside the user's own units (404 otherwise); their own by default."""
    if unit_id is None:
        if scope.is_admin:
            return OrgUnit.query.filter_by(parent_id=None).order_by(OrgUnit.id).first_or_404()
        units = OrgUnit.query.filter(OrgUnit.id.in_(scope.unit_ids)).all()
        if not units:
            abort(404)
        return min(units, key=lambda u: ["district", "street", "community"].index(u.level))
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or unit.level not in ("district", "street", "community"):
        abort(404)
    if not scope.is_admin and not {u.id for u in unit.ancestors()} & scope.unit_ids:
        abort(404)
    return unit


@bp.get("/assessment")
@login_required
def assessment():
    """Completion and scores for a unit's week or month: the level below, its workers, items."""
    scope = scope_for(current_user)
    if not may(current_user, "duties.assess"):
        abort(404)
    unit = _allowed_unit(scope, request.args.get("unit", type=int))
    kind, day = _period_args()
    result = assessment_service.assess(assessment_service.grids_under(unit), kind, day)
    rows, total, child = assessment_service.breakdown(unit, result)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        return _assessment_export(fmt, unit, result, rows, total)
    grid_names = {}
    if unit.level == "community":
        grid_names = {g.id: g.name for g in Grid.query.filter(Grid.id.in_(result["grid_ids"]))}
    up = unit.parent
    if up is not None and not (scope.is_admin or {u.id for u in up.ancestors()} & scope.unit_ids):
        up = None  # a secretary does not see the street's figures
    return render_template("duties/assessment.html", unit=unit, up=up, result=result, rows=rows, total=total,
                           child=child, kind=kind, day=day, grid_names=grid_names,
                           items=assessment_service.item_summary(result), FREQUENCY=FREQUENCY,
                           EVIDENCE=EVIDENCE)


@bp.get("/assessment/worker/<int:user_id>")
@login_required
def score_card(user_id):
    """One worker's monthly (or weekly) score card: each item, patrols, collection, timeliness,
    and how the score is made. The worker sees their own; supervisors those in their scope."""
    from ..auth.models import User

    worker = db.session.get(User, user_id)
    if worker is None:
        abort(404)
    grid_ids = [a.grid_id for a in worker.assignments
                if a.grid_id and a.role in WORKER_ROLES]
    scope = scope_for(current_user)
    mine = worker.id == current_user.id
    if not grid_ids or not (mine or (may(current_user, "duties.assess")
                                     and any(scope.covers_grid(g) for g in grid_ids))):
        abort(404)
    kind, day = _period_args()
    result = assessment_service.assess(grid_ids, kind, day)
    row = next((r for r in result["workers"] if r["user_id"] == worker.id), None)
    if row is None:
        abort(404)
    return render_template("duties/score_card.html", worker=worker, row=row, result=result, kind=kind,
                           day=day, grid=db.session.get(Grid, row["grid_id"]), FREQUENCY=FREQUENCY,
                           EVIDENCE=EVIDENCE)


EXPORT_COLUMNS = ("completion", "patrols", "patrol_hours", "coverage", "collections", "events_closed",
                  "timeliness", "score")


def _assessment_export(fmt, unit, result, rows, total):
    grids = {g.id: g for g in Grid.query.filter(Grid.id.in_(result["grid_ids"]))}
    units = dict(db.session.execute(db.select(OrgUnit.id, OrgUnit.name)).all()) if grids else {}
    codes = [i.code for i in result["items"]]
    header = ["worker", "grid", "community", "street", *EXPORT_COLUMNS, *(f"item {c} %" for c in codes)]
    table = []
    for r in result["workers"]:
        g = grids.get(r["grid_id"])
        table.append([r["name"], g.name if g else "", units.get(g.community_id, "") if g else "",
                      units.get(g.street_id, "") if g else "", *(r[c] for c in EXPORT_COLUMNS),
                      *((None if r["items"][c][1] is None else round(r["items"][c][1], 1)) for c in codes)])
    unit_header = ["unit", "workers", *EXPORT_COLUMNS, *(f"item {c} %" for c in codes)]
    unit_table = [[r["name"], r["workers"], *(r[c] for c in EXPORT_COLUMNS),
                   *(r["items"].get(c) for c in codes)] for r in [*rows, total]]
    name = f"assessment-{unit.code}-{result['kind']}-{result['start']}.{fmt}"
    return table_download(fmt, name, [("workers", [header, *table]), ("units", [unit_header, *unit_table])])
