import sys
import time

import click
from flask.cli import AppGroup

from ..org.models import OrgUnit
from .data import DEMO_PASSWORD, load_demo, load_district_scale

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--scale", type=click.Choice(["demo", "district"]), default="demo",
              help="demo: 2 streets, 12 grids; district: the seed's 1,293 grids, ~7,000 users.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if data exists.")
def load(scale, if_empty):
    """Load demo data into an empty database."""
    if OrgUnit.query.first() is not None:
        if if_empty:
            click.echo("Database already has data; demo not loaded.")
            return
        click.echo("The database is not empty; demo data goes only into an empty one.", err=True)
        sys.exit(1)
    started = time.perf_counter()
    if scale == "district":
        counts = load_district_scale()
        click.echo(f"District scale loaded in {time.perf_counter() - started:.1f} s: "
                   f"{counts['streets']} streets, {counts['communities']} communities, "
                   f"{counts['grids']} grids, {counts['users']} users.")
        click.echo(f"Every user's password: {DEMO_PASSWORD}")
        return
    sign_ins = load_demo()
    click.echo("Demo district loaded (历下区, 2 streets, 4 communities, 12 grids).")
    click.echo(f"Demo sign-ins, all with password '{DEMO_PASSWORD}':")
    for username, role, where in sign_ins:
        click.echo(f"  {username:<10} {role:<12} {where}")


def print_sign_ins():
    click.echo(f"Demo sign-ins (password '{DEMO_PASSWORD}'): admin, command, street, "
               "secretary, leader, worker, rider, dept, police, member, officer")
