"""The event closed loop: every move × role, allowed or refused; a full loop with escalation to
a department and one rework; the paused clock; two people acting at once."""
import threading
import uuid
from datetime import datetime

import pytest

from app import clock
from app.auth.models import User
from app.events import workflow
from app.events.models import Event, EventAction, EventCategory
from app.events.workflow import MOVES, WorkflowError
from app.extensions import db
from app.hotline.models import HotlineOrder
from app.org.models import Department, Grid
from app.roster.models import ForceMember
from app.transaction import unit_of_work

ROLE_USERS = {"grid_worker": "worker", "grid_leader": "leader", "part_time": "rider",
              "secretary": "secretary", "street": "street", "command": "command",
              "department": "dept", "force": "police"}


def transition(*args, **kwargs):
    """A move as a page makes it: in its own unit of work."""
    with unit_of_work():
        return workflow.transition(*args, **kwargs)


def user(name):
    return User.query.filter_by(username=name).one()


def make_event(state="reported", level="community", reporter="worker", department=True,
               reported_at=datetime(2026, 11, 27, 1), description="路口垃圾堆积", source="grid_worker",
               **extra):
    grid = Grid.query.filter_by(code="LX-QCL-FRJ-01").one()
    category = EventCategory.query.filter_by(code="SR01").one()
    point = grid.shape.representative_point()
    event = Event(id=str(uuid.uuid4()), category=category, description=description,
                  lon=point.x, lat=point.y, grid=grid, source=source,
                  reporter=user(reporter), reported_at=reported_at, state=state,
                  level=level, **extra)
    if department:
        event.department_id = Department.query.filter_by(code="LX-CG").one().id
    db.session.add(event)
    db.session.commit()
    return event


# The level an event must be at for each acting role; the department's own department.
LEVEL_FOR = {"secretary": "community", "street": "street", "command": "district"}


def allowed(action, role):
    move = MOVES[action]
    return role in move.roles


@pytest.mark.parametrize("action", sorted(MOVES))
def test_every_move_for_every_role(demo, action):
    """Each role tries the move on an event in a state the move starts from, held at that
    role's level: the roles the table names succeed, every other role is refused and the event
    is unchanged."""
    move = MOVES[action]
    EventCategory.query.filter_by(code="SR01").update({"self_resolvable": True})
    db.session.commit()
    original = make_event(state="accepted", level="street")  # what a duplicate merges into
    police = user("police")
    member = ForceMember.query.filter_by(user_id=police.id).one()  # on the grid's roster
    for role, username in ROLE_USERS.items():
        # Workers act on their own reports (the on-site check, self-resolution).
        reporter = username if role in ("grid_worker", "grid_leader", "part_time") else "worker"
        # Dispatched to the department and called to the police officer alike.
        event = make_event(state=move.sources[0], level=LEVEL_FOR.get(role, "community"),
                           reporter=reporter, called_user_id=police.id,
                           source="hotline" if action in workflow.HOTLINE_MOVES else "grid_worker")
        if action in workflow.HOTLINE_MOVES:  # a 12345 order, called back already
            db.session.add(HotlineOrder(event_id=event.id, order_no=f"T-{event.id[:8]}", channel="api",
                                        received_at=event.reported_at, callback_at=event.reported_at))
            db.session.commit()
        before = (event.state, event.level, event.version)
        try:
            transition(user(username), event.id, action, event.version, note="说明", photos=["p"],
                       hours=4, department_id=event.department_id, target_id=original.id,
                       member_id=member.id)
            ok = True
        except WorkflowError as exc:
            ok = False
            assert exc.code in ("forbidden", "invalid"), (action, role, exc.message)
            db.session.rollback()
        db.session.refresh(event)
        assert ok == allowed(action, role), (action, role)
        if not ok:
            assert (event.state, event.level, event.version) == before
            assert EventAction.query.filter_by(event_id=event.id).count() == 0


