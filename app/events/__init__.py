"""The event closed loop: categories, quick reports, moves, inboxes and the command centre."""


def register(app):
    from . import pull, scope, services  # noqa: F401  (pullers, the scope rule, sync handlers)
    from .routes import bp

    app.register_blueprint(bp)
