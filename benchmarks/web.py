"""Web load: 50 signed-in panel members opening and saving score sheets at once, against
gunicorn and PostgreSQL on this machine, with a sign-in page and a static file as baselines.

Run with ``make bench`` (as its "web" section) or alone: ``python -m benchmarks.web``
(``--quick`` for a short smoke run, ``--seconds N`` to change the score sheet scenario's
length).  What happens, in order:

1. A scratch PostgreSQL database ``gp_bench_web_<random>`` is created on
   ``postgresql://postgres@127.0.0.1:5432`` (``BENCH_POSTGRES_URL`` to change it).  If
   PostgreSQL cannot be reached the section is skipped with a message, never failed.
2. Its tables are created from the models (``db.create_all()``, so the schema is the code's),
   and one round is seeded through the services: a 4-criterion rubric, 20 applications, 50
   panel members with a real (full-cost) password hash who have all checked their conflicts,
   and scoring open.
3. gunicorn (``gunicorn.conf.py``, its redacting access log written to a scratch file) serves
   ``grantpanel:create_app()`` on 127.0.0.1 and a free port, with ``2 * cores + 1`` sync
   workers.  Only this machine's loopback address is ever sent a request.
4. Every client signs in through the real sign-in form first, outside the timed part.  Then,
   each scenario with the same concurrency (50 threads, one ``requests`` session each),
   bounded both in time and in number of requests:

   * ``static file GET``: ``/static/app.css`` (the cheapest answer Flask gives);
   * ``sign-in page GET``: a rendered page with a form and a CSRF token, no database work
     beyond the session;
   * ``score sheet``: each member walks their 20 applications in turn: opens the score sheet
     page (``score sheet open (GET)``), then saves it with the page's CSRF token
     (``score sheet save (POST)``), alternately as a draft and as a submit.  A save counts as
     an error unless it redirects (302/303), as a stored save does.

   The table reports requests, req/s (requests divided by the scenario's wall time), latency
   percentiles p50/p95/p99 in ms (linear interpolation) and errors: answers outside 2xx/3xx
   (or, for saves, anything but a redirect) and exceptions (timeouts, refused connections).
5. gunicorn is stopped and the database dropped, also when something fails.

The load generator runs on the same machine as gunicorn and PostgreSQL, so the numbers are a
floor for a real server: on a 2-core machine the 50 client threads take a share of the CPU.

Results: a table on stdout and ``benchmarks/results/web-latest.json`` (``web-quick.json``
with ``--quick``), with the machine's cores and CPU model.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
HOST = "127.0.0.1"
MEMBERS = 50
APPLICATIONS = 20
CRITERIA = 4
PASSWORD = "bench-panel-password-2026"
STATIC_PATH = "/static/app.css"
REQUEST_TIMEOUT_S = 60.0


class Skip(Exception):
    """The section cannot run here (no PostgreSQL, no gunicorn); the message says why."""


@dataclass
class Scenario:
    name: str
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class Sample:
    """What one timed request gave: which scenario row, how long, and any error."""

    row: str
    seconds: float
    error: str | None = None


# --- machine, database, server --------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu": cpu,
        "cores": os.cpu_count(),
    }


def _admin_connection() -> Any:
    import psycopg

    try:
        return psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise Skip(f"PostgreSQL is not reachable at {POSTGRES_URL} ({first})") from None


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """Create ``gp_bench_web_<random>`` and yield its URL; drop it afterwards, always."""
    name = f"gp_bench_web_{secrets.token_hex(4)}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL}/{name}"
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def server_environment(database_url: str) -> dict[str, str]:
    """The settings gunicorn's app (and the seeding app) read from the environment."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "GRANTPANEL_ENV": "development",  # plain HTTP on loopback: cookies must not be Secure
        # 50 members sign in from one address before the timed part: do not throttle that.
        "SIGN_IN_RATE_LIMIT": "100000 per minute",
        "SIGN_IN_ACCOUNT_RATE_LIMIT": "100000 per minute",
    }


