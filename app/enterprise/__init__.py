"""Enterprise service in exclusive grids: needs on the closed loop, the monthly economic survey,
risk screening, and the street's and district's view."""


def register(app):
    from ..duties.services import register_code_evidence
    from . import services  # scope rules, sync handlers, photo holders
    from .routes import bp

    register_code_evidence(services.duty_evidence)
    app.register_blueprint(bp)
