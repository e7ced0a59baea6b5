"""Background jobs for the long steps of a large round: running the count and publishing.

A national round (10,000 applications, 1,000 members) takes longer to count or publish than a
web request may last. With ``JOBS_REDIS_URL`` set, these steps are queued on Redis with RQ
(a well-kept job queue; production already runs Redis for the sign-in limits) and done by
``grantpanel worker`` processes, which may run on several hosts sharing the PostgreSQL
database and Redis. Without it (the embedded SQLite default, a small round) the step runs in
the request, as it always has.

The rules:

1. **One at a time.** :func:`submit` locks the round and, if a job of that kind is already
   queued or running for it, returns that job instead of adding another (a double click, or
   two staff at once, queue one job).
2. **State in the database.** Each job is a :class:`~grantpanel.models.Job` row: queued,
   running, done or failed, with a plain message (the count's or publication's own words on
   failure), so the page that waits for it reads one row, and any worker can take it up.
3. **Taken once.** :func:`perform` moves the job from queued to running with a
   compare-and-set (``UPDATE ... WHERE status = 'queued'``); a second delivery of the same job
   finds it taken and does nothing.
4. **Surviving a restart.** When a worker starts (:func:`requeue_stale`), jobs left queued or
   running by a worker that died (no live RQ job for them) are set back to queued and queued
   again, up to :data:`MAX_ATTEMPTS` times. Running the count twice is harmless (it replaces
   the stored count); publishing twice publishes once (the second finds it done).

Services commit nothing, except :func:`perform`, which is the job's own transaction (it runs
outside any request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import current_app, has_app_context
from sqlalchemy import CursorResult, select, update

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Job, Round, User, utcnow
from grantpanel.services import transitions

QUEUE = "grantpanel"
KINDS = ("count", "publish")
ACTIVE = ("queued", "running")
MAX_ATTEMPTS = 3
JOB_TIMEOUT = 3600  # seconds a worker may spend on one job before RQ stops it


def enabled() -> bool:
    """True when long steps go to background workers (``JOBS_REDIS_URL`` is set)."""
    return bool(current_app.config.get("JOBS_REDIS_URL"))


def queue() -> Any:
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(current_app.config["JOBS_REDIS_URL"]))


def latest(rnd: Round, kind: str) -> Job | None:
    """The round's newest job of ``kind`` (to show how it is going), or None."""
    return db.session.scalar(select(Job).where(Job.round_id == rnd.id, Job.kind == kind)
                             .order_by(Job.id.desc()).limit(1))


def active(rnd: Round, kind: str) -> Job | None:
    job = latest(rnd, kind)
    return job if job is not None and job.status in ACTIVE else None


def submit(rnd: Round, kind: str, actor: User) -> Job:
    """Queue ``kind`` for ``rnd`` (or return the one already queued or running). The caller
    commits, then calls :func:`dispatch`."""
    if kind not in KINDS:
        raise ValueError(kind)
    transitions.lock(rnd)
    existing = active(rnd, kind)
    if existing is not None:
        return existing
    job = Job(kind=kind, round_id=rnd.id, status="queued", message="", attempts=0,
              created_by_id=actor.id)
    db.session.add(job)
    db.session.flush()
    return job


def dispatch(job: Job) -> None:
    """Hand a committed, queued job to the workers (RQ)."""
    queue().enqueue(perform, job.id, job_id=f"grantpanel-job-{job.id}-{job.attempts}",
                     job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=86400)


def _take(job_id: int) -> bool:
    result = cast(CursorResult[Any], db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="running", started_at=utcnow(), attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False)))
    db.session.commit()
    return result.rowcount == 1


def _run_count(rnd: Round, actor: User) -> str:
    from grantpanel.services import count_runs

    count_runs.run(rnd, actor)
    return _("The count has been run. Check it below.")


def _publish(rnd: Round, actor: User) -> str:
    from grantpanel.services import rounds

    try:
        rounds.apply_transition(rnd, "publish", actor)
    except lifecycle.AlreadyDoneError as e:
        db.session.rollback()
        return str(e)
    return _("The decision is published. Anyone can now read and check the record.")


STEPS: dict[str, Callable[[Round, User], str]] = {"count": _run_count, "publish": _publish}


def perform(job_id: int) -> str:
    """Do job ``job_id`` (in a worker, or from the CLI): returns its final status."""
    if not has_app_context():
        from grantpanel import create_app

        with create_app().app_context():
            return perform(job_id)
    if not _take(job_id):
        return "taken"
    job = db.session.get(Job, job_id)
    assert job is not None
    rnd = db.session.get(Round, job.round_id)
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    try:
        if rnd is None or actor is None:
            raise LookupError(_("The round or the person who asked is no longer here."))
        message = STEPS[job.kind](rnd, actor)
        db.session.commit()
        status = "done"
    except Exception as e:  # the job's own words on failure, for the page
        db.session.rollback()
        message, status = str(e) or type(e).__name__, "failed"
        if not isinstance(e, (ValueError, LookupError, lifecycle.TransitionError)):
            current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
    db.session.execute(update(Job).where(Job.id == job_id).values(
        status=status, message=message[:2000], finished_at=utcnow()))
    db.session.commit()
    if status == "done" and job.kind == "publish" and rnd is not None:
        _tell_the_panel(rnd)
    return status


def _tell_the_panel(rnd: Round) -> None:
    """Email the panel that the decision is published, as the Publish button does (outside a
    request: links use ``SITE_URL``)."""
    from grantpanel.staff.messages import notify_after_step

    base = current_app.config.get("SITE_URL") or "http://localhost"
    try:
        with current_app.test_request_context("/", base_url=base):
            notify_after_step(rnd, "publish")
    except Exception:  # the decision is published; a failed email must not undo that
        current_app.logger.exception("job: telling the panel failed")


def requeue_stale() -> int:
    """Queue again the jobs a stopped worker left queued or running (see rule 4); returns how
    many. Called when a worker starts."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob
    from rq.registry import StartedJobRegistry

    rq_queue = queue()
    # RQ's own housekeeping first: a started job whose worker stopped sending heartbeats is
    # moved out of the started list, so it no longer looks alive.
    StartedJobRegistry(queue=rq_queue).cleanup()
    count = 0
    for job in db.session.scalars(select(Job).where(Job.status.in_(ACTIVE))).all():
        # The RQ id carries the attempt it was queued for (taking the job counts one more).
        rq_id = f"grantpanel-job-{job.id}-{job.attempts - int(job.status == 'running')}"
        try:
            status = RQJob.fetch(rq_id, connection=rq_queue.connection).get_status()
            live = status in ("queued", "started", "scheduled", "deferred")
        except NoSuchJobError:
            live = False
        if live:
            continue
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.message = "failed", _("The job stopped several times. Try again.")
            job.finished_at = utcnow()
            continue
        job.status = "queued"
        db.session.flush()
        db.session.commit()
        dispatch(job)
        count += 1
    db.session.commit()
    return count
