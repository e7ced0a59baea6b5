"""The staff blueprint. Every route requires a signed-in staff user (one guard, here)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from grantpanel.guards import require_role

bp = Blueprint("staff", __name__)


@bp.before_request
def _guard() -> Response | None:
    return require_role("staff")


from grantpanel.staff import assignment, count_pages, exports, messages, routes  # noqa: E402,F401