def seed(env: dict[str, str]) -> dict[str, Any]:
    """Create the tables and one round open for scoring; return what the clients need."""
    from config import Config
    from grantpanel import create_app
    from grantpanel.extensions import db
    from grantpanel.models import Application, Criterion, Membership, Round
    from grantpanel.services import accounts, conflicts
    from grantpanel.services.rounds import apply_transition

    with _environment(env):
        app = create_app(Config())
    with app.app_context():
        db.create_all()
        staff = accounts.create_user(email="staff@bench.example", name="Bench Staff",
                                     role="staff")
        rnd = Round(name="Bench Fund", purpose="Grants for the web load benchmark.",
                    budget=5_000_000, currency="GBP", involvement="co-production",
                    aggregation="mean", quorum=3, fit_rule="skip",
                    tie_break=["smaller_amount"], state="draft")
        db.session.add(rnd)
        for pos in range(1, CRITERIA + 1):
            rnd.criteria.append(Criterion(
                position=pos, key=f"c{pos}", name=f"Criterion {pos}",
                guidance="How well does the application show this?", weight=pos,
                scale_min=1, scale_max=5,
                descriptors=[f"{p}: level {p} of this criterion" for p in range(1, 6)]))
        for i in range(1, APPLICATIONS + 1):
            rnd.applications.append(Application(
                reference=f"A-{i:03d}", applicant_name=f"Group {i}",
                contact_email=f"group{i}@bench.example", title=f"Project {i}",
                summary="A community project.", answers="What we will do and for whom.",
                amount=100_000 + 1_000 * i, eligible=True, eligibility_reason="Meets the rules."))
        emails = [f"member{n:02d}@bench.example" for n in range(1, MEMBERS + 1)]
        # One full-cost hash for every member (seeding 50 Argon2 hashes would take longer
        # than the load test); each sign-in still verifies it at full cost, on the server.
        shared_hash = accounts.hash_password(PASSWORD)
        for n, email in enumerate(emails, start=1):
            user = accounts.create_user(email=email, name=f"Member {n}", role="panel")
            user.password_hash = shared_hash
            rnd.memberships.append(Membership(user_id=user.id, number=n, hours=0))
        db.session.flush()
        apply_transition(rnd, "open", staff)
        for m in rnd.memberships:
            conflicts.mark_conflicts_checked(m)
        db.session.commit()
        info = {
            "round_id": rnd.id,
            "applications": [a.id for a in rnd.applications],
            "emails": emails,
        }
        db.session.remove()
        db.engine.dispose()
    return info


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def worker_count() -> int:
    return 2 * (os.cpu_count() or 2) + 1


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int, logdir: Path) -> Iterator[str]:
    """Serve the app with gunicorn on loopback; yield its base URL; stop it afterwards."""
    exe = Path(sys.executable).parent / "gunicorn"
    if not exe.exists():
        found = shutil.which("gunicorn")
        if found is None:
            raise Skip("gunicorn is not installed (it is a dependency: pip install -e .)")
        exe = Path(found)
    port = free_port()
    url = f"http://{HOST}:{port}"
    log = (logdir / "gunicorn.log").open("w", encoding="utf-8")
    cmd = [str(exe), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"{HOST}:{port}",
           "--workers", str(workers), "--access-logfile", str(logdir / "access.log"),
           "--error-logfile", "-", "--timeout", "120", "grantpanel:create_app()"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(proc, url, logdir / "gunicorn.log")
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _wait_until_serving(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"gunicorn stopped while starting:\n{tail}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + STATIC_PATH, timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


# --- clients ----------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_CRITERION = re.compile(r'name="(criterion_\d+)"')


def csrf_token(html: str) -> str:
    m = _CSRF.search(html)
    if m is None:
        raise RuntimeError("no CSRF token on the page")
    return m.group(1) or m.group(2)


def sign_in(url: str, email: str) -> requests.Session:
    """A session signed in through the real sign-in form."""
    s = requests.Session()
    page = s.get(f"{url}/sign-in", timeout=REQUEST_TIMEOUT_S)
    resp = s.post(f"{url}/sign-in", timeout=REQUEST_TIMEOUT_S, allow_redirects=False,
                  data={"csrf_token": csrf_token(page.text), "email": email,
                        "password": PASSWORD})
    if resp.status_code not in (302, 303):
        raise RuntimeError(f"sign-in as {email} failed with status {resp.status_code}")
    return s


def _timed(samples: list[Sample], row: str, ok: Callable[[requests.Response], bool],
           call: Callable[..., requests.Response], *args: Any,
           **kwargs: Any) -> requests.Response | None:
    """``call(*args, **kwargs)``, timed; its sample is an error unless ``ok(response)``."""
    start = time.perf_counter()
    try:
        resp = call(*args, timeout=REQUEST_TIMEOUT_S, **kwargs)
    except requests.RequestException as e:
        samples.append(Sample(row, time.perf_counter() - start, type(e).__name__))
        return None
    elapsed = time.perf_counter() - start
    samples.append(Sample(row, elapsed, None if ok(resp) else f"HTTP {resp.status_code}"))
    return resp


def _success(resp: requests.Response) -> bool:
    return 200 <= resp.status_code < 400


def _page(resp: requests.Response) -> bool:
    return resp.status_code == 200


def _redirected(resp: requests.Response) -> bool:
    return resp.status_code in (302, 303)


class Budget:
    """Stops every client at a deadline or after a number of requests, whichever is first."""

    def __init__(self, seconds: float, max_requests: int) -> None:
        self.seconds = seconds
        self.max_requests = max_requests
        self._taken = 0
        self._lock = threading.Lock()
        self.deadline = float("inf")

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def take(self, n: int = 1) -> bool:
        if time.monotonic() >= self.deadline:
            return False
        with self._lock:
            if self._taken + n > self.max_requests:
                return False
            self._taken += n
            return True


def run_clients(clients: list[Callable[[Budget, list[Sample]], None]],
                budget: Budget) -> tuple[list[Sample], float]:
    """Run one thread per client from a common start; return samples and wall time."""
    samples: list[list[Sample]] = [[] for _ in clients]
    barrier = threading.Barrier(len(clients) + 1)
    failures: list[BaseException] = []

    def body(i: int) -> None:
        barrier.wait()
        try:
            clients[i](budget, samples[i])
        except BaseException as e:  # reported after the run; other clients go on
            failures.append(e)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    budget.start()
    start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join(timeout=budget.seconds + 2 * REQUEST_TIMEOUT_S + 30)
    wall = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} client threads failed; first: {failures[0]!r}")
    return [s for per in samples for s in per], wall


def get_loop(url: str, path: str, row: str) -> Callable[[Budget, list[Sample]], None]:
    def client(budget: Budget, samples: list[Sample]) -> None:
        with requests.Session() as s:
            while budget.take():
                _timed(samples, row, _success, s.get, url + path)

    return client


OPEN_ROW = "score sheet open (GET)"
SAVE_ROW = "score sheet save (POST)"


def scoring_loop(url: str, session: requests.Session, round_id: int, applications: list[int],
                 offset: int) -> Callable[[Budget, list[Sample]], None]:
    """A member walks their applications from ``offset``: open the sheet, save it; saves
    alternate between a draft and a submit."""

    def client(budget: Budget, samples: list[Sample]) -> None:
        k = 0
        while budget.take(2):
            app_id = applications[(offset + k // 2) % len(applications)]
            page_url = f"{url}/panel/rounds/{round_id}/applications/{app_id}"
            page = _timed(samples, OPEN_ROW, _page, session.get, page_url)
            if page is None or page.status_code != 200:
                k += 2
                continue
            fields = sorted(set(_CRITERION.findall(page.text)))
            data = {name: str(1 + (k + i) % 5) for i, name in enumerate(fields)}
            data["csrf_token"] = csrf_token(page.text)
            data["panel_note"] = f"Seen on pass {k // 2}."
            data["feedback"] = ""
            if k % 4 == 0:
                data["save_draft"] = "Save as draft"
            else:
                data["submit_scores"] = "Submit my scores"
            _timed(samples, SAVE_ROW, _redirected, session.post, page_url, data=data,
                   allow_redirects=False)
            k += 2

    return client


# --- measuring --------------------------------------------------------------------------------


def summarise(name: str, samples: list[Sample], wall: float) -> Scenario:
    row = Scenario(name=name, requests=len(samples), seconds=round(wall, 3))
    if not samples:
        return row
    ms = np.array([s.seconds * 1000 for s in samples])
    row.rps = round(len(samples) / wall, 1)
    row.p50_ms, row.p95_ms, row.p99_ms = (round(float(x), 1)
                                          for x in np.percentile(ms, [50, 95, 99]))
    for s in samples:
        if s.error is not None:
            row.errors += 1
            row.error_kinds[s.error] = row.error_kinds.get(s.error, 0) + 1
    return row


def measure(url: str, info: dict[str, Any], seconds: float, baseline_seconds: float,
            max_requests: int, workers: int, log: Callable[[str], None]) -> list[Scenario]:
    rows: list[Scenario] = []
    for name, path in (("static file GET", STATIC_PATH), ("sign-in page GET", "/sign-in")):
        log(f"  {name}: {MEMBERS} clients, {baseline_seconds:g} s ...")
        samples, wall = run_clients([get_loop(url, path, name) for _ in range(MEMBERS)],
                                    Budget(baseline_seconds, max_requests))
        rows.append(summarise(name, samples, wall))

    log(f"  signing in {MEMBERS} panel members (not timed) ...")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        sessions = list(pool.map(lambda email: sign_in(url, email), info["emails"]))
    log(f"  signed in in {time.perf_counter() - started:.1f} s")
    log(f"  score sheets: {MEMBERS} members, {seconds:g} s ...")
    clients = [scoring_loop(url, s, info["round_id"], info["applications"], offset=i)
               for i, s in enumerate(sessions)]
    samples, wall = run_clients(clients, Budget(seconds, max_requests))
    for s in sessions:
        s.close()
    rows.append(summarise("score sheet open + save", samples, wall))
    for row_name in (OPEN_ROW, SAVE_ROW):
        rows.append(summarise(row_name, [s for s in samples if s.row == row_name], wall))
    return rows


def table(rows: list[Scenario]) -> str:
    head = ["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"]

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    body = [[r.name, str(r.requests), fmt(r.rps), fmt(r.p50_ms), fmt(r.p95_ms), fmt(r.p99_ms),
             str(r.errors) + (f" ({', '.join(f'{k}: {v}' for k, v in r.error_kinds.items())})"
                              if r.error_kinds else "")]
            for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(lines)


def run(*, quick: bool = False, seconds: float | None = None,
        log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the whole section; return the report (``skipped`` set when it could not run)."""
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    sheet_s = seconds if seconds is not None else (5.0 if quick else 25.0)
    base_s = 3.0 if quick else 10.0
    max_requests = 2_000 if quick else 50_000
    workers = worker_count()
    report: dict[str, Any] = {
        "machine": machine(),
        # Other work on the machine skews every number: the 1-minute load average says how much.
        "load_average_before": _load_average(),
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": quick,
        "setup": {
            "server": f"gunicorn, {workers} sync workers (2 x cores + 1), gunicorn.conf.py",
            "database": "PostgreSQL (scratch database, dropped afterwards)",
            "clients": f"{MEMBERS} threads on this machine, one requests.Session each",
            "round": f"{APPLICATIONS} applications, {CRITERIA} criteria, {MEMBERS} members",
            "score_sheet_seconds": sheet_s,
            "baseline_seconds": base_s,
            "max_requests_per_scenario": max_requests,
        },
        "scenarios": [],
        "skipped": None,
    }
    try:
        with scratch_database() as database_url, \
                tempfile.TemporaryDirectory(prefix="gp-bench-web-") as tmp:
            env = server_environment(database_url)
            say(f"web: seeding {database_url.rsplit('/', 1)[1]} ...")
            started = time.perf_counter()
            info = seed(env)
            say(f"web: seeded in {time.perf_counter() - started:.1f} s; "
                f"starting gunicorn with {workers} workers ...")
            with gunicorn(env, workers, Path(tmp)) as url:
                rows = measure(url, info, sheet_s, base_s, max_requests, workers, say)
            report["scenarios"] = [asdict(r) for r in rows]
    except Skip as e:
        report["skipped"] = str(e)
    report["load_average_after"] = _load_average()
    return report


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def write(report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("web-quick.json" if report["quick"] else "web-latest.json")
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path


def section(quick: bool = False, seconds: float | None = None) -> int:
    """Run, print the table, write the JSON; 0 unless a request failed."""
    report = run(quick=quick, seconds=seconds)
    info = report["machine"]
    print("\nWeb load (gunicorn + PostgreSQL, 50 concurrent signed-in panel members)")
    if report["skipped"]:
        print(f"web section skipped: {report['skipped']}")
        return 0
    rows = [Scenario(**{k: v for k, v in r.items()}) for r in report["scenarios"]]
    print(table(rows))
    print(f"\n{report['setup']['server']}; {info['cpu']} ({info['cores']} cores), "
          f"{info['platform']}, Python {info['python']}; clients on the same machine; "
          f"load average {report['load_average_before']} before, "
          f"{report['load_average_after']} after")
    path = write(report)
    print(f"written to {path.relative_to(ROOT)}")
    return 0 if all(r.errors == 0 for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    seconds = None
    if "--seconds" in args:
        seconds = float(args[args.index("--seconds") + 1])
    return section(quick="--quick" in args, seconds=seconds)


if __name__ == "__main__":
    raise SystemExit(main())
