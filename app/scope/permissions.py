"""The one table of who may do what.

Every role check in routes, services, templates and the navigation reads this table, through
:func:`may` (or :func:`requires` on a route, or ``may`` in a template). Whether a user may act
on one object is then the object kind's rule in :mod:`app.scope.services`; ``may(user, action,
obj)`` asks both. docs/privacy.md lists the table role by role.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from .services import CHANGE, VIEW, can, scope_for
from .table import CHANGES, PERMISSIONS, roles_for  # noqa: F401 (re-exported)


def may(user, action, obj=None) -> bool:
    """May ``user`` do ``action`` (on ``obj``, when given: its kind's rule must allow it too)?"""
    if user is None or not user.is_authenticated:
        return False
    if not scope_for(user).roles & roles_for(action):
        return False
    return obj is None or can(user, CHANGE if action in CHANGES else VIEW, obj)


def requires(action, status=404):
    """Route decorator: the signed-in user must be allowed ``action``; else ``status`` (404
    where even the page's existence is not for them)."""
    roles_for(action)  # fail at import for an action not in the table

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not may(current_user, action):
                abort(status)
            return view(*args, **kwargs)
        return wrapped
    return decorate
