"""12345 pages: the hotline system's JSON intake (an api_key, no session), the office's file
upload, the command centre's list of orders apart from the rest, and the call-back."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms.validators import DataRequired

from .. import clock
from ..errors import DomainError
from ..events.models import Event, EventAction
from ..events.workflow import OPEN_STATES, STATE_LABELS
from ..exports import upload_page
from ..extensions import db
from ..open311.services import Open311Error, key_for
from ..scope.permissions import requires
from ..scope.services import can_view
from ..transaction import unit_of_work
from . import services

api_bp = Blueprint("hotline_api", __name__, url_prefix="/hotline/api")
bp = Blueprint("hotline", __name__, url_prefix="/hotline")


@api_bp.post("/orders")
def intake():
    """One order or a list, as JSON, with the hotline system's key in ``X-Api-Key``."""
    try:
        with unit_of_work():
            key = key_for(request.headers.get("X-Api-Key"))
    except Open311Error as exc:
        return jsonify({"error": exc.code, "message": exc.text()}), exc.status
    body = request.get_json(silent=True)
    orders = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
    if orders is None:
        return jsonify({"error": "bad_json", "message": _("请求体须为 JSON 工单或工单列表")}), 400
    if len(orders) > services.MAX_BATCH:
        message = _("一次最多 %(n)d 张工单", n=services.MAX_BATCH)
        return jsonify({"error": "too_many", "message": message}), 413
    with unit_of_work():
        results = services.take_orders(key.user, orders, "api")
    return jsonify({"results": results})


class ImportForm(FlaskForm):
    file = FileField(_l("XLSX 或 CSV 文件"), validators=[DataRequired(), FileAllowed(["xlsx", "csv"])])


@bp.before_request
@login_required
def _signed_in():
    pass


@bp.get("")
@requires("hotline.view")
def orders():
    events = services.orders_in_scope(current_user).limit(500).all()
    refused = [e.id for e in events if e.state == "refused"]
    reasons = {a.event_id: a.note for a in EventAction.query.filter(
        EventAction.event_id.in_(refused), EventAction.to_state == "refused")} if refused else {}
    now = clock.now()
    overdue = {e.id for e in events if e.state in OPEN_STATES and e.deadline_at and e.deadline_at < now}
    counts = {"open": sum(1 for e in events if e.state in OPEN_STATES), "overdue": len(overdue),
              "returned": len(refused), "closed": sum(1 for e in events if e.state == "closed")}
    return render_template("hotline/orders.html", events=events, reasons=reasons, overdue=overdue,
                           counts=counts, STATES=STATE_LABELS)


@bp.route("/import", methods=["GET", "POST"])
@requires("hotline.intake")
def import_orders():
    return upload_page(ImportForm(), lambda raw, name: services.import_file(current_user, raw, name),
                       lambda c, e: _("已导入：新工单 %(c)d 张，重复 %(e)d 张", c=c, e=e),
                       url_for("hotline.orders"), "hotline/import.html", columns=list(services.COLUMNS))


@bp.post("/<event_id>/callback")
@requires("hotline.callback")
def callback(event_id):
    event = db.session.get(Event, event_id[:36])
    if event is None or not can_view(current_user, event) or event.hotline is None:
        abort(404)
    try:
        with unit_of_work():
            services.record_callback(current_user, event, request.form.get("reached") == "1",
                                     request.form.get("satisfied") == "1", request.form.get("note", ""))
        flash(_("已记录回访"), "info")
    except DomainError as exc:
        flash(exc.text(), "error")
    return redirect(url_for("events.event_detail", event_id=event.id))