def test_illegal_moves_are_refused_with_a_reason(demo):
    event = make_event(state="closed")
    with pytest.raises(WorkflowError) as err:
        transition(user("secretary"), event.id, "accept", event.version)
    assert "不能执行" in str(err.value.message)
    fresh = make_event()
    with pytest.raises(WorkflowError) as err:
        transition(user("secretary"), fresh.id, "refuse", fresh.version)
    assert err.value.code == "invalid"  # a refusal needs its reason
    # A street user cannot act on an event still held by the community.
    with pytest.raises(WorkflowError) as err:
        transition(user("street"), fresh.id, "accept", fresh.version)
    assert err.value.code == "forbidden"


def test_full_loop_with_escalation_department_and_one_rework(demo):
    event = make_event(department=False)
    secretary, street, dept, worker = user("secretary"), user("street"), user("dept"), user("worker")
    steps = [(secretary, "escalate", {}), (street, "accept", {}), (street, "dispatch", {}),
             (dept, "dept_accept", {}), (dept, "report_handled", {"photos": ["a"]}),
             (worker, "check_fail", {"note": "仍有垃圾"}), (dept, "report_handled", {"photos": ["b"]}),
             (worker, "check_pass", {})]
    category = EventCategory.query.filter_by(code="SR01").one()
    category.default_department_id = Department.query.filter_by(code="LX-CG").one().id
    db.session.commit()
    for actor, action, extra in steps:
        event = transition(actor, event.id, action, event.version, **extra)
    assert event.state == "closed" and event.level == "street" and event.rework_count == 1
    assert event.deadline_at is not None and event.close_type == "on_time"
    log = EventAction.query.filter_by(event_id=event.id).order_by(EventAction.id).all()
    assert [(a.action, a.from_state, a.to_state) for a in log] == [
        ("escalate", "reported", "reported"), ("accept", "reported", "accepted"),
        ("dispatch", "accepted", "dispatched"), ("dept_accept", "dispatched", "in_progress"),
        ("report_handled", "in_progress", "handled"), ("check_fail", "handled", "in_progress"),
        ("report_handled", "in_progress", "handled"), ("check_pass", "handled", "closed")]
    assert [a.actor_role for a in log][:3] == ["secretary", "street", "street"]


def test_the_event_page_names_each_level_and_department_it_passed(demo, login):
    """The log read "已上报 → 已上报" for an escalation and never named the department."""
    event = make_event(department=False)
    secretary, street = user("secretary"), user("street")
    department = Department.query.filter_by(code="LX-CG").one()
    event = transition(secretary, event.id, "escalate", event.version)
    event = transition(street, event.id, "accept", event.version)
    event = transition(street, event.id, "whistle", event.version, department_id=department.id,
                       note="请速到场", hours=4)
    page = login("street").get(f"/events/{event.id}").get_data(as_text=True)
    assert "上报上级：社区 → 街道" in page
    assert f"吹哨部门：派往 {department.name}" in page
    assert f"承办部门</dt><dd>{department.name}" in page
    assert "UTC" not in page and "已上报 → 已上报" not in page


def test_a_hold_pauses_the_clock(demo):
    from datetime import timedelta

    event = make_event(state="in_progress", level="street",
                       deadline_at=datetime(2026, 12, 1, 9, 30))
    event = transition(user("dept"), event.id, "request_hold", event.version, note="等待配件")
    event = transition(user("street"), event.id, "approve_hold", event.version)
    Event.query.filter_by(id=event.id).update(
        {"hold_started_at": event.hold_started_at - timedelta(hours=5)})
    db.session.commit()
    db.session.refresh(event)
    event = transition(user("dept"), event.id, "resume", event.version)
    assert event.held_seconds >= 5 * 3600
    assert event.deadline_at >= datetime(2026, 12, 1, 14, 30)


