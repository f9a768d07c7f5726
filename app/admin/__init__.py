"""The admin's pages: the org tree, grids, users and the audit log here; the category catalogue,
the holiday calendar and the duty checklist are attached by the features that own them (their
``register`` runs first)."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
