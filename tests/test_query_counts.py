"""Pages that list rows run a fixed number of queries, whatever the number of rows: the command
centre, a supervisor's task list, and the navigation every page carries."""
import uuid
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event as sa_event

from app.auth.models import User
from app.duties.models import DutyItem
from app.events import workflow
from app.events.models import Event, EventCategory
from app.extensions import db
from app.org.models import Department, Grid
from app.tasks.services import create_task


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)


def queries(client, path):
    db.session.expire_all()
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def add_events(n, whistled=False):
    """n open events at the street: dispatched ones, half whistled, some overdue."""
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    category = EventCategory.query.filter_by(code="SR01").one()
    department = Department.query.filter_by(code="LX-CG").one()
    street = User.query.filter_by(username="street").one()
    point = grid.shape.representative_point()
    for i in range(n):
        event = Event(id=str(uuid.uuid4()), category=category, description=f"计数事件 {i}",
                      lon=point.x, lat=point.y, grid=grid, source="grid_worker",
                      reporter=User.query.filter_by(username="worker").one(),
                      reported_at=workflow.now() - timedelta(hours=3), state="accepted", level="street")
        db.session.add(event)
        db.session.flush()
        action = "whistle" if whistled and i % 2 else "dispatch"
        workflow.transition(street, event.id, action, event.version, note="请处理",
                            department_id=department.id)
    db.session.commit()


def add_tasks(n):
    street = User.query.filter_by(username="street").one()
    worker = User.query.filter_by(username="worker").one()
    grids = Grid.query.filter(Grid.code.like("LX-QCL-FRJ-%")).order_by(Grid.code).limit(3).all()
    item = DutyItem.query.filter_by(evidence="manual").first()
    targets = [(g.id, None) for g in grids] + [(grids[0].id, worker.id)]
    for i in range(n):
        create_task(street, kind="task", title=f"计数任务 {i}", body="", duty_item_id=item.id, reason="",
                    request_approval=False, targets=targets)
    db.session.commit()


def test_the_command_centre_runs_the_same_queries_for_3_or_30_open_events(demo, login):
    command = login("command")
    add_events(3, whistled=True)
    few = queries(command, "/command")
    add_events(27, whistled=True)
    assert queries(command, "/command") == few


def test_a_supervisors_task_list_runs_the_same_queries_for_any_number_of_tasks(demo, login):
    street = login("street")
    add_tasks(2)
    few = queries(street, "/tasks/assigned")
    add_tasks(20)
    assert queries(street, "/tasks/assigned") == few


def test_the_navigation_costs_the_same_whatever_waits(demo, login):
    """Every page's navigation badges (inbox, reports to check, tasks not started, approvals)
    are counts: more waiting work adds no query."""
    worker, street = login("worker"), login("street")
    before = queries(worker, "/me"), queries(street, "/me")
    add_events(10)
    add_tasks(10)
    assert (queries(worker, "/me"), queries(street, "/me")) == before


def add_members(n):
    """n more approved party members of 芙蓉街社区, each with one confirmed service."""
    from app.auth.models import RoleAssignment
    from app.org.models import OrgUnit
    from app.volunteers.models import PartyMember, ReportingUnit, ServiceClaim, ServiceNeed

    community = OrgUnit.query.filter_by(code="LX-QCL-FRJ").one()
    unit = ReportingUnit.query.filter_by(community_id=community.id).first()
    need = ServiceNeed.query.filter_by(community_id=community.id).first()
    secretary = User.query.filter_by(username="secretary").one()
    for _ in range(n):
        user = User(username=f"count-{uuid.uuid4().hex[:8]}", display_name="计数党员", password_hash="x")
        user.assignments.append(RoleAssignment(role="member", org_unit=community))
        db.session.add(user)
        db.session.flush()
        member = PartyMember(user_id=user.id, community_id=community.id, unit_id=unit.id, name="计数党员",
                             state="approved")
        db.session.add(member)
        db.session.flush()
        db.session.add(ServiceClaim(id=str(uuid.uuid4()), need_id=need.id, member_id=member.id,
                                    author_id=user.id, state="confirmed", hours=1, confirmed_by=secretary.id,
                                    confirmed_at=workflow.now()))
    db.session.commit()


def test_the_volunteer_desk_and_a_unit_do_not_query_per_member(demo, login):
    from app.volunteers.models import ReportingUnit

    desk = login("secretary")
    unit = ReportingUnit.query.first()
    before = (queries(desk, "/volunteers"), queries(desk, f"/volunteers/units/{unit.id}"))
    add_members(20)
    after = (queries(desk, "/volunteers"), queries(desk, f"/volunteers/units/{unit.id}"))
    assert after == before, (before, after)


def test_the_enterprise_overview_does_not_query_per_grid(demo, login):
    from app.org.services import apply_geometry, parse_grid_geojson

    command = login("command")
    before = queries(command, "/enterprise/overview")
    template = Grid.query.filter_by(code="LX-QCL-ACS-03").one()
    for k in range(5):
        grid = Grid(code=f"LX-QCL-ACS-9{k}", name=f"计数专属网格{k}", kind="exclusive",
                    community_id=template.community_id, street_id=template.street_id,
                    district_id=template.district_id)
        apply_geometry(grid, parse_grid_geojson(template.geojson))
        db.session.add(grid)
    db.session.commit()
    assert queries(command, "/enterprise/overview") == before
