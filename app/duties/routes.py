from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..scope.services import scope_for
from .services import progress

bp = Blueprint("duties", __name__)

FREQUENCY = {"daily": _l("每日"), "weekly": _l("每周"), "monthly": _l("每月")}
EVIDENCE = {"patrol": _l("巡查"), "checkin": _l("打卡"), "record_create": _l("登记"),
            "record_update": _l("信息更新"), "visit": _l("走访"), "event_report": _l("上报事件"),
            "event_check": _l("现场核查"), "self_resolve": _l("自行处置"),
            "survey_answer": _l("民意调查"), "publicity": _l("政策宣传"), "manual": _l("人工记录")}


@bp.get("/duties")
@login_required
def my_duties():
    """"My duties": progress per checklist item in its own period (today, this week, this month)."""
    if not scope_for(current_user).roles & {"grid_worker", "grid_leader"}:
        abort(404)
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    try:
        day = date.fromisoformat(request.args["date"]) if request.args.get("date") else today
    except ValueError:
        day = today
    checklist, rows = progress(current_user.id, day)
    groups = {}
    for row in rows:
        groups.setdefault(row[0].category, []).append(row)
    return render_template("duties/mine.html", checklist=checklist, groups=groups, day=day,
                           FREQUENCY=FREQUENCY, EVIDENCE=EVIDENCE)
