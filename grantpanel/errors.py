"""Error pages in plain English; the 500 handler rolls the transaction back."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from grantpanel.extensions import db
from grantpanel.i18n import _, _l

# Titles and texts are lazy (``_l``): they become the page's language when an error page is
# shown. The 413 text has one placeholder, ``%(max_upload_mb)s``.
MESSAGES = {
    400: (_l("Something was wrong with that request"), _l("Go back and try again.")),
    403: (
        _l("You cannot see this page"),
        _l("Your account does not have access to this page."),
    ),
    404: (
        _l("Page not found"),
        _l("Check the web address, or go back to the page you came from."),
    ),
    405: (_l("That action is not allowed here"), _l("Go back and use the buttons on the page.")),
    413: (
        _l("That was too large to send"),
        _l(
            "A file must be smaller than %(max_upload_mb)s MB, and typed text must fit the "
            "limit shown under each box. Go back: for a file, split it into smaller parts and "
            "upload each one, or ask whoever looks after grantpanel to import it with the "
            "command 'grantpanel import-applications'; for typed text, shorten it."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Wait a minute, then try again."),
    ),
    500: (
        _l("Sorry, something went wrong"),
        _l(
            "This page could not be shown because of a fault on our side. Try again in a few "
            "minutes. If it keeps happening, tell the grants team."
        ),
    ),
}
# A 500 after a form was sent: the transaction was rolled back, so the change was probably
# not saved, but it may have been (a fault after the save). Say so, and what to do; never
# claim that nothing was lost.
SERVER_ERROR_AFTER_SENDING = _l(
    "What you just sent may not have been saved. Go back, check whether your change is "
    "there, and if it is not, send it again. If you were scoring, open the score sheet again: "
    "a draft that was saved is still there, and this device may have kept a copy of answers "
    "that were not. If it keeps happening, tell the grants team."
)


def _render(code: int, detail: str | None = None) -> ResponseReturnValue:
    """The error page (or JSON body under ``/api/``) for ``code``, in the page's language."""
    if code in MESSAGES:
        title, text = (str(part) for part in MESSAGES[code])
    else:
        title, text = _("Something went wrong"), _("Try again later.")
    if code == 413:
        text = text % {"max_upload_mb": current_app.config.get("MAX_UPLOAD_MB", 16)}
    detail = str(detail) if detail else None
    if request.blueprint == "api" or request.path.startswith("/api/"):
        resp = jsonify({"error": title, "detail": detail or text, "status": code})
        resp.status_code = code
        return resp
    page = render_template("errors/error.html", title=title, text=detail or text, code=code)
    return Response(page, status=code, mimetype="text/html")


def _keep_allow_header(e: HTTPException, resp: ResponseReturnValue) -> None:
    """Copy the exception's ``Allow`` header (Werkzeug's ``MethodNotAllowed``) onto ``resp``."""
    allow = [value for name, value in e.get_headers() if name.lower() == "allow"]
    if allow and isinstance(resp, Response):
        resp.headers["Allow"] = allow[0]


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError) -> ResponseReturnValue:
        return _render(
            400,
            _(
                "This form had expired or was sent from somewhere else, so nothing was saved. "
                "Go back, reload the page and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> ResponseReturnValue:
        code = e.code or 500
        detail = e.description if code in (400, 403, 404) and e.description and getattr(
            e, "plain", False
        ) else None
        resp = _render(code, detail)
        if code == 405:
            # RFC 9110: a 405 names the methods that do work, on JSON and HTML answers alike.
            _keep_allow_header(e, resp)
        return resp

    @app.errorhandler(Exception)
    def server_error(e: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        sent = request.method not in ("GET", "HEAD", "OPTIONS")
        return _render(500, SERVER_ERROR_AFTER_SENDING if sent else None)
