"""双报到: units registered by the street, members registering on their phones through the
community's link and approved by the secretary, needs claimed and service logged through the
outbox, confirmed at the desk, and the hours per member, unit and community."""
import io
import re
import uuid

from openpyxl import load_workbook

from app.auth.models import User
from app.extensions import db
from app.org.models import OrgUnit
from app.volunteers.models import JoinLink, PartyMember, ReportingUnit, ServiceClaim, ServiceNeed
from tests.conftest import csrf_from
from tests.support import Phone, jpeg_bytes


def community(code="LX-QCL-FRJ"):
    return OrgUnit.query.filter_by(code=code).one()


def post_form(client, url, data, page=None):
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_units_are_registered_by_the_street_not_the_secretary(demo, login):
    street = login("street")
    frj = community()
    response = post_form(street, "/volunteers/units/new", {
        "community_id": frj.id, "name": "历下区教育局机关党支部", "contact_name": "王老师",
        "phone": "13800138000"})
    assert response.status_code == 302
    unit = ReportingUnit.query.filter_by(name="历下区教育局机关党支部").one()
    assert unit.phone_masked == "138****8000" and "13800138000" not in (unit.phone_cipher or "")
    again = post_form(street, "/volunteers/units/new",
                      {"community_id": frj.id, "name": "历下区教育局机关党支部"})
    assert "已在本社区报到" in again.get_data(as_text=True)
    assert login("secretary").get("/volunteers/units/new").status_code == 404
    assert login("s-dmh-qst").get(f"/volunteers/units/{unit.id}").status_code == 404


def join_form(client, url, **values):
    data = {"name": "林小雨", "phone": "13912340000", "unit_id": 0, "username": "linxiaoyu",
            "password": "party-member-1", "confirm": "party-member-1"}
    data.update(values)
    return post_form(client, url, data)


