"""帮办代办: a worker applies for a convenience service (便民事项) on a resident's behalf, with the
resident's consent, and follows it through to done or refused."""
from .. import clock
from ..extensions import LoggedMove, db, owned_rows, required_ref


class ConvenienceItem(db.Model):
    """One item of the catalogue (12 categories, 43 items in the seed), kept by the admin."""

    __tablename__ = "convenience_item"

    id = db.Column(db.Integer, primary_key=True)
    category = db.Column(db.String(40), nullable=False)
    name = db.Column(db.String(120), nullable=False)
    materials = db.Column(db.Text, nullable=False, default="")  # one per line
    office = db.Column(db.String(120), nullable=False, default="")  # who handles it
    time_limit_days = db.Column(db.Integer, nullable=False, default=10)
    # The duty checklist item a completed request counts toward (by code, as tasks cite them).
    duty_code = db.Column(db.String(12))
    active = db.Column(db.Boolean, nullable=False, default=True)
    sort_order = db.Column(db.Integer, nullable=False, default=0)


class AssistRequest(db.Model):
    __tablename__ = "assist_request"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    item_id = required_ref("convenience_item.id")
    resident_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), nullable=False, index=True)
    grid_id = required_ref("grid.id")
    worker_id = required_ref("user.id")
    state = db.Column(db.String(12), nullable=False, default="accepted", index=True)
    # The resident's consent to act for them: how it was given, and when (PIPL: a legal basis).
    consent_method = db.Column(db.String(20), nullable=False)
    consent_at = db.Column(db.DateTime, nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    due_on = db.Column(db.Date, nullable=False)  # local date: accepted + the item's time limit
    done_at = db.Column(db.DateTime)
    satisfaction = db.Column(db.Integer)  # 1–5, asked after completion (回访)
    satisfaction_note = db.Column(db.String(300), nullable=False, default="")
    version = db.Column(db.Integer, nullable=False, default=1)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.now, onupdate=clock.now)

    steps = owned_rows("AssistStep", "request", "AssistStep.id")
    item = db.relationship("ConvenienceItem")
    resident = db.relationship("RegistryRecord")
    grid = db.relationship("Grid")
    worker = db.relationship("User")


class AssistStep(LoggedMove, db.Model):
    """One move of a request: to which state; who, when (the phone's time), note and receipt
    photos are the LoggedMove's."""

    __tablename__ = "assist_step"

    id = db.Column(db.Integer, primary_key=True)
    to_state = db.Column(db.String(12), nullable=False)
    request_id = db.Column(db.String(36), db.ForeignKey("assist_request.id"), nullable=False, index=True)

    request = db.relationship("AssistRequest", back_populates="steps")
