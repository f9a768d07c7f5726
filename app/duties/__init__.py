"""The duty checklist (13 categories, 42 items), progress and assessment."""


def register(app):
    from ..admin.routes import bp as admin_bp
    from .admin import pages as admin_pages
    from .routes import bp

    app.register_blueprint(bp)
    admin_pages.attach(admin_bp)  # the checklist's admin pages, before the admin blueprint goes in
