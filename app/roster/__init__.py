"""The grid's forces (网格力量, "2+1+N+X"): who serves each grid, kept by the community and the
street, and the members with an account who can be called to an event."""


def register(app):
    from . import services  # noqa: F401  (the scope rule)
    from .routes import bp

    app.register_blueprint(bp)
