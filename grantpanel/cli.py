"""The ``grantpanel`` command: a Flask CLI group (run, init-db, demo, create-user, db ...)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext


def _create_app() -> Flask:
    from grantpanel import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """grantpanel: participatory grant-making, decided by the panel, checkable by anyone."""


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (applies all migrations)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("Database is up to date.")


@click.command("create-user")
@click.option("--role", type=click.Choice(["staff", "panel"]), required=True)
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
@with_appcontext
def create_user(role: str, email: str, password: str, name: str) -> None:
    """Create a staff or panel account that signs in with a password."""
    from grantpanel.extensions import db
    from grantpanel.services.accounts import AccountError
    from grantpanel.services.accounts import create_user as make

    try:
        user = make(email=email, name=name, role=role, password=password)
    except AccountError as e:
        raise click.ClickException(str(e)) from e
    db.session.commit()
    click.echo(f"Created {role} account for {user.email}.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only if the database has no rounds yet.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Load the demo: one published round and one open for scoring; print the sign-ins."""
    from grantpanel.demo import load_demo

    for line in load_demo(if_empty=if_empty):
        click.echo(line)


def register(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(create_user)
    app.cli.add_command(demo)
