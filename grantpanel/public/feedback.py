"""The applicant's private feedback page (by secret link) and the concerns page.

``/feedback/<token>``: no sign-in; the link is the key. Unknown, replaced and unreleased
links are all the same "not found" page, and failed tries are rate-limited per address like
sign-in. The page is never indexed, never sends a Referer naming the token, and the token is
kept out of logs (``grantpanel/security.py``).
"""

from __future__ import annotations

from flask import current_app, make_response, render_template
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from grantpanel.extensions import limiter
from grantpanel.public import bp
from grantpanel.services import feedback as fb
from grantpanel.services.content import localised


def _address_limit() -> str:
    return str(current_app.config.get("SIGN_IN_RATE_LIMIT", "10 per minute"))


def _failed(response: Response) -> bool:
    """Only links that did not open count towards the limit."""
    return response.status_code != 200


def _private(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/feedback/<token>")
@limiter.limit(_address_limit, deduct_when=_failed)
def applicant_feedback(token: str) -> ResponseReturnValue:
    application = fb.application_for_token(token)
    view = fb.applicant_view(application) if application is not None else None
    if application is None or view is None:
        page = render_template("public/feedback_not_found.html")
        return _private(make_response(page, 404))
    rnd = application.round
    page = render_template(
        "public/feedback.html",
        rnd=rnd,
        v=view,
        quotes=fb.quotes_for(application),
        question_route=localised(rnd, "question_route") if rnd.question_route else None,
        concerns_contact=current_app.config.get("CONCERNS_CONTACT"),
    )
    return _private(make_response(page))


@bp.route("/concerns")
def concerns() -> ResponseReturnValue:
    return render_template("public/concerns.html",
                           concerns_contact=current_app.config.get("CONCERNS_CONTACT"))
