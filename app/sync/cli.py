"""`flask sync docs`: write docs/sync-mutations.md from the mutation schemas."""
from pathlib import Path

import click
from flask.cli import AppGroup

from . import schema

sync_cli = AppGroup("sync", help="Sync engine tools.")
DOC = Path(__file__).resolve().parents[2] / "docs" / "sync-mutations.md"


@sync_cli.command("docs")
def write_docs():
    DOC.write_text(schema.markdown(), encoding="utf-8")
    click.echo(f"wrote {DOC}")
