"""The registry: versioned records, merges and conflicts, review, privacy, exports."""
import csv
import io
import uuid

import pytest
from openpyxl import load_workbook

from app.audit.models import AuditLog
from app.extensions import db
from app.registry.models import PersonTag, RecordRevision, RegistryRecord, Submission, Visit
from tests.conftest import csrf_from
from tests.support import RECORDED_AT, Phone  # noqa: F401  (RECORDED_AT: what records carry)

VALID_ID = "11010519491231002X"  # GB 11643 sample number (checksum X)
OTHER_ID = "110105194912310037"


@pytest.fixture
def worker(demo, login):
    return Phone(login("worker"))


def make_household(phone):
    building, answer = phone.create("building", {"name": "芙蓉街12号院1号楼", "address": "芙蓉街12号"})
    assert answer["status"] == "applied", answer
    room, answer = phone.create("room", {"parent_id": building, "name": "1单元301", "use": "rented"})
    assert answer["status"] == "applied", answer
    person, answer = phone.create("person", {
        "name": "张三", "id_number": VALID_ID, "phone": "13812345678", "population_type": "floating",
        "parent_id": room, "tags": ["elderly_alone"]})
    assert answer["status"] == "applied", answer
    return building, room, person


def test_a_day_of_records_in_one_batch_is_answered_as_one_at_a_time(worker, login, caplog):
    """Places and objects are written in runs; a room whose building is in the same batch, and
    people with ID numbers, go one at a time, so the room finds its building and a second person
    with the same number is seen as a duplicate. Each gets its history, its place in the pull
    and, for a worker, its submission to the secretary."""
    import logging

    def mutation(kind, fields):
        record_id = str(uuid.uuid4())
        return record_id, {"id": str(uuid.uuid4()), "kind": "registry.create", "record_id": record_id,
                           "author_id": worker.user_id, "created_at": RECORDED_AT, "form_version": 1,
                           "data": {"kind": kind, "fields": fields}}

    building, m_building = mutation("building", {"name": "芙蓉街20号楼", "address": "芙蓉街20号"})
    room, m_room = mutation("room", {"parent_id": building, "name": "2单元101", "use": "rented"})
    site, m_site = mutation("site", {"name": "芙蓉街便民超市", "site_type": "shop",
                                     "address": "芙蓉街21号", "phone": "13800138000"})
    from app.org.models import Grid

    spot = Grid.query.filter_by(code="LX-QCL-FRJ-01").one().shape.representative_point()
    thing, m_thing = mutation("object", {"name": "JG-0021", "object_type": "manhole",
                                         "condition": "damaged", "address": "芙蓉街21号门口",
                                         "lon": spot.x, "lat": spot.y})
    person, m_person = mutation("person", {"name": "李四", "id_number": VALID_ID})
    twin, m_twin = mutation("person", {"name": "李四", "id_number": VALID_ID})
    batch = [m_building, m_room, m_site, m_thing, m_person, m_twin]
    with caplog.at_level(logging.WARNING, logger="app.sync.services"):
        results = worker.client.post("/api/v1/sync/push", json={"mutations": batch},
                                     headers={"X-CSRFToken": worker.token}).get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 6, results
    assert Submission.query.filter_by(record_id=twin).one().duplicate_of == person
    assert not [r for r in caplog.records if "fell back" in r.getMessage()]
    db.session.remove()
    made = {r.id: r for r in RegistryRecord.query.filter(
        RegistryRecord.id.in_([building, room, site, thing, person, twin]))}
    assert set(made) == {building, room, site, thing, person, twin}
    assert made[room].parent_id == building and made[room].grid_id == made[building].grid_id
    assert made[site].phone_masked == "138****8000" and "13800138000" not in (made[site].phone_cipher or "")
    assert made[site].name_pinyin == "furongjiebianminchaoshi" and made[site].name_initials == "frjbmcs"
    assert made[thing].data["object_type"] == "manhole"
    assert all(r.review_state == "pending" and r.version == 1 and r.created_at for r in made.values())
    revisions = {r.record_id: r for r in RecordRevision.query.filter(RecordRevision.record_id.in_(made))}
    assert set(revisions) == set(made) and revisions[site].changes["phone"] == [None, "138****8000"]
    submissions = {s.record_id: s for s in Submission.query.filter(Submission.record_id.in_(made))}
    assert set(submissions) == set(made)
    assert submissions[building].id == m_building["id"] and submissions[building].op == "create"
    # The records come back to the phone in the pull, and wait for the secretary's review.
    pulled = worker.client.get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    assert {building, room, site, thing, person} <= {c["id"] for c in pulled if c["type"] == "record"}
    queue = login("secretary").get("/review").get_data(as_text=True)
    assert "芙蓉街20号楼" in queue and "芙蓉街便民超市" in queue and "JG-0021" in queue


