"""The indicators cities are judged by, their thresholds, trend and heat map."""


def register(app):
    from .routes import bp

    app.register_blueprint(bp)
