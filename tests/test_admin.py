"""Admin: grids from GeoJSON, users, role assignments, CSV import, audit log."""
import io
import json

from app.audit.models import AuditLog
from app.auth.models import User
from app.extensions import db
from app.org.models import Grid, OrgUnit
from tests.conftest import csrf_from

NEW_GRID = {"type": "Polygon", "coordinates": [[[117.05, 36.66], [117.055, 36.66], [117.055, 36.665],
                                                [117.05, 36.665], [117.05, 36.66]]]}


def grid_form(client, **overrides):
    token = csrf_from(client.get("/admin/grids/new").get_data(as_text=True))
    community = OrgUnit.query.filter_by(code="LX-QCL-FRJ").one()
    form = {"code": "LX-QCL-FRJ-04", "name": "芙蓉街社区第4网格", "kind": "basic",
            "community_id": community.id, "geojson": json.dumps(NEW_GRID), "csrf_token": token}
    form.update(overrides)
    return form


def test_admin_creates_a_grid_from_pasted_geojson(demo, login):
    client = login("admin")
    response = client.post("/admin/grids/new", data=grid_form(client))
    assert response.status_code == 302
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-04").one()
    assert grid.street.code == "LX-QCL" and grid.district.code == "LX"
    assert 200_000 < grid.area_m2 < 300_000  # 0.005° × 0.005° at 36.66° N ≈ 248,000 m²
    row = AuditLog.query.filter_by(action="grid.create").one()
    assert row.actor_name == "admin" and row.object_id == str(grid.id)


def test_admin_uploads_a_geojson_file(demo, login):
    client = login("admin")
    form = grid_form(client, geojson="")
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": NEW_GRID}
    form["geojson_file"] = (io.BytesIO(json.dumps(feature).encode()), "grid.geojson")
    response = client.post("/admin/grids/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    assert Grid.query.filter_by(code="LX-QCL-FRJ-04").count() == 1


def test_invalid_or_overlapping_polygons_are_refused_and_change_nothing(demo, login):
    client = login("admin")
    bow_tie = {"type": "Polygon", "coordinates": [[[117.05, 36.66], [117.06, 36.67], [117.05, 36.67],
                                                   [117.06, 36.66], [117.05, 36.66]]]}
    page = client.post("/admin/grids/new", data=grid_form(client, geojson=json.dumps(bow_tie)))
    assert page.status_code == 200 and "自相交" in page.get_data(as_text=True)
    existing = Grid.query.filter_by(code="LX-QCL-FRJ-02").one()
    page = client.post("/admin/grids/new", data=grid_form(client, geojson=existing.geojson))
    assert "与已有网格重叠" in page.get_data(as_text=True)
    assert Grid.query.count() == 12
    assert AuditLog.query.filter_by(action="grid.create").count() == 0
    # Editing a grid to overlap its neighbour is refused and keeps the old boundary.
    neighbour = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    before = existing.geojson
    form = grid_form(client, code=existing.code, name=existing.name,
                     community_id=existing.community_id, geojson=neighbour.geojson)
    page = client.post(f"/admin/grids/{existing.id}", data=form)
    assert "与已有网格重叠" in page.get_data(as_text=True)
    assert Grid.query.filter_by(code="LX-QCL-FRJ-02").one().geojson == before


def test_admin_manages_users_and_roles(demo, login):
    client = login("admin")
    token = csrf_from(client.get("/admin/users/new").get_data(as_text=True))
    response = client.post("/admin/users/new", data={
        "username": "newworker", "display_name": "新网格员", "password": "long-enough-1",
        "locale": "zh_Hans", "active": "y", "csrf_token": token})
    assert response.status_code == 302
    user = User.query.filter_by(username="newworker").one()
    response = client.post(f"/admin/users/{user.id}/roles", data={
        "role-role": "part_time", "role-target_code": "LX-QCL-FRJ-02;LX-QCL-FRJ-03",
        "role-csrf_token": token})
    assert response.status_code == 302
    assert sorted(a.grid.code for a in user.assignments) == ["LX-QCL-FRJ-02", "LX-QCL-FRJ-03"]
    # A secretary role needs a community, not a grid: refused with a message, nothing added.
    client.post(f"/admin/users/{user.id}/roles", data={
        "role-role": "secretary", "role-target_code": "LX-QCL-FRJ-02", "role-csrf_token": token})
    assert "找不到社区 LX-QCL-FRJ-02" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert len(User.query.filter_by(username="newworker").one().assignments) == 2
    assert AuditLog.query.filter_by(action="role.add").count() == 2
    assert AuditLog.query.filter_by(action="user.create").count() == 1
    # The new user can sign in and sees the two grids.
    new = login("newworker", "long-enough-1")
    codes = {g["code"] for g in new.get("/api/v1/grids").get_json()["grids"]}
    assert codes == {"LX-QCL-FRJ-02", "LX-QCL-FRJ-03"}


def test_admin_unlocks_a_locked_account(demo, login, app):
    from tests.conftest import sign_in

    other = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(other, "worker", "wrong-wrong")
    worker = User.query.filter_by(username="worker").one()
    assert worker.locked_until is not None
    client = login("admin")
    token = csrf_from(client.get(f"/admin/users/{worker.id}").get_data(as_text=True))
    client.post(f"/admin/users/{worker.id}", data={
        "username": "worker", "display_name": worker.display_name, "locale": "zh_Hans",
        "active": "y", "unlock": "y", "csrf_token": token})
    assert sign_in(app.test_client(), "worker").status_code == 302


GOOD_CSV = """username,display_name,password,role,scope,locale
zhangsan,张三,password-123,grid_worker,LX-QCL-FRJ-02,zh_Hans
lisi,李四,password-456,part_time,LX-QCL-FRJ-01;LX-QCL-FRJ-03,
wangwu,王五,password-789,secretary,LX-QCL-ACS,en
"""

BAD_CSV = """username,display_name,password,role,scope,locale
zhangsan,张三,password-123,grid_worker,LX-QCL-FRJ-02,zh_Hans
worker,重名,password-123,grid_worker,LX-QCL-FRJ-02,
x,短名,short,boss,LX-QCL-FRJ-02,
zhaoliu,赵六,password-123,secretary,LX-QCL-FRJ-02,
zhangsan,张三二,password-123,grid_worker,NOPE,fr
"""


def post_csv(client, text, encoding="utf-8"):
    token = csrf_from(client.get("/admin/users/import").get_data(as_text=True))
    return client.post("/admin/users/import", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(text.encode(encoding)), "users.csv")})


