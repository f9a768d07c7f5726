"""Tasks (交办): the admission check against the duty checklist, district approval for
anything outside it, recipients, offline reports, progress, survey results and volunteer time.
Pages and the sync API both come through here."""
from collections import Counter

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_
from sqlalchemy.orm import selectinload

from .. import clock
from ..audit.services import record as audit
from ..auth.models import RoleAssignment
from ..clock import client_time
from ..duties.models import DutyItem
from ..duties.services import WORKER_ROLES, checklist_for, local_today, utc_midnight
from ..errors import DomainError, Forbidden, Rejected
from ..extensions import db
from ..ids import is_uuid
from ..media.models import Media
from ..media.services import photo_holder, rows_naming
from ..scope.permissions import may, roles_for
from ..scope.services import CHANGE, VIEW, can_view, rule, scope_for
from ..sync.services import handler
from .models import Task, TaskReport, TaskTarget

RECIPIENT_ROLES = roles_for("tasks.receive")
RIDER_KINDS = {"survey", "publicity"}  # grid-wide tasks a part-time rider also receives
KINDS = ("task", "survey", "publicity")
QUESTION_TYPES = ("single", "multi", "text", "number", "photo")
MAX_QUESTIONS = 20


class AdmissionError(DomainError):
    """The task cannot be admitted (准入): errors per field of the assigner's form."""

    code = "admission"

    def __init__(self, errors):
        super().__init__(fields=errors)


now_utc = clock.now


# --- the survey builder's questions --------------------------------------------------------

def clean_questions(rows):
    """Questions from the builder's rows ({type, label, options text, required}); blank rows are
    skipped. Returns (questions, errors by row number)."""
    questions, errors = [], {}
    for n, row in enumerate(rows, start=1):
        label = (row.get("label") or "").strip()
        if not label:
            continue
        qtype = row.get("type")
        if qtype not in QUESTION_TYPES:
            errors[n] = str(_l("第 %(n)d 题：题型无效", n=n))
            continue
        options = [o.strip() for o in (row.get("options") or "").splitlines() if o.strip()]
        if qtype in ("single", "multi"):
            if len(options) < 2:
                errors[n] = str(_l("第 %(n)d 题：选择题至少需要两个选项（每行一个）", n=n))
                continue
            if len(set(options)) != len(options):
                errors[n] = str(_l("第 %(n)d 题：选项不能重复", n=n))
                continue
        else:
            options = []
        questions.append({"id": f"q{len(questions) + 1}", "type": qtype, "label": label[:200],
                          "options": options[:20], "required": bool(row.get("required"))})
    if len(questions) > MAX_QUESTIONS:
        errors[0] = str(_l("最多 %(n)d 道题", n=MAX_QUESTIONS))
    return questions, errors


def clean_answers(questions, answers, photos):
    """Validate a survey answer sheet against its questions. Returns (clean answers, errors)."""
    answers = answers if isinstance(answers, dict) else {}
    clean, errors = {}, {}
    for q in questions:
        value = answers.get(q["id"])
        empty = value in (None, "", [])
        if empty:
            if q["required"]:
                errors[q["id"]] = [str(_l("此题必答"))]
            continue
        if q["type"] == "single":
            if value not in q["options"]:
                errors[q["id"]] = [str(_l("请选择一个选项"))]
                continue
        elif q["type"] == "multi":
            if not isinstance(value, list) or not value or any(v not in q["options"] for v in value):
                errors[q["id"]] = [str(_l("请选择列出的选项"))]
                continue
            value = [o for o in q["options"] if o in value]
        elif q["type"] == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                errors[q["id"]] = [str(_l("请填写数字"))]
                continue
            if value != value or abs(value) > 1e9:
                errors[q["id"]] = [str(_l("请填写数字"))]
                continue
            value = int(value) if value.is_integer() else value
        elif q["type"] == "text":
            value = str(value).strip()[:500]
        elif q["type"] == "photo":
            if value not in photos:
                errors[q["id"]] = [str(_l("照片尚未附上"))]
                continue
        clean[q["id"]] = value
    return clean, errors


