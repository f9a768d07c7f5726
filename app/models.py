"""Imports every model so that Alembic and the scope service see them all."""
from .audit.models import AuditLog  # noqa: F401
from .auth.models import LoginAttempt, RoleAssignment, User  # noqa: F401
from .org.models import Department, Grid, OrgUnit  # noqa: F401
from .scope.services import register_user_rule

register_user_rule()
