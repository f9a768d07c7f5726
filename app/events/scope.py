"""Who may see an event: its reporter; grid staff and supervisors of its grid; the admin.

Part-time riders see only their own reports: other reports may hold residents' details.
"""
from ..scope.services import VIEW, rule, scope_for
from .models import Event

STAFF_ROLES = {"grid_worker", "grid_leader", "secretary", "street", "command", "admin"}


@rule(Event)
def event_rule(user, event, action):
    scope = scope_for(user)
    if event.deleted_at is not None and not scope.is_admin:
        return False
    if action != VIEW:
        return False  # changes go through the event services, which check their own guards
    if event.reporter_id == user.id or scope.is_admin:
        return True
    if event.department_id and event.department_id in scope.department_ids:
        return True  # a department sees what is dispatched to it
    return bool(scope.roles & STAFF_ROLES) and scope.covers_grid(event.grid_id)


def event_visibility_clause(scope, user_id):
    """SQL condition matching the rule above, for lists and pulls."""
    from sqlalchemy import false, or_

    own = Event.reporter_id == user_id
    if scope.is_admin:
        return Event.deleted_at.is_(None)
    staff = scope.grid_clause(Event.grid_id) if scope.roles & STAFF_ROLES else false()
    assigned = Event.department_id.in_(scope.department_ids) if scope.department_ids else false()
    return or_(own, staff, assigned) & Event.deleted_at.is_(None)