# --- who receives what ---------------------------------------------------------------------

def _grid_roles(user):
    """{grid id: roles} of the user's grid assignments."""
    roles = {}
    for a in user.assignments:
        if a.grid_id:
            roles.setdefault(a.grid_id, set()).add(a.role)
    return roles


def recipient_clause(user):
    """SQL condition on TaskTarget (joined with Task): targets this user works on."""
    grid_roles = _grid_roles(user)
    worker_grids = [g for g, r in grid_roles.items() if r & WORKER_ROLES]
    rider_grids = [g for g, r in grid_roles.items() if "part_time" in r and not r & WORKER_ROLES]
    clauses = [TaskTarget.assignee_id == user.id]
    if worker_grids:
        clauses.append(and_(TaskTarget.assignee_id.is_(None), TaskTarget.grid_id.in_(worker_grids)))
    if rider_grids:
        clauses.append(and_(TaskTarget.assignee_id.is_(None), TaskTarget.grid_id.in_(rider_grids),
                            Task.kind.in_(RIDER_KINDS)))
    return or_(*clauses)


def my_targets(user, statuses=("open",)):
    """(task, target) pairs this user works on, soonest due first."""
    rows = (db.session.query(Task, TaskTarget).join(TaskTarget, TaskTarget.task_id == Task.id)
            .filter(Task.status.in_(statuses), recipient_clause(user))
            .order_by(Task.due_on.is_(None), Task.due_on, Task.id.desc()).all())
    return rows


def targets_of(user, task):
    """The task's targets this user works on, a named one first; none for tasks never admitted."""
    if task.status not in ("open", "closed"):
        return []
    return (db.session.query(TaskTarget).join(Task, Task.id == TaskTarget.task_id)
            .filter(TaskTarget.task_id == task.id, recipient_clause(user))
            .order_by(TaskTarget.assignee_id.is_(None), TaskTarget.id).all())


def is_recipient(user, task):
    return bool(targets_of(user, task))


def decides_on(user, task) -> bool:
    """The command centre of the district whose grids an out-of-list request names decides it;
    another district's does not see it."""
    scope = scope_for(user)
    return task.status == "pending_approval" and may(user, "tasks.approve") and any(
        scope.covers_grid(t.grid_id) for t in task.targets)


@rule(Task)
def _task_rule(user, task, action):
    scope = scope_for(user)
    if scope.is_admin:
        return action == VIEW
    if task.assigner_id == user.id:
        return True
    if decides_on(user, task):
        return True  # the district decides on out-of-list tasks
    if action == CHANGE:
        return False
    if may(user, "tasks.assign") and any(scope.covers_grid(t.grid_id) for t in task.targets):
        return True
    return is_recipient(user, task)


# --- making tasks: the admission check -----------------------------------------------------

def assignable_targets(user, people_limit=None):
    """Grids and people this user may hand tasks to: {"grids": [...], "people": [(user, grid, role)]}.
    People are left out (None) when there are more than ``people_limit``."""
    from sqlalchemy.orm import joinedload

    from ..org.models import Grid

    scope = scope_for(user)
    grids = Grid.query.filter(scope.grid_clause()).order_by(Grid.code).all()
    query = db.session.query(RoleAssignment).filter(
        scope.grid_clause(RoleAssignment.grid_id), RoleAssignment.role.in_(RECIPIENT_ROLES))
    if people_limit is not None and query.count() > people_limit:
        return {"grids": grids, "people": None}
    people = query.options(joinedload(RoleAssignment.user), joinedload(RoleAssignment.grid)).all()
    people.sort(key=lambda a: (a.grid.code, a.role, a.user.display_name))
    return {"grids": grids, "people": [(a.user, a.grid, a.role) for a in people]}