def test_an_edit_cannot_hang_a_record_under_one_out_of_reach(worker, login):
    """A pushed edit's parent_id is checked like a new record's: it must be a record of the right
    kind that the worker may see, in the same grid; otherwise nothing changes."""
    building, room, _person = make_household(worker)
    elsewhere = Phone(login("w-dmh-bhz-01"))
    far_building, answer = elsewhere.create("building", {"name": "大明湖路1号楼", "address": "大明湖路1号"})
    assert answer["status"] == "applied", answer
    site, answer = worker.create("site", {"name": "芙蓉街小卖部", "site_type": "shop",
                                          "address": "芙蓉街22号"})
    assert answer["status"] == "applied", answer
    for wrong_parent in (far_building, site, "no-such-record"):
        answer = worker.edit(room, 1, {"parent_id": wrong_parent}, {"parent_id": building})
        assert answer["status"] == "rejected" and "parent_id" in answer["errors"], (wrong_parent, answer)
    db.session.remove()
    assert db.session.get(RegistryRecord, room).parent_id == building
    second, answer = worker.create("building", {"name": "芙蓉街12号院2号楼", "address": "芙蓉街12号"})
    assert worker.edit(room, 1, {"parent_id": second}, {"parent_id": building})["status"] == "applied"


def test_create_links_and_encrypts(worker):
    building, room, person = make_household(worker)
    record = db.session.get(RegistryRecord, person)
    assert record.grid.code == "LX-QCL-FRJ-01" and record.parent_id == room
    assert db.session.get(RegistryRecord, room).parent_id == building
    assert record.id_masked == "1101*************X" and record.phone_masked == "138****5678"
    assert record.data["birth_year"] == 1949 and record.data["sex"] == "female"
    assert "birth_date" not in record.data  # the date stays inside the encrypted number
    assert record.name_pinyin == "zhangsan" and record.name_initials == "zs"
    # Encryption at rest: the raw row holds no plain number.
    row = db.session.execute(db.text(
        "SELECT id_cipher, id_hash, phone_cipher, data FROM registry_record WHERE id = :id"),
        {"id": person}).one()
    raw = " ".join(str(v) for v in row)
    assert VALID_ID not in raw and "13812345678" not in raw and "12345678" not in raw
    assert row.id_cipher.startswith("gAAAA")  # a Fernet token
    # The history shows masked values only.
    history = RecordRevision.query.filter_by(record_id=person).one()
    assert history.changes["id_number"] == [None, "1101*************X"]
    assert Submission.query.filter_by(record_id=person, state="pending").count() == 1
    assert PersonTag.query.filter_by(record_id=person).one().tag == "elderly_alone"


def test_invalid_ids_are_rejected_and_duplicates_go_to_the_secretary(worker, login):
    """A duplicate ID number is not refused to the worker: "already registered" would confirm
    a guessed number (found by an outside probe). It waits for the secretary, marked."""
    _, answer = worker.create("person", {"name": "李四", "id_number": "110105194912310021",
                                         "population_type": "registered"})
    assert answer["status"] == "rejected" and "校验位" in answer["errors"]["id_number"][0]
    _, _, first = make_household(worker)
    again, answer = worker.create("person", {"name": "张三", "id_number": VALID_ID.lower(),
                                             "population_type": "registered"})
    assert answer["status"] == "applied"
    assert Submission.query.filter_by(record_id=again).one().duplicate_of == first
    queue = login("secretary").get("/review").get_data(as_text=True)
    assert "可能是重复登记" in queue and f"/registry/{first}" in queue
    # The secretary, who may reveal numbers anyway, is told at once.
    from app.org.models import Grid

    secretary = Phone(login("secretary"))
    _, answer = secretary.create("person", {"name": "张三", "id_number": VALID_ID,
                                            "population_type": "registered",
                                            "grid_id": Grid.query.filter_by(code="LX-QCL-FRJ-01").one().id})
    assert answer["status"] == "rejected" and "已登记" in answer["errors"]["id_number"][0]


