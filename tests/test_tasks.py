"""Tasks (交办): the admission check (准入/禁入) with the district's approval, recipients, reports
made on the phone, progress for the assigner, surveys and publicity for riders."""
import csv
import io
import re
import uuid
from datetime import timedelta

from app import clock
from app.audit.models import AuditLog
from app.auth.models import User
from app.duties.models import DutyItem
from app.duties.services import local_today
from app.extensions import db
from app.org.models import Grid
from app.tasks.models import Task, TaskReport
from tests.conftest import csrf_from
from tests.support import RECORDED_AT, Phone, jpeg_bytes

FRJ1, FRJ2, DMH = "LX-QCL-FRJ-01", "LX-QCL-FRJ-02", "LX-DMH-QST-01"


DEMO_TASKS = 4  # the demo's own: a task, a survey, a publicity task and one awaiting approval


def newest():
    return Task.query.order_by(Task.id.desc()).first()


def not_started(client):
    """The number on the navigation's 任务 entry: open tasks with nothing reported yet."""
    found = re.search(r'任务 <b class="count"[^>]*>(\d+)</b>', client.get("/").get_data(as_text=True))
    return int(found.group(1)) if found else 0


def grid(code):
    return Grid.query.filter_by(code=code).one()


def item(title):
    return DutyItem.query.filter_by(title=title).one()


def new_task(client, **fields):
    """Post the assigner's form; returns the response (a redirect to the task when accepted)."""
    token = csrf_from(client.get("/tasks/new").get_data(as_text=True))
    data = {"csrf_token": token, "kind": "task", "title": "核查辖区九小场所灭火器", "body": "逐户检查",
            "duty_item_id": "0", "reason": "", "target": "1", "targets": [f"g:{grid(FRJ1).id}"]}
    data.update(fields)
    return client.post("/tasks/new", data=data)


