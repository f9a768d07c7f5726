"""双报到: units and party members reporting to communities, the community's service needs, and
the service done, confirmed and counted in hours."""


def register(app):
    from . import services  # noqa: F401  (scope rules, sync handlers, photo holder)
    from .routes import bp

    app.register_blueprint(bp)
