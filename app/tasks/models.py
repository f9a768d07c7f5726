"""Tasks handed to grids and workers (交办), including the riders' surveys and publicity tasks.

A task must cite an item of the duty checklist (准入); one that does not is refused or waits
for the district's approval (禁入), and every decision is kept on the task and in the audit log.
"""
from .. import clock
from ..extensions import db, owned_rows, required_ref


class Task(db.Model):
    __tablename__ = "task"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(12), nullable=False, default="task")  # task | survey | publicity
    title = db.Column(db.String(120), nullable=False)
    # Instructions; for publicity, the material to show residents.
    body = db.Column(db.Text, nullable=False, default="")
    # The cited checklist item (the version in force when the task was made); None: out of list.
    duty_item_id = db.Column(db.Integer, db.ForeignKey("duty_item.id"), index=True)
    duty_code = db.Column(db.String(12))
    out_of_list_reason = db.Column(db.Text, nullable=False, default="")
    # pending_approval | refused | open | closed
    status = db.Column(db.String(16), nullable=False, default="open", index=True)
    assigner_id = required_ref("user.id")
    due_on = db.Column(db.Date)
    # Per recipient: reports wanted (households reached, for publicity).
    target = db.Column(db.Integer, nullable=False, default=1)
    questions = db.Column(db.JSON, nullable=False, default=list)  # surveys only
    decided_by = db.Column(db.Integer, db.ForeignKey("user.id"))
    decided_at = db.Column(db.DateTime)
    decision_note = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    assigner = db.relationship("User", foreign_keys=[assigner_id])
    decider = db.relationship("User", foreign_keys=[decided_by])
    duty_item = db.relationship("DutyItem")
    targets = owned_rows("TaskTarget", "task", "TaskTarget.id")


class TaskTarget(db.Model):
    """One recipient: a grid (everyone working it) or one worker at a grid."""

    __tablename__ = "task_target"

    id = db.Column(db.Integer, primary_key=True)
    task_id = required_ref("task.id")
    grid_id = required_ref("grid.id")
    assignee_id = db.Column(db.Integer, db.ForeignKey("user.id"), index=True)

    task = db.relationship("Task", back_populates="targets")
    grid = db.relationship("Grid")
    assignee = db.relationship("User")


class TaskReport(db.Model):
    """Work done on a task, made on the phone (maybe offline) under its own UUID."""

    __tablename__ = "task_report"

    id = db.Column(db.String(36), primary_key=True)
    task_id = required_ref("task.id")
    target_id = required_ref("task_target.id")
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    grid_id = db.Column(db.Integer, db.ForeignKey("grid.id"), nullable=False)
    done_at = db.Column(db.DateTime, nullable=False)  # on the phone
    received_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    note = db.Column(db.Text, nullable=False, default="")
    households = db.Column(db.Integer, nullable=False, default=0)  # publicity: households reached
    minutes = db.Column(db.Integer, nullable=False, default=0)  # volunteer time spent
    answers = db.Column(db.JSON, nullable=False, default=dict)  # surveys: {question id: answer}
    photos = db.Column(db.JSON, nullable=False, default=list)  # media ids

    task = db.relationship("Task")
    user = db.relationship("User")
    grid = db.relationship("Grid")

    __table_args__ = (db.Index("ix_task_report_user_done", "user_id", "done_at"),)
