"""Users, role assignments, sign-in and sessions."""


def register(app):
    from ..scope.services import register_user_rule
    from .routes import bp, enforce_session_lifetime

    register_user_rule()  # who may see which user
    app.register_blueprint(bp)
    app.before_request(enforce_session_lifetime)
