"""Role × object kind × (in scope | out of scope) × (view | change), on pages and the API.

Out-of-scope objects answer 404 whether they exist or not (guessed ids included); objects a
role may see but not change answer 403; and a refused change changes nothing. Later features
add their object kinds to OBJECTS and CASES.
"""
import json

import pytest

from app.auth.models import User
from app.extensions import db
from app.org.models import Grid, OrgUnit
from tests.conftest import csrf_from

# Object references: (kind, key). Keys are grid/unit codes or usernames from the demo data,
# plus "OTHER" objects in a second district that only the admin can see, and "GUESS" ids
# that do not exist at all.
CASES = {
    "worker": {
        "record": {"in": "REC-FRJ", "out": ["REC-DMH", "GUESS"]},
        "event": {"in": "EV-FRJ", "out": ["EV-DMH", "EV-OTHER", "GUESS"]},
        "grid": {"in": "LX-QCL-FRJ-01", "out": ["LX-DMH-BHZ-01", "LX-QCL-FRJ-02", "OTHER", "GUESS"]},
        "unit": {"in": "LX-QCL-FRJ", "out": ["LX-DMH-BHZ", "LX-QCL-ACS", "OTHER", "GUESS"]},
        "user": {"in": "worker", "out": ["secretary", "w-qcl-frj-02", "other", "GUESS"]},
        "task": {"in": "T-FRJ", "out": ["T-DMH", "T-PENDING", "GUESS"]},
        "media": {"in": "PH-TASK-FRJ", "out": ["PH-TASK-ACS", "PH-EV-OTHER", "GUESS"]},
        "member": {"in": None, "out": ["M-FRJ", "M-ACS", "GUESS"]},
    },
    "leader": {
        "record": {"in": "REC-FRJ", "out": ["REC-DMH"]},
        "event": {"in": "EV-FRJ", "out": ["EV-DMH", "EV-OTHER"]},
        "grid": {"in": "LX-QCL-FRJ-01", "out": ["LX-QCL-FRJ-03", "OTHER", "GUESS"]},
        "unit": {"in": "LX-QCL", "out": ["LX-DMH", "OTHER"]},
        "user": {"in": "leader", "out": ["worker", "GUESS"]},
        "task": {"in": "T-FRJ", "out": ["T-DMH"]},
        "media": {"in": "PH-EV-FRJ", "out": ["PH-TASK-FRJ", "PH-TASK-ACS", "PH-EV-OTHER"]},
    },
    "rider": {
        "record": {"in": None, "out": ["REC-FRJ", "REC-DMH", "GUESS"]},
        "event": {"in": "EV-RIDER", "out": ["EV-FRJ", "EV-DMH", "GUESS"]},
        "grid": {"in": "LX-QCL-FRJ-02", "out": ["LX-QCL-FRJ-03", "LX-QCL-ACS-01", "OTHER", "GUESS"]},
        "unit": {"in": "LX-QCL-FRJ", "out": ["LX-DMH-QST", "OTHER"]},
        "user": {"in": "rider", "out": ["worker", "secretary", "GUESS"]},
        "task": {"in": "T-SURVEY", "out": ["T-FRJ", "T-DMH", "GUESS"]},
        "media": {"in": None, "out": ["PH-TASK-FRJ", "PH-TASK-ACS", "PH-EV-FRJ", "GUESS"]},
        "member": {"in": None, "out": ["M-FRJ", "GUESS"]},
    },
    "secretary": {
        "record": {"in": "REC-FRJ", "out": ["REC-DMH", "GUESS"]},
        "event": {"in": "EV-FRJ", "out": ["EV-DMH", "EV-OTHER", "GUESS"]},
        "grid": {"in": "LX-QCL-FRJ-03", "out": ["LX-QCL-ACS-01", "LX-DMH-QST-01", "OTHER", "GUESS"]},
        "unit": {"in": "LX-QCL-FRJ", "out": ["LX-QCL-ACS", "OTHER", "GUESS"]},
        "user": {"in": "worker", "out": ["w-qcl-acs-01", "street", "other", "GUESS"]},
        "task": {"in": "T-FRJ", "out": ["T-DMH", "GUESS"]},
        "media": {"in": "PH-TASK-FRJ", "out": ["PH-TASK-ACS", "PH-EV-OTHER", "GUESS"]},
        "member": {"in": "M-FRJ", "out": ["M-ACS", "M-DMH", "GUESS"]},
    },
    "street": {
        "record": {"in": "REC-FRJ", "out": ["REC-DMH"]},
        "event": {"in": "EV-RIDER", "out": ["EV-DMH", "EV-OTHER"]},
        "grid": {"in": "LX-QCL-ACS-03", "out": ["LX-DMH-QST-01", "OTHER", "GUESS"]},
        "unit": {"in": "LX-QCL-ACS", "out": ["LX-DMH-QST", "LX-DMH", "OTHER"]},
        "user": {"in": "w-qcl-acs-01", "out": ["w-dmh-qst-01", "other", "GUESS"]},
        "task": {"in": "T-SURVEY", "out": ["T-DMH", "GUESS"]},
        "media": {"in": "PH-TASK-ACS", "out": ["PH-EV-OTHER", "GUESS"]},
        "member": {"in": "M-LAWYER-QCL", "out": ["M-DMH", "GUESS"]},
    },
    "command": {
        "record": {"in": "REC-DMH", "out": ["GUESS"]},
        "event": {"in": "EV-DMH", "out": ["EV-OTHER", "GUESS"]},
        "grid": {"in": "LX-DMH-BHZ-03", "out": ["OTHER", "GUESS"]},
        "unit": {"in": "LX-DMH-BHZ", "out": ["OTHER", "GUESS"]},
        "user": {"in": "w-dmh-bhz-01", "out": ["other", "GUESS"]},
        "task": {"in": "T-DMH", "out": ["GUESS"]},
        "media": {"in": "PH-TASK-ACS", "out": ["PH-EV-OTHER", "GUESS"]},
    },
    "dept": {
        "record": {"in": None, "out": ["REC-FRJ", "REC-DMH"]},
        "event": {"in": None, "out": ["EV-FRJ", "EV-OTHER"]},
        "grid": {"in": None, "out": ["LX-QCL-FRJ-01", "OTHER", "GUESS"]},
        "unit": {"in": None, "out": ["LX-QCL-FRJ", "OTHER"]},
        "user": {"in": "dept", "out": ["worker", "GUESS"]},
        "task": {"in": None, "out": ["T-FRJ", "T-SURVEY"]},
        "media": {"in": None, "out": ["PH-TASK-FRJ", "PH-EV-FRJ", "PH-EV-OTHER"]},
        "member": {"in": None, "out": ["M-FRJ", "M-LAWYER-QCL"]},
    },
    "admin": {
        "record": {"in": "REC-DMH", "out": ["GUESS"]},
        "event": {"in": "EV-OTHER", "out": ["GUESS"]},
        "grid": {"in": "OTHER", "out": ["GUESS"]},
        "unit": {"in": "OTHER", "out": ["GUESS"]},
        "user": {"in": "other", "out": ["GUESS"]},
        "task": {"in": "T-DMH", "out": ["GUESS"]},
        "media": {"in": "PH-EV-OTHER", "out": ["GUESS"]},
        "member": {"in": "M-DMH", "out": ["GUESS"]},
    },
    # A police officer on the 芙蓉街 roster, not called to anything: no event, record or roster.
    "police": {
        "record": {"in": None, "out": ["REC-FRJ", "GUESS"]},
        "event": {"in": None, "out": ["EV-FRJ", "EV-RIDER", "EV-DMH", "GUESS"]},
        "grid": {"in": "LX-QCL-FRJ-03", "out": ["LX-QCL-ACS-01", "OTHER", "GUESS"]},
        "user": {"in": "police", "out": ["worker", "secretary", "GUESS"]},
        "task": {"in": None, "out": ["T-FRJ", "T-SURVEY"]},
        "media": {"in": None, "out": ["PH-TASK-FRJ", "PH-EV-FRJ"]},
        "member": {"in": None, "out": ["M-FRJ", "GUESS"]},
    },
    # A party member of 芙蓉街社区: their own account, the grids' outlines, nothing personal.
    "member": {
        "record": {"in": None, "out": ["REC-FRJ", "REC-DMH", "GUESS"]},
        "event": {"in": None, "out": ["EV-FRJ", "EV-RIDER", "GUESS"]},
        "grid": {"in": "LX-QCL-FRJ-01", "out": ["LX-QCL-ACS-01", "OTHER", "GUESS"]},
        "user": {"in": "member", "out": ["worker", "secretary", "GUESS"]},
        "task": {"in": None, "out": ["T-FRJ", "T-SURVEY"]},
        "media": {"in": None, "out": ["PH-TASK-FRJ", "PH-EV-FRJ"]},
        "member": {"in": None, "out": ["M-FRJ", "GUESS"]},
    },
    # The 恒隆广场 enterprise service officer: their exclusive grid's records and events only.
    "officer": {
        "record": {"in": "REC-HL", "out": ["REC-FRJ", "REC-DMH", "GUESS"]},
        "event": {"in": None, "out": ["EV-FRJ", "EV-DMH", "GUESS"]},
        "grid": {"in": "LX-QCL-ACS-03", "out": ["LX-QCL-ACS-01", "LX-DMH-BHZ-03", "OTHER", "GUESS"]},
        "user": {"in": "officer", "out": ["worker", "o-dmh-bhz-03", "GUESS"]},
        "task": {"in": None, "out": ["T-FRJ", "T-SURVEY"]},
        "media": {"in": None, "out": ["PH-TASK-FRJ", "PH-EV-FRJ"]},
        "member": {"in": None, "out": ["M-FRJ", "GUESS"]},
    },
    # The second district's command centre sees none of 历下区: not its tasks (the out-of-list
    # one waiting for approval included), events, records or photos.
    "lc-command": {
        "record": {"in": None, "out": ["REC-FRJ", "REC-DMH"]},
        "event": {"in": "EV-OTHER", "out": ["EV-FRJ", "EV-DMH", "GUESS"]},
        "grid": {"in": "OTHER", "out": ["LX-QCL-FRJ-01", "GUESS"]},
        "unit": {"in": "OTHER", "out": ["LX-QCL-FRJ", "GUESS"]},
        "task": {"in": None, "out": ["T-PENDING", "T-FRJ", "T-TWO", "T-DMH"]},
        "media": {"in": "PH-EV-OTHER", "out": ["PH-TASK-FRJ", "PH-TASK-ACS", "PH-EV-FRJ"]},
    },
}

