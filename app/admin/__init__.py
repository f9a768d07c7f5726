"""The admin's pages: the org tree, grids, users and the audit log here; the category catalogue,
the holiday calendar and the duty checklist from the features that own them."""


def register(app):
    from ..duties.admin import pages as duty_pages
    from ..events.admin import pages as event_pages
    from .routes import bp

    event_pages.attach(bp)
    duty_pages.attach(bp)
    app.register_blueprint(bp)