def test_a_member_joins_through_the_link_is_approved_claims_logs_and_is_confirmed(demo, login, app,
                                                                                tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    secretary = login("secretary")
    frj = community()
    page = secretary.get(f"/volunteers/join-link/{frj.id}").get_data(as_text=True)
    url = re.search(r'href="(http://localhost/join/[^"]+)"', page).group(1)
    qr = secretary.get(f"/volunteers/join-link/{frj.id}/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    path = url.replace("http://localhost", "")

    visitor = app.test_client()  # not signed in
    bad = join_form(visitor, path, phone="12345", confirm="something-else", username="worker")
    html = bad.get_data(as_text=True)
    assert "电话号码格式不正确" in html or "两次输入的密码不一致" in html
    assert User.query.filter_by(username="linxiaoyu").first() is None
    assert join_form(visitor, path, username="worker").status_code == 200  # taken: said, not stored
    unit = ReportingUnit.query.filter_by(community_id=frj.id).first()
    assert join_form(visitor, path, unit_id=unit.id).status_code == 302
    applicant = PartyMember.query.filter_by(name="林小雨").one()
    assert applicant.state == "pending" and applicant.phone_masked == "139****0000"
    assert visitor.get("/join/not-a-real-token-at-all-xxxxxxxx").status_code == 404

    member = login("linxiaoyu", "party-member-1")
    assert "待审核" in member.get("/serve").get_data(as_text=True)
    phone = Phone(member)
    need = ServiceNeed.query.filter_by(title="老旧楼院楼道清理").one()
    refused = phone.push("service.claim", str(uuid.uuid4()), {"need_id": need.id})
    assert refused["status"] in ("forbidden", "rejected")
    assert "林小雨" in secretary.get("/volunteers").get_data(as_text=True)
    post_form(secretary, f"/volunteers/members/{applicant.id}/decide", {"approve": "1"}, page="/volunteers")
    db.session.refresh(applicant)
    assert applicant.state == "approved"

    claim_id = str(uuid.uuid4())
    assert phone.push("service.claim", claim_id, {"need_id": need.id})["status"] == "applied"
    again = phone.push("service.claim", str(uuid.uuid4()), {"need_id": need.id})
    assert again["status"] == "rejected" and again["code"] == "exists"
    photo, _ = phone.put_photo(jpeg_bytes())
    short = phone.push("service.log", claim_id, {"hours": 0, "note": "清理楼道"})
    assert short["status"] == "rejected" and "hours" in short["errors"]
    logged = phone.push("service.log", claim_id,
                        {"hours": 2.5, "note": "清理 2 个楼道的杂物", "photos": [photo]})
    assert logged["status"] == "applied"
    desk = secretary.get("/volunteers").get_data(as_text=True)
    assert "清理 2 个楼道的杂物" in desk
    post_form(secretary, f"/volunteers/claims/{claim_id}/confirm", {"accept": "1"}, page="/volunteers")
    row = db.session.get(ServiceClaim, claim_id)
    assert row.state == "confirmed" and row.hours == 2.5
    assert "2.5" in member.get("/serve").get_data(as_text=True)

    # The unit's month for its home organisation carries the member's service.
    street = login("street")
    report = street.get(f"/volunteers/units/{unit.id}/report.xlsx")
    sheet = load_workbook(io.BytesIO(report.data)).active
    cells = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    assert any(r[1] == "林小雨" and r[5] == 2.5 for r in cells if len(r) > 5)
    assert cells[-1][0] == "合计"


def test_claims_hold_to_their_community_their_slots_and_their_state(demo, login):
    member = Phone(login("member"))
    frj_needs = {n.title: n for n in ServiceNeed.query.filter_by(community_id=community().id)}
    wish = frj_needs["为一位独居老人送一台收音机"]  # one slot
    first = member.push("service.claim", str(uuid.uuid4()), {"need_id": wish.id})
    assert first["status"] == "applied", first
    other = Phone(login("m-frj-01"))
    full = other.push("service.claim", str(uuid.uuid4()), {"need_id": wish.id})
    assert full["status"] == "rejected" and full["code"] == "full"
    secretary = login("s-dmh-qst")  # another community's secretary publishes a need there
    qst = community("LX-DMH-QST")
    post_form(secretary, "/volunteers/needs/new",
              {"community_id": qst.id, "kind": "project", "title": "曲水亭街清扫", "slots": 3, "hours": 2})
    far = ServiceNeed.query.filter_by(title="曲水亭街清扫").one()
    result = member.push("service.claim", str(uuid.uuid4()), {"need_id": far.id})
    assert result["status"] == "rejected" and result["code"] == "not_found"
    closed = frj_needs["周末文明劝导值守"]
    post_form(login("secretary"), f"/volunteers/needs/{closed.id}/close", {}, page="/volunteers")
    result = member.push("service.claim", str(uuid.uuid4()), {"need_id": closed.id})
    assert result["status"] == "rejected" and result["code"] == "need_closed"
    # Someone else's claim cannot be logged.
    claim = ServiceClaim.query.filter_by(need_id=wish.id).one()
    stolen = other.push("service.log", claim.id, {"hours": 1, "note": "冒领"})
    assert stolen["status"] == "rejected" and stolen["code"] == "not_found"


def test_members_see_no_residents_data(demo, login):
    member = login("member")
    for url in ("/registry", "/registry/app", "/events", "/roster", "/assist", "/tasks", "/command",
                "/volunteers", "/report", "/patrol"):
        assert member.get(url).status_code in (403, 404), url
    pulled = member.get("/api/v1/sync/pull?cursor=0").get_json()
    assert not [c for c in pulled.get("changes", []) if c.get("type") in ("record", "event", "visit")]
    home = member.get("/")
    assert home.status_code == 200 and "社区需求" in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == "private, no-cache"  # kept for offline use
    for name in ("赵秀英", "孙建国"):  # residents of the grid
        assert name not in home.get_data(as_text=True)


def test_riders_and_members_hours_in_one_place(demo, login):
    page = login("secretary").get("/volunteers/hours").get_data(as_text=True)
    assert "骑手小李" in page and "陈晓东（报到党员）" in page
    xlsx = login("secretary").get("/volunteers/hours?format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("类别", "姓名", "时长（小时）")
    assert {r[0] for r in rows[1:]} == {"兼职网格员", "报到党员"}
    assert login("worker").get("/volunteers/hours").status_code == 404


def test_the_demo_has_three_units_members_and_a_join_link(demo):
    frj = community()
    assert ReportingUnit.query.filter_by(community_id=frj.id).count() == 3
    assert PartyMember.query.filter_by(state="approved").count() >= 5
    assert PartyMember.query.filter_by(state="pending").count() == 1
    assert db.session.get(JoinLink, frj.id) is not None
    assert ServiceClaim.query.filter_by(state="confirmed").count() >= 3


def test_a_member_sees_the_grid_outline_but_not_who_works_it(demo, login):
    from app.org.models import Grid

    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    page = login("member").get(f"/grids/{grid.id}").get_data(as_text=True)
    assert grid.name in page and "王芳" not in page and "网格力量" not in page
    assert "王芳" in login("worker").get(f"/grids/{grid.id}").get_data(as_text=True)


def test_months_beyond_the_calendar_and_join_links_for_a_street_are_refused(demo, login):
    """Found by an outside probe: month=9999-12 gave a 500, and a street's or district's join
    link was issued though sign-ups through it could only fail."""
    street = login("street")
    unit = ReportingUnit.query.first()
    for url in ("/volunteers/hours?month=9999-12", "/volunteers/hours?month=9999-12&format=xlsx",
                f"/volunteers/units/{unit.id}/report.xlsx?month=9999-12",
                f"/volunteers/units/{unit.id}/report.xlsx?month=1900-01"):
        assert street.get(url).status_code in (200, 404), url
    qcl = OrgUnit.query.filter_by(code="LX-QCL").one()
    assert street.get(f"/volunteers/join-link/{qcl.id}").status_code == 404
    assert login("admin").get(f"/volunteers/join-link/{qcl.parent_id}").status_code == 404
    assert JoinLink.query.filter_by(community_id=qcl.id).first() is None


def test_a_claim_sent_back_keeps_its_place(demo, login):
    """Found by an outside probe: a claim sent back for more freed its place, so a one-place
    need took a second claim."""
    secretary = login("secretary")
    frj = community()
    post_form(secretary, "/volunteers/needs/new", {"community_id": frj.id, "kind": "wish",
                                                   "title": "陪老人去医院复诊", "slots": 1, "hours": 3})
    need = ServiceNeed.query.filter_by(title="陪老人去医院复诊").one()
    member = Phone(login("member"))
    claim_id = str(uuid.uuid4())
    assert member.push("service.claim", claim_id, {"need_id": need.id})["status"] == "applied"
    assert member.push("service.log", claim_id, {"hours": 3, "note": "陪同复诊"})["status"] == "applied"
    post_form(secretary, f"/volunteers/claims/{claim_id}/confirm", {"accept": "0", "note": "请补充照片"},
              page="/volunteers")
    assert db.session.get(ServiceClaim, claim_id).state == "returned"
    other = Phone(login("m-frj-01"))
    second = other.push("service.claim", str(uuid.uuid4()), {"need_id": need.id})
    assert second["status"] == "rejected" and second["code"] == "full"
    again = member.push("service.claim", str(uuid.uuid4()), {"need_id": need.id})
    assert again["status"] == "rejected" and again["code"] == "exists"
    relogged = member.push("service.log", claim_id, {"hours": 3, "note": "陪同复诊，附照片"})
    assert relogged["status"] == "applied"
