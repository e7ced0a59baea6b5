"""The panel blueprint. Every route requires a signed-in panel user (one guard, here)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from grantpanel.guards import require_role

bp = Blueprint("panel", __name__)


@bp.before_request
def _guard() -> Response | None:
    return require_role("panel")


from grantpanel.panel import (  # noqa: E402
    care,  # noqa: E402,F401
    impact,  # noqa: E402,F401
    pay,  # noqa: E402,F401
    routes,  # noqa: E402,F401
)