VIEW_URLS = {
    "grid": ["/grids/{id}", "/api/v1/grids/{id}"],
    "unit": ["/units/{id}", "/api/v1/org-units/{id}"],
    "user": ["/people/{id}", "/api/v1/users/{id}"],
    "event": ["/events/{id}", "/api/v1/events/{id}"],
    "record": ["/registry/{id}", "/api/v1/registry/{id}"],
    "task": ["/tasks/{id}"],
    "media": ["/media/{id}", "/media/{id}/thumb"],
    "member": ["/roster/{id}"],  # a roster member's page is the keeper's form
}
EVENT_IDS = {"EV-FRJ": "00000000-0000-4000-8000-000000000001",
             "EV-DMH": "00000000-0000-4000-8000-000000000002",
             "EV-OTHER": "00000000-0000-4000-8000-000000000003",
             "EV-RIDER": "00000000-0000-4000-8000-000000000004"}


@pytest.fixture
def world(demo, app, tmp_path):
    """The demo district plus a second district that only the admin (and its own command
    centre) may see; a street task sent to two communities, with a photo report in each."""
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    from app.auth.services import assign_role, hash_password
    from app.org.services import place_in_tree

    district = OrgUnit(code="LC", name="历城区", level="district")
    street = OrgUnit(code="LC-S1", name="山大路街道", level="street", parent=district)
    community = OrgUnit(code="LC-S1-C1", name="花园社区", level="community", parent=street)
    db.session.add_all([district, street, community])
    db.session.flush()
    from app.org.services import apply_geometry, parse_grid_geojson

    grid = Grid(code="OTHER", name="花园第1网格", kind="basic")
    place_in_tree(grid, community)
    apply_geometry(grid, parse_grid_geojson(json.dumps({"type": "Polygon", "coordinates": [[
        [117.10, 36.68], [117.11, 36.68], [117.11, 36.69], [117.10, 36.69], [117.10, 36.68]]]})))
    db.session.add(grid)
    other = User(username="other", display_name="外区网格员",
                 password_hash=hash_password("gridwalk-demo"))
    db.session.add(other)
    db.session.flush()
    assign_role(other, "grid_worker", grid=grid)
    lc_command = User(username="lc-command", display_name="历城区指挥中心",
                      password_hash=hash_password("gridwalk-demo"))
    db.session.add(lc_command)
    db.session.flush()
    assign_role(lc_command, "command", unit=district)
    db.session.flush()
    add_events()
    add_tasks()
    db.session.commit()
    return {"district": district, "community": community}