def create_task(user, *, kind, title, body, duty_item_id, reason, request_approval, targets,
                due_on=None, target=1, questions=()):
    """Make a task. It cites a checklist item and opens at once (准入); without one it is refused,
    or waits for the district's approval when asked (禁入). Flushed, not committed; returns the task."""
    scope = scope_for(user)
    if not may(user, "tasks.assign"):
        raise Forbidden(_l("只有社区书记、街道和区指挥中心可以交办任务"))
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [str(_l("任务类型无效"))]
    if kind == "survey" and not questions:
        errors["questions"] = [str(_l("调查问卷至少需要一道题"))]
    cleaned = []
    for grid_id, assignee_id in targets:
        if not scope.covers_grid(grid_id):
            errors["targets"] = [str(_l("只能交办给自己辖区内的网格和网格员"))]
            break
        if assignee_id is not None:
            works_there = RoleAssignment.query.filter_by(user_id=assignee_id, grid_id=grid_id).filter(
                RoleAssignment.role.in_(RECIPIENT_ROLES)).first()
            if works_there is None:
                errors["targets"] = [str(_l("该人员不在所选网格工作"))]
                break
        if (grid_id, assignee_id) not in cleaned:
            cleaned.append((grid_id, assignee_id))
    if due_on is not None:
        if due_on < local_today():
            errors["due_on"] = [str(_l("完成期限不能早于今天"))]
    if not cleaned and "targets" not in errors:
        errors["targets"] = [str(_l("请选择接收的网格或网格员"))]
    item = None
    if duty_item_id:
        in_force = checklist_for(local_today())
        item = db.session.get(DutyItem, duty_item_id)
        if item is None or in_force is None or item.checklist_id != in_force.id:
            errors["duty_item_id"] = [str(_l("请从现行职责清单中选择事项"))]
    elif not (reason or "").strip():
        errors["reason"] = [str(_l("清单外事项须说明理由"))]
    if errors:
        raise AdmissionError(errors)
    task = Task(kind=kind, title=title.strip(), body=(body or "").strip(), assigner_id=user.id,
                due_on=due_on, target=max(1, int(target or 1)), questions=list(questions))
    task.targets = [TaskTarget(grid_id=g, assignee_id=a) for g, a in cleaned]
    if item is not None:
        task.duty_item_id, task.duty_code, task.status = item.id, item.code, "open"
        db.session.add(task)
        audit("task.admitted", task, actor=user, detail={"duty_code": item.code, "title": task.title})
    else:
        task.out_of_list_reason = reason.strip()
        if request_approval:
            task.status = "pending_approval"
            db.session.add(task)
            audit("task.approval_requested", task, actor=user,
                  detail={"title": task.title, "reason": task.out_of_list_reason})
        else:
            task.status = "refused"
            task.decided_at = now_utc()
            task.decision_note = str(_l("清单外事项未经区级审批，不得交办网格员"))
            db.session.add(task)
            audit("task.refused", task, actor=user,
                  detail={"title": task.title, "reason": task.out_of_list_reason, "by": "admission"})
    db.session.flush()
    return task


def decide(user, task, approve, note=""):
    """The district approves or refuses an out-of-list task. Commits."""
    if task.status != "pending_approval":
        raise AdmissionError({"_": [str(_l("这项任务不在待审批状态"))]})
    if not decides_on(user, task):
        raise Forbidden(_l("只有区指挥中心可以审批清单外事项"))
    if task.assigner_id == user.id:
        raise Forbidden(_l("不能审批自己提出的申请"))
    if not approve and not (note or "").strip():
        raise AdmissionError({"note": [str(_l("不予准入须说明理由"))]})
    task.status = "open" if approve else "refused"
    task.decided_by, task.decided_at, task.decision_note = user.id, now_utc(), (note or "").strip()
    audit("task.approved" if approve else "task.refused", task, actor=user,
          detail={"title": task.title, "note": task.decision_note})
    return task