def test_older_form_version_is_still_accepted(worker):
    # Version 1 of the person form had no population type; such queued records still go in.
    record_id, answer = worker.create("person", {"name": "王五"}, form_version=1)
    assert answer["status"] == "applied"
    assert db.session.get(RegistryRecord, record_id).data["population_type"] == "registered"
    _, answer = worker.create("person", {"name": "王六"}, form_version=2)
    assert answer["status"] == "rejected" and "population_type" in answer["errors"]


def test_disjoint_edits_merge_and_same_field_edits_conflict(worker, login):
    _, room, person = make_household(worker)
    leader = Phone(login("leader"))
    # Both phones start from version 1.
    a = worker.edit(person, 1, {"address": "芙蓉街12号1单元301"}, {"address": None})
    b = leader.edit(person, 1, {"work_unit": "泉城广场管理处"}, {"work_unit": None})
    assert a["status"] == b["status"] == "applied" and b["conflicts"] == []
    record = db.session.get(RegistryRecord, person)
    db.session.refresh(record)
    assert record.address == "芙蓉街12号1单元301" and record.data["work_unit"] == "泉城广场管理处"
    assert record.version == 3
    # Same field, different values, from the same base: no silent overwrite.
    c = worker.edit(person, 3, {"phone": "13900000001"}, {"phone": "138****5678"})
    d = leader.edit(person, 3, {"phone": "13700000002"}, {"phone": "138****5678"})
    assert c["conflicts"] == [] and d["conflicts"] == ["phone"]
    db.session.refresh(record)
    assert record.phone_masked == "139****0001"
    conflict = Submission.query.filter_by(record_id=person, op="edit", has_conflicts=True).one()
    assert conflict.conflicts["phone"]["server"] == "139****0001"
    assert conflict.conflicts["phone"]["phone"] == "137****0002"
    assert "13700000002" not in str(conflict.conflicts)  # the phone's number is kept encrypted
    secretary = login("secretary")
    token = csrf_from(secretary.get("/review").get_data(as_text=True))
    secretary.post("/review/decide", data={"csrf_token": token, "action": "approve",
                                           "submission": conflict.id,
                                           f"choice-{conflict.id}:phone": "phone"})
    db.session.refresh(record)
    assert record.phone_masked == "137****0002" and record.phone_tail == "0002"


def test_a_stale_edit_that_does_not_say_what_it_saw_is_a_conflict(worker, login):
    """An edit from an older version with no base for a field was applied over the newer value
    (found by an outside probe that renamed a resident this way)."""
    _, _, person = make_household(worker)
    worker.edit(person, 1, {"work_unit": "甲公司"}, {"work_unit": None})  # now version 2
    answer = worker.edit(person, 1, {"name": "Y"}, {})
    record = db.session.get(RegistryRecord, person)
    db.session.refresh(record)
    assert record.name == "张三"
    assert answer["status"] == "applied" and answer["conflicts"] == ["name"]


def test_secretary_resolves_conflict_approves_in_bulk_and_returns(worker, login):
    _, _, person = make_household(worker)
    leader = Phone(login("leader"))
    worker.edit(person, 1, {"work_unit": "甲公司"}, {"work_unit": None})
    leader.edit(person, 1, {"work_unit": "乙公司"}, {"work_unit": None})
    secretary = login("secretary")
    page = secretary.get("/review").get_data(as_text=True)
    assert "张三" in page and "甲公司" in page and "乙公司" in page and "冲突" in page
    token = csrf_from(page)
    conflict = Submission.query.filter_by(has_conflicts=True).one()
    # Approving a conflict without choosing is refused, and changes nothing.
    secretary.post("/review/decide", data={"csrf_token": token, "action": "approve",
                                           "submission": conflict.id})
    assert db.session.get(Submission, conflict.id).state == "pending"
    secretary.post("/review/decide", data={"csrf_token": token, "action": "approve",
                                           "submission": conflict.id,
                                           f"choice-{conflict.id}:work_unit": "phone"})
    record = db.session.get(RegistryRecord, person)
    db.session.refresh(record)
    assert record.data["work_unit"] == "乙公司"
    # Bulk approval of everything else that waits.
    waiting = [s.id for s in Submission.query.filter_by(state="pending")]
    assert len(waiting) >= 3
    secretary.post("/review/decide", data={"csrf_token": token, "action": "approve",
                                           "submission": waiting})
    assert Submission.query.filter_by(state="pending").count() == 0
    assert AuditLog.query.filter_by(action="registry.approve").count() == len(waiting) + 1
    # Return with a comment: the worker's phone pulls it as "needs fixing".
    worker.edit(person, record.version, {"notes": "待核实"}, {"notes": None})
    pending = Submission.query.filter_by(state="pending").one()
    response = secretary.post("/review/decide", data={"csrf_token": token, "action": "return",
                                                      "submission": pending.id})
    assert db.session.get(Submission, pending.id).state == "pending"  # a comment is required
    secretary.post("/review/decide", data={"csrf_token": token, "action": "return",
                                           "submission": pending.id, "comment": "请补充工作单位电话"})
    assert response.status_code == 302
    pulled = worker.client.get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    mine = next(c for c in pulled if c["type"] == "record" and c["id"] == person)
    assert mine["data"]["review"] == {"state": "returned", "comment": "请补充工作单位电话"}
    # A returned edit is taken back: not live in the registry, its pull, or the exports.
    assert "notes" not in mine["data"]["fields"]
    assert "待核实" not in secretary.get("/registry/export.csv").get_data(as_text=True)
    detail = secretary.get(f"/registry/{person}").get_data(as_text=True)
    assert "已退回修改" in detail and "待核实" in detail  # the history keeps what was sent


