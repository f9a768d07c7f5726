"""The event closed loop (区—街—社区—网格): every transition lives here, guarded by role and level.

Each move writes an action-log row. An illegal move is refused with a reason and changes
nothing. Two people acting at once cannot both win: a move names the version it saw and the
update only succeeds if that is still the version (optimistic locking); the loser is told what
happened.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..scope.services import scope_for
from . import stages, workcal
from .models import Event, EventAction

LEVELS = ("community", "street", "district")
ROLE_LEVEL = {"secretary": "community", "street": "street", "command": "district"}


class WorkflowError(DomainError):
    """A move refused: its code says why (illegal here, not yours, taken by someone, invalid)."""

    STATUS = {"illegal": 409, "stale": 409, "forbidden": 403, "not_found": 404, "invalid": 400}

    def __init__(self, message, code="illegal"):
        super().__init__(message, code=code, status=self.STATUS.get(code, 400))


@dataclass(frozen=True)
class State:
    label: object
    is_open: bool = True  # a case still being worked: counted open, its clock can run out


# Every state an event can be in. GB/T 30428.8's stages: reported (上报), accepted (立案),
# dispatched (派遣), in progress (处置), handled (待核查), closed (结案).
STATES = {
    "reported": State(_l("已上报")),
    "accepted": State(_l("已立案")),
    "refused": State(_l("不予立案"), is_open=False),
    "merged": State(_l("已合并为重复事件"), is_open=False),
    "dispatched": State(_l("已派遣")),
    "in_progress": State(_l("处置中")),
    "hold_requested": State(_l("挂账待批")),
    "on_hold": State(_l("挂账")),
    "extension_requested": State(_l("延期待批")),
    "handled": State(_l("已处置，待核查")),
    "self_resolved": State(_l("自行处置，待审核")),
    "closed": State(_l("已结案"), is_open=False),
}
STATE_LABELS = {name: state.label for name, state in STATES.items()}
OPEN_STATES = tuple(name for name, state in STATES.items() if state.is_open)


@dataclass
class Step:
    """What one move is applied to: the event as it was, who acts, when, and the move's inputs."""
    user: object
    event: Event
    moment: datetime
    department_id: int | None = None
    hours: float | None = None
    target_id: str | None = None
    member_id: int | None = None


# --- each move's effect on the event's columns, beyond its state ----------------------------

def _escalate(step, values):
    values["level"] = LEVELS[LEVELS.index(step.event.level) + 1]


def _dispatch(step, values):
    event = step.event
    department_id = step.department_id or event.category.default_department_id
    if not department_id:
        raise WorkflowError(_l("请选择派往的部门"), code="invalid")
    values["department_id"] = department_id
    values["called_user_id"] = None
    values["dispatched_at"] = step.moment
    values["deadline_at"] = _utc(stages.handling_deadline(event, _local(step.moment)))
    if event.source == "hotline" and event.deadline_at:
        values["deadline_at"] = event.deadline_at  # a hotline order keeps its 7 (or 15) working days


def _call_force(step, values):
    """Call a linkage or professional member with an account, from the grid's roster."""
    from ..roster.services import callable_members

    member = next((m for m in callable_members(step.event) if m.id == step.member_id), None)
    if member is None:
        raise WorkflowError(_l("请选择本网格可召集的联动或专业力量"), code="invalid")
    values["called_user_id"] = member.user_id
    values["department_id"] = None
    values["dispatched_at"] = step.moment
    values["deadline_at"] = _utc(stages.handling_deadline(step.event, _local(step.moment)))


def _hotline_only(step, values):
    if step.event.source != "hotline":
        raise WorkflowError(_l("只有 12345 工单可以这样处理"), code="invalid")


def _called_back(step, values):
    """Cases from outside systems close at the office once handled (no reporter walks out to
    check); a 12345 order only after its call-back."""
    if step.event.source not in OUTSIDE_SOURCES:
        raise WorkflowError(_l("只有 12345 工单和外部系统的请求可以这样结案"), code="invalid")
    order = getattr(step.event, "hotline", None)
    if step.event.source == "hotline" and (order is None or order.callback_at is None):
        raise WorkflowError(_l("请先记录回访结果"), code="invalid")


def _whistle(step, values):
    _dispatch(step, values)
    if step.hours:  # 街呼区应: a response time set by the caller
        values["deadline_at"] = _utc(workcal.add_working_hours(_local(step.moment), step.hours))


def _merge(step, values):
    if step.event.source == "hotline":  # its caller is owed a call-back: it closes on its own
        raise WorkflowError(_l("12345 工单须回访后结案，不能合并"), code="invalid")
    target = db.session.get(Event, step.target_id or "")
    if target is None or target.id == step.event.id or target.state in ("merged", "refused") \
            or not scope_for(step.user).covers_grid(target.grid_id):
        raise WorkflowError(_l("请填写要合并到的原事件"), code="invalid")
    values["merged_into_id"] = target.id


