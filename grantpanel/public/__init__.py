"""The public blueprint: published rounds and outcomes, open to everyone."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from grantpanel.public import feedback, routes  # noqa: E402,F401
