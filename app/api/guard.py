"""API requests: a missing or expired session answers 401 before anything else (so a phone
knows to ask for sign-in rather than retry), then CSRF is checked on every change."""
from flask import request
from flask_login import current_user

from ..extensions import csrf, login_manager


def api_guard():
    if not request.path.startswith("/api/"):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


def guard_blueprint(bp):
    """Exempt ``bp`` from the global CSRF hook and check session, then CSRF, in that order."""
    csrf.exempt(bp)
    bp.before_request(api_guard)
