"""The ``grantpanel`` command: a Flask CLI group (run, init-db, demo, create-user, db ...)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from grantpanel.vocabulary import Role


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
@click.option("--role", type=click.Choice(Role.values()), required=True)
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
@click.option("--address", default="http://127.0.0.1:5000/", show_default=True,
              help="Where `grantpanel run` will serve, printed with the sign-ins.")
@with_appcontext
def demo(if_empty: bool, address: str) -> None:
    """Load the demo: one published round and one open for scoring; print the sign-ins."""
    from grantpanel.demo import load_demo

    for line in load_demo(if_empty=if_empty, address=address):
        click.echo(line)


# --- long steps: a worker for background jobs, or the step run here (services/jobs.py) ---


@click.command("worker")
@click.option("--burst", is_flag=True, help="Do the jobs waiting now, then stop.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Do background jobs (the count, publishing) from JOBS_REDIS_URL. Run one or more, on
    this host or others sharing the database and Redis; a restart picks up unfinished jobs."""
    from rq import Worker

    from grantpanel.services import jobs

    if not jobs.enabled():
        raise click.ClickException("Set JOBS_REDIS_URL (for example redis://127.0.0.1:6379/1) "
                                   "to use background jobs.")
    picked = jobs.requeue_stale()
    if picked:
        click.echo(f"Queued again {picked} job(s) a stopped worker left unfinished.")
    queue = jobs.queue()
    Worker([queue], connection=queue.connection).work(burst=burst)


def _long_step(kind: str, round_id: int, staff_email: str) -> None:
    from sqlalchemy import select

    from grantpanel.extensions import db
    from grantpanel.models import Round, User
    from grantpanel.services import jobs

    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise click.ClickException(f"There is no round {round_id}.")
    staff = db.session.scalar(select(User).where(User.email == staff_email,
                                                 User.role == Role.STAFF))
    if staff is None:
        raise click.ClickException(f"There is no staff account {staff_email}.")
    job = jobs.submit(rnd, kind, staff)
    db.session.commit()
    status = jobs.perform(job.id)
    db.session.refresh(job)
    click.echo(f"{kind}: {job.status}. {job.message}".strip())
    if status == "taken":
        click.echo("A worker is already doing this step for this round.")
    if job.status == "failed":
        raise SystemExit(1)


@click.command("count-round")
@click.argument("round_id", type=int)
@click.option("--staff", "staff_email", required=True, help="The staff account it is done as.")
@with_appcontext
def count_round_command(round_id: int, staff_email: str) -> None:
    """Run and store the count of ROUND_ID here (as the count page's button does)."""
    _long_step("count", round_id, staff_email)


@click.command("publish-round")
@click.argument("round_id", type=int)
@click.option("--staff", "staff_email", required=True, help="The staff account it is done as.")
@with_appcontext
def publish_round_command(round_id: int, staff_email: str) -> None:
    """Publish the confirmed decision of ROUND_ID here (as the Publish button does)."""
    _long_step("publish", round_id, staff_email)


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(count_round_command)
    app.cli.add_command(publish_round_command)
    app.cli.add_command(assign_command)
    app.cli.add_command(init_db)
    app.cli.add_command(create_user)
    app.cli.add_command(demo)
    app.cli.add_command(import_applications_command)
    app.cli.add_command(send_reminders_command)
    for command in DATA_PROTECTION_COMMANDS:
        app.cli.add_command(command)