def close_task(user, task):
    task.status = "closed"
    audit("task.closed", task, actor=user, detail={"title": task.title})


# --- reports from the phone ----------------------------------------------------------------

def _parse_time(value):
    """When the work was done: the phone's time, unless it is missing, broken or in the future."""
    parsed = client_time(value)
    return parsed if parsed is not None and parsed <= now_utc() else now_utc()


def _int_field(data, name, low, high, errors, message):
    value = data.get(name, 0)
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = [str(message)]
        return 0
    if not low <= number <= high:
        errors[name] = [str(message)]
    return number


def submit_report(user, report_id, data, done_at=None):
    """Record work on a task (maybe done offline days ago). Raises Rejected / Forbidden."""
    if not is_uuid(report_id):
        raise Rejected({"record_id": [str(_l("记录编号必须是 UUID"))]})
    try:
        task_id = int(data.get("task_id"))
    except (TypeError, ValueError):
        raise Rejected({"task_id": [str(_l("缺少任务"))]}) from None
    task = db.session.get(Task, task_id)
    targets = targets_of(user, task) if task is not None else []
    if not targets:
        raise Forbidden(_l("这项任务没有交给你"))
    if task.status != "open":
        raise Rejected({"task_id": [str(_l("这项任务已结束，不再接收记录"))]}, code="task_closed")
    errors = {}
    target = targets[0]
    if data.get("target_id") not in (None, ""):
        chosen = [t for t in targets if str(t.id) == str(data["target_id"])]
        if not chosen:
            raise Rejected({"target_id": [str(_l("请选择你负责的网格"))]})
        target = chosen[0]
    photos = [str(p).lower() for p in (data.get("photos") or []) if isinstance(p, str)][:9]
    note = str(data.get("note") or "").strip()[:1000]
    households = _int_field(data, "households", 0, 10000, errors, _l("请填写 0–10000 之间的户数"))
    minutes = _int_field(data, "minutes", 0, 24 * 60, errors, _l("用时请填写 0–1440 分钟"))
    answers = {}
    if task.kind == "survey":
        answers, answer_errors = clean_answers(task.questions, data.get("answers"), photos)
        errors.update(answer_errors)
        if not answers and not answer_errors:
            errors["answers"] = [str(_l("请至少回答一题"))]
    elif task.kind == "publicity":
        if households < 1:
            errors["households"] = [str(_l("请填写宣传到达的户数"))]
        if not photos:
            errors["photos"] = [str(_l("宣传记录需要 1 张现场照片"))]
    elif not note and not photos:
        errors["note"] = [str(_l("请填写完成情况或附上照片"))]
    if errors:
        raise Rejected(errors)
    found = {m.id for m in Media.query.filter(Media.id.in_(photos), Media.owner_id == user.id)}
    if set(photos) - found:
        raise Rejected({"photos": [str(_l("照片尚未上传"))]}, code="media_missing")
    report = TaskReport(id=str(report_id), task_id=task.id, target_id=target.id, user_id=user.id,
                        grid_id=target.grid_id, done_at=_parse_time(done_at), note=note,
                        households=households if task.kind == "publicity" else 0, minutes=minutes,
                        answers=answers, photos=photos)
    db.session.add(report)
    db.session.flush()
    return report


@handler("task.report")
def apply_task_report(user, mutation):
    report = submit_report(user, mutation["record_id"], mutation.get("data") or {},
                           done_at=mutation.get("created_at"))
    return {"record_id": report.id}


# --- what the assigner and the recipient see -----------------------------------------------

def report_amount(task):
    """What a report adds to progress: households for publicity, otherwise one."""
    return func.sum(TaskReport.households) if task.kind == "publicity" else func.count(TaskReport.id)


