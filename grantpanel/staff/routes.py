from flask import render_template

from grantpanel.staff import bp


@bp.route("/")
def dashboard() -> str:
    return render_template("staff/dashboard.html")
