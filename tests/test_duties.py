"""Duty completion: evidence from what workers record, counted against the checklist in force."""
import re
import uuid
from datetime import date, datetime, timedelta

from app import clock
from app.duties.catalogue import default_categories, load_default_checklist
from app.duties.models import DutyChecklist, DutyItem
from app.duties.services import checklist_for, period, progress
from app.extensions import db


def test_default_checklist_has_13_categories_and_42_items():
    categories = default_categories()
    assert len(categories) == 13 and sum(len(c["items"]) for c in categories) == 42


def test_periods():
    thursday = date(2026, 11, 26)
    assert period("daily", thursday) == (thursday, date(2026, 11, 27))
    assert period("weekly", thursday) == (date(2026, 11, 23), date(2026, 11, 30))
    assert period("monthly", thursday) == (date(2026, 11, 1), date(2026, 12, 1))
    assert period("monthly", date(2026, 12, 5)) == (date(2026, 12, 1), date(2027, 1, 1))


def test_evidence_flows_into_completion(demo, login):
    from app.auth.models import User
    from tests.support import ROUTE, Phone, walk

    worker = User.query.filter_by(username="worker").one()
    phone = Phone(login("worker"))
    now = datetime.utcnow().replace(microsecond=0)
    stamp = now.isoformat() + "Z"
    # One patrol with two check-ins, a visit to the elderly resident living alone, a report.
    patrol_id = str(uuid.uuid4())
    phone.push("patrol.start", patrol_id, {"started_at": stamp})
    phone.push("patrol.chunk", patrol_id, {"seq": 0, "points": walk(ROUTE)[:20]})
    for _ in range(2):
        mutation_id = str(uuid.uuid4())
        answer = phone.client.post("/api/v1/sync/push", headers={"X-CSRFToken": phone.token}, json={
            "mutations": [{"id": mutation_id, "kind": "patrol.checkin", "record_id": str(uuid.uuid4()),
                           "author_id": phone.user_id, "created_at": stamp,
                           "data": {"patrol_id": patrol_id, "lon": 117.0095, "lat": 36.6625,
                                    "accuracy": 8}}]})
        assert answer.get_json()["results"][0]["status"] == "applied"
    from app.registry.models import PersonTag, RegistryRecord

    elderly = RegistryRecord.query.join(PersonTag, PersonTag.record_id == RegistryRecord.id).filter(
        PersonTag.tag == "elderly_alone").first()
    visit = phone.client.post("/api/v1/sync/push", headers={"X-CSRFToken": phone.token}, json={
        "mutations": [{"id": str(uuid.uuid4()), "kind": "registry.visit", "record_id": str(uuid.uuid4()),
                       "author_id": phone.user_id, "created_at": stamp,
                       "data": {"target_id": elderly.id, "note": "身体健康"}}]})
    assert visit.get_json()["results"][0]["status"] == "applied"
    today = clock.local_day(now)
    checklist, rows = progress(worker.id, today)
    got = {item.title: (n, pct) for item, _period, n, pct in rows}
    assert len(rows) == 42
    assert got["日常巡查"] == (1, 100)
    assert got["重点部位巡查打卡"][0] == 2 and got["重点部位巡查打卡"][1] == 40  # 2 of 5
    assert got["实有人口登记"][0] == 5  # the demo day's five residents, out of 10
    assert got["出租房屋登记"][0] == 4 and got["出租房屋登记"][1] == 100
    # The visit, and any of the demo's completed 帮办 requests for the elderly (08.1) this week.
    from app.assist.models import AssistRequest, ConvenienceItem
    from app.duties.services import period

    week = period("weekly", today)
    helped = sum(1 for r in AssistRequest.query.join(ConvenienceItem).filter(
        ConvenienceItem.duty_code == "08.1", AssistRequest.state == "done")
        if week[0] <= clock.local_day(r.done_at) < week[1])
    assert got["独居老人走访"] == (1 + helped, 100)
    assert got["残疾人走访"] == (0, 0)
    assert got["政策入户宣传"] == (0, 0)  # from publicity task reports: none yet
    page = login("worker").get("/duties").get_data(as_text=True)
    assert "日常巡查" in page and "由交办任务的完成记录计入" in page
    assert re.search(r'data-code="01\.1".*?data-count="1" data-target="1"', page, re.S)
    assert login("rider").get("/duties").status_code == 404


def test_past_periods_use_the_version_in_force(demo):
    first = checklist_for(date(2026, 6, 1))
    newer = load_default_checklist(valid_from=date(2027, 1, 1))
    newer.items[0].target = 2
    db.session.commit()
    assert checklist_for(date(2026, 12, 31)).id == first.id
    assert checklist_for(date(2027, 3, 1)).id == newer.id
    assert DutyChecklist.query.count() == 2 and DutyItem.query.count() == 84


def test_admin_edits_the_checklist_as_a_new_version(demo, login):
    from app.audit.models import AuditLog
    from app.duties.services import local_today
    from tests.conftest import csrf_from

    admin = login("admin")
    current = checklist_for(local_today())
    page = admin.get("/admin/duties").get_data(as_text=True)
    token = csrf_from(page)
    # The version in force cannot be edited; a new one cannot start today or earlier.
    first_item = current.items[0]
    assert admin.get(f"/admin/duties/{current.id}/items/{first_item.id}").status_code == 403
    page = admin.post("/admin/duties", data={"csrf_token": token, "valid_from": local_today().isoformat()})
    assert "新版本最早从明天起生效" in page.get_data(as_text=True) and DutyChecklist.query.count() == 1
    start = local_today() + timedelta(days=3)
    answer = admin.post("/admin/duties", data={"csrf_token": token, "valid_from": start.isoformat(),
                                               "note": "2027 年修订"})
    assert answer.status_code == 302
    newer = DutyChecklist.query.filter_by(valid_from=start).one()
    assert len(newer.items) == 42
    # Raise the daily patrol target in the new version; drop one item; add one.
    patrol = next(i for i in newer.items if i.code == "01.1")
    fields = {"csrf_token": token, "code": "01.1", "category": "网格巡查", "title": "日常巡查",
              "frequency": "daily", "target": "2", "evidence": "patrol", "only_kind": "",
              "only_category": "", "only_tag": ""}
    assert admin.post(f"/admin/duties/{newer.id}/items/{patrol.id}", data=fields).status_code == 302
    # A code already in the version is refused with a message.
    clash = admin.post(f"/admin/duties/{newer.id}/items/new", data={**fields, "title": "重复"})
    assert "本版本已有这个编号" in clash.get_data(as_text=True)
    added = admin.post(f"/admin/duties/{newer.id}/items/new", data={
        **fields, "code": "13.4", "category": "党建引领与协同", "title": "文明实践志愿服务",
        "frequency": "monthly", "target": "1", "evidence": "manual"})
    assert added.status_code == 302
    dropped = next(i for i in newer.items if i.code == "12.3")
    assert admin.post(f"/admin/duties/{newer.id}/items/{dropped.id}/delete",
                      data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert checklist_for(local_today()).id == current.id
    assert next(i for i in current.items if i.code == "01.1").target == 1  # the past is untouched
    later = checklist_for(start)
    codes = {i.code: i for i in later.items}
    assert len(codes) == 42 and codes["01.1"].target == 2 and "12.3" not in codes and "13.4" in codes
    assert AuditLog.query.filter(AuditLog.action.in_(("duty_checklist.create", "duty_item.save",
                                                      "duty_item.delete"))).count() == 4
    assert login("secretary").get("/admin/duties").status_code == 403
