"""双报到: units (机关企事业单位) and party members reporting to a community and serving in its
governance. The community publishes service needs (projects, small wishes, duty shifts); members
and units claim them and log the service done, which the secretary confirms."""
from .. import clock
from ..extensions import Made, db, required_ref

NEED_KINDS = ("project", "wish", "shift")
MEMBER_STATES = ("pending", "approved", "rejected")
CLAIM_STATES = ("claimed", "logged", "confirmed", "returned")


class ReportingUnit(Made, db.Model):
    __tablename__ = "reporting_unit"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)
    uscc = db.Column(db.String(18), nullable=False, default="")
    community_id = required_ref("org_unit.id")
    contact_name = db.Column(db.String(60), nullable=False, default="")
    phone_cipher = db.Column(db.Text)
    phone_masked = db.Column(db.String(32), nullable=False, default="")
    active = db.Column(db.Boolean, nullable=False, default=True)

    community = db.relationship("OrgUnit")

    __table_args__ = (db.UniqueConstraint("community_id", "name", name="uq_reporting_unit_name"),)


class JoinLink(db.Model):
    """The link (and QR code) a community publishes for members to register on their phones."""

    __tablename__ = "join_link"

    community_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), primary_key=True)
    token = db.Column(db.String(43), nullable=False, unique=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    community = db.relationship("OrgUnit")


class PartyMember(db.Model):
    __tablename__ = "party_member"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False, unique=True)
    community_id = required_ref("org_unit.id")
    unit_id = db.Column(db.Integer, db.ForeignKey("reporting_unit.id"), index=True)  # home unit
    name = db.Column(db.String(60), nullable=False)
    phone_cipher = db.Column(db.Text)
    phone_hash = db.Column(db.String(64), index=True)
    phone_masked = db.Column(db.String(32), nullable=False, default="")
    state = db.Column(db.String(12), nullable=False, default="pending")
    applied_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    decided_by = db.Column(db.Integer, db.ForeignKey("user.id"))
    decided_at = db.Column(db.DateTime)
    decision_note = db.Column(db.String(200), nullable=False, default="")

    user = db.relationship("User", foreign_keys=[user_id])
    unit = db.relationship("ReportingUnit")
    community = db.relationship("OrgUnit")


class ServiceNeed(Made, db.Model):
    __tablename__ = "service_need"

    id = db.Column(db.Integer, primary_key=True)
    community_id = required_ref("org_unit.id")
    kind = db.Column(db.String(12), nullable=False)  # project | wish (微心愿) | shift
    title = db.Column(db.String(120), nullable=False)
    detail = db.Column(db.Text, nullable=False, default="")
    starts_on = db.Column(db.Date)
    ends_on = db.Column(db.Date)
    slots = db.Column(db.Integer, nullable=False, default=1)  # how many claims it takes
    hours = db.Column(db.Float, nullable=False, default=2)  # expected hours of one claim
    state = db.Column(db.String(12), nullable=False, default="open")  # open | closed

    community = db.relationship("OrgUnit")


class ServiceClaim(db.Model):
    """A member's (or a unit's) claim on a need, then the service done and its confirmation."""

    __tablename__ = "service_claim"

    id = db.Column(db.String(36), primary_key=True)  # made on the phone
    need_id = required_ref("service_need.id")
    member_id = db.Column(db.Integer, db.ForeignKey("party_member.id"), index=True)
    unit_id = db.Column(db.Integer, db.ForeignKey("reporting_unit.id"), index=True)
    state = db.Column(db.String(12), nullable=False, default="claimed")
    hours = db.Column(db.Float, nullable=False, default=0)
    note = db.Column(db.Text, nullable=False, default="")
    photos = db.Column(db.JSON, nullable=False, default=list)
    author_id = required_ref("user.id")  # who recorded it: the member, or the desk for a unit
    claimed_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    logged_at = db.Column(db.DateTime)
    confirmed_by = db.Column(db.Integer, db.ForeignKey("user.id"))
    confirmed_at = db.Column(db.DateTime)
    return_note = db.Column(db.String(200), nullable=False, default="")

    need = db.relationship("ServiceNeed")
    member = db.relationship("PartyMember")
    unit = db.relationship("ReportingUnit")
