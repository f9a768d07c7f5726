"""Open311 GeoReport v2, as the specification's example exchanges use it (JSON): the service list
and a service definition, a POST request with an api_key (the spec's example fields, our codes and
a point in 历下区), GET by id and by status, tokens, the error format, keys stored hashed,
revoked and rate-limited, and public answers with no personal data."""
import hashlib
import uuid
from datetime import datetime

import pytest

from app.auth.models import User
from app.events import workflow
from app.events.models import Event, EventCategory
from app.extensions import db
from app.open311 import services
from app.open311.models import ApiKey
from app.org.models import Grid
from app.transaction import unit_of_work

BASE = "/open311/v2"


@pytest.fixture
def key(demo):
    admin = User.query.filter_by(username="admin").one()
    with unit_of_work():
        row, secret = services.issue_key(admin, "12345 政务服务热线平台", per_minute=5)
    return row, secret


def spot():
    return Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()


def example_post(client, secret, **changes):
    """The spec's example POST (service_code, lat, long, address_string, email, device_id,
    account_id, first_name, last_name, phone, description, media_url), with our values."""
    point = spot()
    form = {"api_key": secret, "service_code": "SR01", "lat": f"{point.y:.8f}",
            "long": f"{point.x:.8f}",
            "address_string": "芙蓉街与西更道路口", "email": "smith@example.com", "device_id": "tt222111",
            "account_id": "123456", "first_name": "john", "last_name": "smith", "phone": "13912345678",
            "description": "路口有垃圾堆放，联系我 13912345678", "media_url": "http://example.com/photo.jpg"}
    form.update(changes)
    return client.post(f"{BASE}/requests.json", data=form)


def test_services_and_a_service_definition(demo, client):
    listed = client.get(f"{BASE}/services.json").get_json()
    first = listed[0]
    assert set(first) == {"service_code", "service_name", "description", "metadata", "type", "keywords",
                          "group"}
    assert first["metadata"] is False and first["type"] == "realtime"
    codes = {s["service_code"] for s in listed}
    assert "SR01" in codes and not any(c.startswith(("ZA", "MD")) for c in codes)  # about people: not public
    assert client.get(f"{BASE}/services/SR01.json").get_json() == {"service_code": "SR01", "attributes": []}
    missing = client.get(f"{BASE}/services/ZA01.json")
    assert missing.status_code == 404 and missing.get_json()[0]["code"] == 404
    assert client.get(f"{BASE}/services.json?jurisdiction_id=elsewhere").status_code == 404


