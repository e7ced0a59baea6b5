"""Sign in (password or invitation link) and sign out. Open to everyone."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from grantpanel.auth import routes  # noqa: E402,F401
