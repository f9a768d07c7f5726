"""Tasks handed to grids (准入 against the duty checklist), surveys and publicity records."""


def register(app):
    from ..ui import register_badges
    from . import services  # noqa: F401  (the scope rule, the sync handler)
    from .routes import bp

    register_badges("tasks", services.nav_badges)
    app.register_blueprint(bp)
