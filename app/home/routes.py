"""Each role's home page."""
from datetime import date

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func

from .. import clock
from ..assist.services import desk_summary
from ..auth.models import RoleAssignment, User
from ..enterprise.routes import officer_page
from ..events.forms import URGENCY_LABELS
from ..events.models import Event
from ..events.workflow import STATE_LABELS, inbox_clause
from ..extensions import db
from ..org.models import Department, Grid, OrgUnit
from ..registry.models import Submission
from ..registry.pull import pending_for
from ..scope.services import scope_for
from ..tasks.models import Task
from ..tasks.services import my_done, my_targets, pending_approvals, volunteer_time
from ..volunteers.models import PartyMember
from ..volunteers.routes import serve_page
from ..volunteers.services import waiting_to_confirm

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    role = current_user.primary_role
    view = HOME_VIEWS.get(role, _no_role)
    return view()


def _my_grids(*roles):
    return (
        Grid.query.join(RoleAssignment, RoleAssignment.grid_id == Grid.id)
        .filter(RoleAssignment.user_id == current_user.id, RoleAssignment.role.in_(roles))
        .order_by(Grid.code)
        .all()
    )


def _today():
    """What needs this worker or rider today, as the server knows it: reports to check on site,
    records the secretary returned, open tasks (the nearest deadline first). The page keeps it
    offline; what only the phone knows (an unfinished patrol, records to fix) is added there."""

    checks = (Event.query.filter_by(reporter_id=current_user.id, state="handled")
              .filter(Event.deleted_at.is_(None)).order_by(Event.reported_at).limit(20).all())
    returned = (Submission.query.filter_by(author_id=current_user.id, state="returned")
                .order_by(Submission.decided_at.desc()).limit(20).all())
    tasks = {task.id: task for task, _target in my_targets(current_user)}
    done = my_done(current_user, list(tasks))
    open_tasks = sorted((t for t in tasks.values() if t.id not in done),
                        key=lambda t: (t.due_on is None, t.due_on or date.max))
    return {"checks": checks, "returned": returned, "tasks": open_tasks[:20]}


def _worker_home():
    grids = _my_grids("grid_worker", "grid_leader")
    return render_template("home/worker.html", grids=grids, today=clock.local_today(), todo=_today())


def _part_time_home():
    """The rider's light home: big buttons for the quick report and their tasks, their hours."""
    open_tasks = len({task.id for task, _target in my_targets(current_user)})
    return render_template("home/part_time.html", grids=_my_grids("part_time"), open_tasks=open_tasks,
                           minutes=volunteer_time(current_user), todo=_today())


def _units_of(role):
    return [a.org_unit for a in current_user.assignments if a.role == role and a.org_unit]


def _secretary_home():
    communities = _units_of("secretary")
    scope = scope_for(current_user)
    grids = Grid.query.filter(scope.grid_clause()).order_by(Grid.code).all()
    staff = _staff_counts(scope)

    waiting = {
        "review": pending_for(current_user).count(),
        "conflicts": pending_for(current_user).filter_by(has_conflicts=True).count(),
        "reports": Event.query.filter(scope.grid_clause(Event.grid_id), Event.state == "reported",
                                      Event.deleted_at.is_(None)).count(),
        "tasks": Task.query.filter_by(assigner_id=current_user.id, status="open").count(),
        "assist_overdue": desk_summary(current_user)["overdue"],
        "members": PartyMember.query.filter(PartyMember.community_id.in_([c.id for c in communities]),
                                            PartyMember.state == "pending").count(),
        "services": len(waiting_to_confirm([c.id for c in communities])),
    }
    return render_template("home/secretary.html", communities=communities, grids=grids,
                           staff=staff, waiting=waiting)


def _staff_counts(scope):
    """Number of people per grid role working in the scope's grids."""
    rows = db.session.execute(
        db.select(RoleAssignment.role, func.count(func.distinct(RoleAssignment.user_id)))
        .where(scope.grid_clause(RoleAssignment.grid_id))
        .group_by(RoleAssignment.role)
    )
    return dict(rows.all())


def _overview_home():
    """Street and command centre: the tree below them with grid and staff counts."""
    scope = scope_for(current_user)
    role = current_user.primary_role
    units = _units_of(role)
    grid_counts = dict(
        db.session.execute(
            db.select(Grid.community_id, func.count(Grid.id))
            .where(scope.grid_clause()).group_by(Grid.community_id)
        ).all()
    )
    kinds = dict(
        db.session.execute(
            db.select(Grid.kind, func.count(Grid.id)).where(scope.grid_clause()).group_by(Grid.kind)
        ).all()
    )
    communities = (
        OrgUnit.query.filter(OrgUnit.id.in_(grid_counts.keys())).order_by(OrgUnit.code).all()
        if grid_counts else []
    )

    return render_template(
        "home/overview.html", units=units, communities=communities, grid_counts=grid_counts,
        kinds=kinds, staff=_staff_counts(scope), pending_approvals=pending_approvals(current_user).count(),
    )


def _department_home():
    """What the department must do: events dispatched to it and not yet handled, the most
    urgent and the nearest deadline first."""

    departments = [a.department for a in current_user.assignments if a.department]
    waiting = Event.query.filter(inbox_clause(current_user), Event.deleted_at.is_(None))
    events = (waiting.order_by(Event.urgency == "normal", Event.deadline_at.is_(None), Event.deadline_at)
              .limit(20).all())
    return render_template("home/department.html", departments=departments, events=events,
                           total=waiting.count(), STATES=STATE_LABELS, URGENCY_LABELS=URGENCY_LABELS)


def _admin_home():
    counts = {
        "units": OrgUnit.query.count(),
        "grids": Grid.query.count(),
        "users": User.query.count(),
        "departments": Department.query.count(),
    }
    return render_template("home/admin.html", counts=counts)


def _no_role():
    return render_template("home/no_role.html")


HOME_VIEWS = {
    "grid_worker": _worker_home,
    "grid_leader": _worker_home,
    "part_time": _part_time_home,
    "secretary": _secretary_home,
    "street": _overview_home,
    "command": _overview_home,
    "department": _department_home,
    "admin": _admin_home,
    "force": _department_home,  # a roster member with an account: the events called to them
    "member": serve_page,  # the party member's service page
    "officer": officer_page,  # the enterprise service officer's enterprises
}


@bp.route("/me")
@login_required
def me():
    return render_template("home/me.html", user=current_user)