def add_events():
    """One report in each place the matrix needs, with the reporter who made it."""
    from datetime import datetime

    from app.events.models import Event, EventCategory

    category = EventCategory.query.filter_by(code="SR01").one()
    for key, grid_code, username in (("EV-FRJ", "LX-QCL-FRJ-01", "worker"),
                                     ("EV-DMH", "LX-DMH-BHZ-01", "w-dmh-bhz-01"),
                                     ("EV-OTHER", "OTHER", "other"),
                                     ("EV-RIDER", "LX-QCL-FRJ-02", "rider")):
        grid = Grid.query.filter_by(code=grid_code).one()
        point = grid.shape.representative_point()
        reporter = User.query.filter_by(username=username).one()
        if key == "EV-DMH":
            from app.registry.models import RegistryRecord

            db.session.add(RegistryRecord(id="00000000-0000-4000-8000-0000000000aa", kind="building",
                                          grid_id=grid.id, name="大明湖路1号", created_by=reporter.id,
                                          updated_by=reporter.id, data={}))
        db.session.add(Event(id=EVENT_IDS[key], category_id=category.id, description=key,
                             lon=point.x, lat=point.y, grid_id=grid.id, source="grid_worker",
                             reporter_id=reporter.id, reported_at=datetime(2026, 11, 27, 8)))
        photo = f"PH-{key}"
        if photo in PHOTO_IDS:
            from app.events.models import EventPhoto

            db.session.flush()
            db.session.add(EventPhoto(event_id=EVENT_IDS[key], media_id=make_photo(photo, reporter)))


