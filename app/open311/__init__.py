"""Open311 GeoReport v2: the catalogue as services and cases from other systems, with keys the
admin issues and revokes."""


def register(app):
    from ..admin.routes import bp as admin_bp
    from ..extensions import csrf
    from .admin import pages as admin_pages
    from .routes import bp

    csrf.exempt(bp)  # callers are systems with an api_key, not browsers with a session
    app.register_blueprint(bp)
    admin_pages.attach(admin_bp)
