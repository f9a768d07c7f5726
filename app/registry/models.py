"""The registry of people, places, objects and organisations (人、地、物、组织).

One table holds every kind of record with the columns that scope, links, search and privacy
need (grid, parent, name and its pinyin, address, point, encrypted ID number and phone with
their keyed hashes and masks); each kind's other fields live in ``data`` and are validated by
that kind's WTForms form. Records are versioned: every change writes a revision with its
field-by-field diff, and every create or edit from a worker enters the review queue.
"""
from .. import clock
from ..extensions import db, required_ref

KINDS = ("person", "building", "room", "site", "object", "organisation")
REVIEW_STATES = ("pending", "approved", "returned", "rejected")


class RegistryRecord(db.Model):
    __tablename__ = "registry_record"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    kind = db.Column(db.String(20), nullable=False)
    grid_id = db.Column(db.Integer, db.ForeignKey("grid.id"), nullable=False)
    parent_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), index=True)
    name = db.Column(db.String(200), nullable=False)
    name_pinyin = db.Column(db.String(400), nullable=False, default="")  # zhangsan
    name_initials = db.Column(db.String(100), nullable=False, default="")  # zs
    address = db.Column(db.String(300), nullable=False, default="")
    lon = db.Column(db.Float)
    lat = db.Column(db.Float)
    id_cipher = db.Column(db.Text)
    id_hash = db.Column(db.String(64), index=True)
    id_masked = db.Column(db.String(32), nullable=False, default="")
    phone_cipher = db.Column(db.Text)
    phone_hash = db.Column(db.String(64), index=True)
    phone_masked = db.Column(db.String(32), nullable=False, default="")
    phone_tail = db.Column(db.String(4), index=True)
    data = db.Column(db.JSON, nullable=False, default=dict)
    version = db.Column(db.Integer, nullable=False, default=1)
    review_state = db.Column(db.String(12), nullable=False, default="pending")
    review_comment = db.Column(db.Text)
    created_by = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    updated_by = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    deleted_at = db.Column(db.DateTime)

    grid = db.relationship("Grid")
    parent = db.relationship("RegistryRecord", remote_side=[id])

    __table_args__ = (
        db.Index("ix_registry_grid_kind_name", "grid_id", "kind", "name"),
        db.Index("ix_registry_grid_kind_pinyin", "grid_id", "kind", "name_pinyin"),
        db.Index("ix_registry_grid_kind_initials", "grid_id", "kind", "name_initials"),
        db.Index("ix_registry_kind_name", "kind", "name"),
        # Prefix search (LIKE 'q%') on PostgreSQL needs pattern-ops indexes whatever the collation;
        # SQLite uses plain ones because the app turns case_sensitive_like on.
        *(db.Index(f"ix_registry_prefix_{col}", col, postgresql_ops={col: "text_pattern_ops"})
          for col in ("name", "name_pinyin", "name_initials", "address")),
    )


class RecordRevision(db.Model):
    """One row per version of a record: who, when, what changed (field → [old, new])."""

    __tablename__ = "registry_revision"

    id = db.Column(db.Integer, primary_key=True)
    record_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    at = db.Column(db.DateTime, nullable=False, default=clock.now)
    source = db.Column(db.String(12), nullable=False)  # phone | web | review | merge
    changes = db.Column(db.JSON, nullable=False)
    submission_id = db.Column(db.String(36))

    author = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("record_id", "version", name="uq_registry_revision_version"),)


class Submission(db.Model):
    """A worker's create or edit, waiting for the secretary's decision."""

    __tablename__ = "registry_submission"

    id = db.Column(db.String(36), primary_key=True)  # the mutation id
    record_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), nullable=False,
                          index=True)
    grid_id = required_ref("grid.id")
    op = db.Column(db.String(8), nullable=False)  # create | edit
    author_id = required_ref("user.id")
    base_version = db.Column(db.Integer)
    applied_version = db.Column(db.Integer)
    changes = db.Column(db.JSON, nullable=False)  # field → [old, new], as applied
    conflicts = db.Column(db.JSON, nullable=False, default=dict)  # field → {"server": v, "phone": v}
    has_conflicts = db.Column(db.Boolean, nullable=False, default=False)
    # A new record whose ID number is already registered: shown to the secretary, not the author.
    duplicate_of = db.Column(db.String(36))
    state = db.Column(db.String(12), nullable=False, default="pending", index=True)
    comment = db.Column(db.Text)
    decided_by = db.Column(db.Integer, db.ForeignKey("user.id"))
    decided_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    record = db.relationship("RegistryRecord")
    author = db.relationship("User", foreign_keys=[author_id])
    grid = db.relationship("Grid")


class PersonTag(db.Model):
    """Sensitive tags (elderly living alone, disability, community correction …), kept apart:
    only the worker, leader and secretary of the person's grid see them."""

    __tablename__ = "registry_person_tag"

    id = db.Column(db.Integer, primary_key=True)
    record_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), nullable=False,
                          index=True)
    tag = db.Column(db.String(32), nullable=False)
    created_by = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    __table_args__ = (db.UniqueConstraint("record_id", "tag", name="uq_registry_person_tag_tag"),)


class Visit(db.Model):
    """A visit (走访) to a person, household or organisation; append-only, logged offline."""

    __tablename__ = "registry_visit"

    id = db.Column(db.String(36), primary_key=True)
    record_id = db.Column(db.String(36), db.ForeignKey("registry_record.id"), nullable=False,
                          index=True)
    grid_id = required_ref("grid.id")
    author_id = required_ref("user.id")
    note = db.Column(db.Text, nullable=False)
    photos = db.Column(db.JSON, nullable=False, default=list)  # media ids
    visited_at = db.Column(db.DateTime, nullable=False)
    received_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    record = db.relationship("RegistryRecord")
    author = db.relationship("User")
