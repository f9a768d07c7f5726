"""What phones pull about events and the category catalogue."""
from flask import url_for
from sqlalchemy import and_, or_, true

from ..scope.permissions import may
from ..scope.services import scope_for
from ..sync.models import ChangeLog
from ..sync.services import puller
from . import stages
from .models import Event, EventCategory
from .workflow import MOVES


def _photo_json(media_id):
    return {"id": media_id, "thumb": url_for("media.thumb", media_id=media_id),
            "url": url_for("media.full", media_id=media_id)}


NEWS_STATES = ("merged", "dispatched", "handled", "closed", "refused")


def _news(event, last):
    """What the reporter is told of their own report's last move: merged, dispatched (to whom),
    handled, closed or refused, with the reason that came with it."""
    if last is None or event.state not in NEWS_STATES:
        return None
    by = event.department.name if event.department else (event.called.display_name if event.called else "")
    return {"state": event.state, "at": last.at.isoformat() + "Z", "note": last.note or "", "by": by,
            "close_type": event.close_type, "merged_into": event.merged_into_id}


def event_json(event, user, handled=None, last=None):
    """An event as the phone keeps it. ``handled`` is the move that made it handled: the
    reporter checks on site against the department's note and photos, offline. ``last`` is its
    latest move, told to its reporter (``news``)."""
    return {
        "id": event.id, "version": event.version, "state": event.state,
        "category_id": event.category_id, "category": event.category.full_name,
        "category_code": event.category.code, "national_code": event.category.national,
        "description": event.description, "urgency": event.urgency,
        "lon": event.lon, "lat": event.lat, "accuracy": event.accuracy_m,
        "location_manual": event.location_manual,
        "grid": {"id": event.grid_id, "name": event.grid.name},
        "reporter_id": event.reporter_id, "mine": event.reporter_id == user.id,
        "reported_at": event.reported_at.isoformat() + "Z",
        "photos": [_photo_json(p.media_id) for p in event.photos],
        # The reporter may deal with it on the spot (自行处置), from the phone and offline.
        "can_self_resolve": (event.state == "reported" and event.reporter_id == user.id
                             and event.category.self_resolvable
                             and bool(set(MOVES["self_resolve"].roles) & scope_for(user).roles)),
        "handled": None if handled is None or event.state != "handled" else {
            "at": handled.at.isoformat() + "Z", "note": handled.note or "",
            "by": event.department.name if event.department else "",
            "photos": [_photo_json(m) for m in handled.photos or []]},
        "news": _news(event, last) if event.reporter_id == user.id else None,
        # The clock that runs (立案, 派遣, 处置 or 核查): the phone shows it, offline too.
        "stage": _stage_json(event),
    }


def _stage_json(event):
    clock_now = stages.current(event)
    if clock_now is None:
        return None
    due_at = clock_now["due_at"]
    return {"stage": clock_now["stage"], "label": str(clock_now["label"]),
            "due_at": due_at.isoformat() + "Z" if due_at else None}


@puller("event")
class EventPuller:
    @staticmethod
    def visible(scope, user):
        own = ChangeLog.owner_id == user.id
        if scope.is_admin:
            return true()
        if may(user, "event.see_grid"):
            return or_(own, scope.grid_clause(ChangeLog.grid_id))
        return own

    @staticmethod
    def load(ids, user):
        from .models import EventAction
        from .scope import event_rule

        events = Event.query.filter(Event.id.in_(ids), Event.deleted_at.is_(None)).all() if ids else []
        waiting = [e.id for e in events if e.state == "handled"]
        handled = {a.event_id: a for a in EventAction.query.filter(
            EventAction.event_id.in_(waiting), EventAction.to_state == "handled").order_by(EventAction.id)
        } if waiting else {}
        # The latest move of each of the user's own reports that has news for them.
        told = [e.id for e in events if e.reporter_id == user.id and e.state in NEWS_STATES]
        last = {a.event_id: a for a in EventAction.query.filter(EventAction.event_id.in_(told))
                .order_by(EventAction.id)} if told else {}
        return {e.id: event_json(e, user, handled.get(e.id), last.get(e.id))
                for e in events if event_rule(user, e, "view")}


@puller("category")
class CategoryPuller:
    @staticmethod
    def visible(scope, user):
        return and_(ChangeLog.grid_id.is_(None), ChangeLog.owner_id.is_(None))

    @staticmethod
    def load(ids, user):
        rows = EventCategory.query.filter(EventCategory.id.in_([int(i) for i in ids])).all() if ids else []
        return {str(c.id): {"id": c.id, "code": c.code, "name": c.name, "parent_id": c.parent_id,
                            "sort_order": c.sort_order, "national_code": c.national}
                for c in rows if c.active and (c.parent is None or c.parent.active)}