def test_csv_import_of_a_good_file(demo, login):
    client = login("admin")
    before = User.query.count()
    response = post_csv(client, GOOD_CSV, "gb18030")  # as Excel saves it in China
    assert response.status_code == 200 and "已导入 3 个用户" in response.get_data(as_text=True)
    assert User.query.count() == before + 3
    lisi = User.query.filter_by(username="lisi").one()
    assert {a.grid.code for a in lisi.assignments} == {"LX-QCL-FRJ-01", "LX-QCL-FRJ-03"}
    assert User.query.filter_by(username="wangwu").one().locale == "en"


def test_csv_import_reports_every_bad_row_and_imports_none(demo, login):
    client = login("admin")
    before = User.query.count()
    response = post_csv(client, BAD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "文件有 4 处错误，未导入任何用户" in html
    for line, text in ((3, "用户名 worker 已存在"), (4, "用户名格式不正确"), (4, "密码至少 8 位"),
                       (4, "未知角色 boss"), (5, "找不到社区 LX-QCL-FRJ-02"),
                       (6, "在文件中重复"), (6, "找不到网格 NOPE"), (6, "语言只能是")):
        assert f"<td>{line}</td>" in html and text in html, text
    assert User.query.count() == before
    assert User.query.filter_by(username="zhangsan").first() is None


def test_one_commit_per_change_and_the_audit_says_what_changed(demo, login):
    """An admin edit goes through the unit of work: the change and its audit row are stored
    together, and a failure inside keeps neither."""
    import pytest

    from app.admin.services import save_user
    from app.transaction import unit_of_work

    user = User.query.filter_by(username="worker").one()
    with unit_of_work():
        save_user(user, username="worker", display_name="张网格（改）", locale="zh_Hans", active=True)
    row = AuditLog.query.filter_by(action="user.update", object_id=str(user.id)).one()
    assert row.detail == {"display_name": [row.detail["display_name"][0], "张网格（改）"]}
    assert row.detail["display_name"][0] != "张网格（改）"
    with pytest.raises(RuntimeError), unit_of_work():
        save_user(user, username="worker", display_name="不该留下", locale="zh_Hans", active=True)
        raise RuntimeError("the request failed after the service ran")
    db.session.expire_all()
    assert User.query.filter_by(username="worker").one().display_name == "张网格（改）"
    assert AuditLog.query.filter_by(action="user.update", object_id=str(user.id)).count() == 1


def test_a_taken_grid_code_is_said_once_where_it_belongs(demo, login):
    """The code field says the code is taken; the boundary field says nothing (it showed the
    word 'geometry' once refusals became one error type)."""
    import re

    client = login("admin")
    answer = client.post("/admin/grids/new", data=grid_form(client, code="LX-QCL-FRJ-01"))
    page = answer.get_data(as_text=True)
    errors = re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', page)
    assert errors == [("code", "编码已被使用")], errors
    assert Grid.query.filter_by(name="芙蓉街社区第4网格").count() == 0