def progress(task, user=None):
    """Per target: (target, done, pct); and the task overall (done, wanted, pct). Given a user,
    only the targets in their scope: a secretary sees their community's part of a street's task."""
    done = dict(db.session.execute(
        db.select(TaskReport.target_id, report_amount(task)).where(TaskReport.task_id == task.id)
        .group_by(TaskReport.target_id)).all())
    scope = scope_for(user) if user is not None else None
    rows = []
    for t in task.targets:
        if scope is not None and not scope.covers_grid(t.grid_id):
            continue
        n = int(done.get(t.id) or 0)
        rows.append((t, n, min(100, round(100 * n / task.target))))
    return rows, _overall(task, [n for _, n, _ in rows])


def _overall(task, amounts):
    """(done, wanted, pct) over the targets' amounts; a target counts up to the task's target."""
    wanted = task.target * len(amounts)
    reached = sum(min(n, task.target) for n in amounts)
    return sum(amounts), wanted, round(100 * reached / wanted) if wanted else 0


def progress_of(tasks, user=None):
    """{task id: (done, wanted, pct)} as ``progress`` gives it, for a whole page of tasks in one
    query of the reports' sums, not one per task."""
    ids = [task.id for task in tasks]
    if not ids:
        return {}
    sums = db.session.execute(
        db.select(TaskReport.task_id, TaskReport.target_id, func.count(TaskReport.id),
                  func.sum(TaskReport.households))
        .where(TaskReport.task_id.in_(ids)).group_by(TaskReport.task_id, TaskReport.target_id)).all()
    done = {(task_id, target_id): (n, int(h or 0)) for task_id, target_id, n, h in sums}
    scope = scope_for(user) if user is not None else None
    out = {}
    for task in tasks:
        amounts = []
        for target in task.targets:  # loaded with the page (assigned_by_scope)
            if scope is not None and not scope.covers_grid(target.grid_id):
                continue
            reports, households = done.get((task.id, target.id), (0, 0))
            amounts.append(households if task.kind == "publicity" else reports)
        out[task.id] = _overall(task, amounts)
    return out


def my_done(user, task_ids):
    """{task id: amount this user has reported}."""
    if not task_ids:
        return {}
    rows = db.session.execute(
        db.select(TaskReport.task_id, func.count(TaskReport.id), func.sum(TaskReport.households))
        .where(TaskReport.user_id == user.id, TaskReport.task_id.in_(task_ids))
        .group_by(TaskReport.task_id)).all()
    return {tid: {"reports": n, "households": int(h or 0)} for tid, n, h in rows}


def visible_reports(user, task):
    """A task's reports this user may see: their own, and for supervisors those made in grids of
    their scope (a task sent to several communities shows each secretary their community's)."""
    scope = scope_for(user)
    in_scope = scope.grid_clause(TaskReport.grid_id) if may(user, "tasks.oversee") else false()
    return TaskReport.query.filter(TaskReport.task_id == task.id,
                                   or_(TaskReport.user_id == user.id, in_scope))


@rule(TaskReport)
def _task_report_rule(user, report, action):
    if action != VIEW:
        return False
    if report.user_id == user.id:
        return True
    # Recipients see their own reports only; supervisors those made in their scope's grids.
    task = db.session.get(Task, report.task_id)
    return (may(user, "tasks.oversee") and scope_for(user).covers_grid(report.grid_id)
            and can_view(user, task))


@photo_holder
def _task_report_photos(media):
    """A report's photos (its survey's photo answers are among them: clean_answers checks)."""
    return rows_naming(TaskReport, TaskReport.photos, media, TaskReport.user_id)


