"""Task pages: the assigner's form and progress, the district's approvals, the recipient's
"my tasks" (kept for offline use) and survey results with a CSV."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock
from ..audit.models import AuditLog
from ..duties.services import checklist_for, local_today
from ..exports import table_download
from ..scope.permissions import may, requires
from ..scope.services import CHANGE, get_or_404
from ..transaction import unit_of_work
from ..ui import local_time
from . import services
from .forms import (
    KIND_LABELS,
    OUT_OF_LIST,
    QUESTION_LABELS,
    STATUS_LABELS,
    DecisionForm,
    TaskForm,
    builder_rows,
)
from .models import Task

bp = Blueprint("tasks", __name__)


def _labels():
    return {"KIND_LABELS": KIND_LABELS, "STATUS_LABELS": STATUS_LABELS, "QUESTION_LABELS": QUESTION_LABELS,
            "today": local_today()}


@bp.get("/tasks")
@login_required
@requires("tasks.receive")
def my_tasks():
    """The recipient's open tasks, each with its own form; works offline from the kept page."""
    tasks = {}
    for task, target in services.my_targets(current_user):
        tasks.setdefault(task, []).append(target)  # a rider on two grids may report for either
    done = services.my_done(current_user, [t.id for t in tasks])
    minutes = services.volunteer_time(current_user)
    # Riders give their time as volunteers; for salaried staff it is just time spent.
    volunteer = not may(current_user, "duties.own")
    return render_template("tasks/mine.html", tasks=list(tasks.items()), done=done, minutes=minutes,
                           volunteer=volunteer,
                           **_labels())


@bp.get("/tasks/assigned")
@login_required
@requires("tasks.assign")
def assigned():
    status = request.args.get("status", "")
    query = services.assigned_by_scope(current_user)
    if status in STATUS_LABELS:
        query = query.filter(Task.status == status)
    page = query.paginate(page=request.args.get("page", 1, type=int), per_page=30, error_out=False)
    totals = services.progress_of(page.items, current_user)
    rows = [(t, totals[t.id]) for t in page.items]
    waiting = services.pending_approvals(current_user).count()
    return render_template("tasks/assigned.html", rows=rows, page=page, status=status, waiting=waiting,
                           **_labels())


PEOPLE_LIMIT = 300  # beyond a community's size a list of names is no help; pick grids instead


def _target_choices(user):
    found = services.assignable_targets(user, people_limit=PEOPLE_LIMIT)
    grids = [(f"g:{g.id}", f"{g.name}（{g.code}）") for g in found["grids"]]
    choices = {str(_l("整个网格")): grids}
    if len(grids) > 1:
        everything = str(_l("辖区内全部网格（%(n)d 个）", n=len(grids)))
        choices = {str(_l("一次全选")): [("all", everything)], **choices}
    if found["people"] is not None:
        choices[str(_l("指定人员"))] = [(f"u:{u.id}:{g.id}", f"{u.display_name} · {g.name}")
                                      for u, g, _role in found["people"]]
    return choices


def _parse_targets(values, user):
    targets = []
    for v in values:
        if v == "all":
            targets += [(g.id, None) for g in services.assignable_targets(user, people_limit=0)["grids"]]
            continue
        parts = v.split(":")
        try:
            if parts[0] == "g" and len(parts) == 2:
                targets.append((int(parts[1]), None))
            elif parts[0] == "u" and len(parts) == 3:
                targets.append((int(parts[2]), int(parts[1])))
        except ValueError:
            continue
    return targets


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
@requires("tasks.assign")
def new_task():
    form = TaskForm()
    if request.method == "GET" and request.args.get("kind") in KIND_LABELS:
        form.kind.data = request.args["kind"]
    checklist = checklist_for(local_today())
    items = checklist.items if checklist else []
    form.duty_item_id.choices = [(OUT_OF_LIST, str(_l("—— 清单外事项 ——")))] + [
        (i.id, f"{i.code} {i.category} · {i.title}") for i in items]
    form.targets.choices = _target_choices(current_user)
    rows = builder_rows(request.form, services.MAX_QUESTIONS)
    question_errors = {}
    if request.method == "POST" and not request.form.get("more") and form.validate_on_submit():
        questions, question_errors = ([], {})
        if form.kind.data == "survey":
            questions, question_errors = services.clean_questions(rows)
        if not question_errors:
            try:
                with unit_of_work():  # a refused task is stored too: the admission log keeps it
                    task = services.create_task(
                        current_user, kind=form.kind.data, title=form.title.data, body=form.body.data,
                        duty_item_id=form.duty_item_id.data or None, reason=form.reason.data,
                        request_approval=form.request_approval.data,
                        targets=_parse_targets(form.targets.data, current_user),
                        due_on=form.due_on.data, target=form.target.data, questions=questions)
            except services.AdmissionError as exc:
                for name, messages in exc.errors.items():
                    field = getattr(form, name, None)
                    if field is not None and hasattr(field, "errors"):
                        field.errors = list(field.errors) + messages
                    else:
                        question_errors[0] = "；".join(messages)
            else:  # Forbidden goes to the one error handler: a 403 page with its reason
                if task.status == "open":
                    flash(_l("任务已交办（准入事项 %(code)s）", code=task.duty_code), "info")
                elif task.status == "pending_approval":
                    flash(_l("清单外事项已报区指挥中心审批，批准后才会下发"), "warning")
                else:
                    flash(_l("清单外事项不予准入，未下发。已记录在准入日志中。"), "error")
                return redirect(url_for("tasks.detail", task_id=task.id))
    return render_template("tasks/form.html", form=form, rows=rows, question_errors=question_errors,
                           **_labels())


