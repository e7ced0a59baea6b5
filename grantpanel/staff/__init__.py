"""The staff blueprint. Every route requires a signed-in staff user (one guard, here)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from grantpanel.guards import require_role

bp = Blueprint("staff", __name__)


@bp.before_request
def _guard() -> Response | None:
    return require_role("staff")


from grantpanel.staff import assignment, count_pages, exports, messages, routes  # noqa: E402,F401,I001
from grantpanel.staff import applications_list  # noqa: E402,F401
from grantpanel.staff import care  # noqa: E402,F401
from grantpanel.staff import feedback  # noqa: E402,F401
from grantpanel.staff import impact  # noqa: E402,F401
from grantpanel.staff import pay  # noqa: E402,F401
