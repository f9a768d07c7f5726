"""帮办代办 pages: the worker's phone page (offline, through the outbox), the office's desk and a
request's page with the call-back, and the admin's catalogue."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..scope.permissions import may, requires
from ..scope.services import get_or_404
from ..transaction import unit_of_work
from . import services
from .models import AssistRequest

bp = Blueprint("assist", __name__, url_prefix="/assist")


@bp.before_request
@login_required
def _signed_in():
    pass


@bp.get("")
@requires("assist.help")
def phone():
    """The worker's requests and the catalogue; residents come from the phone's own registry."""
    items = [{"id": i.id, "category": i.category, "name": i.name, "materials": i.materials.splitlines(),
              "office": i.office, "days": i.time_limit_days} for i in services.catalogue()]
    mine = [services.request_json(r) for r in services.my_requests(current_user)]
    return render_template("assist/phone.html", items=items, mine=mine, STATES=services.STATES,
                           NEXT=services.NEXT, CONSENT=services.CONSENT_METHODS)


@bp.get("/mine.json")
@requires("assist.help")
def mine_json():
    """The worker's requests as they stand now, for the phone page to refresh from."""
    response = jsonify({"mine": [services.request_json(r) for r in services.my_requests(current_user)]})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/desk")
@requires("assist.oversee")
def desk():
    state = request.args.get("state", "")
    overdue = request.args.get("overdue") == "1"
    query = services.desk_query(current_user, state=state, overdue=overdue)
    page = query.paginate(page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render_template("assist/desk.html", page=page, state=state, overdue=overdue,
                           summary=services.desk_summary(current_user), STATES=services.STATES,
                           is_overdue=services.is_overdue)


@bp.get("/<request_id>")
def detail(request_id):
    item = get_or_404(current_user, AssistRequest, request_id)
    return render_template("assist/detail.html", req=item, STATES=services.STATES,
                           CONSENT=services.CONSENT_METHODS, overdue=services.is_overdue(item),
                           can_call_back=may(current_user, "assist.oversee") and item.state == "done")


@bp.post("/<request_id>/callback")
@requires("assist.oversee")
def callback(request_id):
    item = get_or_404(current_user, AssistRequest, request_id)
    try:
        with unit_of_work():
            services.record_callback(current_user, item, request.form.get("satisfaction", type=int),
                                     request.form.get("note", ""))
        flash(_("已记录回访"), "info")
    except DomainError as exc:
        flash(exc.text(), "error")
    return redirect(url_for("assist.detail", request_id=item.id))

