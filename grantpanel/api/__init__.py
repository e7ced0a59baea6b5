"""The JSON API (v1): published rounds and their records, open to everyone, read-only."""

from flask import Blueprint

from grantpanel.extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # read-only GET endpoints; nothing here changes state

from grantpanel.api import routes  # noqa: E402,F401
