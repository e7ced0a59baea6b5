"""grantpanel: a participatory grant-making decision engine (Flask application).

``create_app()`` is a table of contents: configuration, extensions, blueprints, error
handlers, security headers and CLI commands. Tests call the same factory with a test config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = PROJECT_ROOT / "templates"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(config: Any | None = None) -> Flask:
    """Build the app. With no argument the settings come from the environment."""
    app = Flask(
        __name__,
        template_folder=str(TEMPLATE_DIR),
        static_folder="static",
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(config if config is not None else Config())
    register_extensions(app)
    register_delivery(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from grantpanel import (
        i18n,
        models,  # noqa: F401  (tables must be known to Flask-Migrate)
    )
    from grantpanel.extensions import csrf, db, limiter, login_manager, migrate
    from grantpanel.services.accounts import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    login_manager.login_view = "auth.sign_in"
    # Flask-Login flashes this after translating it with localize_callback (a lazy string
    # cannot go into the session cookie).
    login_manager.login_message = i18n.N_("Sign in to see that page.")
    login_manager.localize_callback = i18n._
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def register_delivery(app: Flask) -> None:
    """Compression where it is safe, and versioned static files cached for a year."""
    from grantpanel import delivery

    delivery.init_app(app)


def register_url_converters(app: Flask) -> None:
    """Before any route: ``<int:...>`` ids out of the database's range are a 404."""
    from grantpanel.converters import IdConverter

    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    from grantpanel.api import bp as api_bp
    from grantpanel.auth import bp as auth_bp
    from grantpanel.meeting import bp as meeting_bp
    from grantpanel.panel import bp as panel_bp
    from grantpanel.public import bp as public_bp
    from grantpanel.staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(panel_bp, url_prefix="/panel")
    app.register_blueprint(meeting_bp, url_prefix="/meeting")
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def register_errorhandlers(app: Flask) -> None:
    from grantpanel.errors import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from grantpanel.security import add_security_headers, redact_logs, trust_proxies

    app.after_request(add_security_headers)
    trust_proxies(app)  # TRUSTED_PROXY_COUNT: real client addresses behind a reverse proxy
    redact_logs(app)  # no invitation token in any log


def register_template_helpers(app: Flask) -> None:
    from grantpanel import charts
    from grantpanel.presenters import register
    from grantpanel.services import content, meeting

    register(app)
    charts.register(app)  # SVG charts on staff, public and meeting pages alike
    content.register(app)  # localised(obj, field): Welsh content where staff gave it
    app.add_template_global(meeting.declared, "has_meeting_view")  # the staff round menu


def register_commands(app: Flask) -> None:
    from grantpanel.cli import register

    register(app)
