"""The API answers exactly as its served OpenAPI document says (schemathesis, every check).

Schemathesis reads ``/api/v1/openapi.json`` from the app served by ``live_server`` (a real
threaded HTTP server on 127.0.0.1) and, for every operation, sends its coverage cases
(boundary ids such as 0 and 2147483648, wrong types, methods the document does not list),
generated positive and negative requests, and stateful sequences (a round from ``GET /rounds``,
then its record). Every built-in check runs on every answer: no server error; status code,
content type, headers and body as documented; valid data accepted and invalid data refused;
``Allow`` on 405.

The database holds a real published round (the demo, counted by the counting service), a
second published round chained to it, and rounds in every unpublished state, so generated ids
land on published records, unpublished rounds and unknown ids alike.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import schemathesis
from sqlalchemy import select

from grantpanel.api.openapi import ID_MAX
from grantpanel.demo import load_demo
from grantpanel.extensions import db
from grantpanel.models import PublishedRecord, Round
from tests.app.record_builders import make_published_round
from tests.builders import make_round
from tests.live import LiveServer, live_server  # noqa: F401

UNPUBLISHED_STATES = ("draft", "open", "closed", "decided")
MAX_EXAMPLES = 40  # generated cases per operation and phase: the run stays well under a minute
SEED = 2026


def _seed() -> None:
    """A real published round and an open one (the demo), a hand-made published round chained
    to the demo's record, and one round in each unpublished state."""
    list(load_demo())
    head = db.session.scalar(
        select(PublishedRecord.digest).order_by(PublishedRecord.id.desc()).limit(1)
    )
    make_published_round(name="Second Warm Spaces Fund", previous_digest=head)
    for state in UNPUBLISHED_STATES:
        make_round(name=f"Unpublished ({state})", state=state)
    db.session.commit()


def test_schemathesis_finds_no_failure_in_the_served_api(
    live_server: LiveServer, tmp_path: Path,  # noqa: F811
) -> None:
    """``schemathesis run`` with every check and phase, as a user would run it, bounded."""
    _seed()
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "run",
        f"{live_server.url}/api/v1/openapi.json",
        "--checks", "all",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--generation-database", "none",
        "--workers", "1",
        "--request-timeout", "30",
        "--no-color",
    ]
    # Run where no stray schemathesis.toml can change the settings, and reports land nowhere.
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    assert "No issues found" in done.stdout, done.stdout[-20_000:]


def test_every_round_id_gets_a_documented_answer(live_server: LiveServer) -> None:  # noqa: F811
    """Each published record (200); each unpublished round, an unknown id and ids at and
    beyond the documented range's edges (404, never a server error)."""
    _seed()
    doc = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", timeout=30)
    operation = doc["/rounds/{round_id}/record"]["GET"]
    rounds = db.session.execute(select(Round.id, Round.state)).all()
    published = {rid for rid, state in rounds if state == "published"}
    assert len(published) == 3 and len(rounds) - len(published) >= len(UNPUBLISHED_STATES)
    unknown = max(rid for rid, _ in rounds) + 1
    out_of_range = [0, -1, ID_MAX + 1, 99_999_999_999_999_999_999]
    for rid in [*(rid for rid, _ in rounds), unknown, ID_MAX, *out_of_range]:
        resp = operation.Case(path_parameters={"round_id": rid}).call_and_validate(timeout=30)
        assert resp.status_code == (200 if rid in published else 404), rid
