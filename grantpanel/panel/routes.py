from flask import render_template

from grantpanel.panel import bp


@bp.route("/")
def home() -> str:
    return render_template("panel/home.html")