def test_the_review_queue_pages_filters_and_decides_one_by_one(worker, login):
    """Pages of 20, filters by kind, grid and worker, a decision and comment per item, diffs
    folded, and pending edits marked as already applied."""
    from app.org.models import Grid

    for n in range(23):
        worker.create("site", {"name": f"店铺{n:02d}", "site_type": "shop", "address": f"芙蓉街{n}号"})
    building, _room, _person = make_household(worker)
    worker.edit(building, 1, {"address": "芙蓉街12号（新）"}, {"address": "芙蓉街12号"})
    sites = Submission.query.join(RegistryRecord).filter(RegistryRecord.kind == "site",
                                                         Submission.state == "pending").count()
    assert sites >= 23
    secretary = login("secretary")
    first = secretary.get("/review?kind=site").get_data(as_text=True)
    assert first.count('name="submission"') == 20 and "张三" not in first
    second = secretary.get("/review?kind=site&page=2").get_data(as_text=True)
    assert second.count('name="submission"') == sites - 20
    assert "<details" in first
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-02").one()
    assert secretary.get(f"/review?grid={grid.id}").get_data(as_text=True).count('name="submission"') == 0
    mine = secretary.get(f"/review?author={worker.user_id}&kind=building").get_data(as_text=True)
    assert "芙蓉街12号（新）" in mine and "已写入登记" in mine
    assert secretary.get("/review?author=abc&grid=x&kind=nope&page=-3").status_code == 200
    waiting = Submission.query.filter_by(state="pending").count()
    edit = Submission.query.filter_by(record_id=building, op="edit").one()
    answer = secretary.post("/review/decide", data={
        "csrf_token": csrf_from(mine), "decide": f"return:{edit.id}",
        f"comment-{edit.id}": "地址请写门牌全称"})
    assert answer.status_code == 302
    db.session.refresh(edit)
    assert edit.state == "returned" and edit.comment == "地址请写门牌全称"
    assert Submission.query.filter_by(state="pending").count() == waiting - 1  # only that one
    record = db.session.get(RegistryRecord, building)
    db.session.refresh(record)
    assert record.address == "芙蓉街12号"  # the returned edit is taken back


def test_rejecting_a_create_removes_the_record(worker, login):
    record_id, _ = worker.create("site", {"name": "老王烧烤", "site_type": "catering",
                                          "address": "芙蓉街20号"})
    secretary = login("secretary")
    token = csrf_from(secretary.get("/review").get_data(as_text=True))
    submission = Submission.query.filter_by(record_id=record_id).one()
    secretary.post("/review/decide", data={"csrf_token": token, "action": "reject",
                                           "submission": submission.id, "comment": "重复"})
    assert secretary.get(f"/registry/{record_id}").status_code == 404
    changes = worker.client.get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    assert {"type": "record", "id": record_id, "op": "delete"} in changes


def test_reveal_is_limited_and_audited(worker, login):
    _, _, person = make_household(worker)
    assert worker.client.post(f"/registry/{person}/reveal/id_number",
                              headers={"Accept": "application/json"}).status_code in (400, 403)
    secretary = login("secretary")
    detail = secretary.get(f"/registry/{person}").get_data(as_text=True)
    assert "1101*************X" in detail and VALID_ID not in detail
    response = secretary.post(f"/registry/{person}/reveal/id_number",
                              data={"csrf_token": csrf_from(detail)},
                              headers={"Accept": "application/json"})
    assert response.get_json()["value"] == VALID_ID
    row = AuditLog.query.filter_by(action="registry.reveal").one()
    assert row.actor_name == "secretary" and row.object_id == person
    assert row.detail == {"field": "id_number"}