TASK_TITLES = {"T-FRJ": "核查芙蓉街沿街商铺灭火器", "T-SURVEY": "老旧小区加装电梯意愿调查",
               "T-PENDING": "配合燃气公司入户安检", "T-DMH": "曲水亭街消防通道巡查",
               "T-TWO": "两社区沿街店铺燃气检查"}
PHOTO_IDS = {"PH-EV-FRJ": "00000000-0000-4000-8000-0000000000f1",
             "PH-EV-OTHER": "00000000-0000-4000-8000-0000000000f2",
             "PH-TASK-FRJ": "00000000-0000-4000-8000-0000000000f3",
             "PH-TASK-ACS": "00000000-0000-4000-8000-0000000000f4"}
TWO_NOTES = {"LX-QCL-FRJ-01": "芙蓉街：三家店铺已查", "LX-QCL-ACS-01": "按察司街：一户未开门"}


def make_photo(key, owner):
    """A real JPEG through the upload pipeline, owned by ``owner``."""
    import io

    from PIL import Image

    from app.media.services import save_photo

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(out, "JPEG")
    save_photo(PHOTO_IDS[key], owner, out.getvalue(), "image/jpeg")
    return PHOTO_IDS[key]


def add_tasks():
    """The demo's tasks (芙蓉街) and one the 曲水亭 secretary hands to her own grid."""
    from app.duties.models import DutyItem
    from app.tasks.models import Task, TaskTarget

    secretary = User.query.filter_by(username="s-dmh-qst").one()
    item = DutyItem.query.filter_by(title="消防通道巡查打卡").one()
    grid = Grid.query.filter_by(code="LX-DMH-QST-01").one()
    db.session.add(Task(kind="task", title=TASK_TITLES["T-DMH"], assigner_id=secretary.id, status="open",
                        duty_item_id=item.id, duty_code=item.code, targets=[TaskTarget(grid_id=grid.id)]))
    # The street's task to one grid in each of two communities, with a photo report in each.
    from datetime import datetime

    from app.tasks.models import TaskReport

    street = User.query.filter_by(username="street").one()
    grids = [Grid.query.filter_by(code=c).one() for c in TWO_NOTES]
    two = Task(kind="task", title=TASK_TITLES["T-TWO"], assigner_id=street.id, status="open",
               duty_item_id=item.id, duty_code=item.code,
               targets=[TaskTarget(grid_id=g.id) for g in grids])
    db.session.add(two)
    db.session.flush()
    for target, grid, username, photo in zip(two.targets, grids, ("worker", "w-qcl-acs-01"),
                                             ("PH-TASK-FRJ", "PH-TASK-ACS"), strict=True):
        reporter = User.query.filter_by(username=username).one()
        db.session.add(TaskReport(id=PHOTO_IDS[photo].replace("0f", "0e"), task_id=two.id,
                                  target_id=target.id,
                                  user_id=reporter.id, grid_id=grid.id, done_at=datetime(2026, 11, 28, 2),
                                  note=TWO_NOTES[grid.code], photos=[make_photo(photo, reporter)]))


