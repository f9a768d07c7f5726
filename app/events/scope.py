"""Who may see an event: its reporter; grid staff and supervisors of its grid; the admin.

Part-time riders see only their own reports: other reports may hold residents' details.
"""
from ..extensions import db
from ..media.services import photo_holder, rows_naming
from ..scope.permissions import may
from ..scope.services import VIEW, rule, scope_for
from .models import Event, EventAction, EventPhoto


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
    if event.called_user_id == user.id:
        return True  # so does a roster member called to it
    return may(user, "event.see_grid") and scope.covers_grid(event.grid_id)


def event_visibility_clause(scope, user_id):
    """SQL condition matching the rule above, for lists and pulls."""
    from sqlalchemy import false, or_

    own = Event.reporter_id == user_id
    if scope.is_admin:
        return Event.deleted_at.is_(None)
    staff = scope.grid_clause(Event.grid_id) if may(scope.user, "event.see_grid") else false()
    assigned = Event.department_id.in_(scope.department_ids) if scope.department_ids else false()
    called = Event.called_user_id == user_id
    return or_(own, staff, assigned, called) & Event.deleted_at.is_(None)


@photo_holder
def _event_photos(media):
    """A report's photos, and those of a move (a department's proof that it is handled)."""
    events = (Event.query.join(EventPhoto).filter(EventPhoto.media_id == media.id,
                                                  Event.reporter_id == media.owner_id).limit(20).all())
    moves = rows_naming(EventAction, EventAction.photos, media, EventAction.actor_id)
    return events + [db.session.get(Event, m.event_id) for m in moves]