def _return_to_street(step, values):
    values["department_id"] = None
    values["called_user_id"] = None
    values["deadline_at"] = None


def _start_hold(step, values):
    values["hold_started_at"] = step.moment


def _resume(step, values):
    event = step.event
    if event.hold_started_at:  # the clock stood still while on hold
        paused = int((step.moment - event.hold_started_at).total_seconds())
        values["held_seconds"] = event.held_seconds + paused
        values["hold_started_at"] = None
        if event.deadline_at:
            values["deadline_at"] = event.deadline_at + timedelta(seconds=paused)


def _extend(step, values):
    if not step.hours or step.hours <= 0:
        raise WorkflowError(_l("请填写延期的工作小时数"), code="invalid")
    base = step.event.deadline_at or step.moment
    values["deadline_at"] = _utc(workcal.add_working_hours(_local(base), step.hours))


def _rework(step, values):
    values["rework_count"] = step.event.rework_count + 1


def _close(step, values):
    deadline = step.event.deadline_at
    values["closed_at"] = step.moment
    values["close_type"] = "overdue" if deadline and step.moment > deadline else "on_time"


def _self_resolvable(step, values):
    if not step.event.category.self_resolvable:
        raise WorkflowError(_l("这类事件不能由网格员自行处置"))


@dataclass
class Move:
    to: str | None  # None: the state stays (a level change, a request)
    sources: tuple
    roles: tuple
    needs_note: bool = False
    needs_photos: bool = False
    effects: tuple = ()
    extra: dict = field(default_factory=dict)


# Who handles a dispatched case: the department, or the roster member called to it.
HANDLERS = ("department", "force")
# The reporting worker checks on site (an exclusive grid's officer checks their own reports too).
REPORTERS = ("grid_worker", "grid_leader", "officer")

