"""The photo pipeline behind one storage interface."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
