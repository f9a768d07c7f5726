"""The event closed loop: categories, quick reports, moves, inboxes and the command centre."""


def register(app):
    from ..admin.routes import bp as admin_bp
    from ..ui import register_badges
    from . import pull, scope, services  # noqa: F401  (pullers, the scope rule, sync handlers)
    from .admin import pages as admin_pages
    from .routes import bp

    register_badges("events", services.nav_badges)
    app.register_blueprint(bp)
    admin_pages.attach(admin_bp)  # categories and holidays, before the admin blueprint goes in