ROSTER_KEYS = {"M-FRJ": ("LX-QCL-FRJ-01", "linkage"), "M-ACS": ("LX-QCL-ACS-01", "linkage"),
               "M-DMH": ("LX-DMH-BHZ-01", "linkage"), "M-LAWYER-QCL": ("LX-QCL-FRJ-01", "professional")}


def resolve(kind, key):
    if kind == "member":
        from app.roster.models import ForceMember

        if key == "GUESS":
            return 987654
        code, force = ROSTER_KEYS[key]
        query = ForceMember.query.filter(ForceMember.force == force, ForceMember.grids.any(Grid.code == code))
        if key == "M-LAWYER-QCL":
            query = query.filter(ForceMember.post == "律师")
        return query.first().id
    if kind == "media":
        return PHOTO_IDS.get(key, "00000000-0000-4000-8000-00000000f00d")
    if kind == "task":
        from app.tasks.models import Task

        if key == "GUESS":
            return 987654
        return Task.query.filter_by(title=TASK_TITLES[key]).one().id
    if kind == "record":
        if key == "GUESS":
            return "00000000-0000-4000-8000-00000000dead"
        from app.registry.models import RegistryRecord

        codes = {"REC-FRJ": "LX-QCL-FRJ-01", "REC-DMH": "LX-DMH-BHZ-01", "REC-HL": "LX-QCL-ACS-03"}
        grid = Grid.query.filter_by(code=codes[key]).one()
        return RegistryRecord.query.filter_by(grid_id=grid.id).first().id
    if kind == "event":
        return EVENT_IDS.get(key, "00000000-0000-4000-8000-00000000beef")
    if key == "GUESS":
        return 987654
    if kind == "grid":
        return Grid.query.filter_by(code=key).one().id
    if kind == "unit":
        return OrgUnit.query.filter_by(code="LC-S1-C1" if key == "OTHER" else key).one().id
    return User.query.filter_by(username=key).one().id


def snapshot(kind, object_id):
    if kind in ("event", "record", "task", "media", "member"):
        return None  # these change through their own services, tested in their own files
    model = {"grid": Grid, "unit": OrgUnit, "user": User}[kind]
    obj = db.session.get(model, object_id)
    db.session.refresh(obj) if obj else None
    return None if obj is None else (obj.name if kind != "user" else obj.display_name)


def change_requests(client, kind, object_id, token):
    """Each way to change an object: the admin form post and, for grids, the API."""
    if kind in ("event", "record", "task", "media", "member"):
        return
    obj_model = {"grid": Grid, "unit": OrgUnit, "user": User}[kind]
    obj = db.session.get(obj_model, object_id)
    if kind == "grid":
        form = {"code": obj.code if obj else "X", "name": "改名", "kind": "basic",
                "community_id": obj.community_id if obj else 1,
                "geojson": obj.geojson if obj else "", "csrf_token": token}
        yield "page", client.post(f"/admin/grids/{object_id}", data=form)
        yield "api", client.patch(f"/api/v1/grids/{object_id}", json={"name": "改名"},
                                  headers={"X-CSRFToken": token})
    elif kind == "unit":
        form = {"code": obj.code if obj else "X", "name": "改名", "level": obj.level if obj else "community",
                "parent_id": obj.parent_id or 0 if obj else 0, "csrf_token": token}
        yield "page", client.post(f"/admin/units/{object_id}", data=form)
    else:
        form = {"username": obj.username if obj else "x", "display_name": "改名",
                "locale": "zh_Hans", "active": "y", "csrf_token": token}
        yield "page", client.post(f"/admin/users/{object_id}", data=form)


