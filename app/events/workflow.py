"""The event closed loop (区—街—社区—网格): every transition lives here, guarded by role and level.

Each move writes an action-log row. An illegal move is refused with a reason and changes
nothing. Two people acting at once cannot both win: a move names the version it saw and the
update only succeeds if that is still the version (optimistic locking); the loser is told what
happened.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from .. import clock
from ..extensions import db
from ..scope.services import scope_for
from . import workcal
from .models import Event, EventAction

LEVELS = ("community", "street", "district")
ROLE_LEVEL = {"secretary": "community", "street": "street", "command": "district"}


class WorkflowError(Exception):
    def __init__(self, message, code="illegal"):
        super().__init__(str(message))
        self.message, self.code = message, code


@dataclass
class Move:
    to: str | None  # None: the state stays (a level change, a request)
    sources: tuple
    roles: tuple
    needs_note: bool = False
    needs_photos: bool = False
    extra: dict = field(default_factory=dict)


MOVES = {
    "accept": Move("accepted", ("reported", "verifying"), ("secretary", "street", "command")),
    "merge": Move("merged", ("reported", "verifying", "accepted"), ("street", "command"), needs_note=True),
    "refuse": Move("refused", ("reported", "verifying"), ("secretary", "street", "command"),
                   needs_note=True),
    "escalate": Move(None, ("reported", "accepted"), ("secretary", "street")),
    "handle_here": Move("in_progress", ("accepted",), ("secretary", "street", "command")),
    "dispatch": Move("dispatched", ("accepted",), ("street", "command")),
    "whistle": Move("dispatched", ("accepted", "reported"), ("street", "command"), needs_note=True),
    "dept_accept": Move("in_progress", ("dispatched",), ("department",)),
    "dept_return": Move("accepted", ("dispatched",), ("department",), needs_note=True),
    "request_hold": Move("hold_requested", ("in_progress",), ("department",), needs_note=True),
    "approve_hold": Move("on_hold", ("hold_requested",), ("street", "command")),
    "reject_hold": Move("in_progress", ("hold_requested",), ("street", "command"), needs_note=True),
    "resume": Move("in_progress", ("on_hold",), ("department", "street", "command")),
    "request_extension": Move("extension_requested", ("in_progress",), ("department",), needs_note=True),
    "approve_extension": Move("in_progress", ("extension_requested",), ("street", "command")),
    "reject_extension": Move("in_progress", ("extension_requested",), ("street", "command"),
                             needs_note=True),
    "report_handled": Move("handled", ("in_progress",), ("department", "secretary", "street", "command"),
                           needs_photos=True),
    "check_pass": Move("closed", ("handled",), ("grid_worker", "grid_leader")),
    "check_fail": Move("in_progress", ("handled",), ("grid_worker", "grid_leader"), needs_note=True),
    "self_resolve": Move("self_resolved", ("reported",), ("grid_worker", "grid_leader"), needs_photos=True),
    "audit_pass": Move("closed", ("self_resolved",), ("secretary",)),
    "audit_fail": Move("reported", ("self_resolved",), ("secretary",), needs_note=True),
}


now = clock.now
# Deadlines count working hours on the local wall clock (the configured zone).
_local, _utc = clock.to_local, clock.to_utc


def acting_role(user, event, move: Move):
    """The role in which ``user`` may make this move on this event, or a WorkflowError."""
    scope = scope_for(user)
    for role in move.roles:
        if role not in scope.roles:
            continue
        if role in ROLE_LEVEL:
            # Community, street and district act on events held at their own level, in scope.
            if event.level == ROLE_LEVEL[role] and scope.covers_grid(event.grid_id):
                return role
        elif role == "department":
            if event.department_id in scope.department_ids:
                return role
        elif event.reporter_id == user.id:
            return role  # the reporting worker: on-site check, self-resolution
    raise WorkflowError(_l("你不能对这个事件做这个操作"), code="forbidden")


def transition(user, event_id, action, expected_version, note="", photos=(), department_id=None,
               hours=None, commit=True, target_id=None):
    """Apply one move. Raises WorkflowError; on success returns the event. ``commit=False`` lets
    the sync API commit the move together with its ledger row."""
    move = MOVES.get(action)
    if move is None:
        raise WorkflowError(_l("未知的操作"))
    event = db.session.get(Event, event_id)
    if event is None:
        raise WorkflowError(_l("事件不存在"), code="not_found")
    if event.version != expected_version:
        raise WorkflowError(_l("事件已被他人处理（当前状态：%(s)s），请刷新后再看", s=event.state),
                            code="stale")
    if event.state not in move.sources:
        raise WorkflowError(_l("事件当前状态为“%(s)s”，不能执行这个操作",
                               s=STATE_LABELS.get(event.state, event.state)))
    role = acting_role(user, event, move)
    note = (note or "").strip()
    if move.needs_note and not note:
        raise WorkflowError(_l("这个操作需要填写说明"), code="invalid")
    if move.needs_photos and not photos:
        raise WorkflowError(_l("这个操作需要照片"), code="invalid")
    if action == "self_resolve" and not event.category.self_resolvable:
        raise WorkflowError(_l("这类事件不能由网格员自行处置"))
    from_state, from_level = event.state, event.level
    values = {"state": move.to or event.state, "version": event.version + 1}
    moment = now()
    if action == "escalate":
        values["level"] = LEVELS[LEVELS.index(event.level) + 1]
    if action in ("dispatch", "whistle"):
        department_id = department_id or event.category.default_department_id
        if not department_id:
            raise WorkflowError(_l("请选择派往的部门"), code="invalid")
        values["department_id"] = department_id
        values["dispatched_at"] = moment
        if action == "whistle" and hours:  # 街呼区应: a response time set by the caller
            limit = workcal.add_working_hours(_local(moment), hours)
        else:
            limit = workcal.deadline(_local(moment), event.category.time_limit, event.category.time_unit)
        values["deadline_at"] = _utc(limit)
    if action == "merge":
        target = db.session.get(Event, target_id or "")
        if target is None or target.id == event.id or target.state in ("merged", "refused") \
                or not scope_for(user).covers_grid(target.grid_id):
            raise WorkflowError(_l("请填写要合并到的原事件"), code="invalid")
        values["merged_into_id"] = target.id
    if action == "dept_return":
        values["department_id"] = None
        values["deadline_at"] = None
    if action == "approve_hold":
        values["hold_started_at"] = moment
    if action == "resume" and event.hold_started_at:
        paused = int((moment - event.hold_started_at).total_seconds())
        values["held_seconds"] = event.held_seconds + paused
        values["hold_started_at"] = None
        if event.deadline_at:
            values["deadline_at"] = event.deadline_at + timedelta(seconds=paused)
    if action == "approve_extension":
        if not hours or hours <= 0:
            raise WorkflowError(_l("请填写延期的工作小时数"), code="invalid")
        values["deadline_at"] = _utc(workcal.add_working_hours(_local(event.deadline_at or moment), hours))
    if action == "check_fail":
        values["rework_count"] = event.rework_count + 1
    if move.to == "closed":
        values["closed_at"] = moment
        values["close_type"] = "overdue" if event.deadline_at and moment > event.deadline_at else "on_time"
    # Only the version this person saw may be changed: a concurrent move makes this match nothing.
    result = db.session.execute(update(Event).where(Event.id == event.id,
                                                    Event.version == expected_version).values(**values))
    if result.rowcount != 1:
        # No rollback here: the caller owns the transaction (a sync batch holds other records).
        current = db.session.get(Event, event_id)
        db.session.refresh(current)
        raise WorkflowError(_l("事件已被他人处理（当前状态：%(s)s），请刷新后再看", s=current.state),
                            code="stale")
    db.session.add(EventAction(event_id=event.id, action=action, actor_id=user.id, actor_role=role,
                               level=from_level, from_state=from_state, to_state=values["state"],
                               note=note or None, photos=list(photos),
                               department_id=values.get("department_id")))
    from ..sync.services import log_change

    log_change("event", event.id, grid_id=event.grid_id, owner_id=event.reporter_id)
    if commit:
        db.session.commit()
    db.session.refresh(event)
    return event


STATE_LABELS = {
    "reported": _l("已上报"), "verifying": _l("待核实"), "accepted": _l("已立案"),
    "refused": _l("不予立案"), "dispatched": _l("已派遣"), "in_progress": _l("处置中"),
    "hold_requested": _l("挂账待批"), "on_hold": _l("挂账"), "extension_requested": _l("延期待批"),
    "handled": _l("已处置，待核查"), "closed": _l("已结案"), "self_resolved": _l("自行处置，待审核"),
    "merged": _l("已合并为重复事件"),
}
ACTION_LABELS = {
    "accept": _l("立案"), "refuse": _l("不予立案"), "escalate": _l("上报上级"),
    "handle_here": _l("本级处置"), "dispatch": _l("派遣部门"), "whistle": _l("吹哨部门"),
    "dept_accept": _l("接收"), "dept_return": _l("回退"), "request_hold": _l("申请挂账"),
    "approve_hold": _l("批准挂账"), "reject_hold": _l("驳回挂账"), "resume": _l("恢复处置"),
    "request_extension": _l("申请延期"), "approve_extension": _l("批准延期"),
    "reject_extension": _l("驳回延期"), "report_handled": _l("反馈已处置"),
    "check_pass": _l("核查通过"), "check_fail": _l("核查不通过（返工）"),
    "self_resolve": _l("自行处置"), "audit_pass": _l("审核通过"), "audit_fail": _l("审核不通过"),
    "merge": _l("合并重复事件"),
}
# Phone actions that go through the outbox (the worker may be offline on site).
PHONE_ACTIONS = ("check_pass", "check_fail", "self_resolve")


def available_actions(user, event):
    out = []
    for action, move in MOVES.items():
        if event.state not in move.sources:
            continue
        if action == "escalate" and event.level == LEVELS[-1]:
            continue
        if action == "self_resolve" and not event.category.self_resolvable:
            continue
        try:
            acting_role(user, event, move)
        except WorkflowError:
            continue
        out.append(action)
    return out


def inbox_clause(user):
    """Events that wait for this user: their level's new and accepted events, approvals,
    their department's work, and their own reports to check on site."""
    from sqlalchemy import and_, false, or_

    scope = scope_for(user)
    parts = []
    for role, level in ROLE_LEVEL.items():
        if role in scope.roles:
            states = ["reported", "verifying", "accepted"]
            if role == "secretary":
                states.append("self_resolved")
            else:
                states += ["hold_requested", "extension_requested"]
            parts.append(and_(Event.level == level, Event.state.in_(states),
                              scope.grid_clause(Event.grid_id)))
    if scope.department_ids:
        parts.append(and_(Event.department_id.in_(scope.department_ids),
                          Event.state.in_(["dispatched", "in_progress", "on_hold"])))
    parts.append(and_(Event.reporter_id == user.id, Event.state == "handled"))
    return or_(*parts) if parts else false()


def inbox_count(user):
    return Event.query.filter(inbox_clause(user), Event.deleted_at.is_(None)).count()
