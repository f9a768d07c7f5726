from sqlalchemy import BigInteger, Integer

from .. import clock
from ..extensions import db, required_ref

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit sequence.
SEQ = BigInteger().with_variant(Integer(), "sqlite")


class Mutation(db.Model):
    """The ledger of applied mutations: replaying one returns its first answer."""

    __tablename__ = "sync_mutation"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    user_id = required_ref("user.id")
    kind = db.Column(db.String(40), nullable=False)
    record_id = db.Column(db.String(36))
    payload_sha256 = db.Column(db.String(64), nullable=False)
    response = db.Column(db.JSON, nullable=False)
    applied_at = db.Column(db.DateTime, nullable=False, default=clock.now)


class ChangeLog(db.Model):
    """One row per change to a pulled object; pull is 'rows after my cursor, in my scope'."""

    __tablename__ = "sync_change"

    seq = db.Column(SEQ, primary_key=True, autoincrement=True)
    object_type = db.Column(db.String(32), nullable=False)
    object_id = db.Column(db.String(36), nullable=False)
    grid_id = db.Column(db.Integer, index=True)  # None: visible to every signed-in user
    owner_id = db.Column(db.Integer, index=True)
    op = db.Column(db.String(8), nullable=False)  # upsert | delete
    at = db.Column(db.DateTime, nullable=False, default=clock.now)

    __table_args__ = (db.Index("ix_sync_change_type_seq", "object_type", "seq"),)
