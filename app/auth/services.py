"""Sign-in: password check, per-account lockout, and throttling per address and name and per address."""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..audit import services as audit
from ..extensions import db
from .models import ROLE_BINDING, LoginAttempt, RoleAssignment, User

# Checked when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@dataclass
class SignInResult:
    user: User | None = None
    error: str | None = None  # "bad_credentials" | "locked" | "throttled" | "inactive"
    minutes_left: int = 0


def _throttled(ip: str, username: str) -> bool:
    """Too many failures in the window from this address for this name, or from this address
    at all. The address's own ceiling is the higher one: a community's phones often share one
    carrier address, and one person's guessing must not lock out the rest."""
    cfg = current_app.config
    since = clock.now() - timedelta(minutes=cfg["LOGIN_IP_WINDOW_MINUTES"])
    failures = LoginAttempt.query.filter(
        LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    if failures.count() >= cfg["LOGIN_IP_MAX_FAILURES"]:
        return True
    return failures.filter(LoginAttempt.username == username).count() >= cfg["LOGIN_IP_USER_MAX_FAILURES"]


def authenticate(username: str, password: str, ip: str) -> SignInResult:
    """Check a sign-in and record it (attempt row and audit row). Commits."""
    global _DUMMY_HASH
    cfg = current_app.config
    username = (username or "").strip()
    now = clock.now()
    if _throttled(ip, username[:64]):
        # Audited, but not counted as a failure: tries while blocked must not extend the block.
        audit.record("login.throttled", object_type="user", object_id=username[:64])
        return SignInResult(error="throttled", minutes_left=cfg["LOGIN_IP_WINDOW_MINUTES"])

    user = User.query.filter_by(username=username).first()
    if user is not None and user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        # As long as a real check, so the answer's timing does not say the account exists.
        check_password_hash(user.password_hash, password or "")
        db.session.add(LoginAttempt(username=username[:64], ip=ip, success=False))
        audit.record("login.locked", user, actor=user)
        return SignInResult(error="locked", minutes_left=minutes)

    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-password")
        check_password_hash(_DUMMY_HASH, password or "")
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "")

    db.session.add(LoginAttempt(username=username[:64], ip=ip, success=ok))
    if not ok:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
                user.failed_logins = 0
        audit.record("login.failed", user, actor=user, object_type="user",
                     object_id=None if user else username[:64])
        if user is not None and user.locked_until and user.locked_until > now:
            return SignInResult(error="locked", minutes_left=cfg["LOGIN_LOCK_MINUTES"])
        return SignInResult(error="bad_credentials")
    if not user.active:
        audit.record("login.inactive", user, actor=user)
        return SignInResult(error="inactive")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", user, actor=user)
    return SignInResult(user=user)


def validate_binding(role, *, grid=None, unit=None, department=None):
    """The error message for a role bound to the wrong kind of target, or None."""
    binding = ROLE_BINDING.get(role, "missing")
    if binding == "missing":
        return "unknown role"
    if binding is None:
        return None if not (grid or unit or department) else "admin is not bound to a target"
    if binding == "grid":
        return None if grid is not None and unit is None and department is None else "needs a grid"
    if binding == "department":
        return None if department is not None and not (grid or unit) else "needs a department"
    if unit is None or grid is not None or department is not None:
        return f"needs a {binding}"
    return None if unit.level == binding else f"needs a {binding}"


def assign_role(user, role, *, grid=None, unit=None, department=None):
    problem = validate_binding(role, grid=grid, unit=unit, department=department)
    if problem:
        raise ValueError(problem)
    existing = RoleAssignment.query.filter_by(
        user_id=user.id, role=role,
        grid_id=grid.id if grid else None,
        org_unit_id=unit.id if unit else None,
        department_id=department.id if department else None,
    ).first()
    if existing:
        return existing
    assignment = RoleAssignment(user=user, role=role, grid=grid, org_unit=unit,
                                department=department)
    db.session.add(assignment)
    return assignment


def end_sessions(user: User) -> None:
    """End every signed-in session of ``user``, on every host (the caller commits)."""
    user.session_version = (user.session_version or 0) + 1


def change_password(user: User, current: str, new: str) -> bool:
    """Set a new password if ``current`` is right; ends the user's sessions. A failed try is
    audited too: the caller commits either way."""
    if not check_password_hash(user.password_hash, current or ""):
        audit.record("password.change_failed", user, actor=user)
        return False
    user.password_hash = hash_password(new)
    end_sessions(user)
    audit.record("password.changed", user, actor=user)
    return True