@pytest.mark.parametrize("username", list(CASES))
def test_scope_matrix(world, login, username):
    client = login(username)
    token = csrf_from(client.get("/me").get_data(as_text=True))
    is_admin = username == "admin"
    failures = []
    for kind, case in CASES[username].items():
        targets = ([("in", case["in"])] if case["in"] else []) + [("out", k) for k in case["out"]]
        for where, key in targets:
            object_id = resolve(kind, key)
            for template in VIEW_URLS[kind]:
                url = template.format(id=object_id)
                status = client.get(url).status_code
                expected = 200 if where == "in" else 404
                if status != expected:
                    failures.append(f"view {kind} {key} {url}: {status} != {expected}")
            before = snapshot(kind, object_id)
            for surface, response in change_requests(client, kind, object_id, token):
                if where == "out":
                    expected = (404,)
                else:
                    expected = (200, 302) if is_admin else (403,)
                if response.status_code not in expected:
                    failures.append(f"change {kind} {key} via {surface}: "
                                    f"{response.status_code} not in {expected}")
            after = snapshot(kind, object_id)
            if not is_admin and after != before:
                failures.append(f"change {kind} {key} was refused but the object changed")
            if is_admin and where == "in" and kind not in ("event", "record", "task", "media", "member") \
                    and after != "改名":
                failures.append(f"admin change of {kind} {key} did not apply")
    assert not failures, "\n".join(failures)


def test_lists_show_only_what_is_in_scope(world, login):
    client = login("secretary")
    grids = {g["code"] for g in client.get("/api/v1/grids").get_json()["grids"]}
    assert grids == {"LX-QCL-FRJ-01", "LX-QCL-FRJ-02", "LX-QCL-FRJ-03"}
    people = client.get("/people").get_data(as_text=True)
    assert "王芳" in people and "外区网格员" not in people and "w-qcl-acs-01" not in people
    rider = login("rider")
    grids = {g["code"] for g in rider.get("/api/v1/grids").get_json()["grids"]}
    assert grids == {"LX-QCL-FRJ-01", "LX-QCL-FRJ-02"}
    page = rider.get("/grids").get_data(as_text=True)
    assert "芙蓉街社区第2网格" in page and "芙蓉街社区第3网格" not in page


def test_non_admins_cannot_open_admin_pages(world, login):
    for username in ("worker", "secretary", "command"):
        client = login(username)
        for url in ("/admin/tree", "/admin/users", "/admin/users/import", "/admin/audit",
                    "/admin/grids/new", "/admin/units/new", "/admin/users/new"):
            assert client.get(url).status_code == 403, (username, url)


def test_a_task_sent_to_two_communities_shows_each_secretary_only_their_own(world, login):
    """The reports, their notes, photos and the CSV of a street's task to two communities: each
    community's secretary sees their own; the street and the district see both; a recipient
    sees their own."""
    from app.tasks.models import Task

    task = Task.query.filter_by(title=TASK_TITLES["T-TWO"]).one()
    frj, acs = TWO_NOTES.values()

    def shown(username):
        client = login(username)
        page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        csv = client.get(f"/tasks/{task.id}/results.csv")
        text = page + (csv.get_data(as_text=True) if csv.status_code == 200 else "")
        return {note for note in (frj, acs) if note in text}

    assert shown("secretary") == {frj}
    assert shown("s-qcl-acs") == {acs}
    assert shown("street") == shown("command") == {frj, acs}
    assert acs not in shown("worker")


def test_naming_someone_elses_photo_in_ones_own_record_shows_it_to_no_one(world, login):
    """A rider's task report that names photo ids it did not upload (in its photos or a text
    answer) does not open those photos to the rider (found by an outside probe)."""
    from datetime import datetime

    from app.tasks.models import Task, TaskReport

    task = Task.query.filter_by(title=TASK_TITLES["T-TWO"]).one()
    target = next(t for t in task.targets if t.grid.code == "LX-QCL-FRJ-01")
    rider = User.query.filter_by(username="rider").one()
    db.session.add(TaskReport(id="00000000-0000-4000-8000-0000000000e9", task_id=task.id,
                              target_id=target.id, user_id=rider.id, grid_id=target.grid_id,
                              done_at=datetime(2026, 11, 28, 3), note="借用照片",
                              photos=[PHOTO_IDS["PH-EV-FRJ"]],
                              answers={"q1": PHOTO_IDS["PH-TASK-ACS"]}))
    db.session.commit()
    client = login("rider")
    for key in ("PH-EV-FRJ", "PH-TASK-ACS"):
        assert client.get(f"/media/{PHOTO_IDS[key]}").status_code == 404, key
