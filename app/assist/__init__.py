"""帮办代办: convenience services a worker applies for on a resident's behalf."""


def register(app):
    from ..admin.routes import bp as admin_bp
    from ..duties.services import register_code_evidence
    from . import services
    from .admin import pages as admin_pages
    from .routes import bp

    register_code_evidence(services.duty_evidence)
    app.register_blueprint(bp)
    admin_pages.attach(admin_bp)
