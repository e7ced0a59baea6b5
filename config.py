"""Settings for grantpanel, read from the environment.

``DATABASE_URL``  SQLAlchemy URL; default is a SQLite file under ``instance/``.
``SECRET_KEY``    Signing key for sessions and CSRF tokens. In development one is
                  generated once into ``instance/secret_key``; with
                  ``GRANTPANEL_ENV=production`` the app refuses to start without it.
``GRANTPANEL_ENV`` ``development`` (default) or ``production``.
``ORGANISATION_NAME`` The organisation's name, shown in the header and records.
``MAX_UPLOAD_MB``   Largest upload (a CSV import) accepted, in MB (default 16).
``IMPORT_MAX_ROWS`` Most applications in one CSV import through the web (default 20000);
                  larger files are split, or imported with ``grantpanel import-applications``.
``RATELIMIT_STORAGE_URI`` Flask-Limiter storage (default ``memory://``, one count per
                  process). With several gunicorn workers use a shared Redis store:
                  ``redis://127.0.0.1:6379/0`` (install the ``redis`` extra).
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
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

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
        self.WTF_CSRF_TIME_LIMIT = None  # a slow reader must not lose a long score sheet
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
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
