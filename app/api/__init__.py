"""JSON under /api/v1 for the grids and the signed-in user."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
