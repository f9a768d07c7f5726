"""A clock on every stage (issue 16, item 2) and the national codes (item 3): 立案 and 派遣 within
their minutes by urgency, 处置 by the working-time deadline, 核查 after "handled"; each stage left
is recorded on time or overdue; the phone gets the running clock; categories carry their national
class into the pull, the event export and Open311; parts carry theirs."""
import io
import uuid
from datetime import timedelta

from openpyxl import load_workbook

from app import clock
from app.auth.models import User
from app.events import stages, workflow
from app.events.models import Event, EventCategory, EventStage
from app.extensions import db
from app.org.models import Department, Grid
from app.sync.services import log_change
from app.transaction import unit_of_work
from tests.conftest import csrf_from


def user(name):
    return User.query.filter_by(username=name).one()


def report(urgency="normal", minutes_ago=0, code="SR01"):
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    point = grid.shape.representative_point()
    moment = workflow.now() - timedelta(minutes=minutes_ago)
    event = Event(id=str(uuid.uuid4()), category=EventCategory.query.filter_by(code=code).one(),
                  description="环节测试", lon=point.x, lat=point.y, grid=grid, source="grid_worker",
                  reporter=user("worker"), reported_at=moment, received_at=moment, urgency=urgency)
    db.session.add(event)
    log_change("event", event.id, grid_id=grid.id, owner_id=event.reporter_id)  # as a push would
    db.session.commit()
    return event


def move(name, event, action, **kw):
    with unit_of_work():
        return workflow.transition(user(name), event.id, action, event.version, **kw)


def test_each_stage_runs_its_clock_and_is_recorded(demo):
    event = report()
    clock = stages.current(event)
    assert clock["stage"] == "register" and clock["due_at"] == event.received_at + timedelta(minutes=30)
    event = move("secretary", event, "escalate")
    assert stages.current(event)["stage"] == "register"  # passing it up does not end filing
    event = move("street", event, "accept")
    clock = stages.current(event)
    assert clock["stage"] == "dispatch" and clock["due_at"] == event.stage_started_at + timedelta(minutes=30)
    event = move("street", event, "dispatch", department_id=Department.query.filter_by(code="LX-CG").one().id)
    assert stages.current(event)["stage"] == "handle" and stages.current(event)["due_at"] == event.deadline_at
    event = move("dept", event, "dept_accept")
    assert stages.current(event)["stage"] == "handle"  # accepting does not end handling
    event = move("dept", event, "report_handled", photos=["p"])
    assert stages.current(event)["stage"] == "check"
    event = move("worker", event, "check_pass")
    assert stages.current(event) is None
    rows = EventStage.query.filter_by(event_id=event.id).order_by(EventStage.id).all()
    assert [(r.stage, r.outcome) for r in rows] == [
        ("register", "on_time"), ("dispatch", "on_time"), ("handle", "on_time"), ("check", "on_time")]


def test_an_urgent_case_filed_late_is_recorded_overdue(demo):
    event = report(urgency="urgent", minutes_ago=25)  # urgent: 10 minutes to file
    assert stages.current(event)["due_at"] == event.received_at + timedelta(minutes=10)
    event = move("secretary", event, "accept")
    row = EventStage.query.filter_by(event_id=event.id).one()
    assert (row.stage, row.outcome) == ("register", "overdue") and row.ended_at > row.due_at


def test_the_admin_sets_a_categorys_minutes_and_its_national_class(demo, login):
    category = EventCategory.query.filter_by(code="SR01").one()
    admin = login("admin")
    page = admin.get(f"/admin/categories/{category.id}").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "code": "SR01", "name": category.name,
            "parent_id": category.parent_id,
            "sort_order": 0, "active": "y", "time_limit": 2, "time_unit": "days", "self_resolvable": "y",
            "default_department_id": category.default_department_id or 0, "closing_criteria": "",
            "register_urgent": 5, "national_kind": "event", "national_code": "0199"}
    assert admin.post(f"/admin/categories/{category.id}", data=form).status_code == 302
    db.session.refresh(category)
    assert category.stage_limits == {"register": {"urgent": 5, "critical": 5}}
    assert category.national == "事件 0199"
    event = report(urgency="urgent")
    assert stages.current(event)["due_at"] == event.received_at + timedelta(minutes=5)
    bad = admin.post(f"/admin/categories/{category.id}", data={**form, "national_code": "1x"})
    assert "大类 2 位、小类 4 位数字" in bad.get_data(as_text=True)


def test_the_phone_page_and_the_exports_carry_the_clock_and_both_codes(demo, login):
    event = report()
    pulled = login("worker").get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    mine = next(c["data"] for c in pulled if c["type"] == "event" and c["id"] == event.id)
    assert mine["stage"]["stage"] == "register" and mine["stage"]["due_at"].endswith("Z")
    assert (mine["category_code"], mine["national_code"]) == ("SR01", "事件 0102")
    categories = [c["data"] for c in pulled if c["type"] == "category"]
    assert any(c["national_code"] == "部件 0101" for c in categories)
    detail = login("secretary").get(f"/events/{event.id}").get_data(as_text=True)
    assert "当前环节" in detail and "事件 0102" in detail
    xlsx = login("command").get("/command?rows=events&format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    header = rows[0]
    assert "类别编码" in header and "国标分类" in header
    ours = next(r for r in rows if r[0] == event.id)
    assert ours[header.index("类别编码")] == "SR01" and ours[header.index("国标分类")] == "事件 0102"
    services = login("worker").get("/open311/v2/services.json").get_json()
    assert "GB/T 30428.2 事件 0102" in next(s for s in services if s["service_code"] == "SR01")["keywords"]
    geojson = login("secretary").get("/registry/objects.geojson").get_json()
    manhole = next(f for f in geojson["features"] if f["properties"].get("object_type") == "manhole")
    assert manhole["properties"]["part_class"] == "0101" and manhole["properties"]["code"]  # its asset code


def test_an_urgent_case_gets_the_categorys_own_handling_hours(demo):
    """Handling has its limit per urgency too: the category's working hours for urgent cases."""
    from app.events import workcal

    category = EventCategory.query.filter_by(code="SR01").one()
    category.stage_limits = {"handle": {"urgent": 4, "critical": 4}}
    db.session.commit()
    urgent, normal = report(urgency="urgent"), report()
    cg = Department.query.filter_by(code="LX-CG").one().id
    for event in (urgent, normal):
        event = move("street", move("secretary", event, "escalate"), "accept")
        event = move("street", event, "dispatch", department_id=cg)
        start = clock.to_local(event.dispatched_at)
        expected = (workcal.add_working_hours(start, 4) if event.urgency == "urgent"
                    else workcal.deadline(start, category.time_limit, category.time_unit))
        assert clock.to_local(event.deadline_at) == expected, event.urgency
