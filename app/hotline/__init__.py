"""12345 hotline intake: orders from the hotline system or a file, each a case on the closed loop."""


def register(app):
    from ..extensions import csrf
    from . import services  # noqa: F401
    from .routes import api_bp, bp

    csrf.exempt(api_bp)  # the hotline system calls with its key, not a browser session
    app.register_blueprint(api_bp)
    app.register_blueprint(bp)