# --- data protection: backup, restore, retention (logic in services/backup.py, privacy.py) ---


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file: str) -> None:
    """Write the whole database to FILE (gzip-compressed JSON lines; either database kind)."""
    import gzip
    import os
    import tempfile

    from grantpanel.extensions import db
    from grantpanel.services import backup

    target = os.path.abspath(file)
    fd, tmp = tempfile.mkstemp(prefix=".backup-", dir=os.path.dirname(target))
    os.close(fd)
    os.chmod(tmp, 0o600)  # the file holds personal data and password hashes
    try:
        # Read one snapshot, so the file is consistent while the app keeps running.
        postgresql = db.engine.dialect.name == "postgresql"
        conn = db.engine.connect()
        if postgresql:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn, conn.begin(), gzip.open(tmp, "wt", compresslevel=6, encoding="utf-8") as out:
            if db.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")  # pysqlite starts no transaction for reads
            summary = backup.write_backup(conn, out)
        os.replace(tmp, target)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from e
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    click.echo(
        f"Backed up {summary.rows:,} rows from {summary.tables} tables to {file}. "
        "It holds personal data and password hashes: keep it somewhere safe."
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Delete everything in the database first.")
@with_appcontext
def restore_command(file: str, force: bool) -> None:
    """Load a backup made by `grantpanel backup` into an empty database."""
    import gzip

    from sqlalchemy.exc import DBAPIError

    from grantpanel.extensions import db
    from grantpanel.services import backup

    db.session.remove()
    try:
        with gzip.open(file, "rt", encoding="utf-8") as lines, db.engine.begin() as conn:
            summary = backup.restore_backup(
                conn, iter(lines), force=force, code_revision=backup.code_revision()
            )
    except backup.BackupError as e:
        raise click.ClickException(f"{e} Nothing was changed.") from e
    except DBAPIError as e:
        # Name the kind of failure only: the statement's parameters hold personal data.
        raise click.ClickException(
            f"The database refused the backup's rows ({type(e.orig).__name__}). Restore into "
            "an empty database made by the same version of grantpanel. Nothing was changed."
        ) from None
    except (OSError, EOFError, ValueError) as e:
        raise click.ClickException(
            f"{file} could not be read as a grantpanel backup ({e}). Nothing was changed."
        ) from e
    if summary.wiped_rows:
        click.echo(f"Deleted the {summary.wiped_rows:,} rows that were in the database.")
    click.echo(f"Restored {summary.rows:,} rows into {summary.tables} tables from {file}.")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only say what would be erased.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Erase personal data of rounds published more than RETENTION_DAYS days ago."""
    from flask import current_app

    from grantpanel.extensions import db
    from grantpanel.services import privacy

    days = int(current_app.config.get("RETENTION_DAYS", 0))
    if days <= 0:
        click.echo("RETENTION_DAYS is 0, so personal data is kept: nothing was erased.")
        return
    report = privacy.apply_retention(days, dry_run=dry_run)
    verb = "would be erased" if dry_run else "erased"
    click.echo(f"Rounds published more than {days} days ago: {report.rounds}.")
    click.echo(f"Panel members {verb}: {report.members}.")
    click.echo(f"Panel members kept because they are on a newer round: {report.members_kept}.")
    click.echo(f"Applications {verb}: {report.applications}.")
    if dry_run:
        db.session.rollback()
        click.echo("This was a dry run: nothing was changed.")
    else:
        db.session.commit()


DATA_PROTECTION_COMMANDS = (backup_command, restore_command, retention_command)


# --- applications: CSV import without the web's row limit (logic in services/applications.py)


@click.command("import-applications")
@click.argument("round_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "by_email", help="Email of the staff account to name in the audit log.")
@with_appcontext
def import_applications_command(round_id: int, file: str, by_email: str | None) -> None:
    """Import applications from a CSV FILE into round ROUND_ID: every row, or none.

    The same checks as the import page, without its limit on the number of rows, for big
    files. On any problem nothing is imported, the problems are listed with their line
    numbers and the command exits with status 1.
    """
    from grantpanel.extensions import db
    from grantpanel.services import accounts, rounds
    from grantpanel.services import applications as apps_service

    rnd = rounds.get_round_or_none(round_id)
    if rnd is None:
        raise click.ClickException(f"There is no round {round_id}. Check the round's number.")
    actor = None
    if by_email:
        actor = accounts.find_user_by_email(by_email)
        if actor is None or actor.role != Role.STAFF:
            raise click.ClickException(f"There is no staff account with the email {by_email}.")
    try:
        with open(file, "rb") as fh:
            summary = apps_service.import_csv(rnd, actor, fh)
    except apps_service.ImportRejected as e:
        db.session.rollback()
        for p in e.problems:
            click.echo(p.message, err=True)
        if e.unlisted:
            click.echo(f"... and {e.unlisted:,} more problems not listed.", err=True)
        click.echo(str(e), err=True)
        raise SystemExit(1) from e
    except apps_service.ApplicationError as e:
        db.session.rollback()
        raise click.ClickException(f"{e} Nothing was imported.") from e
    db.session.commit()
    click.echo(
        f"Imported {summary.count:,} applications into '{rnd.name}' "
        f"({summary.first_reference} to {summary.last_reference}; "
        f"{summary.automatic_references:,} references made automatically)."
    )


# --- messages: scoring reminders by email, for cron (logic in services/messages.py, mail.py) --


@click.command("send-reminders")
@click.option("--round", "round_id", type=int, help="Only this round, whatever its closing date.")
@click.option("--dry-run", is_flag=True, help="Only count who would get a reminder.")
@with_appcontext
def send_reminders_command(round_id: int | None, dry_run: bool) -> None:
    """Email a reminder to each panel member with scoring left, before the closing date.

    Rounds open for scoring whose closing date is today or within REMINDER_DAYS days (or the
    one --round names). At most one reminder per member per round per day. Prints a JSON
    summary, {"sent": n, "skipped": n, "failed": [...]}, with no names or addresses; exits 1
    when any failed or email is off (MAIL_SERVER unset), else 0.
    """
    import json

    from flask import current_app

    from grantpanel.extensions import db
    from grantpanel.services import mail, messages, rounds

    if round_id is not None and rounds.get_round_or_none(round_id) is None:
        raise click.ClickException(f"There is no round {round_id}. Check the round's number.")
    off = not mail.enabled()
    window = int(current_app.config.get("REMINDER_DAYS", 7))
    plan = messages.plan_reminders(round_id=round_id, window_days=window,
                                   dry_run=dry_run or off)
    if dry_run or off:
        db.session.rollback()
        report = mail.Report()
    else:
        db.session.commit()  # the claims first: a run at the same moment sends none of these
        report = mail.send_all(plan.emails, kind=messages.Kind.REMINDER.value)
        messages.release_reminders(plan, report)
        messages.record_sent(messages.Kind.REMINDER, report, None)
        db.session.commit()
    summary = {
        "sent": len(plan.emails) if dry_run else len(report.sent),
        "skipped": plan.skipped + (len(plan.emails) if off and not dry_run else 0),
        "failed": [
            {"round": f.email.key.round_id, "member": f.email.key.pseudonym, "reason": f.reason}
            for f in report.failed
        ],
        "dry_run": dry_run,
    }
    click.echo(json.dumps(summary, sort_keys=True))
    if off and not dry_run:
        click.echo(f"Email is off (MAIL_SERVER is not set): {len(plan.emails)} reminders were "
                   "not sent.", err=True)
        raise SystemExit(1)
    if report.failed:
        raise SystemExit(1)


# --- shared-out reading: grantpanel assign (logic in services/assignment.py) ----------------
# Prints {"assignments": [{"member": email (or name), "application": reference}],
# "loads": {member: count}, "short": [references]}; a bad round or K: exit status 1.


@click.command("assign")
@click.argument("round_id", type=int)
@click.option("--readers", type=int, default=None,
              help="How many members read each application (K). Default: the round's own.")
@click.option("--fresh", is_flag=True,
              help="Start again: every automatic choice may change (hand-made readers and "
                   "members who have started scoring are kept).")
@click.option("--preferences", "preferences_file", type=click.Path(exists=True, dir_okay=False),
              help="A CSV file of members' preferences to import first (columns member, "
                   "application, preference: like or rather not).")
@with_appcontext
def assign_command(round_id: int, readers: int | None, fresh: bool,
                   preferences_file: str | None) -> None:
    """Assign K readers to each eligible application of round ROUND_ID and print a JSON
    summary: never a member with a conflict, loads as even as possible, each member's
    limit kept, as few changes as possible to the assignment as it stands."""
    import json

    from grantpanel.extensions import db
    from grantpanel.models import Round
    from grantpanel.services import assignment

    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise click.ClickException(f"There is no round {round_id}. Check the round's number.")
    if readers is None and rnd.readers_per_application is None:
        raise click.ClickException(
            "Say how many members read each application, for example --readers 3.")
    try:
        if readers is not None:
            assignment.set_readers(rnd, None, readers)
        if preferences_file:
            with open(preferences_file, "rb") as fh:
                assignment.import_preferences(rnd, fh, None)
        assignment.run(rnd, None, fresh=fresh)
    except assignment.PreferencesRejected as e:
        db.session.rollback()
        for problem in e.problems:
            click.echo(problem, err=True)
        raise click.ClickException("Nothing was changed.") from e
    except assignment.AssignmentError as e:
        db.session.rollback()
        raise click.ClickException(f"{e} Nothing was changed.") from e
    db.session.commit()
    click.echo(json.dumps(assignment.cli_summary(rnd), ensure_ascii=False, indent=1))
