"""The org tree and grids (point-in-grid with shapely)."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
