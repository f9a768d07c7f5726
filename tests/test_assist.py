"""帮办代办: a worker's request for a resident, with their consent, moved through to done or
refused from the phone's outbox; the secretary's desk, overdue and call-back; the catalogue;
completed requests counting toward their duty item."""
import uuid
from datetime import date

from app.assist.catalogue import default_categories
from app.assist.models import AssistRequest, AssistStep, ConvenienceItem
from app.auth.models import User
from app.duties.services import progress
from app.extensions import db
from app.registry.models import RegistryRecord
from tests import support
from tests.conftest import csrf_from
from tests.support import RECORDED_AT, Phone

RECORDED_DAY = date.fromisoformat(RECORDED_AT[:10])  # the day the test phone stamps

phone = support.api_phone


def person(name):
    return RegistryRecord.query.filter_by(kind="person", name=name).one()


def item(name):
    return ConvenienceItem.query.filter_by(name=name).one()


def ask(phone, resident, item_name="临时救助申请", **extra):
    request_id = str(uuid.uuid4())
    data = {"item_id": item(item_name).id, "resident_id": resident.id, "consent": True,
            "consent_method": "in_person", "note": "家中突发困难"}
    data.update(extra)
    return request_id, phone.push("assist.create", request_id, data)


def test_the_catalogue_has_12_categories_and_43_items(demo):
    categories = default_categories()
    assert len(categories) == 12 and sum(len(c["items"]) for c in categories) == 43
    assert ConvenienceItem.query.count() == 43
    assert all(i.materials and i.office and i.time_limit_days > 0 for i in ConvenienceItem.query)


def test_a_request_moves_from_accepted_to_done_with_receipts_and_satisfaction(phone):
    resident = person("孙建国")
    request_id, result = ask(phone, resident)
    assert result["status"] == "applied", result
    request = db.session.get(AssistRequest, request_id)
    assert (request.state, request.consent_method) == ("accepted", "in_person")
    assert request.grid_id == resident.grid_id
    assert request.due_on > date(2026, 11, 27)  # ten working days after it was recorded
    receipt, response = phone.put_photo()
    assert response.status_code in (200, 201)
    for to, extra in (("materials", {}), ("submitted", {"photos": [receipt]}), ("done", {"satisfaction": 5})):
        result = phone.push("assist.advance", request_id, {"to": to, "note": f"{to} 完成", **extra})
        assert result["status"] == "applied", (to, result)
    db.session.refresh(request)
    assert (request.state, request.satisfaction, request.version) == ("done", 5, 4)
    assert [s.to_state for s in request.steps] == ["accepted", "materials", "submitted", "done"]
    assert request.steps[2].photos == [receipt]
    # The receipt is seen by the office over the grid, not by another community's secretary.
    assert phone.client.get(f"/media/{receipt}").status_code == 200


def test_bad_requests_are_refused_with_a_reason_and_store_nothing(phone, login, demo):
    resident = person("赵秀英")
    before = AssistRequest.query.count()
    _id, no_consent = ask(phone, resident, consent=False)
    assert no_consent["status"] == "rejected" and "consent" in no_consent["errors"]
    building = RegistryRecord.query.filter_by(kind="building").first()
    _id, not_a_person = ask(phone, building)
    assert not_a_person["status"] == "rejected" and "resident_id" in not_a_person["errors"]
    _id, unknown_item = ask(phone, resident, item_id=999999)
    assert unknown_item["status"] == "rejected" and "item_id" in unknown_item["errors"]
    _id, no_photo = ask(phone, resident, photos=[str(uuid.uuid4())])
    assert no_photo["status"] == "rejected" and no_photo["code"] == "media_missing"
    assert AssistRequest.query.count() == before
    request_id, ok = ask(phone, resident)
    jump = phone.push("assist.advance", request_id, {"to": "done"})
    assert jump["status"] == "rejected" and jump["code"] == "illegal"
    no_reason = phone.push("assist.advance", request_id, {"to": "refused", "note": ""})
    assert no_reason["status"] == "rejected" and "note" in no_reason["errors"]
    refused = phone.push("assist.advance", request_id, {"to": "refused", "note": "不符合申请条件"})
    assert refused["status"] == "applied"
    assert phone.push("assist.advance", request_id, {"to": "materials"})["status"] == "rejected"
    # A rider may not act for residents, nor another worker on this worker's request.
    rider = Phone(login("rider"))
    assert ask(rider, resident)[1]["status"] in ("rejected", "forbidden")
    other = Phone(login("w-qcl-frj-02"))
    result = other.push("assist.advance", request_id, {"to": "materials"})
    assert result["status"] == "rejected" and result["code"] == "not_found"
    assert AssistRequest.query.count() == before + 1