def test_a_revealed_number_is_shown_once_and_kept_nowhere(worker, login, app):
    """The full number comes in the answer to the reveal itself, marked not to be stored: never
    through the session cookie (a flash message) or a page a cache could keep."""
    _, _, person = make_household(worker)
    secretary = login("secretary")
    detail = secretary.get(f"/registry/{person}").get_data(as_text=True)
    response = secretary.post(f"/registry/{person}/reveal/id_number",
                              data={"csrf_token": csrf_from(detail)})
    assert response.status_code == 200 and VALID_ID in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    cookie = secretary.get_cookie(app.config["SESSION_COOKIE_NAME"])
    stored = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert VALID_ID not in repr(stored) and VALID_ID not in cookie.value
    # The next page shows the masked number again.
    again = secretary.get(f"/registry/{person}").get_data(as_text=True)
    assert VALID_ID not in again and "1101*************X" in again


def test_sensitive_tags_only_for_grid_staff(worker, login):
    _, _, person = make_household(worker)
    assert "独居老人" in login("secretary").get(f"/registry/{person}").get_data(as_text=True)
    assert "独居老人" in login("leader").get(f"/registry/{person}").get_data(as_text=True)
    street_page = login("street").get(f"/registry/{person}").get_data(as_text=True)
    assert "张三" in street_page and "独居老人" not in street_page
    assert "重点人群标签" not in street_page  # not even that the person has one, in the history
    # Office roles get no offline copy of the registry (docs/privacy.md says why); a leader's
    # phone gets the record with its tags, since it is the leader's own grid.
    for office in ("command", "street", "secretary"):
        pulled = login(office).get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
        assert not [c for c in pulled if c["type"] == "record"], office
    pulled = login("leader").get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    assert next(c for c in pulled if c["id"] == person)["data"]["tags"] == ["elderly_alone"]


RIDER_URLS = ["/registry", "/registry/{id}", "/registry/{id}/edit", "/registry/new/person",
              "/registry/app", "/review", "/registry/export.csv", "/registry/export.xlsx",
              "/registry/objects.geojson", "/api/v1/registry/{id}"]


@pytest.mark.parametrize("username", ["rider", "dept"])
def test_riders_and_departments_see_no_resident_data(worker, login, username):
    _, _, person = make_household(worker)
    client = login(username)
    for url in RIDER_URLS:
        response = client.get(url.format(id=person))
        assert response.status_code == 404, (url, response.status_code)
        assert "张三" not in response.get_data(as_text=True)
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    assert client.post(f"/registry/{person}/reveal/id_number",
                       headers={"X-CSRFToken": token}).status_code in (400, 404)
    pulled = client.get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    assert not [c for c in pulled if c["type"] in ("record", "visit")]
    rider = Phone(client)
    _, answer = rider.create("person", {"name": "某人", "population_type": "registered"})
    assert answer["status"] == "forbidden"
    assert rider.push("registry.visit", str(uuid.uuid4()),
                      {"target_id": person, "note": "x"})["status"] == "forbidden"


def test_scope_of_records_across_grids(worker, login):
    _, _, person = make_household(worker)
    assert login("w-qcl-frj-02").get(f"/registry/{person}").status_code == 404
    assert login("s-qcl-acs").get(f"/registry/{person}").status_code == 404
    other = Phone(login("w-qcl-frj-02"))
    answer = other.edit(person, 1, {"name": "改名"}, {"name": "张三"})
    assert answer["status"] == "rejected" and answer["code"] == "not_found"
    assert db.session.get(RegistryRecord, person).name == "张三"
    # Street sees but cannot change.
    street = Phone(login("street"))
    assert street.client.get(f"/registry/{person}").status_code == 200
    assert street.client.get(f"/registry/{person}/edit").status_code == 403
    assert street.edit(person, 1, {"name": "改名"}, {"name": "张三"})["status"] == "forbidden"


