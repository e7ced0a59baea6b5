"""The meeting blueprint: the facilitator's view of the applications flagged for discussion.

One guard, here, for every route: signed-in staff, or a signed-in panel member with a place on
the round named in the URL. Anyone signed out is sent to sign in; everyone else gets 403 (a
member of another round learns nothing, not even whether the round exists).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

bp = Blueprint("meeting", __name__)


@bp.before_request
def _guard() -> Response | None:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if current_user.is_staff:
        return None
    if not current_user.is_panel:
        abort(403)
    from grantpanel.extensions import db
    from grantpanel.models import Round
    from grantpanel.services import meeting

    round_id = (request.view_args or {}).get("round_id")
    rnd = db.session.get(Round, round_id) if isinstance(round_id, int) else None
    if rnd is None or not meeting.may_view(current_user, rnd):
        abort(403)
    return None


from grantpanel.meeting import routes  # noqa: E402,F401
