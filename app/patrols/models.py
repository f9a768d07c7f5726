"""Patrols (巡查): a trace with honest gaps, and check-ins at the places that matter."""
from .. import clock
from ..extensions import db, required_ref


class Patrol(db.Model):
    __tablename__ = "patrol"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    worker_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    grid_id = db.Column(db.Integer, db.ForeignKey("grid.id"), nullable=False)
    started_at = db.Column(db.DateTime, nullable=False)
    ended_at = db.Column(db.DateTime)
    status = db.Column(db.String(8), nullable=False, default="open")  # open | closed
    # The whole trace once closed (see codec); chunks until then.
    trace = db.Column(db.LargeBinary)
    point_count = db.Column(db.Integer, nullable=False, default=0)
    distance_m = db.Column(db.Float, nullable=False, default=0)
    duration_s = db.Column(db.Integer, nullable=False, default=0)
    gap_count = db.Column(db.Integer, nullable=False, default=0)
    gap_s = db.Column(db.Integer, nullable=False, default=0)
    coverage_pct = db.Column(db.Float, nullable=False, default=0)
    flags = db.Column(db.JSON, nullable=False, default=list)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.now, onupdate=clock.now)

    worker = db.relationship("User")
    grid = db.relationship("Grid")

    __table_args__ = (
        db.Index("ix_patrol_grid_started", "grid_id", "started_at"),
        db.Index("ix_patrol_worker_started", "worker_id", "started_at"),
    )


class PatrolChunk(db.Model):
    """Part of an open patrol's trace, as the phone sent it; merged into the patrol on close."""

    __tablename__ = "patrol_chunk"

    id = db.Column(db.Integer, primary_key=True)
    patrol_id = db.Column(db.String(36), db.ForeignKey("patrol.id"), nullable=False)
    seq = db.Column(db.Integer, nullable=False)
    data = db.Column(db.LargeBinary, nullable=False)
    point_count = db.Column(db.Integer, nullable=False)

    __table_args__ = (db.UniqueConstraint("patrol_id", "seq", name="uq_patrol_chunk_seq"),)


class PatrolGap(db.Model):
    """A stretch with no trace: the page was hidden (screen off) or GPS was lost."""

    __tablename__ = "patrol_gap"

    id = db.Column(db.Integer, primary_key=True)
    patrol_id = db.Column(db.String(36), db.ForeignKey("patrol.id"), nullable=False, index=True)
    started_at = db.Column(db.DateTime, nullable=False)
    ended_at = db.Column(db.DateTime, nullable=False)
    reason = db.Column(db.String(12), nullable=False)  # hidden | gps_lost | left

    __table_args__ = (db.UniqueConstraint("patrol_id", "started_at", name="uq_patrol_gap_start"),)


class CheckIn(db.Model):
    __tablename__ = "patrol_checkin"

    id = db.Column(db.String(36), primary_key=True)
    user_id = required_ref("user.id")
    patrol_id = db.Column(db.String(36), db.ForeignKey("patrol.id"), index=True)
    grid_id = db.Column(db.Integer, db.ForeignKey("grid.id"), nullable=False)
    lon = db.Column(db.Float, nullable=False)
    lat = db.Column(db.Float, nullable=False)
    accuracy_m = db.Column(db.Float)
    at = db.Column(db.DateTime, nullable=False)
    note = db.Column(db.Text)
    photo_id = db.Column(db.String(36), db.ForeignKey("media.id"))
    link_kind = db.Column(db.String(12))  # record | event
    link_id = db.Column(db.String(36))

    user = db.relationship("User")
    grid = db.relationship("Grid")

    __table_args__ = (db.Index("ix_patrol_checkin_grid_at", "grid_id", "at"),)
