from flask import jsonify
from werkzeug.wrappers import Response

from grantpanel.api import bp


@bp.route("/openapi.json")
def openapi() -> Response:
    return jsonify({"openapi": "3.1.0"})