@bp.get("/tasks/<int:task_id>")
@login_required
def detail(task_id):
    task = get_or_404(current_user, Task, task_id)
    supervisor = may(current_user, "tasks.oversee")
    if not supervisor:
        mine = services.my_done(current_user, [task.id]).get(task.id, {"reports": 0, "households": 0})
        return render_template("tasks/brief.html", task=task, mine=mine, **_labels())
    rows, total = services.progress(task, current_user)
    reports, results = (services.survey_results(task, current_user) if task.kind == "survey"
                        else (None, None))
    if reports is None:
        from .models import TaskReport

        reports = (services.visible_reports(current_user, task)
                   .order_by(TaskReport.done_at.desc()).limit(100).all())
    can_decide = services.decides_on(current_user, task) and task.assigner_id != current_user.id
    return render_template("tasks/detail.html", task=task, rows=rows, total=total, reports=reports,
                           results=results, can_decide=can_decide, decision_form=DecisionForm(),
                           can_close=task.assigner_id == current_user.id and task.status == "open",
                           **_labels())


@bp.post("/tasks/<int:task_id>/decide")
@login_required
def decide(task_id):
    task = get_or_404(current_user, Task, task_id, CHANGE)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approve = request.form.get("decision") == "approve"
    try:
        with unit_of_work():
            services.decide(current_user, task, approve, form.note.data)
    except services.AdmissionError as exc:
        flash(exc.text(), "error")
    else:
        flash(_l("已批准准入，任务已下发") if approve else _l("已不予准入"), "info")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.post("/tasks/<int:task_id>/close")
@login_required
def close(task_id):
    task = get_or_404(current_user, Task, task_id, CHANGE)
    if task.assigner_id != current_user.id or task.status != "open":
        abort(403)
    if not DecisionForm().validate_on_submit():
        abort(403)
    with unit_of_work():
        services.close_task(current_user, task)
    flash(_l("任务已结束"), "info")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.get("/tasks/approvals")
@login_required
@requires("tasks.assign")
def approvals():
    """The district's queue of out-of-list tasks, and the admission log (every refusal and
    approval) for the user's scope."""
    pending = services.pending_approvals(current_user).all()
    visible = {t.id for t in services.assigned_by_scope(current_user).with_entities(Task.id)}
    log = (AuditLog.query.filter(AuditLog.object_type == "task",
                                 AuditLog.action.in_(("task.refused", "task.approved",
                                                      "task.approval_requested")))
           .order_by(AuditLog.id.desc()).limit(300).all())
    # The command centre's scope is its district: it sees that district's log, not every one.
    log = [row for row in log if int(row.object_id) in visible][:100]
    return render_template("tasks/approvals.html", pending=pending, log=log, **_labels())


@bp.get("/tasks/<int:task_id>/results.csv")
@login_required
def results_csv(task_id):
    task = get_or_404(current_user, Task, task_id)
    if not may(current_user, "tasks.oversee"):
        abort(404)
    reports, _results = services.survey_results(task, current_user)  # those in scope, oldest first
    questions = task.questions or []
    rows = [[str(_l("提交时间")), str(_l("网格")), str(_l("提交人")), str(_l("户数")),
             str(_l("用时（分钟）")), str(_l("说明"))] + [q["label"] for q in questions]]
    for r in reports:
        answers = [r.answers.get(q["id"], "") for q in questions]
        answers = ["、".join(a) if isinstance(a, list) else a for a in answers]
        rows.append([local_time(r.done_at), r.grid.name, r.user.display_name, r.households, r.minutes,
                     r.note] + answers)
    stamp = clock.local_today().strftime("%Y%m%d")
    return table_download("csv", f"task-{task.id}-{stamp}.csv", [("reports", rows)])


@bp.app_template_global()
def task_recipients_label(task):
    names = []
    for t in task.targets[:3]:
        names.append(f"{t.assignee.display_name} · {t.grid.name}" if t.assignee else t.grid.name)
    more = len(task.targets) - 3
    return "、".join(names) + (str(_l(" 等 %(n)d 个", n=len(task.targets))) if more > 0 else "")


