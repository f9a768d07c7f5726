"""Users, their role assignments, and sign-in attempts."""
from flask_login import UserMixin

from .. import clock
from ..extensions import db, owned_rows, required_ref

ROLES = (
    "grid_worker", "part_time", "grid_leader", "secretary",
    "street", "command", "department", "admin",
    "officer", "force", "member",
)
# What each role is bound to: grids, an org unit of a given level, a department, or nothing.
ROLE_BINDING = {
    "grid_worker": "grid",
    "part_time": "grid",
    "grid_leader": "grid",
    "secretary": "community",
    "street": "street",
    "command": "district",
    "department": "department",
    "admin": None,
    "officer": "grid",  # an exclusive grid's enterprise service officer (企业服务专员)
    "force": "grid",  # a linkage or professional member with an account, on each grid served
    "member": "community",  # a party member reporting to a community (双报到)
}
# When a user holds several roles, the home page follows the first of these.
ROLE_PRIORITY = (
    "admin", "command", "street", "secretary", "department", "grid_leader", "grid_worker",
    "officer", "force", "part_time", "member",
)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    display_name = db.Column(db.String(120), nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    locale = db.Column(db.String(16))
    active = db.Column(db.Boolean, nullable=False, default=True)
    failed_logins = db.Column(db.Integer, nullable=False, default=0)
    locked_until = db.Column(db.DateTime)
    last_login_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)
    # Carried in each signed session: raising it ends every session of this user on every host
    # (sign-out, a password change, an admin's reset).
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    assignments = owned_rows("RoleAssignment", "user", "RoleAssignment.id")

    @property
    def is_active(self):
        return self.active

    @property
    def roles(self):
        return {a.role for a in self.assignments}

    def has_role(self, *roles):
        return bool(self.roles.intersection(roles))

    @property
    def primary_role(self):
        roles = self.roles
        return next((r for r in ROLE_PRIORITY if r in roles), None)

    def __repr__(self):
        return f"<User {self.username}>"


class RoleAssignment(db.Model):
    """Binds a user in one role to one grid, one org unit or one department."""

    __tablename__ = "role_assignment"

    id = db.Column(db.Integer, primary_key=True)
    user_id = required_ref("user.id")
    role = db.Column(db.String(20), nullable=False)
    grid_id = db.Column(db.Integer, db.ForeignKey("grid.id"), index=True)
    org_unit_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), index=True)
    department_id = db.Column(db.Integer, db.ForeignKey("department.id"), index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.now)

    user = db.relationship("User", back_populates="assignments")
    grid = db.relationship("Grid")
    org_unit = db.relationship("OrgUnit")
    department = db.relationship("Department")

    __table_args__ = (
        db.UniqueConstraint(
            "user_id", "role", "grid_id", "org_unit_id", "department_id",
            name="uq_role_assignment_binding",
        ),
    )

    @property
    def target(self):
        return self.grid or self.org_unit or self.department

    @property
    def target_label(self):
        target = self.target
        return f"{target.name}（{target.code}）" if target else ""


class LoginAttempt(db.Model):
    """Every sign-in attempt; failures from one address in a window are throttled."""

    __tablename__ = "login_attempt"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False)
    ip = db.Column(db.String(64), nullable=False)
    success = db.Column(db.Boolean, nullable=False)
    at = db.Column(db.DateTime, nullable=False, default=clock.now)

    __table_args__ = (db.Index("ix_login_attempt_ip_at", "ip", "at"),)