def test_visits_are_logged(worker):
    _, _, person = make_household(worker)
    visit_id = str(uuid.uuid4())
    answer = worker.push("registry.visit", visit_id, {"target_id": person, "note": "上门走访，身体健康"})
    assert answer["status"] == "applied"
    # Another mutation claiming the same visit id is a conflict, never a second visit.
    again = worker.push("registry.visit", visit_id, {"target_id": person, "note": "上门走访，身体健康"})
    assert again["status"] == "conflict"
    empty = worker.push("registry.visit", str(uuid.uuid4()), {"target_id": person, "note": " "})
    assert empty["status"] == "rejected" and "note" in empty["errors"]
    assert Visit.query.filter_by(record_id=person).count() == 1
    page = login_secretary_detail(worker, person)
    assert "上门走访，身体健康" in page


def login_secretary_detail(worker, person):
    from tests.conftest import sign_in

    client = worker.client.application.test_client()
    sign_in(client, "secretary")
    return client.get(f"/registry/{person}").get_data(as_text=True)


def test_search_by_name_pinyin_id_phone(worker, login):
    make_household(worker)
    secretary = login("secretary")
    for q in ("张", "zs", "zhang", VALID_ID, "13812345678", "5678"):
        page = secretary.get(f"/registry?q={q}&kind=person").get_data(as_text=True)
        assert "张三" in page, q
    # The ID number's last digits find nothing: searched one by one they would give back the
    # digits its mask hides.
    assert "张三" not in secretary.get("/registry?q=002X&kind=person").get_data(as_text=True)
    assert "张三" not in secretary.get("/registry?q=li&kind=person").get_data(as_text=True)


def test_exports_masked_by_default_unmasked_audited(worker, login):
    make_household(worker)
    worker.create("object", {"name": "JG-0001", "object_type": "manhole", "condition": "damaged",
                             "lon": 117.0095, "lat": 36.6625})
    secretary = login("secretary")
    answer = secretary.get("/registry/export.csv?kind=person")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    masked = answer.get_data(as_text=True)
    rows = {r[1]: r for r in csv.reader(io.StringIO(masked.lstrip("\ufeff")))}
    assert rows["张三"][4] == "1101*************X" and VALID_ID not in masked
    assert len(rows) == 1 + 1 + 5  # header, 张三 and the demo's five residents
    full = secretary.get("/registry/export.xlsx?kind=person&unmask=1")
    sheet = load_workbook(io.BytesIO(full.data)).active
    values = {r[1]: r for r in sheet.iter_rows(values_only=True)}
    assert values["张三"][4] == VALID_ID and values["张三"][5] == "13812345678"
    exports = AuditLog.query.filter_by(action="registry.export").order_by(AuditLog.id).all()
    assert [e.detail["unmasked"] for e in exports] == [False, True]
    geo = secretary.get("/registry/objects.geojson").get_json()
    codes = {f["properties"]["code"]: f["geometry"]["coordinates"] for f in geo["features"]}
    assert codes["JG-0001"] == [117.0095, 36.6625]
    # Workers cannot export.
    assert worker.client.get("/registry/export.csv").status_code == 403


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x.example\",\"点击\")", "+1+2", "-3+4",
                                  "@SUM(A1:A9)", "\t=1+1"])
def test_exported_text_never_becomes_a_formula(worker, login, name):
    """A name typed as a formula stays text in the CSV and the XLSX (OWASP CSV injection)."""
    _, answer = worker.create("building", {"name": name, "address": "芙蓉街30号"})
    assert answer["status"] == "applied", answer
    secretary = login("secretary")
    text = secretary.get("/registry/export.csv?kind=building").get_data(as_text=True)
    names = [r[1] for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    assert "'" + name.strip() in names or "'" + name in names, names
    assert not any(n.startswith(("=", "+", "-", "@", "\t")) for n in names)
    sheet = load_workbook(io.BytesIO(secretary.get("/registry/export.xlsx?kind=building").data)).active
    cells = [row[1] for row in sheet.iter_rows()]
    typed = [c for c in cells if c.value in (name, name.strip())]
    assert typed and all(c.data_type == "s" for c in typed)
    assert not [c for c in cells if c.data_type == "f"]


def test_id_numbers_of_elderly_residents_are_accepted():
    """Real numbers carry the region code at issue, which may postdate the holder's birth."""
    from app.registry.privacy import check_id_number

    number, birth, sex = check_id_number("37010219440305002X")
    assert birth.isoformat() == "1944-03-05" and sex == "female"
    for bad in ("370102194403050021", "37010219440399002X", "3701021944030500", "ABCDEFGHIJKLMNOPQR"):
        try:
            check_id_number(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
