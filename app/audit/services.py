"""One helper to write the audit log."""
from flask import g, has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditLog


def apply_changes(obj, values, *, created=False):
    """Set ``values`` on ``obj`` and return what changed as {field: [old, new]}, the audit
    log's ``detail`` (a new object: every value, old ``None``)."""
    diff = {}
    for key, value in values.items():
        old = None if created else getattr(obj, key)
        if created or old != value:
            diff[key] = [old, value]
        setattr(obj, key, value)
    return diff


def client_ip():
    return (request.remote_addr or "") if has_request_context() else ""


def record(action, obj=None, *, detail=None, actor=None, role=None, object_type=None,
           object_id=None, durable=False):
    """Add an audit row to the current transaction (the caller commits with its change).

    ``actor`` defaults to the signed-in user and ``role`` to that user's primary role.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if obj is not None:
        if getattr(obj, "id", 0) is None:
            db.session.flush()
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    row = AuditLog(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else None,
        actor_role=role or (actor.primary_role if actor else None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        detail=detail,
        ip=client_ip(),
    )
    db.session.add(row)
    if durable and has_request_context():
        # Kept even when the change it belongs to is refused and rolled back (a refused
        # lookup still counts): see take_durable and restore_durable.
        g.setdefault("_durable_audit", []).append(
            {c: getattr(row, c) for c in ("actor_id", "actor_name", "actor_role", "action",
                                          "object_type", "object_id", "detail", "ip")})
    return row


def take_durable():
    """The durable rows recorded since the last call (and forget them)."""
    return g.pop("_durable_audit", []) if has_request_context() else []


def restore_durable(rows):
    """Add again durable rows that a rollback took away."""
    for values in rows:
        db.session.add(AuditLog(**values))