def upload(phone, color=(200, 30, 30)):
    media_id = str(uuid.uuid4())
    answer = phone.client.put(f"/api/v1/media/{media_id}", data=jpeg_bytes(color=color),
                              headers={"X-CSRFToken": phone.token, "Content-Type": "image/jpeg"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return media_id


def report(phone, task, **data):
    return phone.push("task.report", str(uuid.uuid4()), {"task_id": task.id, **data})


def test_a_task_citing_a_duty_item_is_admitted_and_reaches_the_grid(demo, login):
    secretary = login("secretary")
    page = new_task(secretary, duty_item_id=str(item("九小场所安全检查").id), due_on="2020-01-01")
    assert "完成期限不能早于今天" in page.get_data(as_text=True) and Task.query.count() == DEMO_TASKS
    due = local_today() + timedelta(days=7)
    answer = new_task(secretary, duty_item_id=str(item("九小场所安全检查").id), due_on=due.isoformat())
    task = newest()
    assert answer.status_code == 302 and answer.location.endswith(f"/tasks/{task.id}")
    assert task.status == "open" and task.duty_code == "03.3"
    assert AuditLog.query.filter_by(action="task.admitted", object_id=str(task.id)).count() == 1
    assert "4 项进行中" in secretary.get("/").get_data(as_text=True)  # with the demo's three

    worker, leader, rider = Phone(login("worker")), Phone(login("leader")), Phone(login("rider"))
    mine = worker.client.get("/tasks").get_data(as_text=True)
    assert "核查辖区九小场所灭火器" in mine and "已逾期" not in mine
    task.due_on = local_today() - timedelta(days=1)  # a week goes by
    db.session.commit()
    assert "已逾期" in worker.client.get("/tasks").get_data(as_text=True)
    task.due_on = due
    db.session.commit()
    assert "核查辖区九小场所灭火器" in leader.client.get("/tasks").get_data(as_text=True)
    # A work task to a grid goes to its full-time workers, not to the part-time rider.
    assert "核查辖区九小场所灭火器" not in rider.client.get("/tasks").get_data(as_text=True)
    assert report(rider, task, note="看到了")["status"] == "forbidden"
    # The other grid's worker does not get it.
    other = Phone(login("w-qcl-frj-02"))
    assert "核查辖区九小场所灭火器" not in other.client.get("/tasks").get_data(as_text=True)

    not_started_before = not_started(worker.client)
    assert not_started_before == DEMO_TASKS  # the demo's task, survey and publicity, and this one
    # A report needs a note or a photo; a bad one changes nothing.
    bad = report(worker, task)
    assert bad["status"] == "rejected" and "note" in bad["errors"]
    assert TaskReport.query.count() == 0
    photo = upload(worker)
    done = report(worker, task, note="12 户已查，2 户灭火器过期", photos=[photo], minutes=90)
    assert done["status"] == "applied"

    assert not_started(worker.client) == not_started_before - 1  # the navigation's count
    page = secretary.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "完成进度 100%" in page and "12 户已查" in page and f"/media/{photo}/thumb" in page
    # The photo is visible to the assigner through the task, not to an unrelated secretary.
    assert secretary.get(f"/media/{photo}/thumb").status_code == 200
    assert login("s-dmh-qst").get(f"/media/{photo}/thumb").status_code == 404
    assert login("s-dmh-qst").get(f"/tasks/{task.id}").status_code == 404
    assert login("street").get(f"/tasks/{task.id}").status_code == 200


def test_out_of_list_task_is_refused_and_logged(demo, login):
    secretary = login("secretary")
    # No reason at all: a clear message and nothing stored.
    page = new_task(secretary).get_data(as_text=True)
    assert "清单外事项须说明理由" in page and Task.query.count() == DEMO_TASKS
    # A reason but no request for approval: refused at admission, kept in the log, never sent.
    answer = new_task(secretary, title="协助收取物业费", reason="物业公司请求")
    task = newest()
    assert answer.status_code == 302 and task.status == "refused"
    log = AuditLog.query.filter_by(action="task.refused", object_id=str(task.id)).one()
    assert log.actor_name == "secretary" and log.detail["reason"] == "物业公司请求"
    assert "协助收取物业费" not in login("worker").get("/tasks").get_data(as_text=True)
    assert report(Phone(login("worker")), task, note="x")["status"] == "forbidden"
    approvals = secretary.get("/tasks/approvals").get_data(as_text=True)
    assert "协助收取物业费" in approvals and "不予准入" in approvals


def test_another_districts_command_centre_neither_sees_nor_decides_our_requests(demo, login):
    """Out-of-list requests go to the command centre of the district whose grids they name."""
    from app.auth.models import RoleAssignment
    from app.auth.services import hash_password
    from app.org.models import OrgUnit

    district = OrgUnit(code="SZ", name="市中区", level="district")
    db.session.add(district)
    db.session.add(User(username="command-sz", display_name="市中区指挥中心",
                        password_hash=hash_password("gridwalk-demo"), locale="zh_Hans",
                        assignments=[RoleAssignment(role="command", org_unit=district)]))
    db.session.commit()
    new_task(login("secretary"), title="配合开展燃气入户安检", reason="燃气公司专项行动",
             request_approval="y")
    task = newest()
    other = login("command-sz")
    assert "配合开展燃气入户安检" not in other.get("/tasks/approvals").get_data(as_text=True)
    assert other.get(f"/tasks/{task.id}").status_code == 404
    token = csrf_from(other.get("/tasks/approvals").get_data(as_text=True))
    answer = other.post(f"/tasks/{task.id}/decide", data={"csrf_token": token, "decision": "approve",
                                                           "note": "同意"})
    assert answer.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "pending_approval"
    assert "配合开展燃气入户安检" in login("command").get("/tasks/approvals").get_data(as_text=True)


def test_out_of_list_task_goes_to_the_district_for_approval(demo, login):
    secretary, command = login("secretary"), login("command")
    new_task(secretary, title="配合开展燃气入户安检", reason="燃气公司专项行动，需网格员带路",
             request_approval="y")
    task = newest()
    assert task.status == "pending_approval"
    worker = login("worker")
    assert "配合开展燃气入户安检" not in worker.get("/tasks").get_data(as_text=True)
    # Only the command centre decides: the street may look but not approve.
    token = csrf_from(command.get(f"/tasks/{task.id}").get_data(as_text=True))
    assert login("street").post(f"/tasks/{task.id}/decide", data={
        "csrf_token": token, "decision": "approve"}).status_code in (400, 403)
    assert "配合开展燃气入户安检" in command.get("/tasks/approvals").get_data(as_text=True)
    home = command.get("/").get_data(as_text=True)
    waiting = re.search(r'交办 <b class="count"[^>]*>(\d+)</b>', home)
    assert waiting and waiting.group(1) == "2"  # this one and the demo's request
    assert "2 项待审批" in home
    answer = command.post(f"/tasks/{task.id}/decide", data={"csrf_token": token, "decision": "approve",
                                                             "note": "同意，限本月"})
    assert answer.status_code == 302
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.status == "open" and task.decider.username == "command"
    assert AuditLog.query.filter_by(action="task.approved", object_id=str(task.id)).count() == 1
    assert "配合开展燃气入户安检" in worker.get("/tasks").get_data(as_text=True)

    # A second one is refused: a reason is required, and the refusal is logged.
    new_task(secretary, title="代收快递", reason="居民要求", request_approval="y")
    second = Task.query.filter_by(title="代收快递").one()
    command.post(f"/tasks/{second.id}/decide", data={"csrf_token": token, "decision": "refuse"})
    db.session.expire_all()
    assert db.session.get(Task, second.id).status == "pending_approval"  # no reason: unchanged
    command.post(f"/tasks/{second.id}/decide", data={"csrf_token": token, "decision": "refuse",
                                                      "note": "不属于网格职责"})
    db.session.expire_all()
    assert db.session.get(Task, second.id).status == "refused"
    refusal = AuditLog.query.filter_by(action="task.refused", object_id=str(second.id)).one()
    assert refusal.actor_name == "command"


def test_command_cannot_approve_its_own_request(demo, login):
    command = login("command")
    new_task(command, title="全区统一清点共享单车", reason="临时专项", request_approval="y")
    task = newest()
    token = csrf_from(command.get(f"/tasks/{task.id}").get_data(as_text=True))
    refused = command.post(f"/tasks/{task.id}/decide", data={"csrf_token": token, "decision": "approve"})
    assert refused.status_code == 403 and "不能审批自己提出的申请" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "pending_approval"


def test_only_assigners_within_their_scope(demo, login):
    secretary = login("secretary")
    page = new_task(secretary, duty_item_id=str(item("日常巡查").id), targets=[f"g:{grid(DMH).id}"])
    assert page.status_code == 200 and Task.query.count() == DEMO_TASKS  # not among the choices: refused
    assert login("worker").get("/tasks/new").status_code == 404
    assert login("rider").get("/tasks/assigned").status_code == 404
    # A worker at another grid cannot be named at this grid.
    dmh_worker = User.query.filter_by(username="w-dmh-qst-01").one()
    page = new_task(secretary, duty_item_id=str(item("日常巡查").id),
                    targets=[f"u:{dmh_worker.id}:{grid(FRJ1).id}"])
    assert Task.query.count() == DEMO_TASKS


def survey_fields(**extra):
    fields = {"kind": "survey", "title": "二轮加装电梯意愿调查",
              "duty_item_id": str(item("民意调查入户").id),
              "targets": [f"g:{grid(FRJ1).id}", f"g:{grid(FRJ2).id}"], "target": "3", "rows": "6",
              "q1-label": "是否同意加装电梯", "q1-type": "single", "q1-options": "同意\n不同意\n无所谓",
              "q1-required": "y",
              "q2-label": "最关心的问题", "q2-type": "multi", "q2-options": "费用分摊\n采光\n噪音",
              "q3-label": "愿意承担的费用（元）", "q3-type": "number",
              "q4-label": "其他意见", "q4-type": "text",
              "q5-label": "楼道现状", "q5-type": "photo"}
    fields.update(extra)
    return fields


def test_survey_builder_answers_results_and_csv(demo, login):
    secretary = login("secretary")
    # A choice question with one option is refused with a message naming the question.
    page = new_task(secretary, **survey_fields(**{"q2-options": "费用分摊"})).get_data(as_text=True)
    assert "第 2 题：选择题至少需要两个选项" in page and Task.query.count() == DEMO_TASKS
    new_task(secretary, **survey_fields())
    survey = newest()
    assert [q["type"] for q in survey.questions] == ["single", "multi", "number", "text", "photo"]

    rider, worker = Phone(login("rider")), Phone(login("worker"))
    page = rider.client.get("/tasks").get_data(as_text=True)
    assert "二轮加装电梯意愿调查" in page and "是否同意加装电梯" in page
    # Required question missing, option not offered: rejected, nothing stored.
    empty = report(rider, survey, answers={})
    assert empty["status"] == "rejected" and "q1" in empty["errors"]
    bad = report(rider, survey, answers={"q2": ["电梯"]})
    assert bad["status"] == "rejected" and set(bad["errors"]) == {"q1", "q2"}
    photo = upload(rider)
    assert report(rider, survey, answers={"q1": "同意", "q2": ["噪音", "费用分摊"], "q3": "3000",
                                          "q5": photo}, photos=[photo], minutes=20)["status"] == "applied"
    second = report(rider, survey, answers={"q1": "不同意", "q3": 0, "q4": "担心低层采光"})
    assert second["status"] == "applied"
    assert report(worker, survey, answers={"q1": "同意", "q2": ["费用分摊"]})["status"] == "applied"

    page = secretary.get(f"/tasks/{survey.id}").get_data(as_text=True)
    assert "调查结果（3 份）" in page
    assert "同意：2" in page and "不同意：1" in page and "无所谓：0" in page
    assert "费用分摊：2" in page and "噪音：1" in page and "平均 1500" in page and "担心低层采光" in page
    assert f"/media/{photo}/thumb" in page and secretary.get(f"/media/{photo}/thumb").status_code == 200
    rows = list(csv.reader(io.StringIO(secretary.get(f"/tasks/{survey.id}/results.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-5:] == ["是否同意加装电梯", "最关心的问题", "愿意承担的费用（元）", "其他意见",
                            "楼道现状"]
    assert len(rows) == 4 and rows[1][-5:-1] == ["同意", "费用分摊、噪音", "3000", ""]
    # Progress: FRJ-01 has 3 answers (target 3), FRJ-02 none.
    assert "3 / 3" in page and "0 / 3" in page and "完成进度 50%" in page
    # The rider's hours: 20 minutes from the survey.
    assert "0.3" in rider.client.get("/").get_data(as_text=True)


def test_publicity_needs_households_and_a_photo_and_counts_toward_the_duty(demo, login):
    from app.duties.services import progress

    secretary = login("secretary")
    new_task(secretary, kind="publicity", title="反诈宣传进万家",
             body="1. 不轻信陌生来电\n2. 下载国家反诈中心APP",
             duty_item_id=str(item("防诈骗宣传").id), target="30", targets=[f"g:{grid(FRJ1).id}"])
    task = newest()
    worker, rider = Phone(login("worker")), Phone(login("rider"))
    assert "下载国家反诈中心APP" in rider.client.get("/tasks").get_data(as_text=True)
    bad = report(worker, task, households=0)
    assert bad["status"] == "rejected" and set(bad["errors"]) == {"households", "photos"}
    assert report(worker, task, households=12, photos=[upload(worker)])["status"] == "applied"
    # The rider works two grids; the target names which. A target that is not theirs is refused.
    wrong = report(rider, task, households=9, photos=[upload(rider)], target_id=999999)
    assert wrong["status"] == "rejected" and "target_id" in wrong["errors"]
    frj1_target = next(t for t in task.targets if t.grid.code == FRJ1)
    assert report(rider, task, households=9, photos=[upload(rider)],
                  target_id=frj1_target.id)["status"] == "applied"
    page = secretary.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "21 / 30" in page and "完成进度 70%" in page
    # Counted in the month the records were made (the test phone's day, not today's).
    recorded_on = clock.local_day(clock.client_time(RECORDED_AT))
    _checklist, rows = progress(User.query.filter_by(username="worker").one().id, recorded_on)
    got = {i.title: (n, pct) for i, _p, n, pct in rows}
    assert got["防诈骗宣传"] == (12, 100)  # 12 households of a monthly 10
    assert got["政策入户宣传"] == (0, 0)  # a different item: not counted there


def test_closed_tasks_take_no_more_reports(demo, login):
    secretary = login("secretary")
    new_task(secretary, duty_item_id=str(item("日常巡查").id))
    task = newest()
    token = csrf_from(secretary.get(f"/tasks/{task.id}").get_data(as_text=True))
    assert secretary.post(f"/tasks/{task.id}/close", data={"csrf_token": token}).status_code == 302
    answer = report(Phone(login("worker")), task, note="晚了")
    assert answer["status"] == "rejected" and answer["code"] == "task_closed"


def test_riders_never_see_resident_data(demo, login):
    rider = Phone(login("rider"))
    for path in ("/registry", "/registry/app", "/duties", "/review"):
        assert rider.client.get(path).status_code == 404, path
    changes = rider.client.get("/api/v1/sync/pull?cursor=0").get_json()["changes"]
    assert not [c for c in changes if c["type"] == "record"]
    home = rider.client.get("/").get_data(as_text=True)
    assert "随手拍" in home and "我的任务" in home and "志愿服务时长" in home


def test_the_street_hands_a_survey_to_all_its_grids_at_once(demo, login):
    street = login("street")
    form = street.get("/tasks/new").get_data(as_text=True)
    assert "辖区内全部网格（6 个）" in form
    answer = new_task(street, **survey_fields(targets=["all"], title="街道垃圾分类满意度调查"))
    assert answer.status_code == 302
    survey = newest()
    assert survey.title == "街道垃圾分类满意度调查"
    codes = sorted(t.grid.code for t in survey.targets)
    assert len(codes) == 6 and all(code.startswith("LX-QCL-") for code in codes)