MOVES = {
    "accept": Move("accepted", ("reported",), ("secretary", "street", "command")),
    "merge": Move("merged", ("reported", "accepted"), ("secretary", "street", "command"), needs_note=True,
                  effects=(_merge,)),
    "refuse": Move("refused", ("reported",), ("secretary", "street", "command"), needs_note=True),
    "escalate": Move(None, ("reported", "accepted"), ("secretary", "street"), effects=(_escalate,)),
    "handle_here": Move("in_progress", ("accepted",), ("secretary", "street", "command")),
    "dispatch": Move("dispatched", ("accepted",), ("street", "command"), effects=(_dispatch,)),
    "whistle": Move("dispatched", ("accepted", "reported"), ("street", "command"), needs_note=True,
                    effects=(_whistle,)),
    # 召集: a member of the grid's forces (police, doctor, lawyer …) handles it like a department.
    "call_force": Move("dispatched", ("accepted",), ("secretary", "street", "command"), needs_note=True,
                       effects=(_call_force,)),
    "dept_accept": Move("in_progress", ("dispatched",), HANDLERS),
    "dept_return": Move("accepted", ("dispatched",), HANDLERS, needs_note=True,
                        effects=(_return_to_street,)),
    "request_hold": Move("hold_requested", ("in_progress",), HANDLERS, needs_note=True),
    "approve_hold": Move("on_hold", ("hold_requested",), ("street", "command"), effects=(_start_hold,)),
    "reject_hold": Move("in_progress", ("hold_requested",), ("street", "command"), needs_note=True),
    "resume": Move("in_progress", ("on_hold",), HANDLERS + ("street", "command"), effects=(_resume,)),
    "request_extension": Move("extension_requested", ("in_progress",), HANDLERS, needs_note=True),
    "approve_extension": Move("in_progress", ("extension_requested",), ("street", "command"),
                              effects=(_extend,)),
    "reject_extension": Move("in_progress", ("extension_requested",), ("street", "command"),
                             needs_note=True),
    "report_handled": Move("handled", ("in_progress",), HANDLERS + ("secretary", "street", "command"),
                           needs_photos=True),
    "check_pass": Move("closed", ("handled",), REPORTERS, effects=(_close,)),
    "check_fail": Move("in_progress", ("handled",), REPORTERS, needs_note=True,
                       effects=(_rework,)),
    "self_resolve": Move("self_resolved", ("reported",), ("grid_worker", "grid_leader"), needs_photos=True,
                         effects=(_self_resolvable,)),
    "audit_pass": Move("closed", ("self_resolved",), ("secretary",), effects=(_close,)),
    # 12345 orders: sent back to the hotline only with a reason; closed after the call-back.
    "hotline_return": Move("refused", ("reported", "accepted"), ("secretary", "street"), needs_note=True,
                           effects=(_hotline_only,)),
    "callback_close": Move("closed", ("handled",), ("secretary", "street", "command"),
                           effects=(_called_back, _close)),
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
        elif role == "force":
            if event.called_user_id == user.id:
                return role
        elif event.reporter_id == user.id:
            return role  # the reporting worker: on-site check, self-resolution
    raise WorkflowError(_l("你不能对这个事件做这个操作"), code="forbidden")


def _stale(event):
    return WorkflowError(_l("事件已被他人处理（当前状态：%(s)s），请刷新后再看", s=STATE_LABELS[event.state]),
                         code="stale")


def transition(user, event_id, action, expected_version, note="", photos=(), department_id=None,
               hours=None, target_id=None, member_id=None):
    """Apply one move; flushed, not committed (the page's unit of work, or the sync push with
    its ledger row, commits). Raises WorkflowError; on success returns the event."""
    move = MOVES.get(action)
    if move is None:
        raise WorkflowError(_l("未知的操作"))
    event = db.session.get(Event, event_id)
    if event is None:
        raise WorkflowError(_l("事件不存在"), code="not_found")
    if event.version != expected_version:
        raise _stale(event)
    if event.state not in move.sources:
        raise WorkflowError(_l("事件当前状态为“%(s)s”，不能执行这个操作",
                               s=STATE_LABELS.get(event.state, event.state)))
    role = acting_role(user, event, move)
    note = (note or "").strip()
    if move.needs_note and not note:
        raise WorkflowError(_l("这个操作需要填写说明"), code="invalid")
    if move.needs_photos and not photos:
        raise WorkflowError(_l("这个操作需要照片"), code="invalid")
    from_state, from_level = event.state, event.level
    values = {"state": move.to or event.state, "version": event.version + 1}
    step = Step(user, event, now(), department_id=department_id, hours=hours, target_id=target_id,
                member_id=member_id)
    for effect in move.effects:
        effect(step, values)
    stage_row = stages.on_move(event, values["state"], step.moment, values)
    # Only the version this person saw may be changed: a concurrent move makes this match nothing.
    result = db.session.execute(update(Event).where(Event.id == event.id,
                                                    Event.version == expected_version).values(**values))
    if result.rowcount != 1:
        # No rollback here: the caller owns the transaction (a sync batch holds other records).
        current = db.session.get(Event, event_id)
        db.session.refresh(current)
        raise _stale(current)
    if stage_row is not None:
        db.session.add(stage_row)
    db.session.add(EventAction(event_id=event.id, action=action, actor_id=user.id, actor_role=role,
                               level=from_level, from_state=from_state, to_state=values["state"],
                               note=note or None, photos=list(photos),
                               department_id=values.get("department_id"),
                               called_user_id=values["called_user_id"] if action == "call_force" else None))
    from ..sync.services import log_change

    log_change("event", event.id, grid_id=event.grid_id, owner_id=event.reporter_id)
    db.session.flush()
    db.session.refresh(event)
    return event


ACTION_LABELS = {
    "accept": _l("立案"), "refuse": _l("不予立案"), "escalate": _l("上报上级"),
    "handle_here": _l("本级处置"), "dispatch": _l("派遣部门"), "whistle": _l("吹哨部门"),
    "dept_accept": _l("接收"), "dept_return": _l("回退"), "request_hold": _l("申请挂账"),
    "approve_hold": _l("批准挂账"), "reject_hold": _l("驳回挂账"), "resume": _l("恢复处置"),
    "request_extension": _l("申请延期"), "approve_extension": _l("批准延期"),
    "reject_extension": _l("驳回延期"), "report_handled": _l("反馈已处置"),
    "check_pass": _l("核查通过"), "check_fail": _l("核查不通过（返工）"),
    "self_resolve": _l("自行处置"), "audit_pass": _l("审核通过"), "audit_fail": _l("审核不通过"),
    "merge": _l("合并重复事件"), "call_force": _l("召集网格力量"),
    "hotline_return": _l("退回工单"), "callback_close": _l("确认办结并结案"),
}
HOTLINE_MOVES = ("hotline_return", "callback_close")
OUTSIDE_SOURCES = ("hotline", "open311")  # cases filed by another system, closed at the office
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
        if action == "hotline_return" and event.source != "hotline":
            continue
        if action == "callback_close" and event.source not in OUTSIDE_SOURCES:
            continue
        if action == "merge" and event.source == "hotline":
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
            states = ["reported", "accepted"]
            if role == "secretary":
                states.append("self_resolved")
            else:
                states += ["hold_requested", "extension_requested"]
            parts.append(and_(Event.level == level, Event.state.in_(states),
                              scope.grid_clause(Event.grid_id)))
    if scope.department_ids:
        parts.append(and_(Event.department_id.in_(scope.department_ids),
                          Event.state.in_(["dispatched", "in_progress", "on_hold"])))
    if "force" in scope.roles:
        parts.append(and_(Event.called_user_id == user.id,
                          Event.state.in_(["dispatched", "in_progress", "on_hold"])))
    parts.append(and_(Event.reporter_id == user.id, Event.state == "handled"))
    return or_(*parts) if parts else false()


def inbox_count(user):
    return Event.query.filter(inbox_clause(user), Event.deleted_at.is_(None)).count()
