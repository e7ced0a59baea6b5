"""Background jobs on a real Redis with RQ: the count and publishing done by a worker.

Needs a redis-server on 127.0.0.1:6379 (``.ci/run`` starts one); skipped, saying so, otherwise.
Jobs go to Redis database 15, emptied before each test. The worker is RQ's ``SimpleWorker``
in burst mode, in this process (it does the queued jobs, then stops).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

import voting
from grantpanel.extensions import db
from grantpanel.models import CountRun, Job, PublishedRecord, Round, ScoreSheet, User, utcnow
from grantpanel.services import counting, jobs
from tests.builders import make_member, make_round, make_user
from tests.helpers import post_form, text

Login = Callable[[User], FlaskClient]
JOBS_URL = "redis://127.0.0.1:6379/15"
SEED = "ab" * 32


@pytest.fixture()
def redis_jobs(app: Flask) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(JOBS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as e:
        pytest.skip(f"no redis-server on 127.0.0.1:6379 ({e}); .ci/run starts one")
    client.flushdb()
    app.config["JOBS_REDIS_URL"] = JOBS_URL
    yield client
    app.config["JOBS_REDIS_URL"] = None
    client.flushdb()


def work() -> None:
    """One worker does every queued job, then stops."""
    from rq import SimpleWorker

    q = jobs.queue()
    SimpleWorker([q], connection=q.connection).work(burst=True)


def fresh_jobs() -> list[Job]:
    db.session.rollback()
    return list(db.session.scalars(
        select(Job).order_by(Job.id).execution_options(populate_existing=True)))


def scored_round(state: str = "closed") -> Round:
    rnd = make_round(state=state, budget=200_000, applications=3, amount=100_000, quorum=1,
                     fit_rule="stop", seed=SEED, seed_commitment=voting.seed_commitment(SEED))
    member = make_member(rnd, conflicts_checked_at=utcnow())
    for a, points in zip(rnd.applications, (4, 5, 2), strict=True):
        db.session.add(ScoreSheet(membership_id=member.id, application_id=a.id,
                                  status="submitted", submitted_at=utcnow(),
                                  scores={"c1": points, "c2": points}))
    db.session.commit()
    return rnd


def test_the_count_is_run_by_a_worker_and_the_page_waits_for_it(
    app: Flask, redis_jobs: redis.Redis, login_as: Login
) -> None:
    staff = make_user(role="staff")
    rnd = scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    assert post_form(client, f"{url}/run", page=url).status_code == 302
    assert post_form(client, f"{url}/run", page=url).status_code == 302  # a double click
    (job,) = fresh_jobs()  # one job, queued once
    assert (job.kind, job.status) == ("count", "queued")
    page = text(client.get(url))
    assert "Running the count" in page and "Check again" in page and "job-wait.js" in page
    assert db.session.scalars(select(CountRun)).first() is None
    work()
    (job,) = fresh_jobs()
    assert job.status == "done" and job.attempts == 1 and job.finished_at is not None
    page = text(client.get(url))
    assert "Running the count" not in page and "Applications in ranked order" in page


def test_a_failed_job_says_why_on_the_page(
    app: Flask, redis_jobs: redis.Redis, login_as: Login
) -> None:
    staff = make_user(role="staff")
    rnd = scored_round()
    rnd.stages = [{"kind": "scores"}, {"kind": "ranked", "method": "irv", "shortlist": "top",
                                        "size": 2, "seats": 1}, {"kind": "funding"}]
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    post_form(client, f"{url}/run", page=url)
    work()
    (job,) = fresh_jobs()
    assert job.status == "failed" and job.message
    page = text(client.get(url))
    assert "There is a problem" in page and "Run the count" in page


def test_publishing_is_done_by_a_worker(
    app: Flask, redis_jobs: redis.Redis, login_as: Login
) -> None:
    staff = make_user(role="staff")
    rnd = scored_round()
    counting.decide(rnd, staff, [])
    db.session.commit()
    client = login_as(staff)
    step = f"/staff/rounds/{rnd.id}/steps/publish"
    resp = post_form(client, step)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/count")
    assert "Publishing the decision" in text(client.get(f"/staff/rounds/{rnd.id}/count"))
    work()
    (job,) = fresh_jobs()
    assert job.status == "done"
    db.session.refresh(rnd)
    assert rnd.state == "published"
    assert len(db.session.scalars(select(PublishedRecord)).all()) == 1


def test_a_job_left_by_a_stopped_worker_is_done_when_a_worker_starts(
    app: Flask, redis_jobs: redis.Redis
) -> None:
    staff = make_user(role="staff")
    rnd = scored_round()
    # A worker took the job and stopped (its RQ job is gone); another was never handed out.
    db.session.add(Job(kind="count", round_id=rnd.id, status="running", message="",
                       attempts=1, created_by_id=staff.id, started_at=utcnow()))
    db.session.commit()
    assert jobs.requeue_stale() == 1
    (job,) = fresh_jobs()
    assert job.status == "queued"
    work()
    (job,) = fresh_jobs()
    assert job.status == "done" and job.attempts == 2
    assert jobs.requeue_stale() == 0  # nothing left over
    # a job that keeps stopping is given up, saying so
    db.session.add(Job(kind="count", round_id=rnd.id, status="running", message="",
                       attempts=jobs.MAX_ATTEMPTS, created_by_id=staff.id))
    db.session.commit()
    assert jobs.requeue_stale() == 0
    assert fresh_jobs()[-1].status == "failed"


def test_a_job_is_taken_once(app: Flask, redis_jobs: redis.Redis) -> None:
    staff = make_user(role="staff")
    rnd = scored_round()
    job = jobs.submit(rnd, "count", staff)
    db.session.commit()
    assert jobs.perform(job.id) == "done"
    assert jobs.perform(job.id) == "taken"  # delivered twice: done once


def test_the_cli_runs_the_count_and_publishes_without_a_worker(
    app: Flask, runner: FlaskCliRunner
) -> None:
    staff = make_user(role="staff", email="jo@example.org")
    rnd = scored_round()
    db.session.commit()
    result = runner.invoke(args=["count-round", str(rnd.id), "--staff", "jo@example.org"])
    assert result.exit_code == 0, result.output
    assert "count: done" in result.output
    assert db.session.scalars(select(CountRun)).first() is not None
    counting.decide(rnd, staff, [])
    db.session.commit()
    result = runner.invoke(args=["publish-round", str(rnd.id), "--staff", "jo@example.org"])
    assert result.exit_code == 0, result.output
    db.session.refresh(rnd)
    assert rnd.state == "published"
    bad = runner.invoke(args=["count-round", "999", "--staff", "jo@example.org"])
    assert bad.exit_code != 0 and "There is no round 999" in bad.output
    worker = runner.invoke(args=["worker", "--burst"])
    assert worker.exit_code != 0 and "JOBS_REDIS_URL" in worker.output
