"""Enterprise service in exclusive grids: needs on the closed loop, the monthly economic survey,
risk screening, and the street's and district's view."""


def register(app):
    from . import services  # noqa: F401  (scope rules, sync handlers, photo holders)
    from .routes import bp

    app.register_blueprint(bp)