def test_the_secretary_sees_overdue_requests_and_records_the_call_back(demo, login):
    desk = login("secretary")
    html = desk.get("/assist/desk").get_data(as_text=True)
    assert "居住证申领" in html and "高龄津贴申领" in html and "已超期" in html
    overdue = desk.get("/assist/desk?overdue=1").get_data(as_text=True)
    assert "居住证申领" in overdue and "高龄津贴申领" not in overdue
    done = AssistRequest.query.filter_by(state="done").one()
    page = desk.get(f"/assist/{done.id}").get_data(as_text=True)
    assert "回访" in page and "赵秀英" in page
    desk.post(f"/assist/{done.id}/callback", data={"csrf_token": csrf_from(page), "satisfaction": 4,
                                                  "note": "电话回访，老人满意"})
    db.session.refresh(done)
    assert (done.satisfaction, done.satisfaction_note) == (4, "电话回访，老人满意")
    # Out of scope: another community's secretary, and a worker of another grid.
    assert login("s-qcl-acs").get(f"/assist/{done.id}").status_code == 404
    assert login("w-qcl-frj-02").get(f"/assist/{done.id}").status_code == 404
    refused = login("worker").post(f"/assist/{done.id}/callback", data={"satisfaction": 1})
    assert refused.status_code in (400, 404)
    db.session.refresh(done)
    assert done.satisfaction == 4


def test_the_phone_page_carries_no_residents_data_and_is_kept_offline(demo, login):
    worker = login("worker")
    page = worker.get("/assist")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert "高龄津贴申领" in html  # the worker's requests and the catalogue
    for name in ("赵秀英", "郑桂兰", "孙建国", "周晓梅"):
        assert name not in html
    mine = worker.get("/assist/mine.json")
    assert mine.headers["Cache-Control"] == "no-store" and len(mine.get_json()["mine"]) == 4
    assert "/assist" in worker.get("/").get_data(as_text=True)
    assert login("rider").get("/assist").status_code == 404


def test_a_completed_request_counts_toward_its_duty_item(phone):
    worker = User.query.filter_by(username="worker").one()
    item_0801 = next(row for row in progress(worker.id, RECORDED_DAY)[1] if row[0].code == "08.1")
    before = item_0801[2]
    request_id, _ = ask(phone, person("赵秀英"), item_name="居家养老服务申请")
    for to in ("materials", "submitted", "done"):
        phone.push("assist.advance", request_id, {"to": to})
    after = next(row for row in progress(worker.id, RECORDED_DAY)[1] if row[0].code == "08.1")[2]
    assert after == before + 1


def test_the_admin_keeps_the_catalogue(demo, login):
    admin = login("admin")
    target = item("临时救助申请")
    page = admin.get(f"/admin/assist-items/{target.id}").get_data(as_text=True)
    admin.post(f"/admin/assist-items/{target.id}", data={
        "csrf_token": csrf_from(page), "category": "社会救助", "name": "临时救助申请",
        "materials": "身份证\n困难情况说明\n收入证明", "office": "街道便民服务中心", "time_limit_days": 7,
        "duty_code": "08.3", "active": "y"})
    db.session.refresh(target)
    assert target.time_limit_days == 7 and target.materials.splitlines()[-1] == "收入证明"
    bad = admin.post(f"/admin/assist-items/{target.id}", data={
        "csrf_token": csrf_from(page), "category": "社会救助", "name": "临时救助申请", "time_limit_days": 0,
        "duty_code": "x"})
    assert bad.status_code == 200 and "编号形如" in bad.get_data(as_text=True)
    db.session.refresh(target)
    assert target.time_limit_days == 7
    assert login("secretary").get("/admin/assist-items").status_code == 403
    assert AssistStep.query.count() > 0
