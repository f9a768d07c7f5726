"""Open311 GeoReport v2 under /open311/v2 (JSON): services, requests in and out, tokens. Callers
are other systems: no session, no CSRF; POST needs an api_key the admin issued."""
from flask import Blueprint, current_app, jsonify, request

from ..errors import DomainError
from ..transaction import unit_of_work
from . import services

bp = Blueprint("open311", __name__, url_prefix="/open311")


def _answer(body, status=200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(DomainError)
def _error(exc):
    status = exc.status if isinstance(exc, services.Open311Error) else 400
    return _answer([{"code": status, "description": exc.text()}], status)


@bp.before_request
def _jurisdiction():
    wanted = request.values.get("jurisdiction_id")
    if wanted and wanted != current_app.config["OPEN311_JURISDICTION"]:
        return _answer([{"code": 404, "description": "jurisdiction_id not provided by this server"}], 404)
    return None


@bp.get("/discovery.json")
def discovery():
    base = request.url_root.rstrip("/") + "/open311/v2/"
    return _answer({"changeset": "2026-12-01T00:00:00Z", "contact": "admin", "key_service": "admin",
                    "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                                   "changeset": "2026-12-01T00:00:00Z", "type": "production",
                                   "formats": ["application/json"]}]})


@bp.get("/v2/services.json")
def service_list():
    return _answer(services.services())


@bp.get("/v2/services/<code>.json")
def service_definition(code):
    return _answer(services.service_definition(code))


@bp.post("/v2/requests.json")
def create():
    with unit_of_work():
        key = services.key_for(request.form.get("api_key"))
    with unit_of_work():
        event = services.create_request(key, request.form)
    return _answer([{"service_request_id": event.id, "service_notice": "", "account_id": None,
                     "token": event.id}])


@bp.get("/v2/requests.json")
def requests_list():
    return _answer(services.find_requests(request.args))


@bp.get("/v2/requests/<request_id>.json")
def request_detail(request_id):
    return _answer(services.one_request(request_id[:64]))


@bp.get("/v2/tokens/<token>.json")
def token(token):
    found = services.one_request(token[:64])
    return _answer([{"service_request_id": found[0]["service_request_id"], "token": token[:64]}])
