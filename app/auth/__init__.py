"""Users, role assignments, sign-in and sessions."""


def register(app):
    from .routes import bp, enforce_session_lifetime

    app.register_blueprint(bp)
    app.before_request(enforce_session_lifetime)
