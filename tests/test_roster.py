"""The grid's roster (2+1+N+X): kept by the community and the street, with its one-grid and
several-grid rules, phones masked everywhere they are shown, CSV and XLSX in and out, and a
member with an account called to an event like a department."""
import io
import uuid
from datetime import datetime

from openpyxl import Workbook, load_workbook

from app.audit.models import AuditLog
from app.auth.models import User
from app.events import workflow
from app.events.models import Event, EventAction, EventCategory
from app.extensions import db
from app.org.models import Grid
from app.roster.models import ForceMember
from app.transaction import unit_of_work
from tests.conftest import csrf_from


def grid(code):
    return Grid.query.filter_by(code=code).one()


def form_post(client, url, data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_the_secretary_adds_a_professional_serving_three_grids_with_the_phone_kept_secret(demo, login):
    secretary = login("secretary")
    grids = [grid(f"LX-QCL-FRJ-0{k}") for k in (1, 2, 3)]
    response = form_post(secretary, "/roster/new", {
        "force": "professional", "post": "心理咨询师", "name": "林晓", "unit": "区心理援助中心",
        "phone": "13912345678", "grids": [g.id for g in grids], "active": "y"})
    assert response.status_code == 302
    member = ForceMember.query.filter_by(name="林晓").one()
    assert member.grid_ids == {g.id for g in grids} and member.phone_masked == "139****5678"
    assert "13912345678" not in (member.phone_cipher or "")
    for page in ("/roster", f"/grids/{grids[1].id}", f"/roster/{member.id}"):
        html = secretary.get(page).get_data(as_text=True)
        assert "林晓" in html and "13912345678" not in html, page
    assert "139****5678" in secretary.get(f"/grids/{grids[2].id}").get_data(as_text=True)
    audit = AuditLog.query.filter_by(action="roster.save").all()
    assert audit and all("13912345678" not in str(a.detail) for a in audit)
    # Saving the form again with the masked number shown keeps the number stored.
    cipher = member.phone_cipher
    form_post(secretary, f"/roster/{member.id}", {
        "force": "professional", "post": "心理咨询师", "name": "林晓", "unit": "区心理援助中心（新址）",
        "phone": "139****5678", "grids": [g.id for g in grids], "active": "y"})
    db.session.refresh(member)
    assert member.unit == "区心理援助中心（新址）" and member.phone_cipher == cipher


def test_one_grid_for_basic_and_linkage_forces_and_only_grids_in_scope(demo, login):
    secretary = login("secretary")
    before = ForceMember.query.count()
    two = [grid("LX-QCL-FRJ-01").id, grid("LX-QCL-FRJ-02").id]
    html = form_post(secretary, "/roster/new", {"force": "linkage", "name": "周志愿", "grids": two}
                     ).get_data(as_text=True)
    assert "一员一格" in html
    other = grid("LX-QCL-ACS-01").id  # the next community's grid: not in the form's choices
    assert form_post(secretary, "/roster/new", {"force": "professional", "name": "越界",
                                                "grids": [other]}).status_code == 200
    bad_phone = form_post(secretary, "/roster/new", {"force": "linkage", "name": "错号",
                                                     "phone": "12345", "grids": two[:1]})
    assert "电话号码格式不正确" in bad_phone.get_data(as_text=True)
    assert ForceMember.query.count() == before


def test_who_may_see_and_keep_the_roster(demo, login):
    acs_member = ForceMember.query.filter(ForceMember.grids.any(Grid.code == "LX-QCL-ACS-01")).first()
    lawyer = ForceMember.query.filter_by(post="律师").join(ForceMember.grids).filter(
        Grid.code == "LX-QCL-FRJ-01").first()
    secretary = login("secretary")
    assert secretary.get(f"/roster/{acs_member.id}").status_code == 404  # another community's
    assert secretary.get(f"/roster/{lawyer.id}").status_code == 403  # seen, but serves the street
    assert login("street").get(f"/roster/{lawyer.id}").status_code == 200  # the street keeps it
    worker = login("worker")
    assert worker.get("/roster").status_code == 200  # sees the roster
    assert worker.get("/roster/new").status_code == 404  # does not keep it
    assert worker.get("/roster/export.csv").status_code == 404
    for username in ("rider", "dept", "police"):
        client = login(username)
        assert client.get("/roster").status_code == 404, username
        assert "网格力量" not in client.get(f"/grids/{grid('LX-QCL-FRJ-01').id}").get_data(as_text=True) \
            or client.get(f"/grids/{grid('LX-QCL-FRJ-01').id}").status_code == 404


def test_each_demo_grid_has_two_chiefs_one_full_time_worker_and_linkage_members(demo):
    from app.roster.services import counts_by_force

    counts = counts_by_force([g.id for g in Grid.query])
    assert len(counts) == Grid.query.count()
    for grid_counts in counts.values():
        assert grid_counts["chief"] == 2 and grid_counts["full_time"] == 1
        assert grid_counts["linkage"] >= 2 and grid_counts["professional"] >= 3
    assert counts[grid("LX-QCL-FRJ-01").id]["part_time"] == 1  # the rider


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, body, filename):
    token = csrf_from(client.get("/roster/import").get_data(as_text=True))
    return client.post("/roster/import", data={"csrf_token": token, "file": (io.BytesIO(body), filename)},
                       content_type="multipart/form-data")


