from flask import render_template

from grantpanel.public import bp


@bp.route("/")
def index() -> str:
    return render_template("public/index.html")
