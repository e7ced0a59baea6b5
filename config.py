"""Settings for grantpanel, read from the environment.

``DATABASE_URL``  SQLAlchemy URL; default is a SQLite file under ``instance/``.
``SECRET_KEY``    Signing key for sessions and CSRF tokens. In development one is
                  generated once into ``instance/secret_key``; with
                  ``GRANTPANEL_ENV=production`` the app refuses to start without it.
``GRANTPANEL_ENV`` ``development`` (default) or ``production``.
``ORGANISATION_NAME`` The organisation's name, shown in the header and records.
``CONCERNS_CONTACT`` Where to raise a concern or complaint: an email address or a web address
                  (shown on /concerns, applicants' feedback pages and the panel's home page).
``MAX_UPLOAD_MB``   Largest upload (a CSV import) accepted, in MB (default 16).
``IMPORT_MAX_ROWS`` Most applications in one CSV import through the web (default 20000);
                  larger files are split, or imported with ``grantpanel import-applications``.
``RATELIMIT_STORAGE_URI`` Flask-Limiter storage (default ``memory://``, one count per
                  process). With several gunicorn workers use a shared Redis store:
                  ``redis://127.0.0.1:6379/0`` (install the ``redis`` extra).
``JOBS_REDIS_URL``  Redis for background jobs (``redis://host:6379/1``): running the count and
                  publishing go to ``grantpanel worker`` processes. Unset (the default), they
                  run in the request, which suits the embedded SQLite and small rounds.
``SIGN_IN_RATE_LIMIT`` Failed sign-ins allowed per client address (default ``10 per minute``).
``SIGN_IN_ACCOUNT_RATE_LIMIT`` Failed sign-ins allowed per account, whatever the address
                  (default ``10 per minute;30 per hour``).
``TRUSTED_PROXY_COUNT`` How many reverse proxies in front of the app set ``X-Forwarded-For``
                  / ``-Proto`` / ``-Host`` (default 0: those headers are ignored).
``SESSION_IDLE_MINUTES`` Sign a browser out after this long with no request (default 60).
``SESSION_MAX_HOURS`` Sign a browser out this long after signing in, whatever (default 12).
``HSTS`` ``on`` or ``off``: send Strict-Transport-Security (default: on in production).
``RETENTION_DAYS`` Days after a round is published before ``grantpanel retention`` erases
                  its panel members' and applicants' personal data (default 365; 0 = keep).
``PAGE_CACHE_SIZE`` Published outcome pages each worker keeps rendered (default 32; 0 = off).
``GRANT_ID_PREFIX`` Your 360Giving identifier prefix, like ``360G-communityfund`` (360Giving
                  gives one to each publisher). Starts every grant identifier in the 360Giving
                  export. Default ``360G-example``: set it before publishing that data.
``FUNDING_ORG_ID``  Your organisation identifier for 360Giving, like ``GB-CHC-1234567``
                  (default: ``GRANT_ID_PREFIX``, the form 360Giving allows without one).
``FUNDING_ORG_NAME`` Your name in the 360Giving export (default: ``ORGANISATION_NAME``).
``MAIL_SERVER``   SMTP host for emails (invitations, reminders, notices). Unset: email is off,
                  and staff pass links on by hand or print letters.
``MAIL_PORT``     SMTP port (default 587 with ``MAIL_USE_TLS``, 465 with ``MAIL_USE_SSL``, else 25).
``MAIL_USE_TLS``  ``on``/``off``: STARTTLS after connecting (default on unless ``MAIL_USE_SSL``).
``MAIL_USE_SSL``  ``on``/``off``: connect over TLS from the start (default off).
``MAIL_USERNAME``, ``MAIL_PASSWORD`` SMTP sign-in, if the server needs one.
``MAIL_DEFAULT_SENDER`` The From address, like ``Community Fund <grants@example.org>``
                  (required when ``MAIL_SERVER`` is set).
``REMINDER_DAYS`` ``grantpanel send-reminders`` reminds members this many days before a
                  round's closing date, and on every day until it (default 7).
``SITE_URL``      The app's public address, like ``https://grants.example.org``: links in
                  emails sent by a command (reminders) start with it. Web pages use their own.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("GRANTPANEL_INSTANCE", PROJECT_ROOT / "instance"))


class ConfigError(RuntimeError):
    """Raised when the environment does not give what the app needs to start safely."""


def normalise_database_url(url: str) -> str:
    """Return ``url`` with the driver spelled for SQLAlchemy and psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'grantpanel.sqlite3'}"
    return normalise_database_url(url)


def _secret_key(production: bool) -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if production:
        raise ConfigError(
            "SECRET_KEY is not set. In production grantpanel will not start without it: "
            "set SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`)."
        )
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def _retention_days() -> int:
    raw = os.environ.get("RETENTION_DAYS", "").strip() or "365"
    if not raw.isdigit():
        raise ConfigError(
            f"RETENTION_DAYS is '{raw}', which is not a whole number of days. Set it to a "
            "number like 365, or to 0 to keep personal data until it is erased by hand."
        )
    return int(raw)


