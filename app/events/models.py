"""Events (事件) and their category catalogue. The quick report (随手拍) creates them."""
from .. import clock
from ..extensions import LoggedMove, db, owned_rows, required_ref

URGENCIES = ("normal", "urgent", "critical")


NATIONAL_KINDS = {"event": "事件", "part": "部件"}


class EventCategory(db.Model):
    """A node of the admin-editable catalogue: a major category (大类) or a sub-category (小类)."""

    __tablename__ = "event_category"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    parent_id = db.Column(db.Integer, db.ForeignKey("event_category.id"), index=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    sort_order = db.Column(db.Integer, nullable=False, default=0)
    # Time limit once dispatched, in working hours or working days (see workcal).
    time_limit = db.Column(db.Integer, nullable=False, default=3)
    time_unit = db.Column(db.String(8), nullable=False, default="days")  # hours | days
    self_resolvable = db.Column(db.Boolean, nullable=False, default=False)
    default_department_id = db.Column(db.Integer, db.ForeignKey("department.id"))
    closing_criteria = db.Column(db.Text, nullable=False, default="")
    # The national classification it maps to (GB/T 30428.2): an event (事件) or a part (部件)
    # class, its major class (2 digits) and, for a sub-category, its minor class (4 digits).
    national_kind = db.Column(db.String(8))  # event | part
    national_code = db.Column(db.String(8))
    # Minutes allowed per stage before handling, by urgency (GB/T 30428.8: 立案, 派遣, 核查):
    # {"register": {"normal": 30, "urgent": 10}, "dispatch": {...}, "check": {...}}; None: defaults.
    stage_limits = db.Column(db.JSON)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.now, onupdate=clock.now)

    parent = db.relationship("EventCategory", remote_side=[id], backref="children")

    @property
    def national(self):
        """The national class as shown and exported, e.g. "事件 0102" (None when unmapped)."""
        if not self.national_code:
            return None
        return f"{NATIONAL_KINDS.get(self.national_kind, '')} {self.national_code}".strip()

    @property
    def full_name(self):
        return f"{self.parent.name} / {self.name}" if self.parent else self.name


class Event(db.Model):
    __tablename__ = "event"

    # The id is made on the phone (UUID), so a replayed report can never become two events.
    id = db.Column(db.String(36), primary_key=True)
    category_id = db.Column(db.Integer, db.ForeignKey("event_category.id"), nullable=False,
                            index=True)
    description = db.Column(db.Text, nullable=False)
    lon = db.Column(db.Float, nullable=False)
    lat = db.Column(db.Float, nullable=False)
    accuracy_m = db.Column(db.Float)
    location_manual = db.Column(db.Boolean, nullable=False, default=False)
    grid_id = required_ref("grid.id")
    urgency = db.Column(db.String(16), nullable=False, default="normal")
    source = db.Column(db.String(20), nullable=False)
    reporter_id = required_ref("user.id")
    state = db.Column(db.String(20), nullable=False, default="reported", index=True)
    level = db.Column(db.String(12), nullable=False, default="community")  # who holds it now
    department_id = db.Column(db.Integer, db.ForeignKey("department.id"), index=True)
    # A linkage or professional member of the grid's roster called to handle it (like a department).
    called_user_id = db.Column(db.Integer, db.ForeignKey("user.id"), index=True)
    # The registry record the case is about: the enterprise of an enterprise need (企业诉求).
    subject_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), index=True)
    dispatched_at = db.Column(db.DateTime)
    deadline_at = db.Column(db.DateTime)
    stage_started_at = db.Column(db.DateTime)  # when the stage its state is in began (see stages.py)
    hold_started_at = db.Column(db.DateTime)  # the clock is paused while on hold
    held_seconds = db.Column(db.Integer, nullable=False, default=0)
    rework_count = db.Column(db.Integer, nullable=False, default=0)
    closed_at = db.Column(db.DateTime)
    close_type = db.Column(db.String(8))  # on_time | overdue
    merged_into_id = db.Column(db.String(36), db.ForeignKey("event.id"))  # a duplicate's original
    version = db.Column(db.Integer, nullable=False, default=1)
    reported_at = db.Column(db.DateTime, nullable=False)  # when the worker saved it on the phone
    received_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.now, onupdate=clock.now)
    deleted_at = db.Column(db.DateTime)

    category = db.relationship("EventCategory")
    grid = db.relationship("Grid")
    reporter = db.relationship("User", foreign_keys=[reporter_id])
    called = db.relationship("User", foreign_keys=[called_user_id])
    subject = db.relationship("RegistryRecord")
    department = db.relationship("Department")
    photos = owned_rows("EventPhoto", "event", "EventPhoto.position")


class EventAction(LoggedMove, db.Model):
    """One row per move of an event: who (LoggedMove), in which role and level, from → to."""

    __tablename__ = "event_action"

    id = db.Column(db.Integer, primary_key=True)
    event_id = db.Column(db.String(36), db.ForeignKey("event.id"), nullable=False, index=True)
    action = db.Column(db.String(24), nullable=False)
    actor_role = db.Column(db.String(20), nullable=False)
    level = db.Column(db.String(12), nullable=False)
    from_state = db.Column(db.String(20), nullable=False)
    to_state = db.Column(db.String(20), nullable=False)
    # The department a dispatch or whistle called, so the log names it even after a re-dispatch.
    department_id = db.Column(db.Integer, db.ForeignKey("department.id"))
    called_user_id = db.Column(db.Integer, db.ForeignKey("user.id"))  # the member a call named

    called = db.relationship("User", foreign_keys=[called_user_id])
    department = db.relationship("Department")


class EventStage(db.Model):
    """One stage an event went through (GB/T 30428.8: 立案, 派遣, 处置, 核查): when it began, when
    its clock ran out, when it ended, and whether it ended in time."""

    __tablename__ = "event_stage"

    id = db.Column(db.Integer, primary_key=True)
    event_id = db.Column(db.String(36), db.ForeignKey("event.id"), nullable=False, index=True)
    stage = db.Column(db.String(12), nullable=False)  # register | dispatch | handle | check
    started_at = db.Column(db.DateTime, nullable=False)
    due_at = db.Column(db.DateTime)
    ended_at = db.Column(db.DateTime, nullable=False)
    outcome = db.Column(db.String(8), nullable=False)  # on_time | overdue


class EventSupport(LoggedMove, db.Model):
    """A supporting report in the event's log: another worker saw the same problem and added it
    (who, when, note, photos: the LoggedMove's) rather than opening a second case (同一问题)."""

    __tablename__ = "event_support"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    event_id = db.Column(db.String(36), db.ForeignKey("event.id"), nullable=False, index=True)


class EventPhoto(db.Model):
    __tablename__ = "event_photo"

    id = db.Column(db.Integer, primary_key=True)
    event_id = db.Column(db.String(36), db.ForeignKey("event.id"), nullable=False, index=True)
    media_id = db.Column(db.String(36), db.ForeignKey("media.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)

    event = db.relationship("Event", back_populates="photos")
    media = db.relationship("Media")