def survey_results(task, user):
    """Per question: counts per option (choices), values (numbers), answers (text), photo count,
    over the reports ``user`` may see."""
    reports = visible_reports(user, task).order_by(TaskReport.done_at).all()
    results = []
    for q in task.questions:
        values = [r.answers.get(q["id"]) for r in reports if q["id"] in (r.answers or {})]
        entry = {"question": q, "answered": len(values)}
        if q["type"] in ("single", "multi"):
            counts = Counter()
            for v in values:
                counts.update(v if isinstance(v, list) else [v])
            entry["counts"] = [(o, counts.get(o, 0)) for o in q["options"]]
        elif q["type"] == "number":
            nums = [v for v in values if isinstance(v, int | float)]
            entry["mean"] = round(sum(nums) / len(nums), 2) if nums else None
            entry["min"], entry["max"] = (min(nums), max(nums)) if nums else (None, None)
        elif q["type"] == "text":
            entry["texts"] = [v for v in values if v][-50:]
        elif q["type"] == "photo":
            entry["photos"] = [v for v in values if v][-24:]
        results.append(entry)
    return reports, results


def volunteer_time(user):
    """Minutes of volunteer time this (local) month and in all: task report minutes plus patrols."""
    month_start = utc_midnight(local_today().replace(day=1))
    return {"month": volunteer_minutes(user, month_start), "total": volunteer_minutes(user)}


def volunteer_minutes(user, since=None):
    """Minutes of volunteer time: what the rider entered on task reports plus their patrols."""
    from ..patrols.models import Patrol

    q = db.select(func.coalesce(func.sum(TaskReport.minutes), 0)).where(TaskReport.user_id == user.id)
    p = db.select(func.coalesce(func.sum(Patrol.duration_s), 0)).where(Patrol.worker_id == user.id)
    if since is not None:
        q = q.where(TaskReport.done_at >= since)
        p = p.where(Patrol.started_at >= since)
    return int(db.session.execute(q).scalar() or 0) + int(db.session.execute(p).scalar() or 0) // 60


def pending_approvals(user):
    scope = scope_for(user)
    if not may(user, "tasks.approve"):
        return Task.query.filter(false())
    in_district = db.select(TaskTarget.task_id).where(scope.grid_clause(TaskTarget.grid_id))
    return (Task.query.filter(Task.status == "pending_approval", Task.id.in_(in_district))
            .order_by(Task.created_at))


def assigned_by_scope(user):
    """Tasks a supervisor sees: made by them, or aimed at grids in their scope."""
    scope = scope_for(user)
    visible = db.select(TaskTarget.task_id).where(scope.grid_clause(TaskTarget.grid_id))
    # A page of tasks shows each one's targets (grid and assignee): loaded with the page.
    targets = selectinload(Task.targets)
    return (Task.query.options(targets.joinedload(TaskTarget.grid), targets.joinedload(TaskTarget.assignee))
            .filter(or_(Task.assigner_id == user.id, Task.id.in_(visible))).order_by(Task.id.desc()))


def nav_badges(user):
    """The navigation's counts: open tasks this user has not started; requests to approve."""
    badges = {}
    if may(user, "event.report"):
        open_ids = {task.id for task, _target in my_targets(user)}
        badges["tasks.my_tasks"] = len(open_ids - set(my_done(user, open_ids)))
    if may(user, "tasks.approve"):
        badges["tasks.assigned"] = pending_approvals(user).count()
    return badges


def duty_evidence(item, kind, lo, hi):
    """Reports on tasks that cite a duty item (by its code, so a task made under an earlier
    checklist version still counts) between stored times [lo, hi); publicity counts households."""
    amount = func.sum(TaskReport.households) if kind == "publicity" else func.count()
    user = TaskReport.user_id
    query = db.select(user, amount).select_from(TaskReport).join(Task, Task.id == TaskReport.task_id).where(
        Task.duty_code == item.code, TaskReport.done_at >= lo, TaskReport.done_at < hi)
    return user, query


def duty_codes(user):
    """{task id: duty code} for the open tasks this user works on."""
    return {task.id: task.duty_code for task, _target in my_targets(user) if task.duty_code}
