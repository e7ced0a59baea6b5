"""Settings for grantpanel, read from the environment.

``DATABASE_URL``  SQLAlchemy URL; default is a SQLite file under ``instance/``.
``SECRET_KEY``    Signing key for sessions and CSRF tokens. In development one is
                  generated once into ``instance/secret_key``; with
                  ``GRANTPANEL_ENV=production`` the app refuses to start without it.
``GRANTPANEL_ENV`` ``development`` (default) or ``production``.
``ORGANISATION_NAME`` The organisation's name, shown in the header and records.
``RATELIMIT_STORAGE_URI`` Flask-Limiter storage (default ``memory://``).
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


class Config:
    """Settings built from the environment at the moment the app is created."""

    def __init__(self) -> None:
        env = os.environ.get("GRANTPANEL_ENV", "development").strip().lower()
        self.ENV_NAME = env
        production = env == "production"
        self.SECRET_KEY = _secret_key(production)
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "Community Fund")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = production
        self.REMEMBER_COOKIE_SECURE = production
        # CSV imports are small; refuse anything larger than 5 MB before reading it.
        self.MAX_CONTENT_LENGTH = 5 * 1024 * 1024
        self.WTF_CSRF_TIME_LIMIT = None  # a slow reader must not lose a long score sheet
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute")
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
