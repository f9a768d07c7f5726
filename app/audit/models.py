from .. import clock
from ..extensions import db


class AuditLog(db.Model):
    """Who did what, when, in which role, to which object."""

    __tablename__ = "audit_log"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=clock.now, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user.id"), index=True)
    actor_name = db.Column(db.String(64))
    actor_role = db.Column(db.String(20))
    action = db.Column(db.String(64), nullable=False, index=True)
    object_type = db.Column(db.String(32))
    object_id = db.Column(db.String(64))
    detail = db.Column(db.JSON)
    ip = db.Column(db.String(64))

    actor = db.relationship("User")

    __table_args__ = (db.Index("ix_audit_log_object", "object_type", "object_id"),)
