"""The installable app: manifest, service worker, offline page."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