def test_a_posted_request_is_an_event_in_its_grid_and_reads_back_without_personal_data(key, client):
    row, secret = key
    response = example_post(client, secret)
    assert response.status_code == 200
    answer = response.get_json()
    assert set(answer[0]) >= {"service_request_id", "service_notice", "account_id"}
    request_id = answer[0]["service_request_id"]
    event = db.session.get(Event, request_id)
    assert (event.source, event.grid.code, event.category.code, event.reporter_id) == (
        "open311", "LX-QCL-FRJ-01", "SR01", row.user_id)
    assert "john" not in event.description and "smith" not in event.description  # names are not kept
    got = client.get(f"{BASE}/requests/{request_id}.json").get_json()
    assert len(got) == 1 and got[0]["status"] == "open" and got[0]["service_code"] == "SR01"
    text = str(got)
    assert "13912345678" not in text and "smith" not in text
    assert client.get(f"{BASE}/tokens/{request_id}.json").get_json() == [
        {"service_request_id": request_id, "token": request_id}]
    still_open = example_post(client, secret, description="路灯不亮").get_json()[0]["service_request_id"]
    # Refused by the community: closed, with its reason as the status notes.
    secretary = User.query.filter_by(username="secretary").one()
    with unit_of_work():
        workflow.transition(secretary, request_id, "refuse", 1, note="已由物业清理")
    closed = client.get(f"{BASE}/requests.json?service_request_id={request_id}").get_json()[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "不予受理"  # not the staff's note
    open_now = client.get(f"{BASE}/requests.json?status=open").get_json()
    assert still_open in {r["service_request_id"] for r in open_now}
    assert all(r["status"] == "open" for r in open_now)
    assert request_id not in {r["service_request_id"] for r in open_now}
    closed_now = client.get(f"{BASE}/requests.json?status=closed").get_json()
    assert request_id in {r["service_request_id"] for r in closed_now}
    assert client.get(f"{BASE}/requests.json?status=pending").status_code == 400


def test_a_workers_report_is_public_only_as_its_category_and_a_coarse_point(demo, client):
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    worker = User.query.filter_by(username="worker").one()
    point = spot()
    for code, text in (("SR01", "王芳家门口垃圾，住户张三说已三天"), ("ZA01", "可疑人员在12号院徘徊")):
        db.session.add(Event(id=str(uuid.uuid4()), category=EventCategory.query.filter_by(code=code).one(),
                             description=text, lon=point.x, lat=point.y, grid=grid, source="grid_worker",
                             reporter=worker, reported_at=datetime.utcnow()))
    db.session.commit()
    listed = client.get(f"{BASE}/requests.json").get_json()
    mine = [r for r in listed if r["service_code"] == "SR01"]
    assert mine and mine[0]["description"] == "市容环境 / 暴露垃圾" and mine[0]["lat"] == round(point.y, 3)
    text = str(listed)
    assert "张三" not in text and "王芳" not in text and "可疑人员" not in text
    assert not [r for r in listed if r["service_code"].startswith("ZA")]
    assert not [r for r in listed if "企业" in r["service_name"]]  # enterprises' cases are not public


def test_errors_keys_and_the_rate_limit(key, client):
    row, secret = key
    before = Event.query.count()
    for changes, status in (({"api_key": ""}, 403), ({"api_key": "not-a-key"}, 403),
                            ({"service_code": "ZA01"}, 400), ({"lat": "abc"}, 400),
                            ({"lat": "0", "long": "0"}, 400), ({"description": ""}, 400)):
        response = example_post(client, secret, **changes)
        assert response.status_code == status, changes
        body = response.get_json()
        assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
    assert Event.query.count() == before
    assert ApiKey.query.filter_by(key_hash=hashlib.sha256(secret.encode()).hexdigest()).one().id == row.id
    assert all(secret not in k.key_hash + k.key_prefix for k in ApiKey.query)  # only its hash is kept
    # Five a minute: the invalid ones above with this key count too.
    statuses = [example_post(client, secret).status_code for _ in range(5)]
    assert 429 in statuses and example_post(client, secret).status_code == 429
    with unit_of_work():
        services.revoke_key(db.session.get(ApiKey, row.id))
    assert example_post(client, secret).status_code == 403


def test_the_admin_issues_and_revokes_keys(demo, login):
    from tests.conftest import csrf_from

    admin = login("admin")
    page = admin.get("/admin/api-keys").get_data(as_text=True)
    issued = admin.post("/admin/api-keys", data={"csrf_token": csrf_from(page), "name": "城市运行平台",
                                                 "per_minute": 30}).get_data(as_text=True)
    row = ApiKey.query.filter_by(name="城市运行平台").one()
    assert "只显示这一次" in issued and row.key_prefix in issued
    assert "只显示这一次" not in admin.get("/admin/api-keys").get_data(as_text=True)
    admin.post("/admin/api-keys", data={"csrf_token": csrf_from(page), "revoke": row.id})
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert login("command").get("/admin/api-keys").status_code == 403


def test_found_by_an_outside_probe_public_answers_hold_no_staff_notes_or_enterprise_cases(key, client):
    """Found by an outside probe: a refusal's staff note (a resident's name and number) was
    published verbatim; the enterprise-need services were offered; numbers written with spaces,
    dashes or full-width digits were not masked; an Open311 case could never be closed."""
    row, secret = key
    codes = {s["service_code"] for s in client.get(f"{BASE}/services.json").get_json()}
    assert not any(c.startswith("QY") for c in codes)
    assert example_post(client, secret, service_code="QY01").status_code == 400
    written = example_post(client, secret, description="请回电 138-0000-1234 或 １３９ ００００ ０１２３")
    written = written.get_json()
    request_id = written[0]["service_request_id"]
    shown = client.get(f"{BASE}/requests/{request_id}.json").get_json()[0]["description"]
    assert "1234" not in shown and "０１２３" not in shown and "0123" not in shown
    secretary = User.query.filter_by(username="secretary").one()
    with unit_of_work():
        workflow.transition(secretary, request_id, "refuse", 1, note="系住户张三（13912345678）家门口")
    closed = client.get(f"{BASE}/requests/{request_id}.json").get_json()[0]
    assert "张三" not in str(closed) and "13912345678" not in str(closed) and closed["status"] == "closed"
    # A request that is handled can be closed by the office (its caller is a system).
    other = example_post(client, secret, description="路灯不亮").get_json()[0]["service_request_id"]
    for action in ("accept", "handle_here"):
        with unit_of_work():
            workflow.transition(secretary, other, action, db.session.get(Event, other).version)
    with unit_of_work():
        workflow.transition(secretary, other, "report_handled", db.session.get(Event, other).version,
                            photos=["p"])
    assert "callback_close" in workflow.available_actions(secretary, db.session.get(Event, other))
    with unit_of_work():
        workflow.transition(secretary, other, "callback_close", db.session.get(Event, other).version)
    assert db.session.get(Event, other).state == "closed"
    assert client.get(f"{BASE}/nothing.json").get_json()[0]["code"] == 404
    assert client.get(f"{BASE}/requests.json?start_date=2026-11-01").status_code == 400  # no zone
