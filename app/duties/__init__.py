"""The duty checklist (13 categories, 42 items), progress and assessment."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