def _whole_number(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < minimum:
        raise ConfigError(
            f"{name} is '{raw}', which is not a whole number of at least {minimum}. "
            f"Set it to a number like {default}."
        )
    return int(raw)


def _switch(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
        raise ConfigError(f"{name} is '{raw}'. Set it to on or off.")
    return raw in ("on", "1", "true", "yes")


def _mail_settings(target: object) -> None:
    """MAIL_* settings (see the module docstring); email is off when MAIL_SERVER is unset."""
    server = os.environ.get("MAIL_SERVER", "").strip() or None
    use_ssl = _switch("MAIL_USE_SSL", False)
    use_tls = _switch("MAIL_USE_TLS", not use_ssl)
    if use_ssl and use_tls:
        raise ConfigError(
            "MAIL_USE_SSL and MAIL_USE_TLS are both on. Use one: MAIL_USE_SSL=on for a server "
            "that talks TLS from the start (port 465), or MAIL_USE_TLS=on for STARTTLS (587)."
        )
    sender = os.environ.get("MAIL_DEFAULT_SENDER", "").strip() or None
    if server and not sender:
        raise ConfigError(
            "MAIL_SERVER is set but MAIL_DEFAULT_SENDER is not. Set it to the address emails "
            "come from, like 'Community Fund <grants@example.org>'."
        )
    default_port = 465 if use_ssl else 587 if use_tls else 25
    values = {
        "MAIL_SERVER": server,
        "MAIL_PORT": _whole_number("MAIL_PORT", default_port, minimum=1),
        "MAIL_USE_TLS": use_tls,
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", "").strip() or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": sender,
        "REMINDER_DAYS": _whole_number("REMINDER_DAYS", 7),
        "SITE_URL": os.environ.get("SITE_URL", "").strip().rstrip("/") or None,
    }
    for name, value in values.items():
        setattr(target, name, value)


DEFAULT_GRANT_ID_PREFIX = "360G-example"
_GRANT_ID_PREFIX = re.compile(r"360G-[A-Za-z0-9][A-Za-z0-9._-]*")


def _giving_settings(target: Any, organisation: str) -> None:
    """GRANT_ID_PREFIX, FUNDING_ORG_ID and FUNDING_ORG_NAME: the 360Giving export's identity."""
    prefix = os.environ.get("GRANT_ID_PREFIX", "").strip() or DEFAULT_GRANT_ID_PREFIX
    if not _GRANT_ID_PREFIX.fullmatch(prefix):
        raise ConfigError(
            f"GRANT_ID_PREFIX is '{prefix}'. A 360Giving prefix starts with '360G-' followed by "
            "letters, digits, hyphens, dots or underscores, like 360G-communityfund "
            "(360Giving gives you yours)."
        )
    target.GRANT_ID_PREFIX = prefix
    target.GRANT_ID_PREFIX_IS_DEFAULT = prefix == DEFAULT_GRANT_ID_PREFIX
    target.FUNDING_ORG_ID = os.environ.get("FUNDING_ORG_ID", "").strip() or prefix
    target.FUNDING_ORG_NAME = os.environ.get("FUNDING_ORG_NAME", "").strip() or organisation


class Config:
    """Settings built from the environment at the moment the app is created."""

    def __init__(self) -> None:
        env = os.environ.get("GRANTPANEL_ENV", "development").strip().lower()
        self.ENV_NAME = env
        production = env == "production"
        self.SECRET_KEY = _secret_key(production)
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        # hide_parameters: a database error never writes SQL parameter values (emails,
        # access needs, notes) into an exception message or the log.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
        self.ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "Community Fund")
        self.CONCERNS_CONTACT = os.environ.get("CONCERNS_CONTACT", "").strip() or None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = production
        if production:  # "__Host-": only ever sent over HTTPS, to this host, for every path
            self.SESSION_COOKIE_NAME = "__Host-session"
        self.REMEMBER_COOKIE_SECURE = production
        # Uploads (CSV imports) larger than this are refused before they are read; the error
        # page names the limit. 16 MB holds a 10,000-application file with long answers.
        self.MAX_UPLOAD_MB = _whole_number("MAX_UPLOAD_MB", 16, minimum=1)
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_MB * 1024 * 1024
        # The most applications one import through the web may hold (so it finishes well
        # inside a web worker's timeout); `grantpanel import-applications` has no limit.
        self.IMPORT_MAX_ROWS = _whole_number("IMPORT_MAX_ROWS", 20_000, minimum=1)
        # Published outcome pages kept rendered per worker (grantpanel/services/page_cache.py).
        self.PAGE_CACHE_SIZE = _whole_number("PAGE_CACHE_SIZE", 32, minimum=0)
        _giving_settings(self, self.ORGANISATION_NAME)  # the 360Giving export (services/exports.py)
        self.WTF_CSRF_TIME_LIMIT = None  # a slow reader must not lose a long score sheet
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        # Background jobs (services/jobs.py): unset, long steps run in the request.
        self.JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL", "").strip() or None
        # Names this app's counts in a Redis shared with other apps (or test runs).
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "grantpanel")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute")
        self.SIGN_IN_ACCOUNT_RATE_LIMIT = os.environ.get(
            "SIGN_IN_ACCOUNT_RATE_LIMIT", "10 per minute;30 per hour"
        )
        self.TRUSTED_PROXY_COUNT = _whole_number("TRUSTED_PROXY_COUNT", 0)
        self.SESSION_IDLE_MINUTES = _whole_number("SESSION_IDLE_MINUTES", 60, minimum=1)
        self.SESSION_MAX_HOURS = _whole_number("SESSION_MAX_HOURS", 12, minimum=1)
        self.HSTS_ENABLED = _switch("HSTS", production)
        self.RETENTION_DAYS = _retention_days()
        _mail_settings(self)  # MAIL_*, REMINDER_DAYS, SITE_URL (services/mail.py)
        self.TESTING = False
        self.PASSWORD_HASH_FAST = False
        self.PREFERRED_URL_SCHEME = "https" if production else "http"


class TestingConfig(Config):
    """Settings for the test suite: same code path, throwaway database."""

    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str | None = None) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"
        if database_url is not None:
            self.SQLALCHEMY_DATABASE_URI = database_url
        self.PASSWORD_HASH_FAST = True  # argon2 with low cost, so the suite stays quick
        self.MAIL_SERVER = None  # never email real people from a test run
