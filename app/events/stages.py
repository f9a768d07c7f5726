"""A clock on every stage of the closed loop (GB/T 30428.8's stages): 立案 after the report,
派遣 after filing, 处置 (the handling deadline, in working time) and 核查 after "handled". Each
category sets minutes per urgency for the three short stages; each stage an event leaves is
recorded on time or overdue."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from .models import EventStage

STAGES = {"register": _l("立案"), "dispatch": _l("派遣"), "handle": _l("处置"), "check": _l("核查")}
# Which stage's clock runs in each state; a closed, refused or merged event runs none.
STAGE_OF_STATE = {
    "reported": "register", "accepted": "dispatch", "dispatched": "handle", "in_progress": "handle",
    "hold_requested": "handle", "on_hold": "handle", "extension_requested": "handle",
    "handled": "check", "self_resolved": "check",
}
# Minutes per urgency, as in practice: file and dispatch within 10 minutes (urgent) or 30
# (normal); check on site within an hour in the city.
DEFAULT_LIMITS = {
    "register": {"normal": 30, "urgent": 10, "critical": 10},
    "dispatch": {"normal": 30, "urgent": 10, "critical": 10},
    "check": {"normal": 60, "urgent": 30, "critical": 30},
}


def limit_minutes(category, stage, urgency):
    """The category's minutes for a short stage (its own, else its major category's, else the
    defaults); None for handling, whose deadline is the working-time one set at dispatch."""
    if stage not in DEFAULT_LIMITS:
        return None
    for source in (category, category.parent if category is not None else None):
        limits = (getattr(source, "stage_limits", None) or {}).get(stage) or {}
        if isinstance(limits.get(urgency), int):
            return limits[urgency]
        if isinstance(limits.get("normal"), int) and urgency == "normal":
            return limits["normal"]
    return DEFAULT_LIMITS[stage].get(urgency, DEFAULT_LIMITS[stage]["normal"])


def handling_deadline(event, local_start):
    """When handling must end (local wall time): the category's working-time limit, or for an
    urgent or critical case its own working hours when the category sets them
    (``stage_limits["handle"]``, working hours by urgency)."""
    from . import workcal

    category = event.category
    hours = None
    for source in (category, category.parent if category is not None else None):
        entry = (getattr(source, "stage_limits", None) or {}).get("handle") or {}
        if isinstance(entry.get(event.urgency), int):
            hours = entry[event.urgency]
            break
    if hours is not None:
        return workcal.add_working_hours(local_start, hours)
    return workcal.deadline(local_start, category.time_limit, category.time_unit)


def began(event):
    """When the stage the event is in began (a new report's filing clock: when it arrived)."""
    return event.stage_started_at or event.received_at or event.reported_at


def due(event, stage, started, deadline=None):
    if stage == "handle":
        return deadline if deadline is not None else event.deadline_at
    minutes = limit_minutes(event.category, stage, event.urgency)
    return started + timedelta(minutes=minutes) if minutes is not None and started else None


def current(event):
    """{"stage", "label", "started_at", "due_at"} of the clock that runs, or None."""
    stage = STAGE_OF_STATE.get(event.state)
    if stage is None:
        return None
    started = began(event)
    return {"stage": stage, "label": STAGES[stage], "started_at": started,
            "due_at": due(event, stage, started)}


def on_move(event, to_state, moment, values):
    """A move from the event's state to ``to_state``: the stage it leaves is recorded (on time or
    overdue), and the next one's clock starts. Returns the EventStage row, or None."""
    before, after = STAGE_OF_STATE.get(event.state), STAGE_OF_STATE.get(to_state)
    if before == after:
        return None
    row = None
    if before is not None:
        started = began(event)
        due_at = due(event, before, started)
        late = due_at is not None and moment > due_at
        row = EventStage(event_id=event.id, stage=before, started_at=started, due_at=due_at,
                         ended_at=moment, outcome="overdue" if late else "on_time")
    values["stage_started_at"] = moment if after is not None else None
    return row
