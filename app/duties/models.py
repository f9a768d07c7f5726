"""The grid worker's duty checklist (《基础网格员工作职责指导清单》, 13 categories, 42 items),
kept as versioned data: past periods are judged against the version in force then."""
from .. import clock
from ..extensions import db, owned_rows, required_ref


class DutyChecklist(db.Model):
    __tablename__ = "duty_checklist"

    id = db.Column(db.Integer, primary_key=True)
    valid_from = db.Column(db.Date, nullable=False, unique=True)
    note = db.Column(db.String(200), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    items = owned_rows("DutyItem", "checklist", "DutyItem.code")


class DutyItem(db.Model):
    __tablename__ = "duty_item"

    id = db.Column(db.Integer, primary_key=True)
    checklist_id = required_ref("duty_checklist.id")
    code = db.Column(db.String(12), nullable=False)  # e.g. "01.2"
    category = db.Column(db.String(40), nullable=False)
    title = db.Column(db.String(120), nullable=False)
    frequency = db.Column(db.String(8), nullable=False)  # daily | weekly | monthly
    target = db.Column(db.Integer, nullable=False, default=1)
    # What counts: patrol, checkin, record_create, record_update, visit, event_report,
    # event_check, self_resolve, survey_answer, publicity, or manual (no automatic evidence).
    evidence = db.Column(db.String(16), nullable=False)
    # Narrows the evidence: {"kind": "person"}, {"category": "AQ"}, {"tag": "elderly_alone"} …
    evidence_filter = db.Column(db.JSON, nullable=False, default=dict)

    checklist = db.relationship("DutyChecklist", back_populates="items")

    __table_args__ = (db.UniqueConstraint("checklist_id", "code", name="uq_duty_item_code"),)
