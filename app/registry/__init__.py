"""People, places, objects and organisations: versioned records, review, privacy, exports."""


def register(app):
    from . import pull, services  # noqa: F401  (pullers, the scope rule, sync handlers)
    from .routes import bp

    app.register_blueprint(bp)
