"""Patrols with a verifiable trace, check-ins and supervision."""


def register(app):
    from . import services  # noqa: F401  (the scope rule, sync handlers)
    from .routes import bp

    app.register_blueprint(bp)
