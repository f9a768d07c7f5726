"""Each role's home page."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
