"""Role guards: each blueprint calls one of these from ``before_request``, once."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response


def require_role(role: str) -> Response | None:
    """Let a signed-in user with ``role`` through; send others to sign in, or refuse (403)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if current_user.role != role:
        abort(403)
    return None