HEADER = ["网格编码", "力量类别", "职务", "姓名", "单位", "联系电话", "账号"]


def test_import_xlsx_and_csv_all_or_nothing_and_export_imports_again(demo, login):
    street = login("street")
    before = ForceMember.query.count()
    rows = [HEADER, ["LX-QCL-FRJ-01", "联动力量", "楼长", "孙楼长", "芙蓉街社区", "13800001111", ""],
            ["LX-QCL-FRJ-02;LX-QCL-ACS-01", "专业力量", "社工", "钱社工", "社工站", 13800002222, ""],
            ["LX-QCL-FRJ-03", "联动力量", "志愿者", "", "", "", ""],  # no name
            ["LX-DMH-QST-01", "联动力量", "志愿者", "越界者", "", "", ""]]  # another street's grid
    html = _upload(street, _xlsx(rows), "roster.xlsx").get_data(as_text=True)
    assert "请填写姓名" in html and "不在你的管辖范围内" in html
    assert "<td>4</td>" in html and "<td>5</td>" in html  # the lines, as the file numbers them
    assert ForceMember.query.count() == before  # nothing from a file with errors
    response = _upload(street, _xlsx(rows[:3]), "roster.xlsx")
    assert response.status_code == 302
    assert ForceMember.query.count() == before + 2
    social = ForceMember.query.filter_by(name="钱社工").one()
    assert {g.code for g in social.grids} == {"LX-QCL-FRJ-02", "LX-QCL-ACS-01"}

    export = street.get("/roster/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.data)).active
    exported = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert exported[0] == HEADER
    mine = [r for r in exported if r[3] == "孙楼长"]
    assert mine == [["LX-QCL-FRJ-01", "联动力量", "楼长", "孙楼长", "芙蓉街社区", "138****1111", ""]]
    assert not any("13800001111" in str(c) for r in exported for c in r)
    csv_export = street.get("/roster/export.csv")
    assert csv_export.data.startswith("\ufeff".encode()) and "孙楼长".encode() in csv_export.data
    # The export goes back in as it came out: every row matches its member, none is added,
    # and masked phones keep the numbers stored.
    cipher = ForceMember.query.filter_by(name="孙楼长").one().phone_cipher
    response = _upload(street, csv_export.data, "roster.csv")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert ForceMember.query.count() == before + 2
    assert ForceMember.query.filter_by(name="孙楼长").one().phone_cipher == cipher


def test_unreadable_files_are_refused_with_a_reason(demo, login):
    street = login("street")
    for body, name, message in ((b"PK\x03\x04broken", "x.xlsx", "无法读取这个 XLSX 文件"),
                                (b"\xff\xfe\x00garbage\x81", "x.csv", ""),
                                (b"a,b\n1,2\n", "x.csv", "缺少列")):
        response = _upload(street, body, name)
        assert response.status_code == 200
        if message:
            assert message in response.get_data(as_text=True)


def test_the_police_officer_on_the_roster_is_called_to_an_event_and_handles_it(demo, login, app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    frj1 = grid("LX-QCL-FRJ-01")
    point = frj1.shape.representative_point()
    worker, secretary, police = (User.query.filter_by(username=u).one()
                                 for u in ("worker", "secretary", "police"))
    event = Event(id=str(uuid.uuid4()), category=EventCategory.query.filter_by(code="MD01").one(),
                  description="楼上楼下噪音纠纷，双方争吵", lon=point.x, lat=point.y, grid=frj1,
                  source="grid_worker", reporter=worker, reported_at=datetime(2026, 11, 30, 1))
    db.session.add(event)
    db.session.commit()
    with unit_of_work():
        workflow.transition(secretary, event.id, "accept", 1)
    desk = login("secretary")
    page = desk.get(f"/events/{event.id}").get_data(as_text=True)
    assert "召集网格力量" in page and police.display_name in page
    member = ForceMember.query.filter_by(user_id=police.id).one()
    token = csrf_from(page)
    desk.post(f"/events/{event.id}/act", data={"csrf_token": token, "action": "call_force", "version": 2,
                                               "member_id": member.id, "note": "请民警到场调解"})
    db.session.refresh(event)
    assert (event.state, event.called_user_id, event.department_id) == ("dispatched", police.id, None)
    assert event.deadline_at is not None

    officer = login("police")
    assert event.id in officer.get("/events").get_data(as_text=True)  # in the officer's inbox
    detail = officer.get(f"/events/{event.id}").get_data(as_text=True)
    assert "接收" in detail and "召集" in detail
    token = csrf_from(detail)
    officer.post(f"/events/{event.id}/act", data={"csrf_token": token, "action": "dept_accept", "version": 3})
    from tests.support import jpeg_bytes

    token = csrf_from(officer.get(f"/events/{event.id}").get_data(as_text=True))
    officer.post(f"/events/{event.id}/act", data={
        "csrf_token": token, "action": "report_handled", "version": 4, "note": "已调解，双方和解",
        "photos": (io.BytesIO(jpeg_bytes()), "site.jpg")}, content_type="multipart/form-data")
    db.session.refresh(event)
    assert event.state == "handled"
    actions = EventAction.query.filter_by(event_id=event.id).order_by(EventAction.id)
    log = [(a.action, a.actor_role) for a in actions]
    assert log == [("accept", "secretary"), ("call_force", "secretary"), ("dept_accept", "force"),
                   ("report_handled", "force")]
    call = EventAction.query.filter_by(event_id=event.id, action="call_force").one()
    assert call.called_user_id == police.id
    assert police.display_name in desk.get(f"/events/{event.id}").get_data(as_text=True)
    with unit_of_work():
        workflow.transition(worker, event.id, "check_pass", event.version)
    # Not called to anything else: the grid's other events stay out of sight.
    other = Event(id=str(uuid.uuid4()), category=event.category, description="另一起", lon=point.x,
                  lat=point.y, grid=frj1, source="grid_worker", reporter=worker,
                  reported_at=datetime(2026, 11, 30, 2))
    db.session.add(other)
    db.session.commit()
    assert officer.get(f"/events/{other.id}").status_code == 404
    assert officer.get("/registry").status_code == 404


def test_an_account_is_linked_only_on_grids_its_force_role_covers(demo, login):
    """Found by an outside probe: another community's secretary linked the 芙蓉街 police account
    to her own grid, and could then call that officer to her events."""
    acs = login("s-qcl-acs")
    before = ForceMember.query.count()
    html = form_post(acs, "/roster/new", {"force": "professional", "name": "借调民警", "post": "民警",
                                          "grids": [grid("LX-QCL-ACS-01").id], "username": "police"}
                     ).get_data(as_text=True)
    assert "没有网格联动力量账号" in html and ForceMember.query.count() == before
