"""The sync API: idempotent push, pull since a cursor, outbox-file ingest."""


def register(app):
    from .cli import sync_cli
    from .routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(sync_cli)