def test_two_people_acting_at_once_cannot_both_win(demo, app):
    event = make_event()
    version = event.version
    results, barrier = [], threading.Barrier(2)

    def act(name, action, note):
        with app.app_context():
            barrier.wait()
            try:
                transition(User.query.filter_by(username=name).one(), event.id, action, version,
                           note=note)
                results.append((action, "won"))
            except WorkflowError as exc:
                results.append((action, exc.code))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=("secretary", "accept", "")),
               threading.Thread(target=act, args=("secretary", "refuse", "重复上报"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.remove()
    outcomes = sorted(r[1] for r in results)
    assert outcomes == ["stale", "won"], results
    assert EventAction.query.filter_by(event_id=event.id).count() == 1
    assert db.session.get(Event, event.id).version == version + 1


def test_pages_show_the_inbox_and_the_actions_the_user_may_take(demo, login):
    from tests.conftest import csrf_from

    event = make_event(department=False)
    secretary = login("secretary")
    inbox = secretary.get("/events").get_data(as_text=True)
    assert "路口垃圾堆积" in inbox
    page = secretary.get(f"/events/{event.id}").get_data(as_text=True)
    assert "立案" in page and "上报上级" in page and "派遣部门" not in page
    response = secretary.post(f"/events/{event.id}/act", data={
        "csrf_token": csrf_from(page), "action": "escalate", "version": event.version})
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.level == "street"
    # The page the secretary had open is now stale: a second move is refused and explained.
    stale = secretary.post(f"/events/{event.id}/act", data={
        "csrf_token": csrf_from(page), "action": "accept", "version": 1}, follow_redirects=True)
    assert "已被他人处理" in stale.get_data(as_text=True)
    street = login("street")
    page = street.get(f"/events/{event.id}").get_data(as_text=True)
    assert "派遣部门" not in page  # accept first
    street.post(f"/events/{event.id}/act", data={"csrf_token": csrf_from(page), "action": "accept",
                                                  "version": event.version})
    page = street.get(f"/events/{event.id}").get_data(as_text=True)
    assert "派遣部门" in page and "吹哨部门" in page
    # The department sees it only once dispatched to it.
    assert login("dept").get(f"/events/{event.id}").status_code == 404


def test_on_site_check_from_the_phone_through_the_outbox(demo, login):
    from tests.support import Phone

    event = make_event(state="handled", level="street")
    worker = Phone(login("worker"))
    answer = worker.push("event.transition", event.id, {"action": "check_fail", "note": "未清理"},
                         base_version=event.version)
    assert answer["status"] == "applied" and answer["state"] == "in_progress"
    db.session.refresh(event)
    assert event.rework_count == 1
    # A stale check (the phone held an older version) comes back as needing a fix, not applied.
    again = worker.push("event.transition", event.id, {"action": "check_pass"}, base_version=1)
    assert again["status"] == "rejected" and again["code"] == "stale"
    other = Phone(login("w-qcl-frj-02"))
    assert other.push("event.transition", event.id, {"action": "check_pass"},
                      base_version=event.version)["status"] in ("forbidden", "rejected")


def test_badge_and_overdue_lists(demo, login):
    from datetime import timedelta

    from app.events.workflow import now

    make_event(department=False)
    late = make_event(state="in_progress", level="street", deadline_at=now() - timedelta(hours=2))
    soon = make_event(state="dispatched", level="street", deadline_at=now() + timedelta(hours=3))
    late.description, soon.description = "超期的事件", "快到期的事件"
    db.session.commit()
    secretary = login("secretary")
    home = secretary.get("/").get_data(as_text=True)
    assert 'class="count"' in home and "1 件待处理" in home
    street = login("street")
    overdue = street.get("/events?tab=overdue").get_data(as_text=True)
    assert "超期的事件" in overdue and "快到期的事件" not in overdue
    due = street.get("/events?tab=due_soon").get_data(as_text=True)
    assert "快到期的事件" in due and "超期的事件" not in due
    dept = login("dept")
    assert "快到期的事件" in dept.get("/events").get_data(as_text=True)  # its own inbox
    make_event(state="handled", level="street")
    assert "1 件待处理" in login("worker").get("/").get_data(as_text=True)  # a report to check


def test_command_centre_metrics_by_hand(demo, login):
    """Three events in the period: one closed on time after a rework, one closed overdue, one
    open and overdue. Figures checked against what a person computes."""
    import csv
    import io
    from datetime import timedelta

    from app.events.workflow import now

    t = now()
    cg = Department.query.filter_by(code="LX-CG").one().id
    mine = [make_event(state="closed", level="street", close_type="on_time", rework_count=1,
               reported_at=t - timedelta(hours=30), dispatched_at=t - timedelta(hours=20),
               closed_at=t - timedelta(hours=10)),
            make_event(state="closed", level="street", close_type="overdue",
               reported_at=t - timedelta(hours=50), dispatched_at=t - timedelta(hours=2),
               closed_at=t - timedelta(hours=0)),
            make_event(state="in_progress", level="street", reported_at=t - timedelta(hours=5),
                       dispatched_at=t - timedelta(hours=4), deadline_at=t - timedelta(hours=1))]
    # Only these three go to the department: the demo's own enterprise cases stay out of its row.
    Event.query.filter(Event.id.in_([e.id for e in mine])).update({"department_id": cg})
    db.session.commit()
    command = login("command")
    start = (t - timedelta(days=5)).date().isoformat()
    page = command.get(f"/command?from={start}").get_data(as_text=True)
    assert "未结事件" in page and "泉城路街道" in page
    rows = list(csv.reader(io.StringIO(command.get(
        f"/command?from={start}&by=department&format=csv").get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert header[0] == "department" and rows[-1][0] in ("total", "合计")
    dept_row = next(r for r in rows if r[0] == "区城市管理局")
    figures = dict(zip(header[1:], dept_row[1:], strict=True))
    assert figures["events"] == "3" and figures["closed"] == "2"
    # Dispatched within a day of the report: the first (10 h) and third (1 h), not the second (48 h).
    assert figures["on_time_dispatch_pct"] == "66.7"
    assert figures["on_time_close_pct"] == "50.0" and figures["rework_pct"] == "50.0"
    assert figures["mean_hours_to_close"] == "35.0"  # (20 h + 50 h) / 2
    xlsx = command.get(f"/command?from={start}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert login("secretary").get("/command").status_code == 404


def test_a_duplicate_is_merged_into_the_original(demo):
    original = make_event(state="accepted", level="street")
    duplicate = make_event(level="street")
    with pytest.raises(WorkflowError):
        transition(user("street"), duplicate.id, "merge", duplicate.version, note="重复")  # no target
    merged = transition(user("street"), duplicate.id, "merge", duplicate.version, note="同一井盖",
                        target_id=original.id)
    assert merged.state == "merged" and merged.merged_into_id == original.id


def test_admin_holiday_calendar_moves_deadlines(demo, login):
    from datetime import date

    from app.events.workcal import HolidayOverride, is_workday
    from tests.conftest import csrf_from

    admin = login("admin")
    token = csrf_from(admin.get("/admin/holidays").get_data(as_text=True))
    admin.post("/admin/holidays", data={"csrf_token": token, "day": "2030-01-02", "workday": "0",
                                        "name": "临时放假"})
    assert db.session.get(HolidayOverride, date(2030, 1, 2)).workday is False
    assert not is_workday(date(2030, 1, 2))
    bad = admin.post("/admin/holidays", data={"csrf_token": token, "day": "2030-13-40", "workday": "0"})
    assert "YYYY-MM-DD" in bad.get_data(as_text=True)
    # Removing a day named by a broken date is refused with a reason, not a server error.
    for broken in ("2030-02-30", "yesterday", "9" * 40):
        answer = admin.post("/admin/holidays", data={"csrf_token": token, "delete": broken})
        assert answer.status_code == 400, broken
    assert db.session.get(HolidayOverride, date(2030, 1, 2)) is not None
    removed = admin.post("/admin/holidays", data={"csrf_token": token, "delete": "2030-01-02"})
    assert removed.status_code == 302 and db.session.get(HolidayOverride, date(2030, 1, 2)) is None
    assert login("secretary").get("/admin/holidays").status_code == 403


def test_up_to_the_district_and_back_to_the_worker(demo):
    event = make_event(department=False)
    moves = [("secretary", "escalate", {}), ("street", "escalate", {}), ("command", "accept", {}),
             ("command", "whistle", {"note": "请城管到场", "hours": 4}), ("dept", "dept_accept", {}),
             ("dept", "report_handled", {"photos": ["x"]}), ("worker", "check_pass", {})]
    for username, action, extra in moves:
        event = transition(user(username), event.id, action, event.version, **extra)
    assert event.state == "closed" and event.level == "district"
    assert event.department_id == Department.query.filter_by(code="LX-CG").one().id  # the default
    roles = [a.actor_role for a in EventAction.query.filter_by(event_id=event.id).order_by(EventAction.id)]
    assert roles == ["secretary", "street", "command", "command", "department", "department", "grid_worker"]


def test_the_department_home_lists_what_is_dispatched_to_it(demo, login):
    """The department's home said "目前没有待处理的事件。" while its badge showed one."""
    from datetime import timedelta

    from app.events.workflow import now

    urgent = make_event(state="dispatched", level="street", urgency="urgent",
                        deadline_at=now() + timedelta(hours=3))
    make_event(state="dispatched", level="street", description="人行道井盖破损")
    make_event(state="handled", level="street", description="已处置的事")  # not the department's now
    home = login("dept").get("/").get_data(as_text=True)
    assert "目前没有待处理的事件" not in home and "（2）" in home
    assert "人行道井盖破损" in home and "已处置的事" not in home
    assert home.index("路口垃圾堆积") < home.index("人行道井盖破损")  # the urgent one first
    assert 'badge-urgent">紧急' in home
    deadline = clock.to_local(urgent.deadline_at).strftime("%m-%d %H:%M")
    assert deadline in home  # in local time


def test_every_state_is_reachable_labelled_and_either_open_or_ended():
    """The state table and the move table agree: every state a move names is in the table with
    a label, every state but the first is some move's target, and only ended states have no
    move out of them."""
    from app.events.workflow import OPEN_STATES, STATES

    named = {m.to for m in MOVES.values() if m.to} | {s for m in MOVES.values() for s in m.sources}
    assert named == set(STATES)
    reached, frontier = {"reported"}, ["reported"]
    while frontier:
        state = frontier.pop()
        for move in MOVES.values():
            if state in move.sources and move.to and move.to not in reached:
                reached.add(move.to)
                frontier.append(move.to)
    assert reached == set(STATES)
    assert all(str(s.label) and not str(s.label).isascii() for s in STATES.values())
    leaving = {s for m in MOVES.values() for s in m.sources}
    assert set(STATES) - leaving == set(STATES) - set(OPEN_STATES) == {"closed", "refused", "merged"}


def test_a_merged_duplicate_is_not_counted_open_or_overdue(demo, login):
    from datetime import timedelta

    from app.events.workflow import now

    original = make_event(state="accepted", level="street", description="原事件")
    duplicate = make_event(level="street", description="重复上报的事件",
                           deadline_at=now() - timedelta(hours=1))
    transition(user("street"), duplicate.id, "merge", duplicate.version, note="同一处",
               target_id=original.id)
    page = login("command").get("/command").get_data(as_text=True)
    assert "原事件" in page or "未结事件" in page
    assert "重复上报的事件" not in page  # neither in the open list nor the overdue one
    from app.events import metrics

    open_events, by_state, _ = metrics.open_counts(Event.deleted_at.is_(None))
    assert duplicate.id not in {e.id for e in open_events} and ("merged", "street") not in by_state


def test_the_reporter_is_told_why_in_the_pull(demo, login):
    """Issue 16, item 7: the pull tells the reporter of their own report's refusal and reason,
    and of a dispatch and to whom; no one else's pull carries it."""
    refused = make_event(department=False)
    dispatched = make_event(state="accepted", level="street")
    transition(user("secretary"), refused.id, "refuse", refused.version, note="属于物业管理范围")
    transition(user("street"), dispatched.id, "dispatch", dispatched.version,
               department_id=Department.query.filter_by(code="LX-CG").one().id)
    def pulled(username):
        body = login(username).get("/api/v1/sync/pull?cursor=0").get_json()
        return {c["id"]: c["data"] for c in body["changes"] if c["type"] == "event"}

    changes = pulled("worker")
    assert changes[refused.id]["news"]["state"] == "refused"
    assert changes[refused.id]["news"]["note"] == "属于物业管理范围"
    assert changes[dispatched.id]["news"] == {**changes[dispatched.id]["news"], "state": "dispatched",
                                              "by": "区城市管理局"}
    leader = pulled("leader")
    assert leader[refused.id]["news"] is None  # the grid leader sees the event, not the reporter's news
