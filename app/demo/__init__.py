"""The demo district: `flask demo load`."""


def register(app):
    from .cli import demo_cli

    app.cli.add_command(demo_cli)
